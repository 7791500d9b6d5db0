package salesforce_test

import (
	"context"
	"encoding/json"
	"strings"
	"testing"

	"github.com/autonomos/autonomos/aam"
	"github.com/autonomos/autonomos/aam/connectors/salesforce"
	"github.com/autonomos/autonomos/aam/egress"
)

// TestFactoryDialsThroughItsDialer: a Factory's connectors reach the org
// only through the dial function given, which here is an egress guard.
func TestFactoryDialsThroughItsDialer(t *testing.T) {
	f := newFakeOrg(t)
	raw, _ := json.Marshal(map[string]any{"login_url": f.srv.URL, "flow": "client_credentials",
		"client_id": fakeClientID, "client_secret": fakeClientSecret, "objects": []string{"Account"}})
	ctx := context.Background()

	open := func(p egress.Policy) aam.Connector {
		c, err := salesforce.Factory(egress.NewDialer(p, nil).DialContext)(raw)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { c.Close() })
		return c
	}
	err := open(egress.Policy{}).Check(ctx)
	if err == nil || !strings.Contains(err.Error(), "refused to dial 127.0.0.1") {
		t.Fatalf("Check under a policy refusing loopback: %v", err)
	}
	if strings.Contains(err.Error(), fakeClientSecret) {
		t.Fatalf("error carries the secret: %v", err)
	}
	if err := open(egress.Policy{AllowLoopback: true}).Check(ctx); err != nil {
		t.Fatalf("Check with loopback allowed: %v", err)
	}
}
