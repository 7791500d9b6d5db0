package pgstore

import (
	"errors"
	"strings"
	"testing"

	"github.com/autonomos/autonomos/dcl"
)

func TestScan(t *testing.T) {
	for q, want := range map[string]string{
		"SELECT 1":                          "",
		"  select 1 ; ;  -- done":           "",
		"(SELECT 1)":                        "",
		"SELECT ';' AS a":                   "",
		"SELECT E'\\';' AS a":               "",
		"SELECT $x$ ; $x$":                  "",
		"SELECT 1 /* /* ; */ ; */":          "",
		"SELECT 1; SELECT 2":                dcl.RefusedMultiple,
		"SELECT E'\\'; DROP TABLE x; '":     "",
		"SELECT '\\'; DROP TABLE x":         dcl.RefusedMultiple,
		"DELETE FROM x":                     dcl.RefusedNotSelect,
		`"select" 1`:                        dcl.RefusedNotSelect,
		"SELECT Set_Config('a','b',true)":   dcl.RefusedForbiddenFunc,
		"SELECT * FROM pg_catalog.pg_class": dcl.RefusedForeignSchema,
		"SELECT 'abc":                       dcl.RefusedSyntax,
		"SELECT (1":                         dcl.RefusedSyntax,
		"SELECT 1 /* x":                     dcl.RefusedSyntax,
		" ; ":                               dcl.RefusedEmpty,
		"SELECT u&'\\0041'":                 dcl.RefusedUnsupported,
	} {
		_, err := scan(q)
		var r *dcl.QueryRefusedError
		switch {
		case want == "" && err != nil:
			t.Errorf("scan(%q) = %v, want accepted", q, err)
		case want != "" && (!errors.As(err, &r) || r.Reason != want):
			t.Errorf("scan(%q) = %v, want refusal %q", q, err, want)
		}
	}
}

// FuzzScan checks that scan never panics, that what it accepts is one
// statement whose text ends at sc.end, and that it never accepts text
// naming set_config unquoted.
func FuzzScan(f *testing.F) {
	for _, s := range []string{"SELECT 1", "SELECT 'a;b'; ", "WITH x AS (SELECT 1) SELECT * FROM x", "SELECT $a$;$a$",
		"SELECT E'\\'' -- c\n", "SELECT /* /* */ */ 1", `SELECT "a""b" FROM t`, "select set_config('x','y',true)"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, q string) {
		sc, err := scan(q)
		if err != nil {
			if !errors.Is(err, dcl.ErrQueryRefused) {
				t.Fatalf("scan(%q) error %v is not a refusal", q, err)
			}
			return
		}
		if sc.end < 0 || sc.end > len(q) {
			t.Fatalf("scan(%q) end %d out of range", q, sc.end)
		}
		if sc.first == "" && !strings.Contains(q, "(") {
			t.Fatalf("scan(%q) accepted without a first keyword or parenthesis", q)
		}
		if strings.Contains(strings.ToLower(q), "set_config(") && !strings.ContainsAny(q, "'$-/\"") {
			t.Fatalf("scan(%q) accepted a set_config call", q)
		}
		if sc.end < len(q) {
			var r *dcl.QueryRefusedError
			if rest, err := scan(q[sc.end+1:]); !errors.As(err, &r) || r.Reason != dcl.RefusedEmpty {
				t.Fatalf("scan(%q): text after the statement end scans as %+v, %v; want empty", q, rest, err)
			}
		}
	})
}
