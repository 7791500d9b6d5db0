package pgtenant_test

import (
	"context"
	"errors"
	"fmt"
	"log"
	"os"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/autonomos/autonomos/tenancy"
	"github.com/autonomos/autonomos/tenancy/pgtenant"
)

func ExamplePolicySQL() {
	stmts, err := pgtenant.PolicySQL("users")
	if err != nil {
		log.Fatal(err)
	}
	for _, s := range stmts {
		fmt.Println(s + ";")
	}
	// Output:
	// ALTER TABLE "users" ENABLE ROW LEVEL SECURITY;
	// ALTER TABLE "users" FORCE ROW LEVEL SECURITY;
	// DROP POLICY IF EXISTS tenant_isolation ON "users";
	// CREATE POLICY tenant_isolation ON "users" AS PERMISSIVE FOR ALL USING (tenant_id = NULLIF(current_setting('app.tenant_id', true), '')::uuid) WITH CHECK (tenant_id = NULLIF(current_setting('app.tenant_id', true), '')::uuid);
}

// The application's start-up: refuse a role that row-level security does
// not bind, then reach tenant data only through RunTx. (Needs a database,
// so this example is compiled but not run.)
func ExampleRunTx() {
	ctx := context.Background()
	pool, err := pgxpool.New(ctx, os.Getenv("DATABASE_URL"))
	if err != nil {
		log.Fatal(err)
	}
	defer pool.Close()

	if err := pgtenant.CheckRole(ctx, pool); err != nil {
		var unsafe *pgtenant.UnsafeRoleError
		if errors.As(err, &unsafe) {
			log.Fatalf("refusing to start: %v", unsafe)
		}
		log.Fatal(err)
	}

	tenant := tenancy.MustParse("6f1c2e0a-3b7d-4c55-9a1e-0d2b4c6e8f10")
	var users int
	err = pgtenant.RunTx(ctx, pool, tenant, func(tx pgx.Tx) error {
		// No WHERE tenant_id = ...: the policy adds it.
		return tx.QueryRow(ctx, "select count(*) from users").Scan(&users)
	})
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(users, "users")
}
