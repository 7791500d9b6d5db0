package authn_test

import (
	"crypto/ed25519"
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"encoding/base64"
	"encoding/json"
	"encoding/pem"
	"errors"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/autonomos/autonomos/authn"
	"github.com/autonomos/autonomos/tenancy"
	"github.com/golang-jwt/jwt/v5"
	"github.com/google/uuid"
)

var (
	t0       = time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)
	secretA  = []byte("0123456789abcdef0123456789abcdef")
	secretB  = []byte("fedcba9876543210fedcba9876543210")
	testUser = authn.User{
		ID:       uuid.MustParse("6f1c2a9e-8f0a-4c59-9d53-1e9b6c0f7a11"),
		TenantID: tenancy.MustParse("0b9e7c4e-3f6d-4a3b-8c1e-5d2f9a7b6c10"),
		Email:    "ada@example.com",
	}
)

var rsaKey = sync.OnceValue(func() *rsa.PrivateKey {
	k, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		panic(err)
	}
	return k
})

// clock is a settable clock for tests.
type clock struct {
	mu  sync.Mutex
	now time.Time
}

func (c *clock) Now() time.Time      { c.mu.Lock(); defer c.mu.Unlock(); return c.now }
func (c *clock) Add(d time.Duration) { c.mu.Lock(); c.now = c.now.Add(d); c.mu.Unlock() }

func newTokens(t testing.TB, c *clock, keys ...authn.Key) *authn.Tokens {
	t.Helper()
	if len(keys) == 0 {
		keys = []authn.Key{{ID: "a", Secret: secretA}}
	}
	tk, err := authn.NewTokens(keys, &authn.TokenConfig{Now: c.Now})
	if err != nil {
		t.Fatalf("NewTokens: %v", err)
	}
	return tk
}

// forge signs arbitrary claims with arbitrary headers.
func forge(t *testing.T, m jwt.SigningMethod, key any, kid string, claims jwt.MapClaims) string {
	t.Helper()
	tok := jwt.NewWithClaims(m, claims)
	if kid != "" {
		tok.Header["kid"] = kid
	}
	s, err := tok.SignedString(key)
	if err != nil {
		t.Fatalf("forge: %v", err)
	}
	return s
}

func validClaims() jwt.MapClaims {
	return jwt.MapClaims{
		"sub": testUser.ID.String(), "tenant_id": testUser.TenantID.String(), "email": testUser.Email,
		"iss": "autonomos", "aud": "autonomos",
		"iat": t0.Unix(), "nbf": t0.Unix(), "exp": t0.Add(time.Hour).Unix(),
	}
}

func wantRejected(t *testing.T, tk *authn.Tokens, token, reason string) {
	t.Helper()
	p, err := tk.Verify(token)
	var te *authn.TokenError
	if !errors.As(err, &te) || !errors.Is(err, authn.ErrInvalidToken) {
		t.Fatalf("Verify = %+v, %v; want a TokenError", p, err)
	}
	if te.Reason != reason {
		t.Errorf("reason = %q, want %q", te.Reason, reason)
	}
	if len(token) > 20 && strings.Contains(err.Error(), token[:20]) {
		t.Errorf("error %q contains the token", err)
	}
}

func decodeSegment(t *testing.T, seg string) map[string]any {
	t.Helper()
	b, err := base64.RawURLEncoding.DecodeString(seg)
	if err != nil {
		t.Fatal(err)
	}
	m := map[string]any{}
	if err := json.Unmarshal(b, &m); err != nil {
		t.Fatal(err)
	}
	return m
}

func TestIssueVerify(t *testing.T) {
	c := &clock{now: t0}
	tk := newTokens(t, c)
	token, exp, err := tk.Issue(testUser)
	if err != nil {
		t.Fatal(err)
	}
	if !exp.Equal(t0.Add(8 * time.Hour)) {
		t.Errorf("expiry = %v, want 8h after %v", exp, t0)
	}
	segs := strings.Split(token, ".")
	hdr, claims := decodeSegment(t, segs[0]), decodeSegment(t, segs[1])
	if hdr["alg"] != "HS256" || hdr["kid"] != "a" {
		t.Errorf("header = %v, want alg HS256, kid a", hdr)
	}
	for k, want := range map[string]any{
		"sub": testUser.ID.String(), "tenant_id": testUser.TenantID.String(), "email": testUser.Email,
		"iss": "autonomos", "iat": float64(t0.Unix()), "nbf": float64(t0.Unix()), "exp": float64(t0.Add(8 * time.Hour).Unix()),
	} {
		if claims[k] != want {
			t.Errorf("claim %s = %v, want %v", k, claims[k], want)
		}
	}
	if aud, _ := claims["aud"].([]any); len(aud) != 1 || aud[0] != "autonomos" {
		t.Errorf("claim aud = %v, want [autonomos]", claims["aud"])
	}
	c.Add(8*time.Hour - time.Second)
	p, err := tk.Verify(token)
	if err != nil {
		t.Fatalf("Verify: %v", err)
	}
	if p.UserID != testUser.ID || p.TenantID != testUser.TenantID || p.Email != testUser.Email || !p.ExpiresAt.Equal(exp) {
		t.Errorf("principal = %+v", p)
	}
	c.Add(20 * time.Second) // past exp, within the 30 s leeway
	if _, err := tk.Verify(token); err != nil {
		t.Errorf("Verify within leeway: %v", err)
	}
}

func TestAsymmetricKeys(t *testing.T) {
	_, edPriv, _ := ed25519.GenerateKey(rand.Reader)
	for _, tc := range []struct {
		alg string
		key authn.Key
		pub authn.Key
	}{
		{"EdDSA", authn.Key{ID: "ed", PrivateKey: edPriv}, authn.Key{ID: "ed", PublicKey: edPriv.Public()}},
		{"RS256", authn.Key{ID: "rs", PrivateKey: rsaKey()}, authn.Key{ID: "rs", PublicKey: &rsaKey().PublicKey}},
	} {
		t.Run(tc.alg, func(t *testing.T) {
			c := &clock{now: t0}
			signer := newTokens(t, c, tc.key)
			token, _, err := signer.Issue(testUser)
			if err != nil {
				t.Fatal(err)
			}
			if hdr := decodeSegment(t, strings.Split(token, ".")[0]); hdr["alg"] != tc.alg {
				t.Errorf("alg = %v, want %s", hdr["alg"], tc.alg)
			}
			// A verify-only Tokens (public key plus an HMAC key to sign with).
			verifier, err := authn.NewTokens([]authn.Key{{ID: "h", Secret: secretA}, tc.pub}, &authn.TokenConfig{Now: c.Now})
			if err != nil {
				t.Fatal(err)
			}
			if p, err := verifier.Verify(token); err != nil || p.Email != testUser.Email {
				t.Errorf("Verify with the public key = %+v, %v", p, err)
			}
		})
	}
}

func TestKeyRotation(t *testing.T) {
	c := &clock{now: t0}
	old := newTokens(t, c, authn.Key{ID: "2025", Secret: secretA})
	rotated, err := authn.NewTokens([]authn.Key{{ID: "2025", Secret: secretA}, {ID: "2026", Secret: secretB}},
		&authn.TokenConfig{Now: c.Now, SigningKeyID: "2026"})
	if err != nil {
		t.Fatal(err)
	}
	retired := newTokens(t, c, authn.Key{ID: "2026", Secret: secretB})
	oldToken, _, _ := old.Issue(testUser)
	newToken, _, _ := rotated.Issue(testUser)
	if hdr := decodeSegment(t, strings.Split(newToken, ".")[0]); hdr["kid"] != "2026" {
		t.Errorf("rotated signs with kid %v, want 2026", hdr["kid"])
	}
	if _, err := rotated.Verify(oldToken); err != nil {
		t.Errorf("rotated set refuses a token of the old key: %v", err)
	}
	if _, err := retired.Verify(newToken); err != nil {
		t.Errorf("new-key-only set refuses a new token: %v", err)
	}
	wantRejected(t, retired, oldToken, "unknown key id")
}

func TestNewTokensRefusesBadKeys(t *testing.T) {
	weakRSA, err := rsa.GenerateKey(rand.Reader, 1024)
	if err != nil {
		t.Fatal(err)
	}
	for name, tc := range map[string]struct {
		keys []authn.Key
		cfg  *authn.TokenConfig
		want error
	}{
		"short HMAC secret":  {[]authn.Key{{ID: "a", Secret: secretA[:31]}}, nil, authn.ErrWeakKey},
		"1024-bit RSA":       {[]authn.Key{{ID: "a", PrivateKey: weakRSA}}, nil, authn.ErrWeakKey},
		"no keys":            {nil, nil, authn.ErrInvalidConfig},
		"empty kid":          {[]authn.Key{{Secret: secretA}}, nil, authn.ErrInvalidConfig},
		"duplicate kid":      {[]authn.Key{{ID: "a", Secret: secretA}, {ID: "a", Secret: secretB}}, nil, authn.ErrInvalidConfig},
		"two materials":      {[]authn.Key{{ID: "a", Secret: secretA, PublicKey: &rsaKey().PublicKey}}, nil, authn.ErrInvalidConfig},
		"unknown signer":     {[]authn.Key{{ID: "a", Secret: secretA}}, &authn.TokenConfig{SigningKeyID: "b"}, authn.ErrInvalidConfig},
		"verify-only signer": {[]authn.Key{{ID: "a", PublicKey: &rsaKey().PublicKey}}, nil, authn.ErrInvalidConfig},
	} {
		if _, err := authn.NewTokens(tc.keys, tc.cfg); !errors.Is(err, tc.want) {
			t.Errorf("%s: err = %v, want %v", name, err, tc.want)
		}
	}
}

func TestVerifyRejects(t *testing.T) {
	c := &clock{now: t0}
	hs := newTokens(t, c)
	good := forge(t, jwt.SigningMethodHS256, secretA, "a", validClaims())
	if _, err := hs.Verify(good); err != nil {
		t.Fatalf("the forged baseline token does not verify: %v", err)
	}

	t.Run("alg none", func(t *testing.T) {
		none := forge(t, jwt.SigningMethodNone, jwt.UnsafeAllowNoneSignatureType, "a", validClaims())
		wantRejected(t, hs, none, "malformed token") // empty signature segment
		wantRejected(t, hs, none+"c2ln", "signature or algorithm not accepted")
	})
	t.Run("HS256 signed with the RS256 public key", func(t *testing.T) {
		rs := newTokens(t, c, authn.Key{ID: "rs", PrivateKey: rsaKey()})
		der, _ := x509.MarshalPKIXPublicKey(&rsaKey().PublicKey)
		pemKey := pem.EncodeToMemory(&pem.Block{Type: "PUBLIC KEY", Bytes: der})
		for _, k := range [][]byte{pemKey, der} {
			wantRejected(t, rs, forge(t, jwt.SigningMethodHS256, k, "rs", validClaims()), "signature or algorithm not accepted")
		}
		// With an HMAC key configured too, HS256 is an allowed method, but
		// not for the RSA key's kid.
		mixed := newTokens(t, c, authn.Key{ID: "a", Secret: secretA}, authn.Key{ID: "rs", PrivateKey: rsaKey()})
		wantRejected(t, mixed, forge(t, jwt.SigningMethodHS256, pemKey, "rs", validClaims()), "algorithm does not match key")
	})
	t.Run("unknown kid", func(t *testing.T) {
		wantRejected(t, hs, forge(t, jwt.SigningMethodHS256, secretA, "z", validClaims()), "unknown key id")
	})
	t.Run("missing kid", func(t *testing.T) {
		wantRejected(t, hs, forge(t, jwt.SigningMethodHS256, secretA, "", validClaims()), "missing key id")
	})
	t.Run("expired", func(t *testing.T) {
		cl := validClaims()
		cl["exp"] = t0.Add(-31 * time.Second).Unix()
		wantRejected(t, hs, forge(t, jwt.SigningMethodHS256, secretA, "a", cl), "token expired")
	})
	t.Run("missing exp", func(t *testing.T) {
		cl := validClaims()
		delete(cl, "exp")
		wantRejected(t, hs, forge(t, jwt.SigningMethodHS256, secretA, "a", cl), "missing required claim")
	})
	t.Run("not yet valid", func(t *testing.T) {
		cl := validClaims()
		cl["nbf"] = t0.Add(time.Minute).Unix()
		wantRejected(t, hs, forge(t, jwt.SigningMethodHS256, secretA, "a", cl), "token not valid yet")
	})
	t.Run("wrong issuer", func(t *testing.T) {
		cl := validClaims()
		cl["iss"] = "someone-else"
		wantRejected(t, hs, forge(t, jwt.SigningMethodHS256, secretA, "a", cl), "wrong issuer")
	})
	t.Run("wrong audience", func(t *testing.T) {
		cl := validClaims()
		cl["aud"] = []string{"other-service"}
		wantRejected(t, hs, forge(t, jwt.SigningMethodHS256, secretA, "a", cl), "wrong audience")
	})
	t.Run("tampered payload", func(t *testing.T) {
		segs := strings.Split(good, ".")
		claims := decodeSegment(t, segs[1])
		claims["tenant_id"] = tenancy.New().String()
		b, _ := json.Marshal(claims)
		segs[1] = base64.RawURLEncoding.EncodeToString(b)
		wantRejected(t, hs, strings.Join(segs, "."), "signature or algorithm not accepted")
	})
	t.Run("tenant_id not a UUID", func(t *testing.T) {
		cl := validClaims()
		cl["tenant_id"] = "acme"
		wantRejected(t, hs, forge(t, jwt.SigningMethodHS256, secretA, "a", cl), "tenant_id is not a UUID")
	})
	t.Run("sub not a UUID", func(t *testing.T) {
		cl := validClaims()
		cl["sub"] = "admin"
		wantRejected(t, hs, forge(t, jwt.SigningMethodHS256, secretA, "a", cl), "sub is not a UUID")
	})
	t.Run("malformed shapes", func(t *testing.T) {
		for _, s := range []string{"", "abc", "a.b", "a.b.c.d", "a..c", "a.b.c d", "a.b.c=", strings.Repeat(".", 4000)} {
			wantRejected(t, hs, s, map[bool]string{true: "empty token", false: "malformed token"}[s == ""])
		}
	})
}

// TestHugeDotHeaderFailsFast sends a 1 MiB token of dots: it must be
// refused on its size alone, without parsing or allocating.
func TestHugeDotHeaderFailsFast(t *testing.T) {
	hs := newTokens(t, &clock{now: t0})
	huge := strings.Repeat(".", 1<<20)
	wantRejected(t, hs, huge, "token too large")
	const n = 1000
	allocs := testing.AllocsPerRun(n, func() { _, _ = hs.Verify(huge) })
	if allocs > 2 {
		t.Errorf("rejecting a 1 MiB token allocates %.0f times per call, want at most 2", allocs)
	}
	start := time.Now()
	for range n {
		_, _ = hs.Verify(huge)
	}
	if per := time.Since(start) / n; per > 100*time.Microsecond {
		t.Errorf("rejecting a 1 MiB token takes %v, want well under 100µs", per)
	}
}

func TestIssueRefusesBadUser(t *testing.T) {
	hs := newTokens(t, &clock{now: t0})
	u := testUser
	u.ID = uuid.Nil
	if _, _, err := hs.Issue(u); !errors.Is(err, authn.ErrInvalidInput) {
		t.Errorf("Issue(nil user id) err = %v", err)
	}
	u = testUser
	u.TenantID = tenancy.Nil
	if _, _, err := hs.Issue(u); !errors.Is(err, tenancy.ErrInvalidID) {
		t.Errorf("Issue(nil tenant) err = %v", err)
	}
}

// FuzzVerify feeds arbitrary strings to Verify: it must never panic, and
// nothing but the one token issued with the key may verify.
func FuzzVerify(f *testing.F) {
	c := &clock{now: t0}
	tk := newTokens(f, c)
	issued, _, err := tk.Issue(testUser)
	if err != nil {
		f.Fatal(err)
	}
	f.Add(issued)
	f.Add(strings.Repeat(".", 100))
	f.Add("eyJhbGciOiJub25lIn0.e30.")
	f.Add("a.b.c")
	f.Fuzz(func(t *testing.T, s string) {
		p, err := tk.Verify(s)
		if err == nil && s != issued {
			t.Fatalf("Verify accepted a token that was never issued: %q -> %+v", s, p)
		}
		if err != nil && !errors.Is(err, authn.ErrInvalidToken) {
			t.Fatalf("Verify error %v does not wrap ErrInvalidToken", err)
		}
	})
}

func TestAudienceForms(t *testing.T) {
	hs := newTokens(t, &clock{now: t0})
	for _, tc := range []struct {
		name string
		aud  any
		ok   bool
	}{
		{"string", "autonomos", true},
		{"array", []string{"autonomos"}, true},
		{"array with others", []string{"billing", "autonomos"}, true},
		{"escaped string", json.RawMessage(`"auto\u006eomos"`), true},
		{"array with spaces", json.RawMessage(`[ "x" , "autonomos" ]`), true},
		{"other string", "billing", false},
		{"empty array", []string{}, false},
		{"number", 7, false},
		{"array of numbers", []int{1}, false},
	} {
		cl := validClaims()
		cl["aud"] = tc.aud
		_, err := hs.Verify(forge(t, jwt.SigningMethodHS256, secretA, "a", cl))
		if (err == nil) != tc.ok {
			t.Errorf("%s: Verify err = %v, want ok=%v", tc.name, err, tc.ok)
		}
	}
}
