package pgmigrate_test

import (
	"context"
	"errors"
	"testing"
	"testing/fstest"

	"github.com/autonomos/autonomos/internal/pgmigrate"
	"github.com/autonomos/autonomos/internal/testenv"
)

var files = fstest.MapFS{
	"00001_a.sql": {Data: []byte("-- +goose Up\nCREATE TABLE pgm_a (id int);\n-- +goose Down\nDROP TABLE pgm_a;\n")},
	"00002_b.sql": {Data: []byte("-- +goose Up\nALTER TABLE pgm_a ADD COLUMN b text;\n-- +goose Down\nALTER TABLE pgm_a DROP COLUMN b;\n")},
}

func TestUpAppliesOnceAndChecksFirst(t *testing.T) {
	pool := testenv.Postgres(t)
	ctx := context.Background()
	refuse := errors.New("refused")
	var seen []string
	cfg := pgmigrate.Config{Migrations: files, VersionTable: "pgm_version", LockTable: "pgm_lock",
		Check: func(p []string) error { seen = p; return refuse }}
	if err := pgmigrate.Up(ctx, pool, cfg); !errors.Is(err, refuse) || len(seen) != 2 {
		t.Fatalf("Up with a refusing check: %v, pending %v", err, seen)
	}
	var n int
	if err := pool.QueryRow(ctx, "SELECT count(*) FROM pg_tables WHERE tablename = 'pgm_a'").Scan(&n); err != nil || n != 0 {
		t.Fatalf("a refused migration ran: %d tables, %v", n, err)
	}
	cfg.Check = func(p []string) error { seen = p; return nil }
	for range 2 {
		if err := pgmigrate.Up(ctx, pool, cfg); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := pool.Exec(ctx, "INSERT INTO pgm_a (id, b) VALUES (1, 'x')"); err != nil {
		t.Fatalf("schema after Up: %v", err)
	}
	if err := pgmigrate.Up(ctx, pool, pgmigrate.Config{Migrations: files}); err == nil {
		t.Fatal("Up without table names succeeded")
	}
}
