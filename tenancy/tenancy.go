package tenancy

import (
	"context"
	"fmt"

	"github.com/google/uuid"
)

// ID identifies a tenant. It is a UUID; the zero value is not a valid
// tenant and is rejected by every store.
type ID uuid.UUID

// Nil is the zero ID. It never names a tenant.
var Nil ID

// New returns a fresh random (version 4) tenant ID.
func New() ID { return ID(uuid.New()) }

// Parse parses s as a tenant ID. It accepts the canonical 36-character
// UUID form only and returns an error wrapping [ErrInvalidID] otherwise.
func Parse(s string) (ID, error) {
	if len(s) != 36 {
		return Nil, fmt.Errorf("%w: %q is not a 36-character UUID", ErrInvalidID, truncate(s))
	}
	u, err := uuid.Parse(s)
	if err != nil {
		return Nil, fmt.Errorf("%w: %q: %v", ErrInvalidID, truncate(s), err)
	}
	if u == uuid.Nil {
		return Nil, fmt.Errorf("%w: the nil UUID names no tenant", ErrInvalidID)
	}
	return ID(u), nil
}

// MustParse is like [Parse] but panics on error. It is meant for
// constants in tests and examples.
func MustParse(s string) ID {
	id, err := Parse(s)
	if err != nil {
		panic(err)
	}
	return id
}

// String returns the canonical lower-case UUID form.
func (id ID) String() string { return uuid.UUID(id).String() }

// IsZero reports whether id is the zero ID.
func (id ID) IsZero() bool { return id == Nil }

// Validate returns [ErrInvalidID] for the zero ID and nil otherwise.
func (id ID) Validate() error {
	if id.IsZero() {
		return fmt.Errorf("%w: the nil UUID names no tenant", ErrInvalidID)
	}
	return nil
}

// MarshalText implements encoding.TextMarshaler.
func (id ID) MarshalText() ([]byte, error) { return []byte(id.String()), nil }

// UnmarshalText implements encoding.TextUnmarshaler.
func (id *ID) UnmarshalText(b []byte) error {
	v, err := Parse(string(b))
	if err != nil {
		return err
	}
	*id = v
	return nil
}

type ctxKey struct{}

// WithTenant returns a copy of ctx that carries id.
func WithTenant(ctx context.Context, id ID) context.Context {
	return context.WithValue(ctx, ctxKey{}, id)
}

// FromContext returns the tenant carried by ctx, or [ErrNoTenant].
func FromContext(ctx context.Context) (ID, error) {
	id, ok := ctx.Value(ctxKey{}).(ID)
	if !ok || id.IsZero() {
		return Nil, ErrNoTenant
	}
	return id, nil
}

func truncate(s string) string {
	if len(s) > 40 {
		return s[:40] + "..."
	}
	return s
}
