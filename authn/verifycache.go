package authn

import (
	"crypto/sha256"
	"sync"
	"time"
)

// DefaultVerifyCacheSize is how many verified tokens a [Tokens] remembers
// when TokenConfig.VerifyCacheSize is zero.
const DefaultVerifyCacheSize = 10000

// verifyCache remembers tokens that passed every check of
// [Tokens.Verify], so that the same bearer token presented again (a
// client makes many requests with one login) costs a SHA-256 and a map
// lookup instead of a signature check and a claims decode.
//
// It is sound because everything Verify checks is a function of the
// token's bytes and of the immutable Tokens (keys, algorithms, issuer,
// audience, size limit), except the validity window, which is kept with
// the entry and checked again on every hit: a hit outside it falls
// through to the full verification, which gives its exact answer and
// reason. The window kept is a subset of the true one (one second
// narrower at each end), so that a hit can never accept what the full
// verification would refuse, whatever the clock does.
//
// Entries are keyed by the token's SHA-256, so the cache holds no bearer
// token; a collision would need a second preimage. Only tokens that
// verified are added, so filling the cache takes valid tokens; when it is
// full, expired entries go, and if that frees less than half, all of them.
type verifyCache struct {
	max int

	mu sync.RWMutex
	m  map[[sha256.Size]byte]cachedPrincipal
}

type cachedPrincipal struct {
	p Principal
	// from and until bound the instants at which the token is valid: a
	// hit needs from <= now < until.
	from, until time.Time
}

// cacheMargin narrows the remembered validity window at each end.
const cacheMargin = time.Second

func newVerifyCache(size int) *verifyCache {
	if size <= 0 {
		return nil
	}
	return &verifyCache{max: size, m: make(map[[sha256.Size]byte]cachedPrincipal)}
}

func tokenHash(token string) [sha256.Size]byte { return sha256.Sum256([]byte(token)) }

// get returns the principal of a token verified before, if now is inside
// its window.
func (c *verifyCache) get(key *[sha256.Size]byte, now time.Time) (Principal, bool) {
	c.mu.RLock()
	e, ok := c.m[*key]
	c.mu.RUnlock()
	if !ok || now.Before(e.from) || !now.Before(e.until) {
		return Principal{}, false
	}
	return e.p, true
}

// put remembers a verified token valid from from (inclusive) to until
// (exclusive), both as the full verification computed them.
func (c *verifyCache) put(key *[sha256.Size]byte, p Principal, from, until, now time.Time) {
	e := cachedPrincipal{p: p, from: from.Add(cacheMargin), until: until.Add(-cacheMargin)}
	if !e.until.After(e.from) || !now.Before(e.until) || now.Before(e.from) {
		return // too close to an edge to be worth remembering
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if _, ok := c.m[*key]; !ok && len(c.m) >= c.max {
		for k, old := range c.m {
			if !now.Before(old.until) {
				delete(c.m, k)
			}
		}
		if len(c.m) > c.max/2 {
			clear(c.m)
		}
	}
	c.m[*key] = e
}

// len returns how many tokens are remembered.
func (c *verifyCache) len() int {
	c.mu.RLock()
	defer c.mu.RUnlock()
	return len(c.m)
}
