package airbyte

import (
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/autonomos/autonomos/aam"
)

// FuzzParseDuration checks that ParseDuration never panics, never
// returns a negative duration, and accepts only text in the P...T...
// form.
func FuzzParseDuration(f *testing.F) {
	for _, s := range []string{"PT8H6M12S", "P1DT2H", "PT0.5S", "P2W", "PT", "P1Y", "PT1.2.3S", "PT99999999999H"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		d, ok := ParseDuration(s)
		if !ok {
			return
		}
		if d < 0 {
			t.Fatalf("ParseDuration(%q) = %v, negative", s, d)
		}
		if !strings.HasPrefix(s, "P") || strings.ContainsAny(s, " -+") {
			t.Fatalf("ParseDuration(%q) accepted", s)
		}
		if d > 100*366*24*time.Hour {
			t.Fatalf("ParseDuration(%q) = %v, beyond the bound", s, d)
		}
	})
}

// FuzzDecodeCursor checks that any text is refused as ErrInvalidCursor
// or survives encoding.
func FuzzDecodeCursor(f *testing.F) {
	f.Add(`{"v":1,"o":"jobs","at":"2024-05-01T12:10:00Z","id":"100"}`, "jobs")
	f.Add(`{"v":1,"o":"connections","at":"1700000000","id":"c0"}`, "connections")
	f.Add(`{}`, "jobs")
	f.Fuzz(func(t *testing.T, cur, object string) {
		c, err := decodeCursor(aam.Cursor(cur), object)
		if err != nil {
			if !errors.Is(err, aam.ErrInvalidCursor) {
				t.Fatalf("decodeCursor(%q) = %v", cur, err)
			}
			return
		}
		if c.ID == "" && cur != "" {
			t.Fatalf("decodeCursor(%q) accepted a cursor without an id", cur)
		}
		if cur != "" {
			back, err := decodeCursor(c.encode(), object)
			if err != nil || back != c {
				t.Fatalf("cursor %+v does not survive encoding: %+v, %v", c, back, err)
			}
		}
	})
}
