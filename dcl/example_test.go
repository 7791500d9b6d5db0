package dcl_test

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/autonomos/autonomos/aam/stream/memstream"
	"github.com/autonomos/autonomos/canonical"
	"github.com/autonomos/autonomos/dcl"
	"github.com/autonomos/autonomos/dcl/duckstore"
	"github.com/autonomos/autonomos/tenancy"
)

var exampleTenant = tenancy.MustParse("4b7e6f0a-1c2d-4e3f-8a9b-0c1d2e3f4a5b")

func account(system, key, name, domain string, minute int) canonical.Event {
	at := time.Date(2025, 3, 4, 9, minute, 0, 0, time.UTC)
	data := map[string]any{"id": key, "name": name}
	if domain != "" {
		data["domain"] = domain
	}
	return canonical.Event{
		ID: system + "-" + key + "-" + fmt.Sprint(minute), Tenant: exampleTenant, Entity: "account", Op: canonical.OpUpsert,
		Source:    canonical.Source{System: system, ConnectionID: system + "-main", Object: "accounts"},
		SourceKey: key, Data: data, OccurredAt: at, IngestedAt: at.Add(time.Second),
	}
}

// Materialize a tenant's stream into an in-memory DuckDB warehouse and
// read the unified accounts back.
func Example() {
	ctx := context.Background()
	store, err := duckstore.Open("", nil) // "" is in memory; a path keeps a file
	if err != nil {
		panic(err)
	}
	w, err := dcl.New(store, nil) // w owns store
	if err != nil {
		panic(err)
	}
	defer w.Close()
	engine, err := dcl.NewEngine(w, nil)
	if err != nil {
		panic(err)
	}

	broker := memstream.New(nil)
	pub, _ := broker.NewPublisher(nil)
	defer pub.Close()
	_ = pub.Publish(ctx,
		account("salesforce", "001", "Acme, Inc.", "acme.com", 1),
		account("hubspot", "77", "ACME Corporation", "acme.com", 2),
		account("netsuite", "9", "Acme", "", 3), // no domain: matched by name
		account("hubspot", "78", "Globex", "globex.com", 2),
	)
	sub, _ := broker.NewSubscriber(exampleTenant, "dcl", nil)
	defer sub.Close()
	runCtx, stop := context.WithCancel(ctx)
	handler := engine.Handler(exampleTenant)
	_ = sub.Run(runCtx, func(ctx context.Context, events []canonical.Event) error {
		err := handler(ctx, events) // returns after the commit: the stream acks then
		if engine.Stats().Written == 4 {
			stop()
		}
		return err
	})

	res, err := w.Query(ctx, exampleTenant,
		"SELECT cluster_id, member_count, sources, name FROM account_unified ORDER BY cluster_id")
	if err != nil {
		panic(err)
	}
	for _, r := range res.Rows {
		fmt.Println(r...)
	}
	// Output:
	// domain:acme.com 3 [hubspot netsuite salesforce] Acme
	// domain:globex.com 1 [hubspot] Globex
}

// The query API runs one SELECT over the tenant's own tables and views;
// anything else is refused with a typed error.
func ExampleWarehouse_Query() {
	ctx := context.Background()
	store, _ := duckstore.Open("", nil)
	w, _ := dcl.New(store, &dcl.Config{MaxRows: 100, QueryTimeout: 5 * time.Second})
	defer w.Close()
	_ = w.Write(ctx, exampleTenant, []canonical.Event{account("csv", "1", "Initech", "initech.io", 1)})

	res, _ := w.Query(ctx, exampleTenant, "SELECT name, _source_system FROM account")
	fmt.Println(res.Columns, res.Rows)

	for _, q := range []string{
		"DROP TABLE account",
		"SELECT * FROM read_csv('/etc/passwd')",
		"SELECT * FROM information_schema.tables",
		"SELECT 1; SELECT 2",
	} {
		_, err := w.Query(ctx, exampleTenant, q)
		var refused *dcl.QueryRefusedError
		if errors.As(err, &refused) {
			fmt.Println(refused.Reason)
		}
	}
	// Output:
	// [name _source_system] [[Initech csv]]
	// not a select
	// table function
	// foreign schema
	// multiple statements
}
