package tenancy

import (
	"fmt"
	"strings"
)

// KeySeparator separates the parts of a Redis key.
const KeySeparator = ":"

// maxKeyPart bounds one part of a key, so a key stays a key and not a
// payload.
const maxKeyPart = 256

// Keyspace builds Redis keys that carry a tenant in a fixed place:
// "{prefix}:{tenant_id}:{part}:{part}...". Every key a package writes for
// a tenant goes through one, so no key is shared between tenants and all
// of one tenant's keys match [Keyspace.Pattern].
//
// The prefix may have several segments ("dcl:graph_state"). Prefix
// segments and parts are 1 to 256 bytes of printable ASCII other than
// space and the characters that mean something to Redis in a key or a
// pattern: ':' (the separator), '*', '?', '[', ']', '\' (glob) and '{',
// '}' (Cluster hash tags). So a part can never pose as another tenant's
// key or widen a SCAN pattern. Encode other values (free text, non-ASCII)
// before using them as parts, e.g. as hex of a hash.
//
// The zero Keyspace has no prefix; its methods return [ErrInvalidKey]. A
// Keyspace is a small value, safe to copy and to use from many goroutines.
type Keyspace struct {
	prefix string
}

// NewKeyspace returns the Keyspace for prefix, or an error wrapping
// [ErrInvalidKey] that says what is wrong with it.
func NewKeyspace(prefix string) (Keyspace, error) {
	if prefix == "" {
		return Keyspace{}, fmt.Errorf("%w: empty prefix", ErrInvalidKey)
	}
	for i, seg := range strings.Split(prefix, KeySeparator) {
		if err := checkKeyPart(seg); err != nil {
			return Keyspace{}, fmt.Errorf("%w: prefix %q, segment %d: %s", ErrInvalidKey, truncate(prefix), i, err)
		}
	}
	return Keyspace{prefix: prefix}, nil
}

// MustKeyspace is like [NewKeyspace] but panics on error. It is meant for
// package-level variables with a constant prefix.
func MustKeyspace(prefix string) Keyspace {
	k, err := NewKeyspace(prefix)
	if err != nil {
		panic(err)
	}
	return k
}

// Prefix returns the prefix of k.
func (k Keyspace) Prefix() string { return k.prefix }

// Key returns "{prefix}:{id}:{parts...}" ("{prefix}:{id}" without parts),
// or an error wrapping [ErrInvalidKey] (a bad part or the zero Keyspace)
// or [ErrInvalidID] (the zero tenant).
func (k Keyspace) Key(id ID, parts ...string) (string, error) {
	if k.prefix == "" {
		return "", fmt.Errorf("%w: zero Keyspace (use NewKeyspace)", ErrInvalidKey)
	}
	if err := id.Validate(); err != nil {
		return "", err
	}
	n := len(k.prefix) + 1 + 36
	for i, p := range parts {
		if err := checkKeyPart(p); err != nil {
			return "", fmt.Errorf("%w: %s key part %d %q: %s", ErrInvalidKey, k.prefix, i, truncate(p), err)
		}
		n += 1 + len(p)
	}
	var b strings.Builder
	b.Grow(n)
	b.WriteString(k.prefix)
	b.WriteString(KeySeparator)
	b.WriteString(id.String())
	for _, p := range parts {
		b.WriteString(KeySeparator)
		b.WriteString(p)
	}
	return b.String(), nil
}

// Pattern returns "{prefix}:{id}:*", the SCAN MATCH pattern of every key
// of tenant id with at least one part. (The key "{prefix}:{id}" itself,
// without parts, is not matched.)
func (k Keyspace) Pattern(id ID) (string, error) {
	key, err := k.Key(id)
	if err != nil {
		return "", err
	}
	return key + KeySeparator + "*", nil
}

// Parse splits a key made by [Keyspace.Key] back into its tenant and
// parts. It returns an error wrapping [ErrInvalidKey] for a key of
// another prefix or one whose parts are not valid, and one wrapping
// [ErrInvalidID] for a bad tenant.
func (k Keyspace) Parse(key string) (ID, []string, error) {
	if k.prefix == "" {
		return Nil, nil, fmt.Errorf("%w: zero Keyspace (use NewKeyspace)", ErrInvalidKey)
	}
	rest, ok := strings.CutPrefix(key, k.prefix+KeySeparator)
	if !ok {
		return Nil, nil, fmt.Errorf("%w: %q does not start with %q", ErrInvalidKey, truncate(key), k.prefix+KeySeparator)
	}
	idText, tail, hasParts := strings.Cut(rest, KeySeparator)
	id, err := Parse(idText)
	if err != nil {
		return Nil, nil, err
	}
	if id.String() != idText {
		return Nil, nil, fmt.Errorf("%w: tenant %q in key is not in canonical lower-case form", ErrInvalidKey, idText)
	}
	if !hasParts {
		return id, nil, nil
	}
	parts := strings.Split(tail, KeySeparator)
	for i, p := range parts {
		if err := checkKeyPart(p); err != nil {
			return Nil, nil, fmt.Errorf("%w: %s key part %d %q: %s", ErrInvalidKey, k.prefix, i, truncate(p), err)
		}
	}
	return id, parts, nil
}

// RedisKey returns "{prefix}:{id}:{parts...}": [Keyspace.Key] for a
// one-off prefix.
func RedisKey(prefix string, id ID, parts ...string) (string, error) {
	k, err := NewKeyspace(prefix)
	if err != nil {
		return "", err
	}
	return k.Key(id, parts...)
}

// checkKeyPart returns why s cannot be a prefix segment or a key part,
// or "" (as a nil error) when it can.
func checkKeyPart(s string) error {
	if s == "" {
		return errText("is empty")
	}
	if len(s) > maxKeyPart {
		return errText(fmt.Sprintf("is %d bytes, longer than %d", len(s), maxKeyPart))
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case c <= ' ' || c >= 0x7f:
			return errText(fmt.Sprintf("byte %d is %q, not printable ASCII", i, c))
		case strings.IndexByte(`:*?[]\{}`, c) >= 0:
			return errText(fmt.Sprintf("byte %d is %q, reserved in Redis keys and patterns", i, c))
		}
	}
	return nil
}

// errText is a plain message that the callers wrap with ErrInvalidKey
// and context.
type errText string

func (e errText) Error() string { return string(e) }
