package authn

import (
	"encoding/json"
	"slices"
	"testing"
)

// FuzzAudience checks the audience fast path against encoding/json: what
// it accepts, encoding/json decodes to the same strings.
func FuzzAudience(f *testing.F) {
	for _, s := range []string{`"a"`, `["a","b"]`, `["a",]`, `[]`, `"a\"b"`, `["\u0041"]`, `"é"`, "\"\xff\"", `["a"]x`, `[`} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		got, ok := plainStrings(b)
		if !ok {
			return
		}
		var want audience
		var s string
		if err := json.Unmarshal(b, &s); err == nil {
			want = audience{s}
		} else if err := json.Unmarshal(b, (*[]string)(&want)); err != nil {
			t.Fatalf("fast path accepted %q, encoding/json refuses it: %v", b, err)
		}
		if !slices.Equal(got, want) {
			t.Fatalf("%q: fast path %q, encoding/json %q", b, got, want)
		}
	})
}
