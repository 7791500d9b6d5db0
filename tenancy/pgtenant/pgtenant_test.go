package pgtenant_test

import (
	"context"
	"errors"
	"slices"
	"strings"
	"testing"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/autonomos/autonomos/internal/testenv"
	"github.com/autonomos/autonomos/tenancy"
	"github.com/autonomos/autonomos/tenancy/pgtenant"
)

var (
	tenantA = tenancy.MustParse("6f1c2e0a-3b7d-4c55-9a1e-0d2b4c6e8f10")
	tenantB = tenancy.MustParse("b2d4f6a8-1c3e-4a5b-8d7f-9e0a1b2c3d4e")
)

// fixture is a database with one tenant table, "notes", owned by the
// owner role and used by the application role, with rows of A and B
// inserted through RunTx.
type fixture struct {
	*testenv.Roles
	idsA, idsB []int64
}

func newFixture(t *testing.T) *fixture {
	t.Helper()
	r := testenv.PostgresRoles(t)
	ctx := t.Context()
	if _, err := r.Owner.Exec(ctx, `create table notes (
		id bigint generated always as identity primary key,
		`+pgtenant.ColumnDDL+`,
		body text not null)`); err != nil {
		t.Fatal(err)
	}
	if err := pgtenant.ApplyPolicy(ctx, r.Owner, "notes"); err != nil {
		t.Fatal(err)
	}
	f := &fixture{Roles: r}
	f.idsA = f.insert(t, tenantA, "a1", "a2", "a3")
	f.idsB = f.insert(t, tenantB, "b1", "b2")
	return f
}

func (f *fixture) insert(t *testing.T, id tenancy.ID, bodies ...string) []int64 {
	t.Helper()
	var ids []int64
	err := pgtenant.RunTx(t.Context(), f.App, id, func(tx pgx.Tx) error {
		for _, b := range bodies {
			var n int64
			if err := tx.QueryRow(t.Context(), "insert into notes (tenant_id, body) values ($1, $2) returning id",
				id.String(), b).Scan(&n); err != nil {
				return err
			}
			ids = append(ids, n)
		}
		return nil
	})
	if err != nil {
		t.Fatalf("insert as %s: %v", id, err)
	}
	return ids
}

type note struct {
	ID     int64
	Tenant string
	Body   string
}

// seen returns what tenant id sees of notes with a bare SELECT *.
func (f *fixture) seen(t *testing.T, id tenancy.ID) []note {
	t.Helper()
	var out []note
	err := pgtenant.RunTx(t.Context(), f.App, id, func(tx pgx.Tx) error {
		var err error
		out, err = queryNotes(t.Context(), tx, "select * from notes order by id")
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	return out
}

type querier interface {
	Query(ctx context.Context, sql string, args ...any) (pgx.Rows, error)
}

func queryNotes(ctx context.Context, q querier, sql string, args ...any) ([]note, error) {
	rows, err := q.Query(ctx, sql, args...)
	if err != nil {
		return nil, err
	}
	return pgx.CollectRows(rows, func(r pgx.CollectableRow) (note, error) {
		var n note
		err := r.Scan(&n.ID, &n.Tenant, &n.Body)
		return n, err
	})
}

func bodies(ns []note) []string {
	var out []string
	for _, n := range ns {
		out = append(out, n.Body)
	}
	return out
}

func isRLSViolation(err error) bool {
	var pgErr *pgconn.PgError
	return errors.As(err, &pgErr) && pgErr.Code == "42501"
}

func TestTenantSeesOnlyItsRows(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	ctx := t.Context()

	if got := bodies(f.seen(t, tenantA)); !slices.Equal(got, []string{"a1", "a2", "a3"}) {
		t.Errorf("A sees %q, want a1 a2 a3", got)
	}
	if got := bodies(f.seen(t, tenantB)); !slices.Equal(got, []string{"b1", "b2"}) {
		t.Errorf("B sees %q, want b1 b2", got)
	}

	// Other routes to B's rows, as A: by B's id, by B's row ids, by count,
	// by a subquery, with FOR UPDATE, with TABLE, with COPY TO.
	err := pgtenant.RunTx(ctx, f.App, tenantA, func(tx pgx.Tx) error {
		for _, q := range []struct {
			sql  string
			args []any
		}{
			{"select * from notes where tenant_id = $1", []any{tenantB.String()}},
			{"select * from notes where id = any($1)", []any{f.idsB}},
			{"select * from notes where tenant_id <> $1", []any{tenantA.String()}},
			{"select * from notes where id in (select id from notes where body like 'b%')", nil},
			{"select * from notes where body like 'b%' for update", nil},
			{"with x as (select * from notes) select * from x where tenant_id = $1", []any{tenantB.String()}},
		} {
			got, err := queryNotes(ctx, tx, q.sql, q.args...)
			if err != nil {
				return err
			}
			if len(got) != 0 {
				t.Errorf("A ran %q and saw %v", q.sql, got)
			}
		}
		var total int
		if err := tx.QueryRow(ctx, "select count(*) from notes").Scan(&total); err != nil {
			return err
		}
		if total != 3 {
			t.Errorf("A counts %d notes, want 3", total)
		}
		got, err := queryNotes(ctx, tx, "table notes")
		if err != nil {
			return err
		}
		for _, n := range got {
			if n.Tenant != tenantA.String() {
				t.Errorf("TABLE notes showed A a row of %s", n.Tenant)
			}
		}
		var out strings.Builder
		if _, err := tx.Conn().PgConn().CopyTo(ctx, &out, "copy notes to stdout"); err != nil {
			return err
		}
		if c := out.String(); strings.Contains(c, tenantB.String()) || strings.Count(c, "\n") != 3 {
			t.Errorf("COPY TO as A gave %q", c)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}

func TestTenantCannotChangeOthersRows(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	ctx := t.Context()

	err := pgtenant.RunTx(ctx, f.App, tenantA, func(tx pgx.Tx) error {
		// UPDATE and DELETE of B's rows by id touch nothing.
		for _, sql := range []string{
			"update notes set body = 'hacked' where id = any($1)",
			"delete from notes where id = any($1)",
		} {
			tag, err := tx.Exec(ctx, sql, f.idsB)
			if err != nil {
				return err
			}
			if tag.RowsAffected() != 0 {
				t.Errorf("A ran %q on B's ids and affected %d rows", sql, tag.RowsAffected())
			}
		}
		// UPDATE without WHERE touches A's rows only.
		tag, err := tx.Exec(ctx, "update notes set body = body || '!'")
		if err != nil {
			return err
		}
		if tag.RowsAffected() != 3 {
			t.Errorf("A's UPDATE without WHERE affected %d rows, want 3", tag.RowsAffected())
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}

	// Moving A's row to B, or inserting with B's id, fails the policy.
	for _, op := range []struct {
		name string
		sql  string
		args []any
	}{
		{"update tenant_id to B", "update notes set tenant_id = $1 where id = $2", []any{tenantB.String(), f.idsA[0]}},
		{"insert with B's id", "insert into notes (tenant_id, body) values ($1, 'forged')", []any{tenantB.String()}},
		{"insert ... select with B's id", "insert into notes (tenant_id, body) select $1::uuid, 'forged'", []any{tenantB.String()}},
		{"upsert with B's id", "insert into notes (tenant_id, body) values ($1, 'forged') on conflict do nothing", []any{tenantB.String()}},
	} {
		err := pgtenant.RunTx(ctx, f.App, tenantA, func(tx pgx.Tx) error {
			_, err := tx.Exec(ctx, op.sql, op.args...)
			return err
		})
		if !isRLSViolation(err) {
			t.Errorf("%s as A: err = %v, want a row-level security violation (42501)", op.name, err)
		}
	}
	// COPY FROM into a table with row-level security is refused outright.
	err = pgtenant.RunTx(ctx, f.App, tenantA, func(tx pgx.Tx) error {
		_, err := tx.CopyFrom(ctx, pgx.Identifier{"notes"}, []string{"tenant_id", "body"},
			pgx.CopyFromRows([][]any{{tenantB.String(), "forged"}}))
		return err
	})
	if err == nil {
		t.Error("COPY FROM with B's id as A succeeded")
	}

	if got := bodies(f.seen(t, tenantB)); !slices.Equal(got, []string{"b1", "b2"}) {
		t.Errorf("after A's attempts B sees %q, want b1 b2 unchanged", got)
	}
	if got := bodies(f.seen(t, tenantA)); !slices.Equal(got, []string{"a1!", "a2!", "a3!"}) {
		t.Errorf("A sees %q, want its three rows updated", got)
	}

	// DELETE without WHERE removes A's rows only.
	err = pgtenant.RunTx(ctx, f.App, tenantA, func(tx pgx.Tx) error {
		tag, err := tx.Exec(ctx, "delete from notes")
		if err == nil && tag.RowsAffected() != 3 {
			t.Errorf("A's DELETE without WHERE affected %d rows, want 3", tag.RowsAffected())
		}
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	if got := bodies(f.seen(t, tenantB)); !slices.Equal(got, []string{"b1", "b2"}) {
		t.Errorf("after A's DELETE B sees %q, want b1 b2", got)
	}
}

func TestNoTenantSeesNothing(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	ctx := t.Context()

	// Outside RunTx, on a fresh session and on one that ran RunTx before.
	for range 2 {
		got, err := queryNotes(ctx, f.App, "select * from notes")
		if err != nil {
			t.Fatalf("select without a tenant: %v (want no rows, no error)", err)
		}
		if len(got) != 0 {
			t.Errorf("without a tenant the app role sees %v", got)
		}
		f.seen(t, tenantA)
	}
	tag, err := f.App.Exec(ctx, "update notes set body = 'x'")
	if err != nil || tag.RowsAffected() != 0 {
		t.Errorf("update without a tenant: %v rows, err %v; want 0, nil", tag.RowsAffected(), err)
	}
	if _, err := f.App.Exec(ctx, "insert into notes (tenant_id, body) values ($1, 'x')", tenantA.String()); !isRLSViolation(err) {
		t.Errorf("insert without a tenant: err = %v, want 42501", err)
	}
}

func TestOneConnectionNeverLeaksATenant(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	ctx := t.Context()
	cfg, err := pgxpool.ParseConfig(f.AppURL)
	if err != nil {
		t.Fatal(err)
	}
	cfg.MaxConns, cfg.MinConns = 1, 1
	pool, err := pgxpool.NewWithConfig(ctx, cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(pool.Close)

	pids := map[uint32]bool{}
	run := func(id tenancy.ID, fail bool) []note {
		var got []note
		err := pgtenant.RunTx(ctx, pool, id, func(tx pgx.Tx) error {
			pids[tx.Conn().PgConn().PID()] = true
			var err error
			if got, err = queryNotes(ctx, tx, "select * from notes order by id"); err != nil {
				return err
			}
			if fail {
				return errors.New("boom")
			}
			return nil
		})
		if fail != (err != nil) {
			t.Fatalf("RunTx(%s, fail=%v) = %v", id, fail, err)
		}
		return got
	}
	for i := range 3 {
		fail := i == 1 // a rolled-back transaction must not leak either
		if got := bodies(run(tenantA, fail)); !slices.Equal(got, []string{"a1", "a2", "a3"}) {
			t.Fatalf("round %d: A sees %q", i, got)
		}
		if got := bodies(run(tenantB, fail)); !slices.Equal(got, []string{"b1", "b2"}) {
			t.Fatalf("round %d: B, right after A on the same connection, sees %q", i, got)
		}
		var setting *string
		if err := pool.QueryRow(ctx, "select current_setting($1, true)", pgtenant.Setting).Scan(&setting); err != nil {
			t.Fatal(err)
		}
		if setting != nil && *setting != "" {
			t.Fatalf("round %d: after the transactions the session still has %s = %q", i, pgtenant.Setting, *setting)
		}
		got, err := queryNotes(ctx, pool, "select * from notes")
		if err != nil || len(got) != 0 {
			t.Fatalf("round %d: after the transactions, no tenant sees %v (err %v)", i, got, err)
		}
	}
	if len(pids) != 1 {
		t.Errorf("the one-connection pool used %d backends, want 1", len(pids))
	}
}

func TestRunTx(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	ctx := t.Context()

	t.Run("nil tenant runs nothing", func(t *testing.T) {
		called := false
		err := pgtenant.RunTx(ctx, f.App, tenancy.Nil, func(pgx.Tx) error { called = true; return nil })
		if !errors.Is(err, tenancy.ErrInvalidID) || called {
			t.Errorf("err = %v, called = %v; want ErrInvalidID, false", err, called)
		}
	})
	t.Run("from context", func(t *testing.T) {
		err := pgtenant.RunTxFromContext(ctx, f.App, func(pgx.Tx) error { return nil })
		if !errors.Is(err, tenancy.ErrNoTenant) {
			t.Errorf("without a tenant: err = %v, want ErrNoTenant", err)
		}
		var setting string
		err = pgtenant.RunTxFromContext(tenancy.WithTenant(ctx, tenantB), f.App, func(tx pgx.Tx) error {
			return tx.QueryRow(ctx, "select current_setting($1)", pgtenant.Setting).Scan(&setting)
		})
		if err != nil || setting != tenantB.String() {
			t.Errorf("setting = %q, err = %v; want %s", setting, err, tenantB)
		}
	})
	t.Run("error rolls back and comes back unchanged", func(t *testing.T) {
		boom := errors.New("boom")
		err := pgtenant.RunTx(ctx, f.App, tenantA, func(tx pgx.Tx) error {
			if _, err := tx.Exec(ctx, "insert into notes (tenant_id, body) values ($1, 'rolled back')", tenantA.String()); err != nil {
				return err
			}
			return boom
		})
		if err != boom {
			t.Errorf("err = %v, want the function's own error", err)
		}
		if got := bodies(f.seen(t, tenantA)); slices.Contains(got, "rolled back") {
			t.Errorf("the failed transaction's insert is visible: %q", got)
		}
	})
	t.Run("panic rolls back and goes on", func(t *testing.T) {
		func() {
			defer func() {
				if r := recover(); r != "oops" {
					t.Errorf("recovered %v, want the panic value", r)
				}
			}()
			_ = pgtenant.RunTx(ctx, f.App, tenantA, func(tx pgx.Tx) error {
				if _, err := tx.Exec(ctx, "insert into notes (tenant_id, body) values ($1, 'panicked')", tenantA.String()); err != nil {
					return err
				}
				panic("oops")
			})
		}()
		if got := bodies(f.seen(t, tenantA)); slices.Contains(got, "panicked") {
			t.Errorf("the panicked transaction's insert is visible: %q", got)
		}
	})
	t.Run("read only", func(t *testing.T) {
		err := pgtenant.RunTxOptions(ctx, f.App, tenantA, pgx.TxOptions{AccessMode: pgx.ReadOnly}, func(tx pgx.Tx) error {
			_, err := tx.Exec(ctx, "insert into notes (tenant_id, body) values ($1, 'x')", tenantA.String())
			return err
		})
		var pgErr *pgconn.PgError
		if !errors.As(err, &pgErr) || pgErr.Code != "25006" {
			t.Errorf("insert in a read-only transaction: err = %v, want 25006", err)
		}
	})
	t.Run("canceled context", func(t *testing.T) {
		cctx, cancel := context.WithCancel(ctx)
		cancel()
		err := pgtenant.RunTx(cctx, f.App, tenantA, func(pgx.Tx) error { return nil })
		if !errors.Is(err, context.Canceled) {
			t.Errorf("err = %v, want context.Canceled", err)
		}
	})
}

func TestCheckRole(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	ctx := t.Context()

	if err := pgtenant.CheckRole(ctx, f.App); err != nil {
		t.Errorf("the application role is refused: %v", err)
	}

	// The owner of the tenant table is refused, whatever else it is.
	err := pgtenant.CheckRole(ctx, f.Owner)
	var unsafe *pgtenant.UnsafeRoleError
	if !errors.As(err, &unsafe) || !errors.Is(err, pgtenant.ErrUnsafeRole) {
		t.Fatalf("owner: err = %v, want *UnsafeRoleError", err)
	}
	var ownerName string
	var ownerSuper bool
	if err := f.Owner.QueryRow(ctx, "select current_user, rolsuper from pg_roles where rolname = current_user").Scan(&ownerName, &ownerSuper); err != nil {
		t.Fatal(err)
	}
	if unsafe.Role != ownerName || !slices.Equal(unsafe.OwnedTables, []string{"public.notes"}) || unsafe.Superuser != ownerSuper {
		t.Errorf("owner: %+v, want role %s owning public.notes, superuser=%v", unsafe, ownerName, ownerSuper)
	}
	if !strings.Contains(err.Error(), "public.notes") {
		t.Errorf("error %q does not name the owned table", err)
	}

	t.Run("superuser", func(t *testing.T) {
		if !ownerSuper {
			t.Skipf("the test server's role %s is not a superuser; the verdict for one is covered by TestVerdict", ownerName)
		}
		if !unsafe.Superuser || !strings.Contains(err.Error(), "superuser") {
			t.Errorf("superuser not reported: %v", err)
		}
	})

	// The application role becomes unsafe once it owns a tenant table:
	// here it creates one itself.
	if _, err := f.Owner.Exec(ctx, "grant create on schema public to "+pgx.Identifier{f.AppRole}.Sanitize()); err != nil {
		t.Fatal(err)
	}
	if _, err := f.App.Exec(ctx, "create table own_notes (id int, "+pgtenant.ColumnDDL+")"); err != nil {
		t.Fatal(err)
	}
	if err := pgtenant.CheckRole(ctx, f.App); err != nil {
		t.Errorf("owning a tenant_id table without row-level security is not a tenant table yet: %v", err)
	}
	if err := pgtenant.ApplyPolicy(ctx, f.App, "own_notes"); err != nil {
		t.Fatal(err)
	}
	err = pgtenant.CheckRole(ctx, f.App)
	if !errors.As(err, &unsafe) || !slices.Equal(unsafe.OwnedTables, []string{"public.own_notes"}) || unsafe.Superuser || unsafe.BypassRLS {
		t.Errorf("app role owning own_notes: err = %v", err)
	}
}

func TestApplyPolicy(t *testing.T) {
	t.Parallel()
	r := testenv.PostgresRoles(t)
	ctx := t.Context()
	for _, ddl := range []string{
		"create table good (" + pgtenant.ColumnDDL + ", v int)",
		"create schema app",
		"create table app.good2 (" + pgtenant.ColumnDDL + ")",
		"create table no_tenant (v int)",
		"create table nullable_tenant (tenant_id uuid)",
		"create table text_tenant (tenant_id text not null)",
	} {
		if _, err := r.Owner.Exec(ctx, ddl); err != nil {
			t.Fatal(err)
		}
	}
	unprotected := func() []string {
		t.Helper()
		err := pgtenant.CheckTables(ctx, r.App, "public.text_tenant")
		if err == nil {
			return nil
		}
		var u *pgtenant.UnprotectedError
		if !errors.As(err, &u) || !errors.Is(err, pgtenant.ErrUnprotected) {
			t.Fatalf("CheckTables: %v, want *UnprotectedError", err)
		}
		var names []string
		for _, tb := range u.Tables {
			names = append(names, tb.String())
		}
		return names
	}
	if got, want := unprotected(), []string{
		"app.good2 (lacks ENABLE, FORCE, a policy)",
		"public.good (lacks ENABLE, FORCE, a policy)",
		"public.nullable_tenant (lacks ENABLE, FORCE, a policy)",
	}; !slices.Equal(got, want) {
		t.Errorf("before ApplyPolicy: unprotected %q, want %q", got, want)
	}
	for _, table := range []string{"good", "app.good2"} {
		for range 2 { // idempotent
			if err := pgtenant.ApplyPolicy(ctx, r.Owner, table); err != nil {
				t.Fatalf("ApplyPolicy(%s): %v", table, err)
			}
		}
		var enabled, forced bool
		var policies int
		if err := r.Owner.QueryRow(ctx, `select c.relrowsecurity, c.relforcerowsecurity,
			(select count(*) from pg_policy p where p.polrelid = c.oid)
			from pg_class c where c.oid = to_regclass($1)`, table).Scan(&enabled, &forced, &policies); err != nil {
			t.Fatal(err)
		}
		if !enabled || !forced || policies != 1 {
			t.Errorf("%s: enabled=%v forced=%v policies=%d, want true true 1", table, enabled, forced, policies)
		}
	}
	for table, want := range map[string]error{
		"no_tenant":             pgtenant.ErrTenantColumn,
		"nullable_tenant":       pgtenant.ErrTenantColumn,
		"text_tenant":           pgtenant.ErrTenantColumn,
		"missing":               pgtenant.ErrInvalidTable,
		"Good":                  pgtenant.ErrInvalidTable,
		"a.b.c":                 pgtenant.ErrInvalidTable,
		"good; drop table good": pgtenant.ErrInvalidTable,
	} {
		if err := pgtenant.ApplyPolicy(ctx, r.Owner, table); !errors.Is(err, want) {
			t.Errorf("ApplyPolicy(%q) = %v, want %v", table, err, want)
		}
	}
	if got, want := unprotected(), []string{"public.nullable_tenant (lacks ENABLE, FORCE, a policy)"}; !slices.Equal(got, want) {
		t.Errorf("after ApplyPolicy: unprotected %q, want %q", got, want)
	}
	// A role that does not own the table cannot change its policy.
	if _, err := r.Owner.Exec(ctx, "alter table good no force row level security"); err != nil {
		t.Fatal(err)
	}
	if got, want := unprotected(), []string{"public.good (lacks FORCE)", "public.nullable_tenant (lacks ENABLE, FORCE, a policy)"}; !slices.Equal(got, want) {
		t.Errorf("after NO FORCE: unprotected %q, want %q", got, want)
	}
	if err := pgtenant.CheckTables(ctx, r.App, "public.good", "public.nullable_tenant", "public.text_tenant"); err != nil {
		t.Errorf("CheckTables with every unprotected table excepted: %v", err)
	}
	if err := pgtenant.ApplyPolicy(ctx, r.App, "good"); err == nil {
		t.Error("the application role could apply a policy to the owner's table")
	}
}
