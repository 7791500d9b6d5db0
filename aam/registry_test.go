package aam_test

import (
	"context"
	"encoding/json"
	"errors"
	"strings"
	"testing"

	"github.com/autonomos/autonomos/aam"
)

// stub is a connector that supports only Check, through
// UnimplementedConnector.
type stub struct {
	aam.UnimplementedConnector
	name string
}

func (s *stub) Check(context.Context) error { return nil }

func TestRegistry(t *testing.T) {
	t.Parallel()
	var r aam.Registry
	r.Register("stub", func(cfg json.RawMessage) (aam.Connector, error) {
		var c struct {
			Name string `json:"name"`
		}
		if err := json.Unmarshal(cfg, &c); err != nil {
			return nil, err
		}
		if c.Name == "" {
			return nil, &aam.ConfigError{Kind: "stub", Field: "name", Reason: "required"}
		}
		return &stub{name: c.Name}, nil
	})
	c, err := r.Open("stub", json.RawMessage(`{"name":"x"}`))
	if err != nil {
		t.Fatal(err)
	}
	if c.(*stub).name != "x" {
		t.Fatalf("config not passed: %+v", c)
	}
	if err := c.Check(context.Background()); err != nil {
		t.Fatal(err)
	}
	if _, err := c.Discover(context.Background()); !errors.Is(err, aam.ErrUnsupported) {
		t.Fatalf("Discover of a stub = %v, want ErrUnsupported", err)
	}
	for _, err := range c.Read(context.Background(), "o", "") {
		if !errors.Is(err, aam.ErrUnsupported) {
			t.Fatalf("Read of a stub = %v, want ErrUnsupported", err)
		}
	}

	_, err = r.Open("nope", nil)
	if !errors.Is(err, aam.ErrUnknownKind) || !strings.Contains(err.Error(), `"nope"`) || !strings.Contains(err.Error(), "stub") {
		t.Fatalf("Open of an unknown kind = %v", err)
	}
	var ce *aam.ConfigError
	if _, err = r.Open("stub", nil); !errors.As(err, &ce) || ce.Field != "name" {
		t.Fatalf("Open with an empty config = %v, want a ConfigError on name", err)
	}
	if _, err = r.Open("stub", json.RawMessage(`"str"`)); !errors.Is(err, aam.ErrInvalidConfig) {
		t.Fatalf("Open with a non-object config = %v", err)
	}
	if _, err = r.Open("stub", json.RawMessage(`{"name":1}`)); !errors.Is(err, aam.ErrInvalidConfig) {
		t.Fatalf("Open with a factory error = %v, want it wrapped as ErrInvalidConfig", err)
	}
	if got := r.Kinds(); len(got) != 1 || got[0] != "stub" {
		t.Fatalf("Kinds = %v", got)
	}
	func() {
		defer func() {
			if recover() == nil {
				t.Error("registering a kind twice did not panic")
			}
		}()
		r.Register("stub", func(json.RawMessage) (aam.Connector, error) { return nil, nil })
	}()
}

func TestErrors(t *testing.T) {
	t.Parallel()
	cause := errors.New("dial tcp: refused")
	ue := &aam.UnavailableError{Kind: "postgres", Target: "db:5432", Reason: "connection refused", Err: cause}
	if !errors.Is(ue, aam.ErrUnavailable) || !errors.Is(ue, cause) {
		t.Fatal("UnavailableError does not match its sentinel and cause")
	}
	if got := ue.Error(); got != `aam: postgres source "db:5432" unavailable: connection refused: dial tcp: refused` {
		t.Fatalf("text %q", got)
	}
	re := &aam.RowError{File: "a.csv", Line: 7, Err: aam.ErrRaggedRow}
	if !errors.Is(re, aam.ErrRaggedRow) || re.Error() != "a.csv:7: aam: row has the wrong number of cells" {
		t.Fatalf("RowError %q", re)
	}
	b := &aam.Batch{File: "a.csv", Records: []aam.Record{{Line: 3}, {}}}
	if b.Ref(0) != "a.csv:3" || b.Ref(1) != "a.csv" || b.Len() != 2 {
		t.Fatalf("Ref = %q %q", b.Ref(0), b.Ref(1))
	}
}
