package salesforce

import (
	"encoding/json"
	"errors"
	"strings"
	"testing"

	"github.com/autonomos/autonomos/aam"
	"github.com/autonomos/autonomos/drift"
)

// FuzzCursorQuery checks that any cursor is either refused as
// aam.ErrInvalidCursor or yields a query whose WHERE clause holds no
// text of the cursor's own but an id and a timestamp literal: a cursor
// cannot inject SOQL.
func FuzzCursorQuery(f *testing.F) {
	f.Add(`{"v":1,"ts":"2024-01-15T10:30:00.000Z","id":"001Dn00000AbCdCIAV"}`)
	f.Add(`{"v":1,"id":"001Dn00000AbCdC"}`)
	f.Add(`{"v":1,"id":""}`)
	f.Add(`{"v":1,"ts":"2024-01-15T10:30:00.000Z","id":"001' OR Id != '"}`)
	f.Add(`{}`)
	o := &object{schema: &drift.Schema{Object: "Account"}, fields: []string{"Id", "SystemModstamp"}, modstamp: true}
	f.Fuzz(func(t *testing.T, cur string) {
		c, err := decodeCursor(aam.Cursor(cur))
		if err != nil {
			if !errors.Is(err, aam.ErrInvalidCursor) {
				t.Fatalf("decodeCursor(%q) = %v, not ErrInvalidCursor", cur, err)
			}
			return
		}
		q := o.query(c)
		if n := strings.Count(q, "'"); n != 0 && n != 2 {
			t.Fatalf("query %q has %d quotes", q, n)
		}
		for _, bad := range []string{"--", ";", "\n", "\\"} {
			if strings.Contains(q, bad) {
				t.Fatalf("query %q contains %q", q, bad)
			}
		}
		if c.ID != "" {
			back, err := decodeCursor(c.encode())
			if err != nil || back != c {
				t.Fatalf("cursor %+v does not survive encoding: %+v, %v", c, back, err)
			}
		}
	})
}

// FuzzFlatten checks that flattening any JSON object keeps no
// attributes and no nested object but empty ones or query results, and
// that it is idempotent.
func FuzzFlatten(f *testing.F) {
	f.Add(`{"attributes":{"type":"Contact"},"Id":"003","Account":{"attributes":{},"Name":"Acme","Owner":{"Email":"e"}}}`)
	f.Add(`{"a":{"b":{"c":{}}},"a.b":1}`)
	f.Add(`{"Cases":{"done":true,"records":[]}}`)
	f.Fuzz(func(t *testing.T, text string) {
		var m map[string]any
		dec := json.NewDecoder(strings.NewReader(text))
		dec.UseNumber()
		if dec.Decode(&m) != nil || m == nil {
			return
		}
		flat := Flatten(m)
		for k, v := range flat {
			if k == "attributes" || strings.HasSuffix(k, ".attributes") {
				t.Fatalf("key %q kept", k)
			}
			if sub, ok := v.(map[string]any); ok && len(sub) > 0 && !isQueryResult(sub) {
				t.Fatalf("key %q holds a nested object %v", k, sub)
			}
		}
		again, _ := json.Marshal(Flatten(flat))
		once, _ := json.Marshal(flat)
		if string(again) != string(once) {
			t.Fatalf("Flatten not idempotent: %s then %s", once, again)
		}
	})
}
