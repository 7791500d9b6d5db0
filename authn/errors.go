package authn

import (
	"errors"
	"fmt"
	"strconv"
	"time"
)

// Sentinel errors. Match them with [errors.Is]; the errors returned by this
// package wrap them once with the context of the failing call.
var (
	// ErrNotFound is returned by a [Store] when a tenant or user does not
	// exist in the scope asked for.
	ErrNotFound = errors.New("authn: not found")
	// ErrEmailTaken is returned when an email address already belongs to a
	// user of any tenant (emails are unique across all tenants, ignoring
	// case).
	ErrEmailTaken = errors.New("authn: email already registered")
	// ErrTenantExists is returned by [Store.CreateTenant] when a tenant
	// with the same id exists already.
	ErrTenantExists = errors.New("authn: tenant already exists")
	// ErrHashChanged is returned by [Store.UpdatePasswordHash] when the
	// stored hash is no longer the one the caller read (a concurrent
	// password change won).
	ErrHashChanged = errors.New("authn: password hash changed concurrently")
	// ErrInvalidCredentials is returned by [Service.Login] for an unknown
	// email and for a wrong password alike, so that a caller cannot tell
	// which accounts exist.
	ErrInvalidCredentials = errors.New("authn: invalid email or password")
	// ErrInvalidInput is wrapped by every error about a malformed argument
	// (an email that is not an address, a too short password, an empty
	// tenant name). The wrapping error names the field.
	ErrInvalidInput = errors.New("authn: invalid input")
	// ErrInvalidToken is wrapped by every token verification failure. The
	// wrapping *[TokenError] carries the reason.
	ErrInvalidToken = errors.New("authn: invalid token")
	// ErrNoPrincipal is returned when a context carries no authenticated
	// principal.
	ErrNoPrincipal = errors.New("authn: no authenticated principal in context")
	// ErrInvalidHash is wrapped by every error about a malformed PHC
	// password hash string. The wrapping *[HashFormatError] names the part.
	ErrInvalidHash = errors.New("authn: invalid password hash")
	// ErrWeakKey is returned when a signing key is too short (an HMAC
	// secret under 32 bytes, an RSA modulus under 2048 bits).
	ErrWeakKey = errors.New("authn: signing key too weak")
	// ErrInvalidConfig is wrapped by configuration errors that are not
	// about key strength: unknown key types, duplicate key ids, a
	// development bypass on a non-loopback listener.
	ErrInvalidConfig = errors.New("authn: invalid configuration")
)

// TokenError is the error returned for a token that failed verification.
// Reason is a short, fixed phrase safe to show to a client ("token
// expired", "unknown key id"); it never contains the token or its claims.
// TokenError wraps [ErrInvalidToken] and, when there is one, the
// underlying library error, so that errors.Is(err, jwt.ErrTokenExpired)
// works too.
type TokenError struct {
	Reason string
	Err    error
}

func (e *TokenError) Error() string { return "authn: invalid token: " + e.Reason }

// Unwrap returns [ErrInvalidToken] and the cause.
func (e *TokenError) Unwrap() []error {
	if e.Err == nil {
		return []error{ErrInvalidToken}
	}
	return []error{ErrInvalidToken, e.Err}
}

// HashFormatError is the error returned when a PHC string cannot be
// parsed. Part names the field ("algorithm", "version", "m", "salt", ...)
// and Reason says what is wrong with it. It never contains the hash
// itself. It wraps [ErrInvalidHash].
type HashFormatError struct {
	Part   string
	Reason string
}

func (e *HashFormatError) Error() string {
	return fmt.Sprintf("authn: invalid password hash: %s: %s", e.Part, e.Reason)
}

// Unwrap returns [ErrInvalidHash].
func (e *HashFormatError) Unwrap() error { return ErrInvalidHash }

// ThrottledError is returned by [Service.Login] when an account has had
// too many failed logins recently. RetryAfter is how long the caller must
// wait before the next attempt is considered; HTTP handlers send it as
// 429 Too Many Requests with a Retry-After header.
type ThrottledError struct {
	RetryAfter time.Duration
}

func (e *ThrottledError) Error() string {
	return "authn: too many failed logins, retry after " + e.RetryAfter.Round(time.Second).String()
}

// RetryAfterSeconds returns RetryAfter in whole seconds, rounded up and
// at least 1, as the Retry-After header wants it.
func (e *ThrottledError) RetryAfterSeconds() string {
	s := int64((e.RetryAfter + time.Second - 1) / time.Second)
	if s < 1 {
		s = 1
	}
	return strconv.FormatInt(s, 10)
}

// inputError returns an error wrapping ErrInvalidInput that names field.
func inputError(field, reason string) error {
	return fmt.Errorf("%w: %s: %s", ErrInvalidInput, field, reason)
}
