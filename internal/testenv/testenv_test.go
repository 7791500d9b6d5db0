package testenv

import (
	"context"
	"errors"
	"fmt"
	"os"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/redis/go-redis/v9"
)

func TestPostgresFreshDatabaseWithVector(t *testing.T) {
	t.Parallel()
	watcher := Postgres(t) // outlives the subtest: sees the catalogue after its cleanup
	ctx := t.Context()

	var nameA, nameB string
	t.Run("two databases", func(t *testing.T) {
		a, b := Postgres(t), Postgres(t)
		if err := a.QueryRow(ctx, "select current_database()").Scan(&nameA); err != nil {
			t.Fatal(err)
		}
		if err := b.QueryRow(ctx, "select current_database()").Scan(&nameB); err != nil {
			t.Fatal(err)
		}
		if nameA == nameB {
			t.Fatalf("both calls gave database %s", nameA)
		}
		if !strings.HasPrefix(nameA, "aos_test_") {
			t.Errorf("database name %q lacks the aos_test_ prefix", nameA)
		}
		for _, p := range []*pgxpool.Pool{a, b} {
			var v string
			if err := p.QueryRow(ctx, "select extversion from pg_extension where extname = 'vector'").Scan(&v); err != nil {
				t.Fatalf("vector extension: %v", err)
			}
			var dist float64
			if err := p.QueryRow(ctx, "select '[1,2,3]'::vector <-> '[1,2,5]'::vector").Scan(&dist); err != nil {
				t.Fatalf("vector distance: %v", err)
			}
			if dist != 2 {
				t.Errorf("distance = %v, want 2", dist)
			}
		}
		if _, err := a.Exec(ctx, "create table only_in_a (x int)"); err != nil {
			t.Fatal(err)
		}
		var n int
		if err := b.QueryRow(ctx, "select count(*) from pg_tables where tablename = 'only_in_a'").Scan(&n); err != nil {
			t.Fatal(err)
		}
		if n != 0 {
			t.Errorf("a table created in %s is visible in %s", nameA, nameB)
		}
		// A connection the test forgot to close must not block the drop.
		conn, err := pgx.Connect(ctx, a.Config().ConnString())
		if err != nil {
			t.Fatal(err)
		}
		_ = conn
	})
	var left int
	if err := watcher.QueryRow(ctx, "select count(*) from pg_database where datname = any($1)", []string{nameA, nameB}).Scan(&left); err != nil {
		t.Fatal(err)
	}
	if left != 0 {
		t.Errorf("%d of the subtest's databases survived its cleanup", left)
	}
}

func TestPostgresURL(t *testing.T) {
	t.Parallel()
	u := PostgresURL(t)
	conn, err := pgx.Connect(t.Context(), u)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(context.Background())
	var db string
	if err := conn.QueryRow(t.Context(), "select current_database()").Scan(&db); err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(db, "aos_test_testpostgresurl_") {
		t.Errorf("database %q is not named after the test", db)
	}
}

func TestPostgresRoles(t *testing.T) {
	t.Parallel()
	watcher := Postgres(t)
	ctx := t.Context()
	var role string
	t.Run("roles", func(t *testing.T) {
		r := PostgresRoles(t)
		role = r.AppRole
		var user string
		var super, bypass, createDB, createRole bool
		err := r.App.QueryRow(ctx, `select current_user, rolsuper, rolbypassrls, rolcreatedb, rolcreaterole
			from pg_roles where rolname = current_user`).Scan(&user, &super, &bypass, &createDB, &createRole)
		if err != nil {
			t.Fatal(err)
		}
		if user != r.AppRole {
			t.Errorf("App connects as %q, want %q", user, r.AppRole)
		}
		if super || bypass || createDB || createRole {
			t.Errorf("app role attributes: super=%v bypassrls=%v createdb=%v createrole=%v, want all false", super, bypass, createDB, createRole)
		}
		var owner string
		if err := r.Owner.QueryRow(ctx, "select current_user").Scan(&owner); err != nil {
			t.Fatal(err)
		}
		if owner == user {
			t.Fatalf("Owner and App are both %q", owner)
		}
		if _, err := r.Owner.Exec(ctx, "create table t (id serial primary key, v text)"); err != nil {
			t.Fatal(err)
		}
		// Default privileges: the app role may use the owner's table and its sequence ...
		if _, err := r.App.Exec(ctx, "insert into t (v) values ('x')"); err != nil {
			t.Fatalf("app role cannot insert into the owner's table: %v", err)
		}
		// ... but owns nothing and cannot change the schema.
		if _, err := r.App.Exec(ctx, "alter table t disable row level security"); err == nil {
			t.Error("app role could alter the owner's table")
		}
		var owned int
		if err := r.App.QueryRow(ctx, "select count(*) from pg_class where relowner = (select oid from pg_roles where rolname = current_user)").Scan(&owned); err != nil {
			t.Fatal(err)
		}
		if owned != 0 {
			t.Errorf("app role owns %d relations", owned)
		}
	})
	var left int
	if err := watcher.QueryRow(ctx, "select count(*) from pg_roles where rolname = $1", role).Scan(&left); err != nil {
		t.Fatal(err)
	}
	if role == "" || left != 0 {
		t.Errorf("app role %q survived the subtest's cleanup (%d)", role, left)
	}
}

func TestRedisIsolatedDatabases(t *testing.T) {
	t.Parallel()
	ctx := t.Context()
	var dbA, dbB int
	t.Run("two clients", func(t *testing.T) {
		a, b := Redis(t), Redis(t)
		dbA, dbB = a.Options().DB, b.Options().DB
		if dbA == dbB {
			t.Fatalf("both clients use database %d", dbA)
		}
		if n, err := a.DBSize(ctx).Result(); err != nil || n != 0 {
			t.Fatalf("fresh database has %d keys (err %v)", n, err)
		}
		if err := a.Set(ctx, "k", "a", 0).Err(); err != nil {
			t.Fatal(err)
		}
		if err := b.Get(ctx, "k").Err(); !errors.Is(err, redis.Nil) {
			t.Errorf("key set through a is visible through b: %v", err)
		}
	})
	// After the cleanup: flushed and the leases given back.
	coord, server := coordinationClient(t)
	for _, db := range []int{dbA, dbB} {
		c, err := newClient(server, db)
		if err != nil {
			t.Fatal(err)
		}
		n, err := c.DBSize(ctx).Result()
		_ = c.Close()
		if err != nil {
			t.Fatal(err)
		}
		// Another test may already hold it again, but not with our key.
		if n != 0 && coord.Exists(ctx, leaseKeyPrefix+strconv.Itoa(db)).Val() == 0 {
			t.Errorf("database %d has %d keys after cleanup", db, n)
		}
	}
}

// coordinationClient is a client on the lease database, for tests that
// look behind Redis.
func coordinationClient(t *testing.T) (*redis.Client, string) {
	t.Helper()
	_ = Redis(t) // skips or fails like the tests that use it
	server := os.Getenv(EnvRedisURL)
	if server == "" {
		u, err := redisContainerURL()
		if err != nil {
			t.Fatal(err)
		}
		server = u
	}
	c, err := newClient(server, -1)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = c.Close() })
	return c, server
}

func TestRedisLeaseWaitsForAFreeDatabase(t *testing.T) {
	// Not parallel: it holds every database for a moment. Tests in other
	// processes wait meanwhile, as they would for any busy test.
	coord, server := coordinationClient(t)
	ctx := t.Context()
	coordDB := coord.Options().DB

	var held []*dbLease
	defer func() {
		for _, l := range held {
			l.release(context.Background())
		}
	}()
	// Take everything that is free (others may hold some).
	n, err := databaseCount(ctx, coord)
	if err != nil {
		t.Fatal(err)
	}
	for range n - 1 {
		short, cancel := context.WithTimeout(ctx, 2*time.Second)
		l, err := acquireDB(short, server, t.Name())
		cancel()
		if err != nil {
			break
		}
		held = append(held, l)
	}
	if len(held) == 0 {
		t.Fatal("could not lease any database")
	}
	seen := map[int]bool{}
	for _, l := range held {
		if l.db == coordDB {
			t.Fatalf("leased the coordination database %d", l.db)
		}
		if seen[l.db] {
			t.Fatalf("database %d leased twice", l.db)
		}
		seen[l.db] = true
	}

	type result struct {
		l   *dbLease
		err error
	}
	got := make(chan result, 1)
	go func() {
		l, err := acquireDB(ctx, server, t.Name()+"/waiter")
		got <- result{l, err}
	}()
	select {
	case r := <-got:
		if r.l != nil {
			held = append(held, r.l)
		}
		t.Fatalf("a lease was granted (err %v) while every database was leased", r.err)
	case <-time.After(500 * time.Millisecond):
	}
	freed := held[0]
	held = held[1:]
	freed.release(ctx)
	var r result
	select {
	case r = <-got:
	case <-time.After(10 * time.Second):
		// Another process's waiter took the freed database first: free
		// the rest, the waiter must get one of them.
		for _, l := range held {
			l.release(ctx)
		}
		held = nil
		select {
		case r = <-got:
		case <-time.After(60 * time.Second):
			t.Fatal("no lease a minute after every held one was released")
		}
	}
	if r.err != nil {
		t.Fatal(r.err)
	}
	held = append(held, r.l)
	for _, h := range held[:len(held)-1] {
		if h.db == r.l.db {
			t.Errorf("waiter got database %d, which is still held", r.l.db)
		}
	}
}

func TestRedisLeaseExpiresWithoutItsHolder(t *testing.T) {
	coord, server := coordinationClient(t)
	ctx := t.Context()
	l, err := acquireDB(ctx, server, t.Name())
	if err != nil {
		t.Fatal(err)
	}
	defer l.release(context.Background())
	ttl, err := coord.PTTL(ctx, l.key).Result()
	if err != nil {
		t.Fatal(err)
	}
	if ttl <= 0 || ttl > leaseTTL {
		t.Errorf("lease TTL = %v, want in (0, %v]", ttl, leaseTTL)
	}
	// A release by someone else's token must not free it.
	if err := releaseScript.Run(ctx, coord, []string{l.key}, "not-the-holder").Err(); err != nil {
		t.Fatal(err)
	}
	if v := coord.Get(ctx, l.key).Val(); v != l.token {
		t.Errorf("lease holder after a stranger's release = %q, want %q", v, l.token)
	}
}

// recordTB records Skip and Fatal instead of ending the test.
type recordTB struct {
	testing.TB
	mu              sync.Mutex
	skipped, failed string
}

func (r *recordTB) Helper() {}
func (r *recordTB) Skipf(format string, args ...any) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.skipped = fmt.Sprintf(format, args...)
}
func (r *recordTB) Fatalf(format string, args ...any) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.failed = fmt.Sprintf(format, args...)
}

func TestUnavailableSkipsOrFails(t *testing.T) {
	reason := errors.New("no Docker engine answers: socket not found")

	t.Setenv(EnvRequireServices, "")
	r := &recordTB{TB: t}
	unavailable(r, "PostgreSQL", EnvPostgresURL, reason)
	if r.failed != "" || !strings.Contains(r.skipped, reason.Error()) || !strings.Contains(r.skipped, EnvPostgresURL) {
		t.Errorf("without %s: skipped=%q failed=%q; want a skip naming the reason and %s", EnvRequireServices, r.skipped, r.failed, EnvPostgresURL)
	}

	t.Setenv(EnvRequireServices, "1")
	r = &recordTB{TB: t}
	unavailable(r, "Redis", EnvRedisURL, reason)
	if r.skipped != "" || !strings.Contains(r.failed, reason.Error()) || !strings.Contains(r.failed, EnvRequireServices) {
		t.Errorf("with %s=1: skipped=%q failed=%q; want a failure naming the reason", EnvRequireServices, r.skipped, r.failed)
	}
}

func TestNoServiceAtAll(t *testing.T) {
	if dockerAvailable() == nil {
		t.Skip("a Docker engine answers here: the container path would be taken")
	}
	t.Setenv(EnvPostgresURL, "")
	t.Setenv(EnvRedisURL, "")
	t.Setenv(EnvRequireServices, "")
	r := &recordTB{TB: t}
	if p := Postgres(r); p != nil || !strings.Contains(r.skipped, "Docker") {
		t.Errorf("Postgres without a service: pool=%v skipped=%q failed=%q", p, r.skipped, r.failed)
	}
	r = &recordTB{TB: t}
	if c := Redis(r); c != nil || !strings.Contains(r.skipped, "Docker") {
		t.Errorf("Redis without a service: client=%v skipped=%q failed=%q", c, r.skipped, r.failed)
	}
}

func TestDockerProbeIsQuick(t *testing.T) {
	start := time.Now()
	err := probeDocker()
	if d := time.Since(start); d > dockerProbeTimeout+2*time.Second {
		t.Errorf("the Docker probe took %v (err %v)", d, err)
	}
	if err != nil && !errors.Is(err, errNoDocker) {
		t.Errorf("probe error %v does not wrap errNoDocker", err)
	}
}

func TestConnectionStringRewrites(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		in, db, user, pw string
		wantDB, wantUser string
	}{
		{"postgres://u:p@h:5432/postgres?sslmode=disable", "aos_test_x", "aos_app_1", "s3", "postgres://u:p@h:5432/aos_test_x?sslmode=disable", "postgres://aos_app_1:s3@h:5432/postgres?sslmode=disable"},
		{"postgresql://h/", "d", "r", "p", "postgresql://h/d", "postgresql://r:p@h/"},
		{"host=h user=u dbname=postgres", "d", "r", "p", "host=h user=u dbname=postgres dbname=d", "host=h user=u dbname=postgres user=r password=p"},
	} {
		got, err := withDatabase(tc.in, tc.db)
		if err != nil || got != tc.wantDB {
			t.Errorf("withDatabase(%q) = %q, %v; want %q", tc.in, got, err, tc.wantDB)
		}
		if name, err := databaseName(got); err != nil || name != tc.db {
			t.Errorf("databaseName(%q) = %q, %v; want %q", got, name, err, tc.db)
		}
		got, err = withUser(tc.in, tc.user, tc.pw)
		if err != nil || got != tc.wantUser {
			t.Errorf("withUser(%q) = %q, %v; want %q", tc.in, got, err, tc.wantUser)
		}
	}
	if _, err := withDatabase("postgres://u:hunter2@h:99999999999/x%zz", "d"); err == nil || strings.Contains(err.Error(), "hunter2") {
		t.Errorf("bad URL: err = %v; want an error without the password", err)
	}
}

func TestNameHint(t *testing.T) {
	t.Parallel()
	for in, want := range map[string]string{
		"TestStore/Put_and_Get#01": "teststore_put_and_get_01",
		"TestX":                    "testx",
		"TestAVeryLongNameThatGoesOnAndOnForeverOK": "testaverylongnamethatgoe",
		"///": "",
	} {
		if got := nameHint(in); got != want {
			t.Errorf("nameHint(%q) = %q, want %q", in, got, want)
		}
	}
}
