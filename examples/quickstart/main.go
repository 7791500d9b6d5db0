// Command quickstart runs the whole AutonomOS pipeline through the SDK
// alone, in one process and with no services: the demo tenant's CSV
// exports (examples/data: a CRM, a billing tool and a legacy system) are
// onboarded through the mesh, published to the in-process event stream,
// materialized by the DCL engine in an in-memory DuckDB warehouse, and
// the unified accounts are printed: one golden record per company, with
// the number of source records merged into it.
//
//	go run ./examples/quickstart [-data DIR]
//
// Without -data it reads a copy of the sources embedded in package
// examples/data, so it runs from any directory.
package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"text/tabwriter"

	"github.com/autonomos/autonomos/aam/connectors/filesource" // registers kind "file"
	"github.com/autonomos/autonomos/aam/mesh"
	meshmem "github.com/autonomos/autonomos/aam/mesh/memstore"
	"github.com/autonomos/autonomos/aam/stream/memstream"
	"github.com/autonomos/autonomos/canonical"
	"github.com/autonomos/autonomos/dcl"
	"github.com/autonomos/autonomos/dcl/duckstore"
	demodata "github.com/autonomos/autonomos/examples/data"
	"github.com/autonomos/autonomos/repair"
	repairmem "github.com/autonomos/autonomos/repair/memstore"
	"github.com/autonomos/autonomos/tenancy"
)

func main() {
	if err := run(context.Background(), os.Stdout, os.Args[1:]); err != nil {
		fmt.Fprintln(os.Stderr, "quickstart:", err)
		os.Exit(1)
	}
}

// demoTenant owns the demo data.
var demoTenant = tenancy.MustParse("0b9c7d2e-5f41-4a6b-9c3d-2e1f0a9b8c7d")

func run(ctx context.Context, w io.Writer, args []string) error {
	fs := flag.NewFlagSet("quickstart", flag.ContinueOnError)
	fs.SetOutput(w)
	data := fs.String("data", "", "directory of the demo sources, one subdirectory per source system (default: the embedded copy)")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if *data == "" {
		tmp, err := os.MkdirTemp("", "quickstart")
		if err != nil {
			return err
		}
		defer os.RemoveAll(tmp)
		if err := demodata.WriteTo(tmp); err != nil {
			return err
		}
		*data = tmp
	}
	if _, err := os.Stat(filepath.Join(*data, "crm")); err != nil {
		return fmt.Errorf("demo data not found: %w", err)
	}

	// 1. The event stream, the mapping registry and the mesh, in memory.
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

	// 2. One connection per source system, with Safe Mode off (a demo:
	// confident mappings apply without a person), then synced.
	published := 0
	for _, src := range demodata.Sources { // crm, billing, legacy
		cfg := map[string]string{"path": filepath.Join(*data, src.ID), "system": src.System}
		if _, err := m.AddConnection(ctx, mesh.Connection{Tenant: demoTenant, ID: src.ID, Name: src.Name,
			Kind: filesource.Kind, Config: mesh.MustSourceConfig(cfg)}); err != nil {
			return err
		}
		if err := m.SetSafeMode(ctx, demoTenant, src.ID, false, "quickstart"); err != nil {
			return err
		}
		st, err := m.Sync(ctx, demoTenant, src.ID)
		if err != nil {
			return fmt.Errorf("sync %s: %w", src.ID, err)
		}
		fmt.Fprintf(w, "synced %-8s %d objects, %d rows, %d events, %d waiting\n",
			src.ID, st.ObjectsSynced, st.RowsRead, st.EventsPublished, len(st.Waiting))
		published += st.EventsPublished
		if err := printMappings(ctx, w, reg, src.ID); err != nil {
			return err
		}
	}

	// 3. The DCL engine consumes the stream into an in-memory DuckDB.
	store, err := duckstore.Open("", nil)
	if err != nil {
		return err
	}
	wh, err := dcl.New(store, nil) // wh owns store
	if err != nil {
		return err
	}
	defer wh.Close()
	engine, err := dcl.NewEngine(wh, nil)
	if err != nil {
		return err
	}
	sub, err := broker.NewSubscriber(demoTenant, "dcl", nil)
	if err != nil {
		return err
	}
	defer sub.Close()
	runCtx, stop := context.WithCancel(ctx)
	defer stop()
	handle := engine.Handler(demoTenant)
	err = sub.Run(runCtx, func(ctx context.Context, events []canonical.Event) error {
		err := handle(ctx, events)
		if s := engine.Stats(); s.Written+s.Rejected >= int64(published) {
			stop() // everything published is stored
		}
		return err
	})
	if err != nil && ctx.Err() == nil && runCtx.Err() == nil {
		return err
	}

	// 4. The unified accounts: one golden record per company.
	res, err := wh.Query(ctx, demoTenant, `SELECT name, cluster_id, member_count, sources
		FROM account_unified ORDER BY member_count DESC, name`)
	if err != nil {
		return err
	}
	fmt.Fprintf(w, "\n%d unified accounts from %d events:\n", len(res.Rows), engine.Stats().Written)
	tw := tabwriter.NewWriter(w, 2, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "NAME\tDOMAIN\tRECORDS\tSOURCES")
	for _, r := range res.Rows {
		fmt.Fprintf(tw, "%v\t%s\t%v\t%v\n", r[0], domainOf(r[1]), r[2], r[3])
	}
	return tw.Flush()
}

// printMappings shows how the objects of a connection were mapped onto
// the ontology.
func printMappings(ctx context.Context, w io.Writer, reg *repair.Registry, connection string) error {
	tctx := tenancy.WithTenant(ctx, demoTenant)
	keys, err := reg.Mappings(tctx, connection)
	if err != nil {
		return err
	}
	for _, k := range keys {
		v, err := reg.Current(tctx, k)
		if err != nil {
			return err
		}
		var mapped []string
		for _, f := range v.Mapping.Fields {
			if f.Target != "" {
				mapped = append(mapped, f.Source+"="+f.Target)
			}
		}
		fmt.Fprintf(w, "  %s: %d of %d fields mapped: %s\n", k.Object, len(mapped), len(v.Mapping.Fields), strings.Join(mapped, " "))
	}
	return nil
}

// domainOf shows a cluster id "domain:acme.com" as its domain, and "-"
// for a cluster made by name alone.
func domainOf(v any) string {
	s := fmt.Sprint(v)
	if d, ok := strings.CutPrefix(s, "domain:"); ok {
		return d
	}
	return "-"
}
