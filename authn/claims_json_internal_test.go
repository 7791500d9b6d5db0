package authn

import (
	"encoding/json"
	"reflect"
	"testing"
)

func TestFastClaims(t *testing.T) {
	for _, tc := range []struct {
		in   string
		fast bool
	}{
		{`{"tenant_id":"t","email":"e","sub":"s","iss":"i","aud":["a"],"exp":1772395200,"nbf":1772366400,"iat":1772366400}`, true},
		{` { "aud" : "a" , "exp" : -1.5e3 } `, true},
		{`{}`, true},
		{`{"aud":[]}`, true},
		{`{"aud":[ "a" , "b" ]}`, true},
		{`{"sub":"a\"b"}`, false},           // escape
		{`{"SUB":"x"}`, false},              // case-insensitive match is encoding/json's job
		{`{"sub":"x","sub":"y"}`, false},    // duplicate
		{`{"jti":"x"}`, false},              // unknown key
		{`{"exp":null}`, false},             // null
		{`{"exp":01}`, false},               // not JSON
		{`{"exp":1e999}`, false},            // out of range
		{`{"sub":"x"} x`, false},            // trailing data
		{`{"sub":"x",}`, false},             // trailing comma
		{"{\"email\":\"\xff\"}", false},     // invalid UTF-8
		{`{"aud":["a",1]}`, false},          // not a string
		{`{"email":"é@example.com"}`, true}, // UTF-8 is fine
	} {
		var c wireClaims
		if got := fastClaims([]byte(tc.in), &c); got != tc.fast {
			t.Errorf("fastClaims(%s) = %v, want %v", tc.in, got, tc.fast)
		}
	}
}

// FuzzClaimsJSON checks the fast path against encoding/json: whatever it
// accepts, encoding/json decodes to the same claims.
func FuzzClaimsJSON(f *testing.F) {
	for _, s := range []string{
		`{"tenant_id":"t","email":"e","sub":"s","iss":"i","aud":["a"],"exp":1772395200,"nbf":1772366400,"iat":1772366400}`,
		`{"aud":"a","exp":-0.5E+2}`, `{}`, `{"aud":[]}`, `{"sub":"x","sub":"y"}`, `{"exp":1e999}`, `{"Sub":"x"}`,
	} {
		f.Add([]byte(s))
	}
	type plain wireClaims
	f.Fuzz(func(t *testing.T, b []byte) {
		var fast wireClaims
		if !fastClaims(b, &fast) {
			return
		}
		var slow plain
		if err := json.Unmarshal(b, &slow); err != nil {
			t.Fatalf("fast path accepted %q, encoding/json refuses it: %v", b, err)
		}
		if !reflect.DeepEqual(fast, wireClaims(slow)) {
			t.Fatalf("%q: fast path %+v, encoding/json %+v", b, fast, slow)
		}
	})
}
