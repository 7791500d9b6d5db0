package tenancy_test

import (
	"context"
	"encoding/json"
	"errors"
	"strings"
	"testing"

	"github.com/autonomos/autonomos/tenancy"
)

func TestParse(t *testing.T) {
	t.Parallel()
	const s = "6f1c2e0a-3b7d-4c55-9a1e-0d2b4c6e8f10"
	id, err := tenancy.Parse(s)
	if err != nil || id.String() != s {
		t.Fatalf("Parse(%q) = %v, %v", s, id, err)
	}
	if up, err := tenancy.Parse(strings.ToUpper(s)); err != nil || up != id {
		t.Errorf("upper-case form: %v, %v; want the same id", up, err)
	}
	for _, bad := range []string{
		"", "not-a-uuid", "00000000-0000-0000-0000-000000000000",
		"{6f1c2e0a-3b7d-4c55-9a1e-0d2b4c6e8f10}", "urn:uuid:6f1c2e0a-3b7d-4c55-9a1e-0d2b4c6e8f10",
		"6f1c2e0a3b7d4c559a1e0d2b4c6e8f10", "6f1c2e0a-3b7d-4c55-9a1e-0d2b4c6e8f1g",
		strings.Repeat("x", 1<<20),
	} {
		_, err := tenancy.Parse(bad)
		if !errors.Is(err, tenancy.ErrInvalidID) {
			t.Errorf("Parse(%.40q) err = %v, want ErrInvalidID", bad, err)
		} else if len(err.Error()) > 200 {
			t.Errorf("Parse error for a %d-byte input is %d bytes long", len(bad), len(err.Error()))
		}
	}
}

func TestIDText(t *testing.T) {
	t.Parallel()
	id := tenancy.New()
	if err := id.Validate(); err != nil {
		t.Fatal(err)
	}
	if tenancy.New() == id {
		t.Fatal("New returned the same id twice")
	}
	b, err := json.Marshal(struct{ T tenancy.ID }{id})
	if err != nil {
		t.Fatal(err)
	}
	var back struct{ T tenancy.ID }
	if err := json.Unmarshal(b, &back); err != nil || back.T != id {
		t.Errorf("JSON round trip: %v, %v; want %v", back.T, err, id)
	}
	if err := json.Unmarshal([]byte(`{"T":"00000000-0000-0000-0000-000000000000"}`), &back); !errors.Is(err, tenancy.ErrInvalidID) {
		t.Errorf("JSON nil id: err = %v, want ErrInvalidID", err)
	}
	if !tenancy.Nil.IsZero() || !errors.Is(tenancy.Nil.Validate(), tenancy.ErrInvalidID) {
		t.Error("Nil is not zero or validates")
	}
}

func TestContext(t *testing.T) {
	t.Parallel()
	if _, err := tenancy.FromContext(context.Background()); !errors.Is(err, tenancy.ErrNoTenant) {
		t.Errorf("empty context: err = %v, want ErrNoTenant", err)
	}
	if _, err := tenancy.FromContext(tenancy.WithTenant(context.Background(), tenancy.Nil)); !errors.Is(err, tenancy.ErrNoTenant) {
		t.Errorf("context with the nil id: err = %v, want ErrNoTenant", err)
	}
	a := tenancy.New()
	ctx := tenancy.WithTenant(tenancy.WithTenant(context.Background(), tenancy.New()), a)
	if got, err := tenancy.FromContext(ctx); err != nil || got != a {
		t.Errorf("FromContext = %v, %v; want the innermost tenant %v", got, err, a)
	}
}

func FuzzParse(f *testing.F) {
	f.Add("6f1c2e0a-3b7d-4c55-9a1e-0d2b4c6e8f10")
	f.Add("00000000-0000-0000-0000-000000000000")
	f.Add("{6f1c2e0a-3b7d-4c55-9a1e-0d2b4c6e8f1}")
	f.Add("")
	f.Fuzz(func(t *testing.T, s string) {
		id, err := tenancy.Parse(s)
		if err != nil {
			if !errors.Is(err, tenancy.ErrInvalidID) {
				t.Fatalf("Parse(%q) error %v does not wrap ErrInvalidID", s, err)
			}
			return
		}
		if id.IsZero() {
			t.Fatalf("Parse(%q) accepted the nil id", s)
		}
		if !strings.EqualFold(id.String(), s) {
			t.Fatalf("Parse(%q) = %s: not the same UUID text", s, id)
		}
		again, err := tenancy.Parse(id.String())
		if err != nil || again != id {
			t.Fatalf("Parse(String()) = %v, %v", again, err)
		}
	})
}
