// Package memstore is the in-memory driver of [authn.Store]: the embedded
// default and the fast test double. Data lives as long as the Store value;
// nothing is written to disk. It is proven equivalent to the PostgreSQL
// driver by the conformance suite in authn/authntest.
package memstore

import (
	"context"
	"fmt"
	"strings"
	"sync"

	"github.com/autonomos/autonomos/authn"
	"github.com/autonomos/autonomos/tenancy"
	"github.com/google/uuid"
)

// Store is an in-memory [authn.Store]. The zero value is not usable; call
// [New]. It is safe for concurrent use.
type Store struct {
	mu      sync.RWMutex
	tenants map[tenancy.ID]authn.Tenant
	users   map[uuid.UUID]authn.User
	byEmail map[string]uuid.UUID // lower-cased email -> user id
}

var _ authn.Store = (*Store)(nil)

// New returns an empty Store.
func New() *Store {
	return &Store{
		tenants: map[tenancy.ID]authn.Tenant{},
		users:   map[uuid.UUID]authn.User{},
		byEmail: map[string]uuid.UUID{},
	}
}

// CreateTenant implements [authn.Store].
func (s *Store) CreateTenant(ctx context.Context, t authn.Tenant, u authn.User) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	if err := t.Validate(); err != nil {
		return err
	}
	if err := u.Validate(); err != nil {
		return err
	}
	if u.TenantID != t.ID {
		return fmt.Errorf("memstore: create tenant: %w: first user's tenant id differs from the tenant's", authn.ErrInvalidInput)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if _, ok := s.tenants[t.ID]; ok {
		return fmt.Errorf("memstore: create tenant %s: %w", t.ID, authn.ErrTenantExists)
	}
	if err := s.checkFree(u); err != nil {
		return err
	}
	s.tenants[t.ID] = t
	s.put(u)
	return nil
}

// checkFree must be called with mu held.
func (s *Store) checkFree(u authn.User) error {
	if _, ok := s.byEmail[strings.ToLower(u.Email)]; ok {
		return fmt.Errorf("memstore: create user: %w", authn.ErrEmailTaken)
	}
	if _, ok := s.users[u.ID]; ok {
		return fmt.Errorf("memstore: create user %s: %w: user id exists", u.ID, authn.ErrInvalidInput)
	}
	return nil
}

func (s *Store) put(u authn.User) {
	s.users[u.ID] = u
	s.byEmail[strings.ToLower(u.Email)] = u.ID
}

// CreateUser implements [authn.Store].
func (s *Store) CreateUser(ctx context.Context, u authn.User) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	if err := u.Validate(); err != nil {
		return err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if _, ok := s.tenants[u.TenantID]; !ok {
		return fmt.Errorf("memstore: create user: tenant %s: %w", u.TenantID, authn.ErrNotFound)
	}
	if err := s.checkFree(u); err != nil {
		return err
	}
	s.put(u)
	return nil
}

// Tenant implements [authn.Store].
func (s *Store) Tenant(ctx context.Context, id tenancy.ID) (authn.Tenant, error) {
	if err := ctx.Err(); err != nil {
		return authn.Tenant{}, err
	}
	if err := id.Validate(); err != nil {
		return authn.Tenant{}, err
	}
	s.mu.RLock()
	defer s.mu.RUnlock()
	t, ok := s.tenants[id]
	if !ok {
		return authn.Tenant{}, fmt.Errorf("memstore: tenant %s: %w", id, authn.ErrNotFound)
	}
	return t, nil
}

// User implements [authn.Store].
func (s *Store) User(ctx context.Context, tenant tenancy.ID, id uuid.UUID) (authn.User, error) {
	if err := ctx.Err(); err != nil {
		return authn.User{}, err
	}
	if err := tenant.Validate(); err != nil {
		return authn.User{}, err
	}
	s.mu.RLock()
	defer s.mu.RUnlock()
	u, ok := s.users[id]
	if !ok || u.TenantID != tenant {
		return authn.User{}, fmt.Errorf("memstore: user %s of tenant %s: %w", id, tenant, authn.ErrNotFound)
	}
	return u, nil
}

// UserByEmail implements [authn.Store].
func (s *Store) UserByEmail(ctx context.Context, email string) (authn.User, error) {
	if err := ctx.Err(); err != nil {
		return authn.User{}, err
	}
	s.mu.RLock()
	defer s.mu.RUnlock()
	id, ok := s.byEmail[strings.ToLower(email)]
	if !ok {
		return authn.User{}, fmt.Errorf("memstore: user by email: %w", authn.ErrNotFound)
	}
	return s.users[id], nil
}

// UpdatePasswordHash implements [authn.Store].
func (s *Store) UpdatePasswordHash(ctx context.Context, tenant tenancy.ID, id uuid.UUID, oldHash, newHash string) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	if err := tenant.Validate(); err != nil {
		return err
	}
	if newHash == "" {
		return fmt.Errorf("memstore: update password hash: %w: empty hash", authn.ErrInvalidInput)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	u, ok := s.users[id]
	if !ok || u.TenantID != tenant {
		return fmt.Errorf("memstore: update password hash of user %s: %w", id, authn.ErrNotFound)
	}
	if u.PasswordHash != oldHash {
		return fmt.Errorf("memstore: update password hash of user %s: %w", id, authn.ErrHashChanged)
	}
	u.PasswordHash = newHash
	s.users[id] = u
	return nil
}
