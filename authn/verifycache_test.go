package authn_test

import (
	"testing"
	"time"

	"github.com/autonomos/autonomos/authn"
	"github.com/golang-jwt/jwt/v5"
)

// TestVerifyCacheKeepsTheChecks verifies one token until it is cached and
// then moves the clock: a remembered token is still refused outside its
// validity window, with the reason the full verification gives, and a
// token that differs in one byte is not taken for the remembered one.
func TestVerifyCacheKeepsTheChecks(t *testing.T) {
	c := &clock{now: t0}
	tk := newTokens(t, c)
	claims := validClaims()
	claims["nbf"] = t0.Add(10 * time.Minute).Unix()
	token := forge(t, jwt.SigningMethodHS256, secretA, "a", claims)

	wantRejected(t, tk, token, "token not valid yet")
	c.Add(10 * time.Minute)
	for range 3 {
		p, err := tk.Verify(token)
		if err != nil {
			t.Fatalf("Verify: %v", err)
		}
		if p.UserID != testUser.ID || p.TenantID != testUser.TenantID || p.Email != testUser.Email || !p.ExpiresAt.Equal(t0.Add(time.Hour)) {
			t.Fatalf("principal = %+v", p)
		}
	}
	// The cached token against a clock set back before nbf - leeway.
	c.Add(-31 * time.Second)
	wantRejected(t, tk, token, "token not valid yet")
	c.Add(31 * time.Second)
	if _, err := tk.Verify(token); err != nil {
		t.Fatalf("Verify back inside the window: %v", err)
	}

	// One byte of the signature changed.
	b := []byte(token)
	if b[len(b)-2] == 'A' {
		b[len(b)-2] = 'B'
	} else {
		b[len(b)-2] = 'A'
	}
	wantRejected(t, tk, string(b), "signature or algorithm not accepted")

	// Past exp + leeway (30 s): refused although it was remembered.
	c.now = t0.Add(time.Hour + 29*time.Second)
	if _, err := tk.Verify(token); err != nil {
		t.Fatalf("Verify within the leeway: %v", err)
	}
	c.now = t0.Add(time.Hour + 30*time.Second)
	wantRejected(t, tk, token, "token expired")
}

// TestVerifyCacheSkipsTheWork shows the cache is used: a token seen before
// costs a handful of allocations instead of the ~57 of a full
// verification, and none of that changes with the cache turned off.
func TestVerifyCacheSkipsTheWork(t *testing.T) {
	for _, tc := range []struct {
		name      string
		size      int
		maxAllocs float64
		minAllocs float64
	}{
		{"cache on", 0, 3, 0},
		{"cache off", -1, 1000, 20},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c := &clock{now: t0}
			tk, err := authn.NewTokens([]authn.Key{{ID: "a", Secret: secretA}}, &authn.TokenConfig{Now: c.Now, VerifyCacheSize: tc.size})
			if err != nil {
				t.Fatal(err)
			}
			token, _, err := tk.Issue(testUser)
			if err != nil {
				t.Fatal(err)
			}
			if _, err := tk.Verify(token); err != nil {
				t.Fatal(err)
			}
			allocs := testing.AllocsPerRun(100, func() {
				if _, err := tk.Verify(token); err != nil {
					t.Fatal(err)
				}
			})
			if allocs > tc.maxAllocs || allocs < tc.minAllocs {
				t.Errorf("%v allocations per Verify, want %v to %v", allocs, tc.minAllocs, tc.maxAllocs)
			}
		})
	}
}
