package pgstore_test

import (
	"context"
	"log"

	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/autonomos/autonomos/repair"
	"github.com/autonomos/autonomos/repair/pgstore"
	"github.com/autonomos/autonomos/tenancy/pgtenant"
)

// Migrate as the tables' owner, check the serving role is bound by
// row-level security, then serve the registry from PostgreSQL.
func Example() {
	ctx := context.Background()
	owner, err := pgxpool.New(ctx, "postgres://migrator@db/aos")
	if err != nil {
		log.Fatal(err)
	}
	defer owner.Close()
	if err := pgstore.Migrate(ctx, owner); err != nil {
		log.Fatal(err)
	}
	app, err := pgxpool.New(ctx, "postgres://aos_app@db/aos")
	if err != nil {
		log.Fatal(err)
	}
	defer app.Close()
	if err := pgtenant.CheckRole(ctx, app); err != nil {
		log.Fatal(err) // a superuser or owner would escape row-level security
	}
	reg := repair.NewRegistry(pgstore.New(app), nil)
	defer reg.Close()
	_ = reg // reg.Save, reg.HandleDrift, reg.Reviews, ...
}
