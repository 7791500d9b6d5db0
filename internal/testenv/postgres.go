package testenv

import (
	"context"
	"fmt"
	"net/url"
	"os"
	"strings"
	"testing"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
)

// postgresServer returns the URL of the server to create databases on, or
// ends the test (skip or fail) when there is none.
func postgresServer(t testing.TB) (string, bool) {
	t.Helper()
	if u := os.Getenv(EnvPostgresURL); u != "" {
		return u, true
	}
	u, err := postgresContainerURL()
	if err != nil {
		unavailable(t, "PostgreSQL", EnvPostgresURL, err)
		return "", false
	}
	return u, true
}

// PostgresURL creates a fresh database with the vector extension on the
// test server and returns a connection URL for it, connecting as the role
// of AOS_TEST_POSTGRES_URL (or the container's superuser). The database is
// dropped, with any connection still open to it, when the test and its
// subtests finish. Close pools you open on it in a t.Cleanup registered
// after this call (cleanups run last-registered first).
//
// Without a server it skips the test, or fails it when
// AOS_TEST_REQUIRE_SERVICES=1.
func PostgresURL(t testing.TB) string {
	t.Helper()
	server, ok := postgresServer(t)
	if !ok {
		return ""
	}
	return createDatabase(t, server)
}

// Postgres is [PostgresURL] with a pool on the new database, closed at the
// end of the test before the database is dropped.
func Postgres(t testing.TB) *pgxpool.Pool {
	t.Helper()
	u := PostgresURL(t)
	if u == "" {
		return nil
	}
	return openPool(t, u)
}

// Roles is a fresh database reached as two roles, for tests of row-level
// security, which the owner of a table escapes unless the table FORCEs it
// (and a superuser always escapes).
type Roles struct {
	// Owner connects as the server role (that of AOS_TEST_POSTGRES_URL):
	// it created the database and owns what it creates there. Run
	// migrations and DDL with it.
	Owner *pgxpool.Pool
	// OwnerURL is the connection URL of Owner.
	OwnerURL string
	// App connects as AppRole: a login role made for this test that is
	// not a superuser, has no BYPASSRLS, CREATEDB or CREATEROLE, and owns
	// nothing. Default privileges give it SELECT, INSERT, UPDATE and
	// DELETE on the tables, and USAGE on the sequences, that Owner
	// creates in schema public after this call.
	App *pgxpool.Pool
	// AppURL is the connection URL of App, for pools with other settings
	// (one connection, say). Close them before the test ends.
	AppURL string
	// AppRole is the name of the application role.
	AppRole string
}

// PostgresRoles creates a fresh database as [PostgresURL] does and a
// throw-away application role for it (see [Roles]). The server role needs
// CREATEROLE for this. Pools are closed, the database dropped and the role
// dropped when the test ends.
func PostgresRoles(t testing.TB) *Roles {
	t.Helper()
	server, ok := postgresServer(t)
	if !ok {
		return nil
	}
	role := "aos_app_" + randomHex(6)
	password := randomHex(16)
	q := func(s string) string { return pgx.Identifier{s}.Sanitize() }

	// The role first, so that its drop is registered first and runs last:
	// after the pools are closed and the database (holding the role's
	// privileges) is dropped.
	ctx, cancel := setupContext(context.Background())
	defer cancel()
	server0, err := pgx.Connect(ctx, server)
	if err != nil {
		t.Fatalf("testenv: connect to PostgreSQL (%s): %v", EnvPostgresURL, err)
		return nil
	}
	// Literal SQL: utility statements take no parameters. Both the name
	// and the password are ours (hex).
	_, err = server0.Exec(ctx, fmt.Sprintf(
		"CREATE ROLE %s LOGIN NOSUPERUSER NOBYPASSRLS NOCREATEDB NOCREATEROLE NOREPLICATION PASSWORD '%s'",
		q(role), password))
	server0.Close(context.Background())
	if err != nil {
		t.Fatalf("testenv: create the application role (the role of %s needs CREATEROLE): %v", EnvPostgresURL, err)
		return nil
	}
	t.Cleanup(func() { dropRole(t, server, role) })

	ownerURL := createDatabase(t, server)
	if ownerURL == "" {
		return nil
	}
	dbName, err := databaseName(ownerURL)
	if err != nil {
		t.Fatalf("testenv: %v", err)
		return nil
	}
	admin, err := pgx.Connect(ctx, ownerURL)
	if err != nil {
		t.Fatalf("testenv: connect to the test database: %v", err)
		return nil
	}
	defer admin.Close(context.Background())
	for _, stmt := range []string{
		// Membership of the server role in the app role (never the other
		// way) lets the cleanup's DROP DATABASE ... FORCE end the app
		// role's sessions.
		"GRANT " + q(role) + " TO CURRENT_USER",
		"GRANT CONNECT, TEMPORARY ON DATABASE " + q(dbName) + " TO " + q(role),
		"GRANT USAGE ON SCHEMA public TO " + q(role),
		"ALTER DEFAULT PRIVILEGES IN SCHEMA public GRANT SELECT, INSERT, UPDATE, DELETE ON TABLES TO " + q(role),
		"ALTER DEFAULT PRIVILEGES IN SCHEMA public GRANT USAGE, SELECT ON SEQUENCES TO " + q(role),
	} {
		if _, err := admin.Exec(ctx, stmt); err != nil {
			t.Fatalf("testenv: set up the application role: %s: %v", stmt, err)
			return nil
		}
	}
	appURL, err := withUser(ownerURL, role, password)
	if err != nil {
		t.Fatalf("testenv: %v", err)
		return nil
	}
	return &Roles{
		Owner:    openPool(t, ownerURL),
		OwnerURL: ownerURL,
		App:      openPool(t, appURL),
		AppURL:   appURL,
		AppRole:  role,
	}
}

func openPool(t testing.TB, u string) *pgxpool.Pool {
	t.Helper()
	ctx, cancel := setupContext(context.Background())
	defer cancel()
	pool, err := pgxpool.New(ctx, u)
	if err != nil {
		t.Fatalf("testenv: open a pool on the test database: %v", err)
		return nil
	}
	t.Cleanup(pool.Close)
	if err := pool.Ping(ctx); err != nil {
		t.Fatalf("testenv: ping the test database: %v", err)
		return nil
	}
	return pool
}

// createDatabase creates a database with the vector extension on server
// and registers its drop.
func createDatabase(t testing.TB, server string) string {
	t.Helper()
	ctx, cancel := setupContext(context.Background())
	defer cancel()
	admin, err := pgx.Connect(ctx, server)
	if err != nil {
		t.Fatalf("testenv: connect to PostgreSQL (%s): %v", EnvPostgresURL, err)
		return ""
	}
	defer admin.Close(context.Background())

	name := "aos_test_"
	if h := nameHint(t.Name()); h != "" {
		name += h + "_"
	}
	name += randomHex(8)
	if _, err := admin.Exec(ctx, "CREATE DATABASE "+pgx.Identifier{name}.Sanitize()); err != nil {
		t.Fatalf("testenv: create database %s (the role of %s needs CREATEDB): %v", name, EnvPostgresURL, err)
		return ""
	}
	t.Cleanup(func() { dropDatabase(t, server, name) })

	u, err := withDatabase(server, name)
	if err != nil {
		t.Fatalf("testenv: %v", err)
		return ""
	}
	conn, err := pgx.Connect(ctx, u)
	if err != nil {
		t.Fatalf("testenv: connect to the new database %s: %v", name, err)
		return ""
	}
	defer conn.Close(context.Background())
	if _, err := conn.Exec(ctx, "CREATE EXTENSION IF NOT EXISTS vector"); err != nil {
		t.Fatalf("testenv: the vector extension is missing in %s and this role cannot create it: %v "+
			"(install pgvector on the server and, as a superuser, run CREATE EXTENSION vector in template1 "+
			"so that new databases inherit it; bash .ci/run does both)", name, err)
		return ""
	}
	return u
}

func dropDatabase(t testing.TB, server, name string) {
	ctx, cancel := setupContext(context.Background())
	defer cancel()
	admin, err := pgx.Connect(ctx, server)
	if err != nil {
		t.Errorf("testenv: drop database %s: connect: %v", name, err)
		return
	}
	defer admin.Close(context.Background())
	if _, err := admin.Exec(ctx, "DROP DATABASE IF EXISTS "+pgx.Identifier{name}.Sanitize()+" WITH (FORCE)"); err != nil {
		t.Errorf("testenv: drop database %s: %v", name, err)
	}
}

func dropRole(t testing.TB, server, role string) {
	ctx, cancel := setupContext(context.Background())
	defer cancel()
	admin, err := pgx.Connect(ctx, server)
	if err != nil {
		t.Errorf("testenv: drop role %s: connect: %v", role, err)
		return
	}
	defer admin.Close(context.Background())
	if _, err := admin.Exec(ctx, "DROP ROLE IF EXISTS "+pgx.Identifier{role}.Sanitize()); err != nil {
		t.Errorf("testenv: drop role %s: %v", role, err)
	}
}

// isURL reports whether a connection string is a URL rather than
// keyword=value pairs.
func isURL(s string) bool {
	return strings.HasPrefix(s, "postgres://") || strings.HasPrefix(s, "postgresql://")
}

// withDatabase returns the connection string server with its database
// replaced by name.
func withDatabase(server, name string) (string, error) {
	if !isURL(server) {
		return server + " dbname=" + name, nil // later keywords win
	}
	u, err := url.Parse(server)
	if err != nil {
		return "", fmt.Errorf("parse %s: %w", EnvPostgresURL, redactURLError(err))
	}
	u.Path = "/" + name
	u.RawPath = ""
	return u.String(), nil
}

// withUser returns the connection string s with its user and password
// replaced.
func withUser(s, user, password string) (string, error) {
	if !isURL(s) {
		return s + " user=" + user + " password=" + password, nil
	}
	u, err := url.Parse(s)
	if err != nil {
		return "", fmt.Errorf("parse %s: %w", EnvPostgresURL, redactURLError(err))
	}
	u.User = url.UserPassword(user, password)
	return u.String(), nil
}

// databaseName returns the database a connection string names.
func databaseName(s string) (string, error) {
	cfg, err := pgx.ParseConfig(s)
	if err != nil {
		return "", fmt.Errorf("parse the test database URL: %w", err)
	}
	return cfg.Database, nil
}

// redactURLError keeps a password out of url.Parse's error, which quotes
// the whole URL.
func redactURLError(err error) error {
	if ue, ok := err.(*url.Error); ok {
		return fmt.Errorf("%s: %w", ue.Op, ue.Err)
	}
	return err
}
