package airbyte_test

import (
	"context"
	"encoding/json"
	"strings"
	"testing"

	"github.com/autonomos/autonomos/aam"
	"github.com/autonomos/autonomos/aam/connectors/airbyte"
	"github.com/autonomos/autonomos/aam/egress"
)

// TestFactoryDialsThroughItsDialer: a Factory's connectors reach the API
// only through the dial function given, which here is an egress guard.
func TestFactoryDialsThroughItsDialer(t *testing.T) {
	f := newFakeAirbyte(t)
	raw, _ := json.Marshal(map[string]any{"base_url": f.url(), "token": fakeToken})
	ctx := context.Background()
	open := func(p egress.Policy) aam.Connector {
		c, err := airbyte.Factory(egress.NewDialer(p, nil).DialContext)(raw)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { c.Close() })
		return c
	}
	err := open(egress.Policy{}).Check(ctx)
	if err == nil || !strings.Contains(err.Error(), "refused to dial 127.0.0.1") || strings.Contains(err.Error(), fakeToken) {
		t.Fatalf("Check under a policy refusing loopback: %v", err)
	}
	if err := open(egress.Policy{AllowLoopback: true}).Check(ctx); err != nil {
		t.Fatalf("Check with loopback allowed: %v", err)
	}
}
