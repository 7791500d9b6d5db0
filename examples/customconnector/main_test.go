package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/autonomos/autonomos/aam"
	"github.com/autonomos/autonomos/aam/connectortest"
)

// TestAcceptance runs the connector acceptance suite against the fake
// API: discovery, reading, resuming from every cursor, incremental reads,
// cancellation, unknown objects, foreign cursors and closing.
func TestAcceptance(t *testing.T) {
	api := newFakeAPI("secret-token")
	srv := httptest.NewServer(api)
	t.Cleanup(srv.Close)
	down := httptest.NewServer(api)
	down.Close() // a closed port: the source cannot be reached

	open := func(url, token string) func(t *testing.T) aam.Connector {
		return func(t *testing.T) aam.Connector {
			raw, _ := json.Marshal(Config{BaseURL: url, Token: token, PageSize: 4})
			c, err := aam.Open(Kind, raw) // through the registry, as the mesh does
			if err != nil {
				t.Fatal(err)
			}
			return c
		}
	}
	connectortest.RunAcceptanceTests(t, connectortest.Harness{
		Open:        open(srv.URL, "secret-token"),
		Records:     map[string]int{"companies": 12, "deals": 20},
		Append:      func(t *testing.T, object string, n int) { api.add(object, n) },
		Unreachable: open(down.URL, "secret-token"),
	})
}

func TestRefusedToken(t *testing.T) {
	srv := httptest.NewServer(newFakeAPI("right"))
	t.Cleanup(srv.Close)
	c, err := New(Config{BaseURL: srv.URL, Token: "wrong"})
	if err != nil {
		t.Fatal(err)
	}
	err = c.Check(context.Background())
	if !errors.Is(err, aam.ErrUnavailable) || !strings.Contains(err.Error(), "token refused") {
		t.Errorf("Check with a wrong token = %v, want unavailable: token refused", err)
	}
	if strings.Contains(err.Error(), "wrong") {
		t.Errorf("error shows the token: %v", err)
	}
}

func TestBadConfig(t *testing.T) {
	for field, raw := range map[string]string{
		"base_url":  `{"token":"t"}`,
		"token":     `{"base_url":"https://api.example"}`,
		"page_size": `{"base_url":"https://api.example","token":"t","page_size":9000}`,
		"":          `{"base_url":"https://api.example","token":"t","extra":1}`,
	} {
		_, err := aam.Open(Kind, json.RawMessage(raw))
		var ce *aam.ConfigError
		if !errors.As(err, &ce) || ce.Field != field {
			t.Errorf("Open(%s) = %v, want a config error on field %q", raw, err, field)
		}
	}
	_, err := aam.Open(Kind, json.RawMessage(`{"base_url":"https://user:pw@api.example","token":"t"}`))
	if !errors.Is(err, aam.ErrInvalidConfig) || strings.Contains(err.Error(), "pw") {
		t.Errorf("credentials in base_url: %v", err)
	}
}

// TestRun checks the mesh onboards the custom source: two objects
// proposed as account and opportunity, every record published after
// approval, and only the new records on the next sync.
func TestRun(t *testing.T) {
	var out bytes.Buffer
	if err := run(context.Background(), &out, nil); err != nil {
		t.Fatalf("run: %v\n%s", err, out.String())
	}
	s := out.String()
	t.Log(s)
	for _, want := range []string{
		"first sync: 2 objects, 0 events published, 2 proposals",
		"proposal companies -> account",
		"proposal deals -> opportunity",
		"value           -> opportunity.amount",
		"after approval: 32 rows read, 32 events published", // 12 companies + 20 deals
		"incremental: 3 rows read, 3 events published",
		`"token":"***"`,
	} {
		if !strings.Contains(s, want) {
			t.Errorf("output lacks %q", want)
		}
	}
	if strings.Contains(s, "pw_live_demo") {
		t.Error("output shows the API token")
	}
}
