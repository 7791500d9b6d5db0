package postgres_test

import (
	"context"
	"encoding/json"
	"strings"
	"testing"

	"github.com/autonomos/autonomos/aam"
	"github.com/autonomos/autonomos/aam/connectors/postgres"
	"github.com/autonomos/autonomos/aam/egress"
	"github.com/autonomos/autonomos/internal/testenv"
)

// TestFactoryDialsThroughItsDialer: a Factory's sources reach the server
// only through the dial function given, which here is an egress guard.
func TestFactoryDialsThroughItsDialer(t *testing.T) {
	ctx := context.Background()
	open := func(p egress.Policy, url string) aam.Connector {
		raw, _ := json.Marshal(map[string]any{"url": url})
		c, err := postgres.Factory(egress.NewDialer(p, nil).DialContext)(raw)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { c.Close() })
		return c
	}
	// Refused before any connection: no server is needed for this part.
	const pw = "pw-never-shown-1234"
	for _, u := range []string{"postgres://u:" + pw + "@127.0.0.1:5432/db?connect_timeout=5", "postgres://u:" + pw + "@169.254.169.254/db?connect_timeout=5"} {
		err := open(egress.Policy{}, u).Check(ctx)
		if err == nil || !strings.Contains(err.Error(), "egress: refused to dial") || strings.Contains(err.Error(), pw) {
			t.Errorf("Check of %s under a strict policy: %v", strings.ReplaceAll(u, pw, "***"), err)
		}
	}
	if err := open(egress.Policy{AllowLoopback: true}, testenv.PostgresURL(t)).Check(ctx); err != nil {
		t.Fatalf("Check with loopback allowed: %v", err)
	}
}
