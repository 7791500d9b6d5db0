package mesh_test

import (
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/autonomos/autonomos/aam"
	"github.com/autonomos/autonomos/aam/connectors/filesource"
	"github.com/autonomos/autonomos/aam/mesh"
	"github.com/autonomos/autonomos/aam/mesh/memstore"
	"github.com/autonomos/autonomos/canonical"
	"github.com/autonomos/autonomos/repair"
	repairmem "github.com/autonomos/autonomos/repair/memstore"
	"github.com/autonomos/autonomos/tenancy"
)

var tenantA = tenancy.MustParse("6f1c2d3e-4a5b-4c6d-8e7f-0a1b2c3d4e5f")

const accountsCSV = `account_id,company_name,website,industry,billing_country,annual_revenue
A-1,Acme Corporation,acme.com,Manufacturing,US,1200000
A-2,Globex Inc,globex.com,Energy,DE,5400000
A-3,Initech LLC,initech.com,Software,FR,730000
`

// recorder is a Publisher that keeps what it published, and can fail.
type recorder struct {
	mu     sync.Mutex
	events []canonical.Event
	fail   error
}

func (r *recorder) Publish(ctx context.Context, events ...canonical.Event) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.fail != nil {
		return r.fail
	}
	r.events = append(r.events, events...)
	return nil
}

func (r *recorder) all() []canonical.Event {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]canonical.Event(nil), r.events...)
}

type env struct {
	dir    string
	store  *memstore.Store
	reg    *repair.Registry
	pub    *recorder
	mesh   *mesh.Mesh
	kinds  *aam.Registry
	sleeps []time.Duration
	events []mesh.Event
	mu     sync.Mutex
}

// newEnv returns a mesh over a temp dir of CSVs, with a private kind
// registry holding "file" and whatever extra kinds the test adds.
func newEnv(t *testing.T, files map[string]string, cfg *mesh.Config) *env {
	t.Helper()
	e := &env{dir: t.TempDir(), store: memstore.New(), pub: &recorder{}, kinds: &aam.Registry{}}
	for name, body := range files {
		e.write(t, name, body)
	}
	e.kinds.Register(filesource.Kind, func(raw json.RawMessage) (aam.Connector, error) {
		return openFile(raw)
	})
	e.reg = repair.NewRegistry(repairmem.New(), nil)
	t.Cleanup(func() { e.reg.Close() })
	var c mesh.Config
	if cfg != nil {
		c = *cfg
	}
	c.Connectors = e.kinds
	c.Sleep = func(ctx context.Context, d time.Duration) error {
		e.mu.Lock()
		e.sleeps = append(e.sleeps, d)
		e.mu.Unlock()
		return nil
	}
	c.Hook = func(ctx context.Context, ev mesh.Event) {
		e.mu.Lock()
		e.events = append(e.events, ev)
		e.mu.Unlock()
	}
	m, err := mesh.New(e.store, e.reg, e.pub, &c)
	if err != nil {
		t.Fatal(err)
	}
	e.mesh = m
	return e
}

func (e *env) write(t *testing.T, name, body string) {
	t.Helper()
	if err := os.WriteFile(filepath.Join(e.dir, name), []byte(body), 0o600); err != nil {
		t.Fatal(err)
	}
}

func (e *env) hookEvents(kind mesh.EventKind) []mesh.Event {
	e.mu.Lock()
	defer e.mu.Unlock()
	var out []mesh.Event
	for _, ev := range e.events {
		if ev.Kind == kind {
			out = append(out, ev)
		}
	}
	return out
}

func (e *env) conn(id string) mesh.Connection {
	return mesh.Connection{Tenant: tenantA, ID: id, Kind: filesource.Kind,
		Config: mesh.MustSourceConfig(map[string]any{"path": e.dir, "api_token": "s3cr3t-t0ken-value"})}
}

// openFile opens a filesource from {"path": ...}; other keys are ignored
// (the token stands for a secret a real connector would use).
func openFile(raw json.RawMessage) (aam.Connector, error) {
	var cfg struct {
		Path string `json:"path"`
	}
	if err := jsonUnmarshal(raw, &cfg); err != nil {
		return nil, err
	}
	return filesource.New(cfg.Path, &filesource.Config{BatchSize: 2})
}

func jsonUnmarshal(b []byte, v any) error { return json.Unmarshal(b, v) }

// syncOff adds the connection with Safe Mode off (a person's word) and
// syncs it.
func (e *env) addSafeModeOff(t *testing.T, id string) {
	t.Helper()
	ctx := context.Background()
	if _, err := e.mesh.AddConnection(ctx, e.conn(id)); err != nil {
		t.Fatal(err)
	}
	if err := e.mesh.SetSafeMode(ctx, tenantA, id, false, "alice"); err != nil {
		t.Fatal(err)
	}
}

func ids(evs []canonical.Event) map[string]bool {
	out := map[string]bool{}
	for _, e := range evs {
		out[e.ID] = true
	}
	return out
}
