package authn

import (
	"crypto/rand"
	"crypto/subtle"
	"encoding/base64"
	"fmt"
	"strconv"
	"strings"

	"golang.org/x/crypto/argon2"
)

// OWASP's minimum Argon2id parameters (Password Storage Cheat Sheet):
// 19 MiB of memory, 2 iterations, 1 degree of parallelism. [NewHasher]
// refuses anything weaker.
const (
	MinArgon2Memory  = 19 * 1024 // KiB
	MinArgon2Time    = 2
	MinArgon2Threads = 1
)

// Limits that bound the work a stored hash can ask for and the input a
// hasher accepts. A PHC string outside them is rejected by [ParsePHC]
// rather than run.
const (
	maxArgon2Memory  = 1 << 20 // KiB (1 GiB)
	maxArgon2Time    = 64
	minSaltLen       = 8
	maxSaltLen       = 64
	minKeyLen        = 16
	maxKeyLen        = 128
	maxPHCLen        = 512
	MaxPasswordBytes = 1024 // longer passwords are refused, bounding hashing work
)

// HashParams are the Argon2id cost parameters of a [Hasher]. The zero
// value of a field means its default.
type HashParams struct {
	// Memory is the memory cost in KiB. At least 19456. Defaults to 19456
	// (19 MiB).
	Memory uint32
	// Time is the number of passes over the memory. At least 2. Defaults
	// to 2.
	Time uint32
	// Threads is the degree of parallelism. Defaults to 1.
	Threads uint8
	// SaltLength is the length of the random salt in bytes. Defaults to 16.
	SaltLength uint32
	// KeyLength is the length of the derived key in bytes. Defaults to 32.
	KeyLength uint32
}

// WithDefaults returns a copy of p with zero fields set to their defaults.
func (p HashParams) WithDefaults() HashParams {
	if p.Memory == 0 {
		p.Memory = MinArgon2Memory
	}
	if p.Time == 0 {
		p.Time = MinArgon2Time
	}
	if p.Threads == 0 {
		p.Threads = MinArgon2Threads
	}
	if p.SaltLength == 0 {
		p.SaltLength = 16
	}
	if p.KeyLength == 0 {
		p.KeyLength = 32
	}
	return p
}

func (p HashParams) validate() error {
	switch {
	case p.Memory < MinArgon2Memory:
		return fmt.Errorf("%w: argon2 memory %d KiB is below OWASP's minimum %d KiB", ErrInvalidConfig, p.Memory, MinArgon2Memory)
	case p.Memory > maxArgon2Memory:
		return fmt.Errorf("%w: argon2 memory %d KiB is above the limit %d KiB", ErrInvalidConfig, p.Memory, maxArgon2Memory)
	case p.Time < MinArgon2Time:
		return fmt.Errorf("%w: argon2 time %d is below OWASP's minimum %d", ErrInvalidConfig, p.Time, MinArgon2Time)
	case p.Time > maxArgon2Time:
		return fmt.Errorf("%w: argon2 time %d is above the limit %d", ErrInvalidConfig, p.Time, maxArgon2Time)
	case p.SaltLength < minSaltLen || p.SaltLength > maxSaltLen:
		return fmt.Errorf("%w: salt length %d is outside [%d, %d]", ErrInvalidConfig, p.SaltLength, minSaltLen, maxSaltLen)
	case p.KeyLength < minKeyLen || p.KeyLength > maxKeyLen:
		return fmt.Errorf("%w: key length %d is outside [%d, %d]", ErrInvalidConfig, p.KeyLength, minKeyLen, maxKeyLen)
	}
	return nil
}

// Hasher hashes and verifies passwords with Argon2id and stores them as
// PHC strings:
//
//	$argon2id$v=19$m=19456,t=2,p=1$<salt>$<key>
//
// (salt and key in unpadded standard base64). A Hasher is immutable and
// safe for concurrent use.
type Hasher struct {
	params HashParams
}

// NewHasher returns a Hasher with the given parameters; nil means the
// defaults. It refuses parameters below OWASP's minimum.
func NewHasher(p *HashParams) (*Hasher, error) {
	var params HashParams
	if p != nil {
		params = *p
	}
	params = params.WithDefaults()
	if err := params.validate(); err != nil {
		return nil, err
	}
	return &Hasher{params: params}, nil
}

// Params returns the parameters new hashes are made with.
func (h *Hasher) Params() HashParams { return h.params }

// Hash returns the PHC string of password, with a fresh random salt.
func (h *Hasher) Hash(password string) (string, error) {
	if err := checkPassword(password); err != nil {
		return "", err
	}
	salt := make([]byte, h.params.SaltLength)
	if _, err := rand.Read(salt); err != nil {
		return "", fmt.Errorf("authn: read salt: %w", err)
	}
	key := argon2.IDKey([]byte(password), salt, h.params.Time, h.params.Memory, h.params.Threads, h.params.KeyLength)
	return PHC{Memory: h.params.Memory, Time: h.params.Time, Threads: h.params.Threads, Salt: salt, Key: key}.String(), nil
}

// Verify reports whether password matches the PHC string encoded, and
// whether encoded was made with parameters other than h's, in which case
// the caller should store a fresh [Hasher.Hash] of the password (Service
// does this on login). The key comparison takes constant time. A
// malformed encoded is an error wrapping [ErrInvalidHash].
func (h *Hasher) Verify(password, encoded string) (match, needsRehash bool, err error) {
	phc, err := ParsePHC(encoded)
	if err != nil {
		return false, false, err
	}
	if len(password) > MaxPasswordBytes {
		// Still do the work so that the time does not reveal the check.
		password = password[:MaxPasswordBytes]
		defer func() { match = false }()
	}
	key := argon2.IDKey([]byte(password), phc.Salt, phc.Time, phc.Memory, phc.Threads, uint32(len(phc.Key)))
	match = subtle.ConstantTimeCompare(key, phc.Key) == 1
	needsRehash = phc.Memory != h.params.Memory || phc.Time != h.params.Time ||
		phc.Threads != h.params.Threads || uint32(len(phc.Key)) != h.params.KeyLength ||
		uint32(len(phc.Salt)) != h.params.SaltLength
	return match, needsRehash, nil
}

func checkPassword(password string) error {
	if password == "" {
		return inputError("password", "empty")
	}
	if len(password) > MaxPasswordBytes {
		return inputError("password", fmt.Sprintf("longer than %d bytes", MaxPasswordBytes))
	}
	return nil
}

// PHC is a parsed Argon2id PHC string.
type PHC struct {
	Memory  uint32 // KiB
	Time    uint32
	Threads uint8
	Salt    []byte
	Key     []byte
}

var b64 = base64.RawStdEncoding.Strict()

// String returns the canonical PHC encoding of p.
func (p PHC) String() string {
	return fmt.Sprintf("$argon2id$v=%d$m=%d,t=%d,p=%d$%s$%s",
		argon2.Version, p.Memory, p.Time, p.Threads, b64.EncodeToString(p.Salt), b64.EncodeToString(p.Key))
}

// ParsePHC parses an Argon2id PHC string of the form
// $argon2id$v=19$m=<KiB>,t=<passes>,p=<threads>$<salt>$<key>. It accepts
// only Argon2id version 19, canonical decimal numbers, unpadded standard
// base64, and parameters within bounds that keep verification cheap
// enough to be safe (memory up to 1 GiB, time up to 64). Any other input
// gives a *[HashFormatError] naming the part at fault; it never panics.
func ParsePHC(s string) (PHC, error) {
	var p PHC
	if len(s) > maxPHCLen {
		return p, &HashFormatError{Part: "string", Reason: fmt.Sprintf("longer than %d bytes", maxPHCLen)}
	}
	parts := strings.Split(s, "$")
	if len(parts) != 6 || parts[0] != "" {
		return p, &HashFormatError{Part: "string", Reason: "want 5 fields of the form $argon2id$v=19$m=..,t=..,p=..$salt$key"}
	}
	if parts[1] != "argon2id" {
		return p, &HashFormatError{Part: "algorithm", Reason: "want argon2id"}
	}
	v, ok := strings.CutPrefix(parts[2], "v=")
	if !ok {
		return p, &HashFormatError{Part: "version", Reason: "want v=19"}
	}
	ver, err := parseCanonicalUint(v, 32)
	if err != nil || ver != argon2.Version {
		return p, &HashFormatError{Part: "version", Reason: "want v=19"}
	}
	params := strings.Split(parts[3], ",")
	if len(params) != 3 {
		return p, &HashFormatError{Part: "parameters", Reason: "want m=<KiB>,t=<passes>,p=<threads>"}
	}
	var vals [3]uint64
	for i, name := range [3]string{"m", "t", "p"} {
		raw, ok := strings.CutPrefix(params[i], name+"=")
		if !ok {
			return p, &HashFormatError{Part: name, Reason: "missing or out of order (want m, t, p)"}
		}
		n, err := parseCanonicalUint(raw, 32)
		if err != nil {
			return p, &HashFormatError{Part: name, Reason: err.Error()}
		}
		vals[i] = n
	}
	switch {
	case vals[2] < 1 || vals[2] > 255:
		return p, &HashFormatError{Part: "p", Reason: "must be between 1 and 255"}
	case vals[1] < 1 || vals[1] > maxArgon2Time:
		return p, &HashFormatError{Part: "t", Reason: fmt.Sprintf("must be between 1 and %d", maxArgon2Time)}
	case vals[0] < 8*vals[2] || vals[0] > maxArgon2Memory:
		return p, &HashFormatError{Part: "m", Reason: fmt.Sprintf("must be between 8*p and %d KiB", maxArgon2Memory)}
	}
	p.Memory, p.Time, p.Threads = uint32(vals[0]), uint32(vals[1]), uint8(vals[2])
	// The decoder skips \r and \n; a canonical string has neither.
	if !isB64(parts[4]) {
		return PHC{}, &HashFormatError{Part: "salt", Reason: "not unpadded standard base64"}
	}
	if !isB64(parts[5]) {
		return PHC{}, &HashFormatError{Part: "key", Reason: "not unpadded standard base64"}
	}
	if p.Salt, err = b64.DecodeString(parts[4]); err != nil {
		return PHC{}, &HashFormatError{Part: "salt", Reason: "not unpadded standard base64"}
	}
	if len(p.Salt) < minSaltLen || len(p.Salt) > maxSaltLen {
		return PHC{}, &HashFormatError{Part: "salt", Reason: fmt.Sprintf("length must be between %d and %d bytes", minSaltLen, maxSaltLen)}
	}
	if p.Key, err = b64.DecodeString(parts[5]); err != nil {
		return PHC{}, &HashFormatError{Part: "key", Reason: "not unpadded standard base64"}
	}
	if len(p.Key) < minKeyLen || len(p.Key) > maxKeyLen {
		return PHC{}, &HashFormatError{Part: "key", Reason: fmt.Sprintf("length must be between %d and %d bytes", minKeyLen, maxKeyLen)}
	}
	return p, nil
}

func isB64(s string) bool {
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !(c >= 'A' && c <= 'Z' || c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || c == '+' || c == '/') {
			return false
		}
	}
	return true
}

// parseCanonicalUint parses a decimal number without sign, leading zeros
// or spaces.
func parseCanonicalUint(s string, bits int) (uint64, error) {
	if s == "" {
		return 0, fmt.Errorf("empty number")
	}
	if len(s) > 1 && s[0] == '0' {
		return 0, fmt.Errorf("leading zero")
	}
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return 0, fmt.Errorf("not a decimal number")
		}
	}
	n, err := strconv.ParseUint(s, 10, bits)
	if err != nil {
		return 0, fmt.Errorf("out of range")
	}
	return n, nil
}
