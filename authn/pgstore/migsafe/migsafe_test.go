package migsafe

import (
	"errors"
	"testing"
	"testing/fstest"
)

func TestScan(t *testing.T) {
	tests := []struct {
		name string
		sql  string
		want []string // kinds, in order
	}{
		{"create only", "CREATE TABLE t (id int);\nCREATE INDEX ON t (id);", nil},
		{"drop table", "DROP TABLE t;", []string{"DROP TABLE"}},
		{"drop table if exists lower case", "drop table if exists t cascade;", []string{"DROP TABLE"}},
		{"drop schema", "DROP SCHEMA s CASCADE;", []string{"DROP SCHEMA"}},
		{"drop index is fine", "DROP INDEX t_idx; DROP VIEW v; DROP FUNCTION f();", nil},
		{"drop column", "ALTER TABLE t DROP COLUMN c;", []string{"DROP COLUMN"}},
		{"drop column without keyword", "ALTER TABLE t DROP c;", []string{"DROP COLUMN"}},
		{"drop column if exists", "ALTER TABLE IF EXISTS ONLY t ADD COLUMN x int, DROP COLUMN IF EXISTS c;", []string{"DROP COLUMN"}},
		{"drop constraint default not null are fine", "ALTER TABLE t DROP CONSTRAINT k, ALTER COLUMN c DROP DEFAULT, ALTER COLUMN c DROP NOT NULL;", nil},
		{"truncate", "TRUNCATE t;", []string{"TRUNCATE"}},
		{"truncate table", "truncate table a, b restart identity;", []string{"TRUNCATE"}},
		{"delete without where", "DELETE FROM t;", []string{"DELETE without WHERE"}},
		{"delete with where", "DELETE FROM t WHERE id = 1;", nil},
		{"delete using where", "DELETE FROM t USING u WHERE t.id = u.id;", nil},
		{"delete in cte without where", "WITH d AS (DELETE FROM t RETURNING *) SELECT count(*) FROM d WHERE true;", []string{"DELETE without WHERE"}},
		{"delete in cte with where", "WITH d AS (DELETE FROM t WHERE x IN (SELECT 1) RETURNING *) SELECT 1;", nil},
		{"keywords in comments are ignored", "-- DROP TABLE t;\n/* TRUNCATE t; /* nested */ DELETE FROM t; */ SELECT 1;", nil},
		{"keywords in strings are ignored", "INSERT INTO log VALUES ('DROP TABLE t; DELETE FROM t');", nil},
		{"escaped quotes in strings", "INSERT INTO log VALUES ('it''s; DROP TABLE t'), (E'a\\'; TRUNCATE t');", nil},
		{"quoted identifier named where", `DELETE FROM t AS "WHERE";`, []string{"DELETE without WHERE"}},
		{"function body is not run", "CREATE FUNCTION f() RETURNS void AS $$ DELETE FROM t; $$ LANGUAGE sql;", nil},
		{"do block is run", "DO $body$ BEGIN TRUNCATE t; END $body$;", []string{"TRUNCATE"}},
		{"on delete cascade is fine", "CREATE TABLE c (p int REFERENCES t ON DELETE CASCADE);", nil},
		{"grant delete is fine", "GRANT SELECT, DELETE ON t TO app; REVOKE DELETE ON t FROM app;", nil},
		{"several", "DROP TABLE a;\nSELECT 1;\nTRUNCATE b;", []string{"DROP TABLE", "TRUNCATE"}},
		{"down section is not checked", "-- +goose Up\nCREATE TABLE t (id int);\n-- +goose Down\nDROP TABLE t;\n", nil},
		{"up section is checked", "-- +goose Up\nALTER TABLE t DROP COLUMN c;\n-- +goose Down\nALTER TABLE t ADD COLUMN c int;\n", []string{"DROP COLUMN"}},
		{"statement block annotations", "-- +goose Up\n-- +goose StatementBegin\nDELETE FROM t;\n-- +goose StatementEnd\n", []string{"DELETE without WHERE"}},
		{"unterminated string", "SELECT 'abc; DROP TABLE t;", nil},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got := Scan([]byte(tc.sql))
			if len(got) != len(tc.want) {
				t.Fatalf("Scan = %+v, want kinds %v", got, tc.want)
			}
			for i := range got {
				if got[i].Kind != tc.want[i] {
					t.Errorf("finding %d = %+v, want kind %q", i, got[i], tc.want[i])
				}
			}
		})
	}
}

func TestScanLine(t *testing.T) {
	sql := "-- +goose Up\nCREATE TABLE t (id int);\n\n/* two\nlines */\nINSERT INTO t VALUES ('a\nb');\nDELETE\n  FROM t;\n"
	got := Scan([]byte(sql))
	if len(got) != 1 || got[0].Line != 8 {
		t.Fatalf("Scan = %+v, want one finding on line 8", got)
	}
}

func TestCheck(t *testing.T) {
	plain := []byte("-- +goose Up\nDROP TABLE t;\n")
	marked := []byte("-- +goose Up\n-- +aos destructive\nDROP TABLE t;\n")
	safe := []byte("-- +goose Up\nCREATE TABLE t (id int);\n")

	var de *DestructiveError
	err := Check("2_drop.sql", plain, true)
	if !errors.As(err, &de) || de.Marked || de.File != "2_drop.sql" || de.Line != 2 || de.Kind != "DROP TABLE" {
		t.Errorf("unmarked, allowed: err = %#v, want unmarked DestructiveError at 2_drop.sql:2", err)
	}
	if !errors.Is(err, ErrDestructive) {
		t.Errorf("err %v does not wrap ErrDestructive", err)
	}
	err = Check("2_drop.sql", marked, false)
	if !errors.As(err, &de) || !de.Marked || de.Line != 3 {
		t.Errorf("marked, not allowed: err = %#v, want marked DestructiveError at line 3", err)
	}
	if err := Check("2_drop.sql", marked, true); err != nil {
		t.Errorf("marked and allowed: err = %v, want nil", err)
	}
	if err := Check("1_init.sql", safe, false); err != nil {
		t.Errorf("safe: err = %v, want nil", err)
	}
	if Marked([]byte("SELECT 1; -- +aos destructive\n")) {
		t.Error("an annotation after code counts as a mark; want it alone on its line")
	}
}

func TestCheckFS(t *testing.T) {
	fsys := fstest.MapFS{
		"00001_init.sql": {Data: []byte("-- +goose Up\nCREATE TABLE t (id int);\n")},
		"00002_bad.sql":  {Data: []byte("-- +goose Up\nTRUNCATE t;\n")},
		"00003_bad.sql":  {Data: []byte("-- +goose Up\nDELETE FROM t;\n")},
	}
	err := CheckFS(fsys, nil, true)
	if err == nil {
		t.Fatal("CheckFS = nil, want two refusals")
	}
	var n int
	for _, e := range err.(interface{ Unwrap() []error }).Unwrap() {
		var de *DestructiveError
		if errors.As(e, &de) {
			n++
		}
	}
	if n != 2 {
		t.Errorf("CheckFS refused %d files, want 2: %v", n, err)
	}
	if err := CheckFS(fsys, []string{"00001_init.sql"}, false); err != nil {
		t.Errorf("CheckFS(init only) = %v, want nil", err)
	}
}

func FuzzScan(f *testing.F) {
	for _, s := range []string{
		"DROP TABLE t;", "-- +goose Up\nDELETE FROM t;", "DO $x$ TRUNCATE t $x$;", "/* /* */", "E'\\", "$$", "'", `"`,
		"WITH d AS (DELETE FROM t) SELECT 1", "ALTER TABLE t DROP",
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, sql []byte) {
		for _, fd := range Scan(sql) {
			if fd.Line < 1 || fd.Kind == "" {
				t.Fatalf("bad finding %+v", fd)
			}
		}
		_ = Check("f.sql", sql, false)
	})
}
