package mesh_test

import (
	"context"
	"fmt"
	"os"
	"path/filepath"

	_ "github.com/autonomos/autonomos/aam/connectors/filesource" // kind "file"
	"github.com/autonomos/autonomos/aam/mesh"
	"github.com/autonomos/autonomos/aam/mesh/memstore"
	"github.com/autonomos/autonomos/aam/stream"
	"github.com/autonomos/autonomos/aam/stream/memstream"
	"github.com/autonomos/autonomos/canonical"
	"github.com/autonomos/autonomos/repair"
	repairmem "github.com/autonomos/autonomos/repair/memstore"
	"github.com/autonomos/autonomos/tenancy"
)

// A directory of CSV exports synced through the mesh into the
// in-process event stream, and read back by a consumer.
func Example() {
	ctx := context.Background()
	tenant := tenancy.MustParse("6f1c2d3e-4a5b-4c6d-8e7f-0a1b2c3d4e5f")
	dir, _ := os.MkdirTemp("", "mesh-example")
	defer os.RemoveAll(dir)
	_ = os.WriteFile(filepath.Join(dir, "accounts.csv"), []byte(accountsCSV), 0o600)

	broker := memstream.New(nil)
	pub, _ := broker.NewPublisher(nil)
	defer pub.Close()
	reg := repair.NewRegistry(repairmem.New(), nil)
	defer reg.Close()
	m, err := mesh.New(memstore.New(), reg, pub, nil)
	if err != nil {
		panic(err)
	}

	conn := mesh.Connection{Tenant: tenant, ID: "crm-exports", Kind: "file",
		Config: mesh.MustSourceConfig(map[string]string{"path": dir})}
	// A new connection is in Safe Mode: the first sync proposes a
	// mapping and waits for a person.
	c, st, err := m.Onboard(ctx, tenant, conn)
	if err != nil {
		panic(err)
	}
	fmt.Println(c.State, "proposed:", c.Pending[0].Object, "->", c.Pending[0].Entity, "published:", st.EventsPublished)

	// A person approves it; the next sync publishes.
	if _, err := m.ApproveMapping(ctx, tenant, "crm-exports", "accounts", "alice"); err != nil {
		panic(err)
	}
	st, err = m.Sync(ctx, tenant, "crm-exports")
	if err != nil {
		panic(err)
	}
	fmt.Println("rows:", st.RowsRead, "published:", st.EventsPublished)

	// The cursor holds: nothing new, nothing published.
	st, _ = m.Sync(ctx, tenant, "crm-exports")
	fmt.Println("again:", st.EventsPublished)

	sub, _ := broker.NewSubscriber(tenant, "dcl", nil)
	defer sub.Close()
	runCtx, stop := context.WithCancel(ctx)
	seen := 0
	_ = sub.Run(runCtx, stream.Each(func(ctx context.Context, e canonical.Event) error {
		if seen++; seen == 3 {
			stop()
		}
		return nil
	}))
	fmt.Println("consumed:", seen)
	// Output:
	// awaiting_approval proposed: accounts -> account published: 0
	// rows: 3 published: 3
	// again: 0
	// consumed: 3
}

// USE_AAM_AS_SOURCE picks where the DCL reads its events from.
func ExampleParseSource() {
	src, err := mesh.ParseSource("true") // os.Getenv(mesh.SourceFlag) in a program
	if err != nil {
		panic(err)
	}
	feed := mesh.Select(src, "aam event stream", "legacy connectors")
	fmt.Println(src, "->", feed)
	// Output: aam -> aam event stream
}

// Connections show and log themselves with their secrets masked.
func ExampleSourceConfig_Redacted() {
	cfg := mesh.MustSourceConfig(map[string]any{
		"host": "db.internal", "user": "app", "password": "hunter22",
		"url": "postgres://app:hunter22@db.internal/crm",
	})
	fmt.Println(string(cfg.Redacted()))
	fmt.Println(cfg) // fmt, slog and encoding/json see the same
	// Output:
	// {"host":"db.internal","password":"***","url":"postgres://app:***@db.internal/crm","user":"app"}
	// {"host":"db.internal","password":"***","url":"postgres://app:***@db.internal/crm","user":"app"}
}
