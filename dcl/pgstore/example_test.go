package pgstore_test

import (
	"context"
	"fmt"
	"log"

	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/autonomos/autonomos/dcl"
	"github.com/autonomos/autonomos/dcl/pgstore"
	"github.com/autonomos/autonomos/tenancy"
)

// Migrate as the owner, then serve as the application role. (Needs a
// database, so it is compiled, not run.)
func Example() {
	ctx := context.Background()
	owner, err := pgxpool.New(ctx, "postgres://aos_owner@db/aos")
	if err != nil {
		log.Fatal(err)
	}
	defer owner.Close()
	if err := pgstore.Migrate(ctx, owner, &pgstore.MigrateConfig{AppRole: "aos_app"}); err != nil {
		log.Fatal(err)
	}

	app, err := pgxpool.New(ctx, "postgres://aos_app@db/aos")
	if err != nil {
		log.Fatal(err)
	}
	defer app.Close()
	store, err := pgstore.Open(ctx, app) // refuses a superuser or the owner
	if err != nil {
		log.Fatal(err)
	}
	w, err := dcl.New(store, nil)
	if err != nil {
		log.Fatal(err)
	}
	defer w.Close()

	tenant := tenancy.MustParse("0a6f7c1e-3b2d-4c5e-9f80-112233445566")
	res, err := w.Query(ctx, tenant, "SELECT cluster_id, member_count, sources FROM account_unified ORDER BY cluster_id")
	if err != nil {
		log.Fatal(err)
	}
	for _, row := range res.Rows {
		fmt.Println(row...)
	}
}

// Tables derives the entity tables from an ontology (nil is ontology
// v1).
func ExampleTables() {
	for _, t := range pgstore.Tables(nil)[:2] {
		fmt.Println(t.Entity, len(t.Columns) > 0)
	}
	// Output:
	// account true
	// contact true
}
