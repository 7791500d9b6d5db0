package authn_test

import (
	"crypto/ed25519"
	"crypto/rand"
	"testing"
	"time"

	"github.com/autonomos/autonomos/authn"
)

func benchKey(b *testing.B, alg string) authn.Key {
	switch alg {
	case "EdDSA":
		_, ed, err := ed25519.GenerateKey(rand.Reader)
		if err != nil {
			b.Fatal(err)
		}
		return authn.Key{ID: "e", PrivateKey: ed}
	case "RS256":
		return authn.Key{ID: "r", PrivateKey: rsaKey()}
	}
	return authn.Key{ID: "h", Secret: secretA}
}

// reportRate reports tokens per wall-clock second and, since a shared
// machine gives a benchmark only part of a core, tokens per second of CPU
// time used (with -cpu 1, the per-core figure).
func reportRate(b *testing.B, cpuStart time.Duration) {
	if s := b.Elapsed().Seconds(); s > 0 {
		b.ReportMetric(float64(b.N)/s, "tokens/s")
	}
	if cpu := (cpuTime() - cpuStart).Seconds(); cpuStart > 0 && cpu > 0 {
		b.ReportMetric(float64(b.N)/cpu, "tokens/cpu-s")
	}
}

func benchIssue(b *testing.B, alg string) {
	tk := newTokens(b, &clock{now: time.Now()}, benchKey(b, alg))
	b.ReportAllocs()
	cpu := cpuTime()
	for b.Loop() {
		if _, _, err := tk.Issue(testUser); err != nil {
			b.Fatal(err)
		}
	}
	reportRate(b, cpu)
}

func benchVerify(b *testing.B, alg string) {
	tk := newTokens(b, &clock{now: time.Now()}, benchKey(b, alg))
	token, _, err := tk.Issue(testUser)
	if err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	cpu := cpuTime()
	for b.Loop() {
		if _, err := tk.Verify(token); err != nil {
			b.Fatal(err)
		}
	}
	reportRate(b, cpu)
}

// BenchmarkVerifyHS256Uncached is a full verification (signature, claims
// decode, checks): the first request with a token, or every request with
// TokenConfig.VerifyCacheSize < 0. BenchmarkVerifyHS256 presents the same
// token again, as a client does, and so measures the cache hit.
func BenchmarkVerifyHS256Uncached(b *testing.B) {
	c := &clock{now: time.Now()}
	tk, err := authn.NewTokens([]authn.Key{benchKey(b, "HS256")}, &authn.TokenConfig{Now: c.Now, VerifyCacheSize: -1})
	if err != nil {
		b.Fatal(err)
	}
	token, _, err := tk.Issue(testUser)
	if err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	cpu := cpuTime()
	for b.Loop() {
		if _, err := tk.Verify(token); err != nil {
			b.Fatal(err)
		}
	}
	reportRate(b, cpu)
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
	cpu := cpuTime()
	for b.Loop() {
		if _, err := h.Hash("correct horse battery staple"); err != nil {
			b.Fatal(err)
		}
	}
	if b.N > 0 {
		b.ReportMetric(float64(b.Elapsed().Microseconds())/1e3/float64(b.N), "ms/op")
		if used := cpuTime() - cpu; cpu > 0 && used > 0 {
			b.ReportMetric(float64(used.Microseconds())/1e3/float64(b.N), "cpu-ms/op")
		}
	}
}
