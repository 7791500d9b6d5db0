package authn

import (
	"crypto"
	"crypto/ed25519"
	"crypto/rsa"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"net/http"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/autonomos/autonomos/tenancy"
	"github.com/golang-jwt/jwt/v5"
	"github.com/google/uuid"
)

// Signing algorithms a [Key] can have.
const (
	AlgHS256 = "HS256"
	AlgEdDSA = "EdDSA"
	AlgRS256 = "RS256"
)

// MinHMACKeyBytes is the shortest HS256 secret [NewTokens] accepts.
const MinHMACKeyBytes = 32

// minRSABits is the smallest RSA modulus accepted.
const minRSABits = 2048

// Key is one signing or verification key of a [Tokens]. Exactly one of
// Secret, PrivateKey and PublicKey is set:
//
//   - Secret: an HS256 secret of at least 32 bytes (signs and verifies);
//   - PrivateKey: an ed25519.PrivateKey (EdDSA) or *rsa.PrivateKey
//     (RS256, at least 2048 bits), which signs and verifies;
//   - PublicKey: an ed25519.PublicKey or *rsa.PublicKey that only
//     verifies, for a key being rotated out or issued elsewhere.
//
// ID is the key id written to and required in the token's kid header. A
// token is checked only against the key its kid names, and only with that
// key's algorithm.
type Key struct {
	ID         string
	Secret     []byte
	PrivateKey crypto.Signer
	PublicKey  crypto.PublicKey
}

// TokenConfig configures a [Tokens]. The zero value is usable.
type TokenConfig struct {
	// Issuer is the iss claim written and required. Defaults to "autonomos".
	Issuer string
	// Audience is the aud claim written and required. Defaults to
	// "autonomos".
	Audience string
	// TTL is how long an issued token is valid. Defaults to 8 hours.
	TTL time.Duration
	// Leeway is the clock skew tolerated on exp, nbf and iat. Defaults to
	// 30 seconds.
	Leeway time.Duration
	// SigningKeyID is the id of the key that signs new tokens; it must
	// name a key that can sign. Defaults to the first key given.
	SigningKeyID string
	// MaxTokenBytes is the length above which a token is refused before
	// any parsing. Defaults to 8192.
	MaxTokenBytes int
	// Now is the clock. Defaults to time.Now.
	Now func() time.Time
	// VerifyCacheSize is how many verified tokens are remembered, so that
	// a token presented again skips the signature check and the claims
	// decode (its validity window is still checked on every use).
	// Defaults to DefaultVerifyCacheSize (10000, a few MB at most);
	// negative turns the cache off.
	VerifyCacheSize int
}

// WithDefaults returns a copy of c with zero fields set to their defaults.
func (c TokenConfig) WithDefaults() TokenConfig {
	if c.Issuer == "" {
		c.Issuer = "autonomos"
	}
	if c.Audience == "" {
		c.Audience = "autonomos"
	}
	if c.TTL == 0 {
		c.TTL = 8 * time.Hour
	}
	if c.Leeway == 0 {
		c.Leeway = 30 * time.Second
	}
	if c.MaxTokenBytes == 0 {
		c.MaxTokenBytes = 8192
	}
	if c.Now == nil {
		c.Now = time.Now
	}
	if c.VerifyCacheSize == 0 {
		c.VerifyCacheSize = DefaultVerifyCacheSize
	}
	return c
}

type tokenKey struct {
	id     string
	alg    string
	method jwt.SigningMethod
	sign   any // nil when verify-only
	verify any
}

// Tokens issues and verifies JSON Web Tokens for authenticated users. It
// holds several keys at once so that keys can be rotated: new tokens are
// signed with one, tokens signed with any configured key verify. A Tokens
// is immutable and safe for concurrent use.
type Tokens struct {
	cfg     TokenConfig
	keys    map[string]*tokenKey
	signer  *tokenKey
	parser  *jwt.Parser
	keyfunc jwt.Keyfunc
	cache   *verifyCache // nil when VerifyCacheSize is negative
}

// Claims are the claims of a token issued by [Tokens]: the registered sub
// (the user id), iss, aud, iat, nbf and exp, plus tenant_id and email.
type Claims struct {
	TenantID string `json:"tenant_id"`
	Email    string `json:"email"`
	jwt.RegisteredClaims
}

// NewTokens returns a Tokens over keys (at least one). It refuses an
// HS256 secret under 32 bytes and an RSA key under 2048 bits
// ([ErrWeakKey]), duplicate or empty key ids, and keys of other types
// ([ErrInvalidConfig]). A nil cfg means the defaults.
func NewTokens(keys []Key, cfg *TokenConfig) (*Tokens, error) {
	var c TokenConfig
	if cfg != nil {
		c = *cfg
	}
	c = c.WithDefaults()
	if c.TTL < 0 || c.Leeway < 0 || c.MaxTokenBytes < 0 {
		return nil, fmt.Errorf("%w: negative TTL, leeway or token size", ErrInvalidConfig)
	}
	if len(keys) == 0 {
		return nil, fmt.Errorf("%w: no token keys configured", ErrInvalidConfig)
	}
	t := &Tokens{cfg: c, keys: make(map[string]*tokenKey, len(keys))}
	algs := map[string]bool{}
	for i, k := range keys {
		tk, err := newTokenKey(k)
		if err != nil {
			return nil, fmt.Errorf("token key %d (%q): %w", i, k.ID, err)
		}
		if _, dup := t.keys[tk.id]; dup {
			return nil, fmt.Errorf("%w: duplicate token key id %q", ErrInvalidConfig, tk.id)
		}
		t.keys[tk.id] = tk
		algs[tk.alg] = true
	}
	signID := c.SigningKeyID
	if signID == "" {
		signID = keys[0].ID
	}
	t.signer = t.keys[signID]
	if t.signer == nil || t.signer.sign == nil {
		return nil, fmt.Errorf("%w: signing key %q is not a configured key that can sign", ErrInvalidConfig, signID)
	}
	methods := make([]string, 0, len(algs))
	for a := range algs {
		methods = append(methods, a)
	}
	t.parser = jwt.NewParser(
		jwt.WithValidMethods(methods),
		jwt.WithExpirationRequired(),
		jwt.WithIssuedAt(),
		jwt.WithIssuer(c.Issuer),
		jwt.WithAudience(c.Audience),
		jwt.WithLeeway(c.Leeway),
		jwt.WithTimeFunc(c.Now),
		jwt.WithStrictDecoding(),
	)
	t.keyfunc = t.lookupKey
	t.cache = newVerifyCache(c.VerifyCacheSize)
	return t, nil
}

func newTokenKey(k Key) (*tokenKey, error) {
	if k.ID == "" || len(k.ID) > 128 {
		return nil, fmt.Errorf("%w: key id must be 1 to 128 bytes", ErrInvalidConfig)
	}
	set := 0
	for _, b := range []bool{k.Secret != nil, k.PrivateKey != nil, k.PublicKey != nil} {
		if b {
			set++
		}
	}
	if set != 1 {
		return nil, fmt.Errorf("%w: set exactly one of Secret, PrivateKey, PublicKey", ErrInvalidConfig)
	}
	tk := &tokenKey{id: k.ID}
	switch {
	case k.Secret != nil:
		if len(k.Secret) < MinHMACKeyBytes {
			return nil, fmt.Errorf("%w: HS256 secret is %d bytes, need at least %d", ErrWeakKey, len(k.Secret), MinHMACKeyBytes)
		}
		secret := append([]byte(nil), k.Secret...)
		tk.alg, tk.method, tk.sign, tk.verify = AlgHS256, jwt.SigningMethodHS256, secret, secret
	case k.PrivateKey != nil:
		switch pk := k.PrivateKey.(type) {
		case ed25519.PrivateKey:
			if len(pk) != ed25519.PrivateKeySize {
				return nil, fmt.Errorf("%w: malformed ed25519 private key", ErrInvalidConfig)
			}
			tk.alg, tk.method, tk.sign, tk.verify = AlgEdDSA, jwt.SigningMethodEdDSA, pk, pk.Public()
		case *rsa.PrivateKey:
			if pk.N.BitLen() < minRSABits {
				return nil, fmt.Errorf("%w: RSA key has %d bits, need at least %d", ErrWeakKey, pk.N.BitLen(), minRSABits)
			}
			tk.alg, tk.method, tk.sign, tk.verify = AlgRS256, jwt.SigningMethodRS256, pk, &pk.PublicKey
		default:
			return nil, fmt.Errorf("%w: private key type %T is not ed25519 or RSA", ErrInvalidConfig, k.PrivateKey)
		}
	default:
		switch pk := k.PublicKey.(type) {
		case ed25519.PublicKey:
			if len(pk) != ed25519.PublicKeySize {
				return nil, fmt.Errorf("%w: malformed ed25519 public key", ErrInvalidConfig)
			}
			tk.alg, tk.method, tk.verify = AlgEdDSA, jwt.SigningMethodEdDSA, pk
		case *rsa.PublicKey:
			if pk.N.BitLen() < minRSABits {
				return nil, fmt.Errorf("%w: RSA key has %d bits, need at least %d", ErrWeakKey, pk.N.BitLen(), minRSABits)
			}
			tk.alg, tk.method, tk.verify = AlgRS256, jwt.SigningMethodRS256, pk
		default:
			return nil, fmt.Errorf("%w: public key type %T is not ed25519 or RSA", ErrInvalidConfig, k.PublicKey)
		}
	}
	return tk, nil
}

// Issuer returns the configured issuer.
func (t *Tokens) Issuer() string { return t.cfg.Issuer }

// Issue returns a signed token for u, valid from now for the configured
// TTL, and its expiry time.
func (t *Tokens) Issue(u User) (token string, expiresAt time.Time, err error) {
	if u.ID == uuid.Nil {
		return "", time.Time{}, inputError("user id", "nil UUID")
	}
	if err := u.TenantID.Validate(); err != nil {
		return "", time.Time{}, fmt.Errorf("authn: issue token: %w", err)
	}
	now := t.cfg.Now().Truncate(time.Second)
	exp := now.Add(t.cfg.TTL)
	claims := Claims{
		TenantID: u.TenantID.String(),
		Email:    u.Email,
		RegisteredClaims: jwt.RegisteredClaims{
			Subject:   u.ID.String(),
			Issuer:    t.cfg.Issuer,
			Audience:  jwt.ClaimStrings{t.cfg.Audience},
			IssuedAt:  jwt.NewNumericDate(now),
			NotBefore: jwt.NewNumericDate(now),
			ExpiresAt: jwt.NewNumericDate(exp),
		},
	}
	tok := jwt.NewWithClaims(t.signer.method, claims)
	tok.Header["kid"] = t.signer.id
	s, err := tok.SignedString(t.signer.sign)
	if err != nil {
		return "", time.Time{}, fmt.Errorf("authn: sign token: %w", err)
	}
	return s, exp, nil
}

var (
	errUnknownKid   = errors.New("unknown key id")
	errAlgMismatch  = errors.New("algorithm does not match key")
	errMissingKid   = errors.New("missing key id")
	errMissingToken = errors.New("missing bearer token")
)

func (t *Tokens) lookupKey(tok *jwt.Token) (any, error) {
	kid, ok := tok.Header["kid"].(string)
	if !ok || kid == "" {
		return nil, errMissingKid
	}
	k, ok := t.keys[kid]
	if !ok {
		return nil, errUnknownKid
	}
	if tok.Method == nil || tok.Method.Alg() != k.alg {
		return nil, errAlgMismatch
	}
	return k.verify, nil
}

// Verify checks token and returns the principal it names. The token must
// be a compact JWS no longer than MaxTokenBytes, carry a kid naming a
// configured key, be signed with that key's algorithm, carry exp, match
// the issuer and audience, be within its validity window (give or take
// the leeway), and carry a UUID sub and tenant_id and an email. Any
// failure is a *[TokenError] wrapping [ErrInvalidToken].
//
// A token that verified before is found by its SHA-256 in a bounded cache
// (TokenConfig.VerifyCacheSize) and only its validity window is checked
// again; see verifyCache for why that gives the same answers.
func (t *Tokens) Verify(token string) (Principal, error) {
	if err := t.checkShape(token); err != nil {
		return Principal{}, err
	}
	if t.cache == nil {
		p, _, _, err := t.verify(token)
		return p, err
	}
	key := tokenHash(token)
	if p, ok := t.cache.get(&key, t.cfg.Now()); ok {
		return p, nil
	}
	p, from, until, err := t.verify(token)
	if err != nil {
		return Principal{}, err
	}
	t.cache.put(&key, p, from, until, t.cfg.Now())
	return p, nil
}

// verify is the full verification of a well-shaped token. It also returns
// the window in which the token is valid: from (inclusive; the zero time
// when the token has neither nbf nor iat) to until (exclusive), computed
// as jwt's validator checks them, leeway included.
func (t *Tokens) verify(token string) (p Principal, from, until time.Time, err error) {
	var claims wireClaims
	if _, err := t.parser.ParseWithClaims(token, &claims, t.keyfunc); err != nil {
		return Principal{}, from, until, &TokenError{Reason: tokenReason(err), Err: err}
	}
	userID, err := uuid.Parse(claims.Sub)
	if err != nil || userID == uuid.Nil || len(claims.Sub) != 36 {
		return Principal{}, from, until, &TokenError{Reason: "sub is not a UUID"}
	}
	tenant, err := tenancy.Parse(claims.TenantID)
	if err != nil {
		return Principal{}, from, until, &TokenError{Reason: "tenant_id is not a UUID", Err: err}
	}
	if claims.Email == "" {
		return Principal{}, from, until, &TokenError{Reason: "missing email"}
	}
	p = Principal{UserID: userID, TenantID: tenant, Email: claims.Email}
	exp := dateOf(claims.Exp)
	if exp == nil { // cannot happen: the parser requires exp
		return Principal{}, from, until, &TokenError{Reason: "missing required claim"}
	}
	p.ExpiresAt = exp.Time
	// jwt: valid while now < exp+leeway, and now >= nbf-leeway and
	// now >= iat-leeway for the ones present.
	until = exp.Add(t.cfg.Leeway)
	for _, d := range [...]numericDate{claims.Nbf, claims.Iat} {
		if nd := dateOf(d); nd != nil {
			if lo := nd.Add(-t.cfg.Leeway); lo.After(from) {
				from = lo
			}
		}
	}
	return p, from, until, nil
}

// wireClaims is what Verify decodes: the [Claims] with plain numeric
// dates and audience, decoded by encoding/json in one pass (jwt's own
// NumericDate and ClaimStrings each run a nested json.Unmarshal, a third
// of the cost of a verification).
type wireClaims struct {
	Sub      string      `json:"sub"`
	Iss      string      `json:"iss"`
	Aud      audience    `json:"aud"`
	Exp      numericDate `json:"exp"`
	Nbf      numericDate `json:"nbf"`
	Iat      numericDate `json:"iat"`
	TenantID string      `json:"tenant_id"`
	Email    string      `json:"email"`
}

// numericDate is seconds since the epoch; nil when absent.
type numericDate = *float64

func dateOf(d numericDate) *jwt.NumericDate {
	if d == nil {
		return nil
	}
	sec, frac := math.Modf(*d)
	return jwt.NewNumericDate(time.Unix(int64(sec), int64(frac*1e9)))
}

type audience []string

// UnmarshalJSON accepts a string or an array of strings. Plain strings
// (no escapes) take a fast path; anything else goes to encoding/json.
func (a *audience) UnmarshalJSON(b []byte) error {
	if out, ok := plainStrings(b); ok {
		*a = out
		return nil
	}
	if len(b) > 0 && b[0] == '"' {
		var s string
		if err := json.Unmarshal(b, &s); err != nil {
			return err
		}
		*a = audience{s}
		return nil
	}
	return json.Unmarshal(b, (*[]string)(a))
}

// plainStrings parses "x" or ["x","y"] whose strings hold no escape, no
// quote and no control character; ok is false for any other input.
func plainStrings(b []byte) (out audience, ok bool) {
	str := func(i int) (string, int, bool) { // b[i] == '"'
		for j := i + 1; j < len(b); j++ {
			switch c := b[j]; {
			case c == '"':
				s := string(b[i+1 : j])
				return s, j + 1, utf8.ValidString(s)
			case c == '\\' || c < 0x20:
				return "", 0, false
			}
		}
		return "", 0, false
	}
	if len(b) > 0 && b[0] == '"' {
		s, end, ok := str(0)
		if !ok || end != len(b) {
			return nil, false
		}
		return audience{s}, true
	}
	if len(b) < 2 || b[0] != '[' {
		return nil, false
	}
	if b[1] != '"' { // "[" then a string, no spaces
		return nil, false
	}
	i := 1
	for {
		s, end, ok := str(i)
		if !ok {
			return nil, false
		}
		out = append(out, s)
		if end >= len(b) {
			return nil, false
		}
		switch b[end] {
		case ']':
			if end != len(b)-1 {
				return nil, false
			}
			return out, true
		case ',':
			if end+1 >= len(b) || b[end+1] != '"' {
				return nil, false
			}
			i = end + 1
		default:
			return nil, false
		}
	}
}

func (c *wireClaims) GetExpirationTime() (*jwt.NumericDate, error) { return dateOf(c.Exp), nil }
func (c *wireClaims) GetNotBefore() (*jwt.NumericDate, error)      { return dateOf(c.Nbf), nil }
func (c *wireClaims) GetIssuedAt() (*jwt.NumericDate, error)       { return dateOf(c.Iat), nil }
func (c *wireClaims) GetIssuer() (string, error)                   { return c.Iss, nil }
func (c *wireClaims) GetSubject() (string, error)                  { return c.Sub, nil }
func (c *wireClaims) GetAudience() (jwt.ClaimStrings, error)       { return jwt.ClaimStrings(c.Aud), nil }

// checkShape refuses, before any decoding, a token that is too large or
// is not three non-empty base64url segments.
func (t *Tokens) checkShape(token string) error {
	if token == "" {
		return &TokenError{Reason: "empty token"}
	}
	if len(token) > t.cfg.MaxTokenBytes {
		return &TokenError{Reason: "token too large"}
	}
	dots, segLen := 0, 0
	for i := 0; i < len(token); i++ {
		c := token[i]
		if b64url[c] {
			segLen++
			continue
		}
		if c != '.' || segLen == 0 || dots == 2 {
			return &TokenError{Reason: "malformed token"}
		}
		dots++
		segLen = 0
	}
	if dots != 2 || segLen == 0 {
		return &TokenError{Reason: "malformed token"}
	}
	return nil
}

// b64url marks the bytes of the base64url alphabet.
var b64url = func() (t [256]bool) {
	for _, c := range "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_" {
		t[c] = true
	}
	return t
}()

func tokenReason(err error) string {
	switch {
	case errors.Is(err, errUnknownKid):
		return "unknown key id"
	case errors.Is(err, errMissingKid):
		return "missing key id"
	case errors.Is(err, errAlgMismatch):
		return "algorithm does not match key"
	case errors.Is(err, jwt.ErrTokenExpired):
		return "token expired"
	case errors.Is(err, jwt.ErrTokenNotValidYet):
		return "token not valid yet"
	case errors.Is(err, jwt.ErrTokenUsedBeforeIssued):
		return "token issued in the future"
	case errors.Is(err, jwt.ErrTokenInvalidIssuer):
		return "wrong issuer"
	case errors.Is(err, jwt.ErrTokenInvalidAudience):
		return "wrong audience"
	case errors.Is(err, jwt.ErrTokenRequiredClaimMissing):
		return "missing required claim"
	case errors.Is(err, jwt.ErrTokenSignatureInvalid):
		// Also what jwt.WithValidMethods reports for a disallowed alg.
		return "signature or algorithm not accepted"
	case errors.Is(err, jwt.ErrTokenMalformed):
		return "malformed token"
	}
	return "invalid token"
}

// Authenticate reads the bearer token of r's Authorization header and
// verifies it. It implements [Authenticator].
func (t *Tokens) Authenticate(r *http.Request) (Principal, error) {
	tok, err := BearerToken(r)
	if err != nil {
		return Principal{}, err
	}
	return t.Verify(tok)
}

// BearerToken returns the token of an "Authorization: Bearer <token>"
// header, or a *[TokenError] with reason "missing bearer token".
func BearerToken(r *http.Request) (string, error) {
	h := r.Header.Get("Authorization")
	scheme, tok, ok := strings.Cut(h, " ")
	if !ok || !strings.EqualFold(scheme, "Bearer") || tok == "" {
		return "", &TokenError{Reason: errMissingToken.Error(), Err: errMissingToken}
	}
	return strings.TrimSpace(tok), nil
}
