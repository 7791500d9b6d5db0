package mongodb_test

import (
	"context"
	"encoding/json"
	"net"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/autonomos/autonomos/aam/connectors/mongodb"
	"github.com/autonomos/autonomos/aam/egress"
)

// TestFactoryDialsThroughItsDialer: a Factory's sources reach the
// deployment only through the dial function given; an egress guard
// refusing loopback keeps the driver off 127.0.0.1.
func TestFactoryDialsThroughItsDialer(t *testing.T) {
	guard := egress.NewDialer(egress.Policy{}, nil)
	var dials, refused atomic.Int32
	dial := func(ctx context.Context, network, addr string) (net.Conn, error) {
		dials.Add(1)
		c, err := guard.DialContext(ctx, network, addr)
		if err != nil && strings.Contains(err.Error(), "egress: refused to dial 127.0.0.1") {
			refused.Add(1)
		}
		return c, err
	}
	raw, _ := json.Marshal(map[string]any{"uri": "mongodb://u:pw-never-shown@127.0.0.1:27017/app", "server_selection_timeout": "300ms"})
	c, err := mongodb.Factory(dial)(raw)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	err = c.Check(context.Background())
	if err == nil || strings.Contains(err.Error(), "pw-never-shown") {
		t.Fatalf("Check: %v", err)
	}
	if dials.Load() == 0 || refused.Load() != dials.Load() {
		t.Fatalf("dials %d, refused %d: the driver did not dial through the guard", dials.Load(), refused.Load())
	}
}
