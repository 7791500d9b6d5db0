// Command customconnector shows how to connect a source the SDK has no
// connector for: the Connector type in connector.go reads a (fictional)
// SaaS CRM, "Pipewise", through its paginated REST API, implements
// aam.Connector by embedding aam.UnimplementedConnector, registers its
// kind in the aam registry, and passes the acceptance suite of package
// aam/connectortest (main_test.go). The mesh then syncs it like any
// other source: discover, map onto the ontology, read, normalize,
// publish.
//
// The API is served in-process by an httptest server (api.go), so the
// example needs no network:
//
//	go run ./examples/customconnector
package main

import (
	"context"
	"fmt"
	"io"
	"net/http/httptest"
	"os"
	"slices"

	"github.com/autonomos/autonomos/aam"
	"github.com/autonomos/autonomos/aam/mesh"
	meshmem "github.com/autonomos/autonomos/aam/mesh/memstore"
	"github.com/autonomos/autonomos/aam/stream/memstream"
	"github.com/autonomos/autonomos/repair"
	repairmem "github.com/autonomos/autonomos/repair/memstore"
	"github.com/autonomos/autonomos/tenancy"
)

func main() {
	if err := run(context.Background(), os.Stdout, os.Args[1:]); err != nil {
		fmt.Fprintln(os.Stderr, "customconnector:", err)
		os.Exit(1)
	}
}

var demoTenant = tenancy.MustParse("0b9c7d2e-5f41-4a6b-9c3d-2e1f0a9b8c7d")

func run(ctx context.Context, w io.Writer, _ []string) error {
	const token = "pw_live_demo_7f3a9c"
	api := newFakeAPI(token)
	srv := httptest.NewServer(api)
	defer srv.Close()

	if !slices.Contains(aam.Kinds(), Kind) {
		return fmt.Errorf("kind %q is not registered", Kind)
	}
	fmt.Fprintln(w, "registered connector kinds:", aam.Kinds())

	broker := memstream.New(nil)
	pub, err := broker.NewPublisher(nil)
	if err != nil {
		return err
	}
	defer pub.Close()
	reg := repair.NewRegistry(repairmem.New(), nil)
	defer reg.Close()
	m, err := mesh.New(meshmem.New(), reg, pub, nil)
	if err != nil {
		return err
	}

	// The connection stores the connector's JSON configuration; the mesh
	// opens it with aam.Open(Kind, config) on every sync.
	conn, err := m.AddConnection(ctx, mesh.Connection{Tenant: demoTenant, ID: "pipewise", Kind: Kind,
		Config: mesh.MustSourceConfig(Config{BaseURL: srv.URL, Token: token, PageSize: 5})})
	if err != nil {
		return err
	}
	fmt.Fprintln(w, "connection:", conn.ID, "config:", conn.Config) // the token is masked

	// Safe Mode is on for a new connection: the first sync proposes
	// mappings and waits for a person.
	st, err := m.Sync(ctx, demoTenant, conn.ID)
	if err != nil {
		return err
	}
	fmt.Fprintf(w, "first sync: %d objects, %d events published, %d proposals\n", st.Objects, st.EventsPublished, st.MappingsProposed)
	c, err := m.Connection(ctx, demoTenant, conn.ID)
	if err != nil {
		return err
	}
	for _, p := range c.Pending {
		fmt.Fprintf(w, "  proposal %s -> %s (confidence %.2f)\n", p.Object, p.Entity, p.Confidence)
		for _, f := range p.Mapping.Fields {
			if f.Target != "" {
				fmt.Fprintf(w, "    %-15s -> %s\n", f.Source, f.Target)
			}
		}
		if _, err := m.ApproveMapping(ctx, demoTenant, conn.ID, p.Object, "demo-user"); err != nil {
			return err
		}
	}

	st, err = m.Sync(ctx, demoTenant, conn.ID)
	if err != nil {
		return err
	}
	fmt.Fprintf(w, "after approval: %d rows read, %d events published\n", st.RowsRead, st.EventsPublished)

	// New records at the source: the next sync reads only them, from the
	// saved cursors.
	api.add("deals", 3)
	st, err = m.Sync(ctx, demoTenant, conn.ID)
	if err != nil {
		return err
	}
	fmt.Fprintf(w, "incremental: %d rows read, %d events published\n", st.RowsRead, st.EventsPublished)
	return nil
}
