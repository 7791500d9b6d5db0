package tenancy_test

import (
	"errors"
	"slices"
	"strings"
	"testing"

	"github.com/autonomos/autonomos/tenancy"
)

var (
	tenantA = tenancy.MustParse("6f1c2e0a-3b7d-4c55-9a1e-0d2b4c6e8f10")
	tenantB = tenancy.MustParse("b2d4f6a8-1c3e-4a5b-8d7f-9e0a1b2c3d4e")
)

func TestKeyspaceKey(t *testing.T) {
	t.Parallel()
	ks, err := tenancy.NewKeyspace("dcl:graph_state")
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		parts []string
		want  string
	}{
		{nil, "dcl:graph_state:6f1c2e0a-3b7d-4c55-9a1e-0d2b4c6e8f10"},
		{[]string{"node", "user@example.com"}, "dcl:graph_state:6f1c2e0a-3b7d-4c55-9a1e-0d2b4c6e8f10:node:user@example.com"},
		{[]string{"v1.2-x_y/z"}, "dcl:graph_state:6f1c2e0a-3b7d-4c55-9a1e-0d2b4c6e8f10:v1.2-x_y/z"},
	} {
		got, err := ks.Key(tenantA, tc.parts...)
		if err != nil || got != tc.want {
			t.Errorf("Key(A, %q) = %q, %v; want %q", tc.parts, got, err, tc.want)
			continue
		}
		id, parts, err := ks.Parse(got)
		if err != nil || id != tenantA || !slices.Equal(parts, tc.parts) {
			t.Errorf("Parse(%q) = %v, %q, %v; want A, %q", got, id, parts, err, tc.parts)
		}
	}
	a, _ := ks.Key(tenantA, "x")
	b, _ := ks.Key(tenantB, "x")
	if a == b {
		t.Errorf("tenants A and B share key %q", a)
	}
}

func TestKeyspaceRejects(t *testing.T) {
	t.Parallel()
	for _, prefix := range []string{"", ":", "a:", ":a", "a::b", "a b", "a*", "a{x}", "é", strings.Repeat("p", 257)} {
		if _, err := tenancy.NewKeyspace(prefix); !errors.Is(err, tenancy.ErrInvalidKey) {
			t.Errorf("NewKeyspace(%q) err = %v, want ErrInvalidKey", prefix, err)
		}
	}
	ks := tenancy.MustKeyspace("app")
	for _, part := range []string{"", "a:b", "*", "a?", "[x]", `a\b`, "{tag}", "sp ace", "tab\t", "nul\x00", "ü", strings.Repeat("x", 257)} {
		_, err := ks.Key(tenantA, "ok", part)
		if !errors.Is(err, tenancy.ErrInvalidKey) {
			t.Errorf("Key(A, ok, %q) err = %v, want ErrInvalidKey", part, err)
		} else if !strings.Contains(err.Error(), "part 1") {
			t.Errorf("Key(A, ok, %q) error %q does not say which part", part, err)
		}
	}
	if _, err := ks.Key(tenancy.Nil, "x"); !errors.Is(err, tenancy.ErrInvalidID) {
		t.Errorf("Key(Nil) err = %v, want ErrInvalidID", err)
	}
	var zero tenancy.Keyspace
	if _, err := zero.Key(tenantA); !errors.Is(err, tenancy.ErrInvalidKey) {
		t.Errorf("zero Keyspace Key err = %v, want ErrInvalidKey", err)
	}
	if _, _, err := zero.Parse("app:" + tenantA.String()); !errors.Is(err, tenancy.ErrInvalidKey) {
		t.Errorf("zero Keyspace Parse err = %v, want ErrInvalidKey", err)
	}
	if _, err := tenancy.RedisKey("bad prefix", tenantA); !errors.Is(err, tenancy.ErrInvalidKey) {
		t.Errorf("RedisKey(bad prefix) err = %v, want ErrInvalidKey", err)
	}
}

func TestKeyspaceParseRejects(t *testing.T) {
	t.Parallel()
	ks := tenancy.MustKeyspace("app:v1")
	a := tenantA.String()
	for key, want := range map[string]error{
		"other:" + a + ":x":                           tenancy.ErrInvalidKey,
		"app:v1":                                      tenancy.ErrInvalidKey,
		"app:v1x:" + a:                                tenancy.ErrInvalidKey,
		"app:v1:" + strings.ToUpper(a):                tenancy.ErrInvalidKey,
		"app:v1:" + a + ":":                           tenancy.ErrInvalidKey,
		"app:v1:" + a + ":x::y":                       tenancy.ErrInvalidKey,
		"app:v1:" + a + ":*":                          tenancy.ErrInvalidKey,
		"app:v1:not-a-uuid:x":                         tenancy.ErrInvalidID,
		"app:v1:00000000-0000-0000-0000-000000000000": tenancy.ErrInvalidID,
	} {
		if _, _, err := ks.Parse(key); !errors.Is(err, want) {
			t.Errorf("Parse(%q) err = %v, want %v", key, err, want)
		}
	}
}

func TestKeyspacePattern(t *testing.T) {
	t.Parallel()
	ks := tenancy.MustKeyspace("flags")
	p, err := ks.Pattern(tenantB)
	if err != nil {
		t.Fatal(err)
	}
	if want := "flags:" + tenantB.String() + ":*"; p != want {
		t.Errorf("Pattern = %q, want %q", p, want)
	}
	if _, err := ks.Pattern(tenancy.Nil); !errors.Is(err, tenancy.ErrInvalidID) {
		t.Errorf("Pattern(Nil) err = %v, want ErrInvalidID", err)
	}
	// Every key of A matches only A's pattern: the prefix up to the star.
	keyA, _ := ks.Key(tenantA, "x")
	if strings.HasPrefix(keyA, strings.TrimSuffix(p, "*")) {
		t.Errorf("A's key %q matches B's pattern %q", keyA, p)
	}
}

func FuzzKeyspaceParse(f *testing.F) {
	ks := tenancy.MustKeyspace("dcl:graph_state")
	f.Add("dcl:graph_state:" + tenantA.String())
	f.Add("dcl:graph_state:" + tenantA.String() + ":node:42")
	f.Add("dcl:graph_state:" + tenantA.String() + "::")
	f.Add("dcl:graph_state:x")
	f.Add("")
	f.Fuzz(func(t *testing.T, key string) {
		id, parts, err := ks.Parse(key)
		if err != nil {
			if !errors.Is(err, tenancy.ErrInvalidKey) && !errors.Is(err, tenancy.ErrInvalidID) {
				t.Fatalf("Parse(%q) error %v wraps neither ErrInvalidKey nor ErrInvalidID", key, err)
			}
			return
		}
		// What parses is exactly what Key builds.
		again, err := ks.Key(id, parts...)
		if err != nil {
			t.Fatalf("Parse(%q) accepted parts that Key rejects: %v", key, err)
		}
		if again != key {
			t.Fatalf("Key(Parse(%q)) = %q", key, again)
		}
	})
}

func FuzzKeyspaceKey(f *testing.F) {
	f.Add("app", "a", "b")
	f.Add("a:b", "x:y", "*")
	f.Add("p", "", "{t}")
	f.Fuzz(func(t *testing.T, prefix, p1, p2 string) {
		ks, err := tenancy.NewKeyspace(prefix)
		if err != nil {
			return
		}
		key, err := ks.Key(tenantA, p1, p2)
		if err != nil {
			if !errors.Is(err, tenancy.ErrInvalidKey) {
				t.Fatalf("Key error %v does not wrap ErrInvalidKey", err)
			}
			return
		}
		id, parts, err := ks.Parse(key)
		if err != nil || id != tenantA || !slices.Equal(parts, []string{p1, p2}) {
			t.Fatalf("Parse(Key(A, %q, %q) = %q) = %v, %q, %v", p1, p2, key, id, parts, err)
		}
		if strings.ContainsAny(p1+p2, "*?[]\\{}") {
			t.Fatalf("Key accepted a glob or hash-tag character in %q, %q", p1, p2)
		}
	})
}
