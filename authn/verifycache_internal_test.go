package authn

import (
	"testing"
	"time"

	"github.com/autonomos/autonomos/tenancy"
	"github.com/google/uuid"
)

// TestVerifyCacheBounded issues more tokens than the cache holds: it never
// holds more than its size, and every token still verifies.
func TestVerifyCacheBounded(t *testing.T) {
	now := time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)
	tk, err := NewTokens([]Key{{ID: "a", Secret: []byte("0123456789abcdef0123456789abcdef")}},
		&TokenConfig{Now: func() time.Time { return now }, VerifyCacheSize: 4})
	if err != nil {
		t.Fatal(err)
	}
	u := User{ID: uuid.New(), TenantID: tenancy.MustParse("0b9e7c4e-3f6d-4a3b-8c1e-5d2f9a7b6c10"), Email: "ada@example.com"}
	for i := range 10 {
		u.Email = string(rune('a'+i)) + "@example.com"
		token, _, err := tk.Issue(u)
		if err != nil {
			t.Fatal(err)
		}
		for range 2 {
			p, err := tk.Verify(token)
			if err != nil || p.Email != u.Email {
				t.Fatalf("token %d: %+v, %v", i, p, err)
			}
		}
		if n := tk.cache.len(); n > 4 || n == 0 {
			t.Fatalf("after token %d the cache holds %d tokens, want 1 to 4", i, n)
		}
	}
	// Entries past their window are dropped first when the cache is full.
	verify := func(email string) {
		t.Helper()
		u.Email = email
		token, _, err := tk.Issue(u)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := tk.Verify(token); err != nil {
			t.Fatal(err)
		}
	}
	for i := 0; tk.cache.len() < 4; i++ {
		verify(string(rune('k'+i)) + "@example.com")
	}
	now = now.Add(9 * time.Hour)
	verify("late@example.com")
	if n := tk.cache.len(); n != 1 {
		t.Errorf("after the others expired the cache holds %d tokens, want 1", n)
	}
}
