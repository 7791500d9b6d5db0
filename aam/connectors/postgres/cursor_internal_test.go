package postgres

import (
	"errors"
	"slices"
	"strings"
	"testing"

	"github.com/autonomos/autonomos/aam"
)

func testPlan() *plan {
	rel := &relation{schema: "public", name: "lines", columns: []column{
		{name: "order_id", sqlType: "text", kind: kindText},
		{name: "line_no", sqlType: "integer", kind: kindInt},
		{name: "updated_at", sqlType: "timestamp with time zone", kind: kindTime, notNull: true},
	}}
	return &plan{rel: rel, keys: []*column{&rel.columns[0], &rel.columns[1]}, cursor: &rel.columns[2]}
}

func TestCursorAndQueries(t *testing.T) {
	p := testPlan()
	vals := []string{"2024-01-01 00:00:00+00", `x") OR (1=1`, "3"}
	cur := encodeCursor(p, vals)
	got, err := decodeCursor(cur, p)
	if err != nil || !slices.Equal(got, vals) {
		t.Fatalf("round trip: %v, %v", got, err)
	}
	keyOnly := &plan{rel: p.rel, keys: p.keys}
	if _, err := decodeCursor(cur, keyOnly); !errors.Is(err, aam.ErrInvalidCursor) {
		t.Errorf("a cursor of another ordering: %v", err)
	}
	first, next := p.queries(10)
	for _, want := range []string{
		`FROM "public"."lines" AS src`,
		`ORDER BY src."updated_at", src."order_id", src."line_no" LIMIT 10`,
		`WHERE (src."updated_at", src."order_id", src."line_no") > (CAST($1::text AS timestamp with time zone), CAST($2::text AS text), CAST($3::text AS integer))`,
	} {
		if !strings.Contains(next, want) {
			t.Errorf("next query %s\nlacks %s", next, want)
		}
	}
	if strings.Contains(first, "$1") {
		t.Errorf("first query has parameters: %s", first)
	}
}

func FuzzDecodeCursor(f *testing.F) {
	p := testPlan()
	f.Add(string(encodeCursor(p, []string{"a", "b", "c"})))
	f.Add(`{"v":1,"cols":["updated_at","order_id","line_no"],"vals":["","",""]}`)
	f.Add("{}")
	f.Fuzz(func(t *testing.T, s string) {
		vals, err := decodeCursor(aam.Cursor(s), p)
		if err != nil {
			if !errors.Is(err, aam.ErrInvalidCursor) {
				t.Fatalf("error %v is not ErrInvalidCursor", err)
			}
			return
		}
		if s == "" {
			return
		}
		if len(vals) != 3 {
			t.Fatalf("decoded %d values for 3 ordering columns", len(vals))
		}
		again, err := decodeCursor(encodeCursor(p, vals), p)
		if err != nil || !slices.Equal(again, vals) {
			t.Fatalf("re-encoded cursor decodes to %v, %v", again, err)
		}
	})
}
