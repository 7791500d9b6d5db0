package authn_test

import (
	"crypto/ed25519"
	"crypto/rand"
	"testing"
	"time"

	"github.com/autonomos/autonomos/authn"
)

func benchKeys(b *testing.B) map[string]authn.Key {
	_, ed, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		b.Fatal(err)
	}
	return map[string]authn.Key{
		"HS256": {ID: "h", Secret: secretA},
		"EdDSA": {ID: "e", PrivateKey: ed},
		"RS256": {ID: "r", PrivateKey: rsaKey()},
	}
}

func reportRate(b *testing.B) {
	if s := b.Elapsed().Seconds(); s > 0 {
		b.ReportMetric(float64(b.N)/s, "tokens/s")
	}
}

func benchIssue(b *testing.B, alg string) {
	tk := newTokens(b, &clock{now: time.Now()}, benchKeys(b)[alg])
	b.ReportAllocs()
	b.ResetTimer()
	for b.Loop() {
		if _, _, err := tk.Issue(testUser); err != nil {
			b.Fatal(err)
		}
	}
	reportRate(b)
}

func benchVerify(b *testing.B, alg string) {
	tk := newTokens(b, &clock{now: time.Now()}, benchKeys(b)[alg])
	token, _, err := tk.Issue(testUser)
	if err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	b.ResetTimer()
	for b.Loop() {
		if _, err := tk.Verify(token); err != nil {
			b.Fatal(err)
		}
	}
	reportRate(b)
}

// Run with -cpu 1: the figures are per core.
func BenchmarkIssueHS256(b *testing.B)  { benchIssue(b, "HS256") }
func BenchmarkVerifyHS256(b *testing.B) { benchVerify(b, "HS256") }
func BenchmarkIssueEdDSA(b *testing.B)  { benchIssue(b, "EdDSA") }
func BenchmarkVerifyEdDSA(b *testing.B) { benchVerify(b, "EdDSA") }
func BenchmarkIssueRS256(b *testing.B)  { benchIssue(b, "RS256") }
func BenchmarkVerifyRS256(b *testing.B) { benchVerify(b, "RS256") }

// BenchmarkPasswordHash measures one Argon2id hash at the default
// parameters (m=19 MiB, t=2, p=1). Tens of milliseconds is the point.
func BenchmarkPasswordHash(b *testing.B) {
	h, err := authn.NewHasher(nil)
	if err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	b.ResetTimer()
	for b.Loop() {
		if _, err := h.Hash("correct horse battery staple"); err != nil {
			b.Fatal(err)
		}
	}
	if b.N > 0 {
		b.ReportMetric(float64(b.Elapsed().Milliseconds())/float64(b.N), "ms/op")
	}
}
