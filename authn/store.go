package authn

import (
	"context"
	"fmt"
	"time"

	"github.com/autonomos/autonomos/tenancy"
	"github.com/google/uuid"
)

// Tenant is an organisation that owns data. Every user belongs to exactly
// one tenant.
type Tenant struct {
	ID        tenancy.ID
	Name      string
	CreatedAt time.Time
}

// User is a person who can log in. Email is stored as normalized by
// [NormalizeEmail] (trimmed, lower case) and is unique across all tenants:
// login is by email alone, before any tenant is known, so the email must
// name one account. PasswordHash is a PHC string (see [Hasher]); it never
// leaves the server.
type User struct {
	ID           uuid.UUID
	TenantID     tenancy.ID
	Email        string
	PasswordHash string
	CreatedAt    time.Time
}

// Store persists tenants and users. Implementations live in subpackages
// (authn/memstore, authn/pgstore) and are proven equivalent by the
// conformance suite in authn/authntest. All methods are safe for
// concurrent use.
//
// Every method that reads or writes a user is scoped by tenant, except
// [Store.UserByEmail], which is the global directory lookup that login
// needs. A nil tenant id is refused with an error wrapping
// tenancy.ErrInvalidID. Emails are compared ignoring case (callers pass them normalized
// by [NormalizeEmail]; stores enforce uniqueness on the lower-cased form
// anyway).
type Store interface {
	// CreateTenant creates tenant t and its first user u atomically:
	// either both exist afterwards or neither does. u.TenantID must equal
	// t.ID. It returns an error wrapping ErrEmailTaken when u.Email is in
	// use by any user of any tenant, and ErrTenantExists when t.ID is taken.
	CreateTenant(ctx context.Context, t Tenant, u User) error
	// CreateUser adds u to the existing tenant u.TenantID. It returns
	// ErrNotFound when the tenant does not exist and ErrEmailTaken when
	// the email is in use.
	CreateUser(ctx context.Context, u User) error
	// Tenant returns the tenant with the given id, or ErrNotFound.
	Tenant(ctx context.Context, id tenancy.ID) (Tenant, error)
	// User returns the user id of the given tenant. A user of another
	// tenant is reported as ErrNotFound.
	User(ctx context.Context, tenant tenancy.ID, id uuid.UUID) (User, error)
	// UserByEmail returns the user with the given email in any tenant
	// (case-insensitive), or ErrNotFound.
	UserByEmail(ctx context.Context, email string) (User, error)
	// UpdatePasswordHash replaces the user's password hash with newHash
	// if it is still oldHash (compare-and-swap), and returns
	// ErrHashChanged otherwise, ErrNotFound when there is no such user in
	// that tenant.
	UpdatePasswordHash(ctx context.Context, tenant tenancy.ID, id uuid.UUID, oldHash, newHash string) error
}

// Validate reports whether t can be stored: a valid id and a non-empty
// name. Drivers call it before writing.
func (t Tenant) Validate() error {
	if err := t.ID.Validate(); err != nil {
		return fmt.Errorf("authn: tenant id: %w", err)
	}
	if t.Name == "" {
		return inputError("tenant name", "empty")
	}
	return nil
}

// Validate reports whether u can be stored: non-nil ids, an email and a
// password hash. Drivers call it before writing.
func (u User) Validate() error {
	if err := u.TenantID.Validate(); err != nil {
		return fmt.Errorf("authn: user tenant id: %w", err)
	}
	if u.ID == uuid.Nil {
		return inputError("user id", "nil UUID")
	}
	if u.Email == "" {
		return inputError("email", "empty")
	}
	if u.PasswordHash == "" {
		return inputError("password hash", "empty")
	}
	return nil
}
