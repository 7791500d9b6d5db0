package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"slices"
	"sync"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/autonomos/autonomos/authn"
	"github.com/autonomos/autonomos/authn/memstore"
	authpg "github.com/autonomos/autonomos/authn/pgstore"
	"github.com/autonomos/autonomos/internal/atomicfile"
	"github.com/autonomos/autonomos/tenancy"
)

// fileAuthStore is the embedded mode's authn.Store: authn/memstore kept in
// a JSON file. Every committed write rewrites the file (temporary file with
// mode 0600, synced, renamed); a write whose file cannot be written is
// undone in memory too, by rebuilding the memstore from the previous
// state. It is meant for one process and modest numbers of accounts.
type fileAuthStore struct {
	path string

	mu      sync.RWMutex // guards all below; writers hold it exclusively
	mem     *memstore.Store
	tenants map[tenancy.ID]authn.Tenant
	users   map[uuid.UUID]authn.User
}

var _ authn.Store = (*fileAuthStore)(nil)

// authSnapshot is the file format.
type authSnapshot struct {
	Format  int          `json:"format"`
	Tenants []authTenant `json:"tenants"`
	Users   []authUser   `json:"users"`
}

type authTenant struct {
	ID        tenancy.ID `json:"id"`
	Name      string     `json:"name"`
	CreatedAt time.Time  `json:"created_at"`
}

type authUser struct {
	ID           uuid.UUID  `json:"id"`
	TenantID     tenancy.ID `json:"tenant_id"`
	Email        string     `json:"email"`
	PasswordHash string     `json:"password_hash"`
	CreatedAt    time.Time  `json:"created_at"`
}

const authSnapshotFormat = 1

// openFileAuthStore loads path when it exists and starts empty otherwise.
// A file that cannot be read or decoded is an error naming the path: the
// server must not start over with no accounts silently.
func openFileAuthStore(path string) (*fileAuthStore, error) {
	s := &fileAuthStore{path: path, tenants: map[tenancy.ID]authn.Tenant{}, users: map[uuid.UUID]authn.User{}}
	b, err := os.ReadFile(path)
	switch {
	case errors.Is(err, os.ErrNotExist):
		s.mem = memstore.New()
		return s, nil
	case err != nil:
		return nil, fmt.Errorf("hostd: read accounts file %s: %w", path, err)
	}
	var snap authSnapshot
	if err := json.Unmarshal(b, &snap); err != nil {
		return nil, fmt.Errorf("hostd: accounts file %s is corrupt: %w", path, err)
	}
	if snap.Format != authSnapshotFormat {
		return nil, fmt.Errorf("hostd: accounts file %s has format %d, want %d", path, snap.Format, authSnapshotFormat)
	}
	for _, t := range snap.Tenants {
		s.tenants[t.ID] = authn.Tenant{ID: t.ID, Name: t.Name, CreatedAt: t.CreatedAt}
	}
	for _, u := range snap.Users {
		s.users[u.ID] = authn.User{ID: u.ID, TenantID: u.TenantID, Email: u.Email, PasswordHash: u.PasswordHash, CreatedAt: u.CreatedAt}
	}
	mem, err := s.rebuild()
	if err != nil {
		return nil, fmt.Errorf("hostd: accounts file %s: %w", path, err)
	}
	s.mem = mem
	return s, nil
}

// rebuild makes a memstore holding exactly s.tenants and s.users.
func (s *fileAuthStore) rebuild() (*memstore.Store, error) {
	ctx := context.Background()
	mem := memstore.New()
	byTenant := map[tenancy.ID][]authn.User{}
	for _, u := range s.users {
		byTenant[u.TenantID] = append(byTenant[u.TenantID], u)
	}
	for id, t := range s.tenants {
		us := byTenant[id]
		if len(us) == 0 {
			return nil, fmt.Errorf("tenant %s has no user", id)
		}
		slices.SortFunc(us, func(a, b authn.User) int { return a.CreatedAt.Compare(b.CreatedAt) })
		if err := mem.CreateTenant(ctx, t, us[0]); err != nil {
			return nil, fmt.Errorf("tenant %s: %w", id, err)
		}
		for _, u := range us[1:] {
			if err := mem.CreateUser(ctx, u); err != nil {
				return nil, fmt.Errorf("user %s: %w", u.ID, err)
			}
		}
		delete(byTenant, id)
	}
	for id := range byTenant {
		return nil, fmt.Errorf("users of unknown tenant %s", id)
	}
	return mem, nil
}

// persist writes the current state; on failure it restores the previous
// maps (undo) and rebuilds the memstore from them. Callers hold s.mu.
func (s *fileAuthStore) persist(undo func()) error {
	err := s.writeFile()
	if err == nil {
		return nil
	}
	undo()
	if mem, rerr := s.rebuild(); rerr == nil {
		s.mem = mem
	}
	return fmt.Errorf("hostd: save accounts file %s: %w", s.path, err)
}

func (s *fileAuthStore) writeFile() error {
	snap := authSnapshot{Format: authSnapshotFormat}
	for _, t := range s.tenants {
		snap.Tenants = append(snap.Tenants, authTenant(t))
	}
	for _, u := range s.users {
		snap.Users = append(snap.Users, authUser(u))
	}
	slices.SortFunc(snap.Tenants, func(a, b authTenant) int { return a.CreatedAt.Compare(b.CreatedAt) })
	slices.SortFunc(snap.Users, func(a, b authUser) int { return a.CreatedAt.Compare(b.CreatedAt) })
	b, err := json.MarshalIndent(snap, "", "  ")
	if err != nil {
		return err
	}
	return atomicfile.Write(s.path, b)
}

func (s *fileAuthStore) CreateTenant(ctx context.Context, t authn.Tenant, u authn.User) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if err := s.mem.CreateTenant(ctx, t, u); err != nil {
		return err
	}
	stored, err := s.mem.User(ctx, u.TenantID, u.ID)
	if err != nil {
		return err
	}
	st, err := s.mem.Tenant(ctx, t.ID)
	if err != nil {
		return err
	}
	s.tenants[t.ID] = st
	s.users[u.ID] = stored
	return s.persist(func() { delete(s.tenants, t.ID); delete(s.users, u.ID) })
}

func (s *fileAuthStore) CreateUser(ctx context.Context, u authn.User) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if err := s.mem.CreateUser(ctx, u); err != nil {
		return err
	}
	stored, err := s.mem.User(ctx, u.TenantID, u.ID)
	if err != nil {
		return err
	}
	s.users[u.ID] = stored
	return s.persist(func() { delete(s.users, u.ID) })
}

func (s *fileAuthStore) UpdatePasswordHash(ctx context.Context, tenant tenancy.ID, id uuid.UUID, oldHash, newHash string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if err := s.mem.UpdatePasswordHash(ctx, tenant, id, oldHash, newHash); err != nil {
		return err
	}
	prev := s.users[id]
	u := prev
	u.PasswordHash = newHash
	s.users[id] = u
	return s.persist(func() { s.users[id] = prev })
}

func (s *fileAuthStore) Tenant(ctx context.Context, id tenancy.ID) (authn.Tenant, error) {
	s.mu.RLock()
	defer s.mu.RUnlock()
	return s.mem.Tenant(ctx, id)
}

func (s *fileAuthStore) User(ctx context.Context, tenant tenancy.ID, id uuid.UUID) (authn.User, error) {
	s.mu.RLock()
	defer s.mu.RUnlock()
	return s.mem.User(ctx, tenant, id)
}

func (s *fileAuthStore) UserByEmail(ctx context.Context, email string) (authn.User, error) {
	s.mu.RLock()
	defer s.mu.RUnlock()
	return s.mem.UserByEmail(ctx, email)
}

// tenantIDs returns the ids of every tenant, for start-up work per tenant.
func (s *fileAuthStore) tenantIDs(context.Context) ([]tenancy.ID, error) {
	s.mu.RLock()
	defer s.mu.RUnlock()
	ids := make([]tenancy.ID, 0, len(s.tenants))
	for id := range s.tenants {
		ids = append(ids, id)
	}
	return ids, nil
}

// accountStore is where hostd keeps tenants and users: fileAuthStore in
// the embedded default, pgAuthStore in server mode.
type accountStore interface {
	authn.Store
	// tenantIDs returns the ids of every tenant, for start-up work per
	// tenant.
	tenantIDs(ctx context.Context) ([]tenancy.ID, error)
}

var (
	_ accountStore = (*fileAuthStore)(nil)
	_ accountStore = pgAuthStore{}
)

// pgAuthStore is server mode's accountStore: authn/pgstore, plus the list
// of tenants read from its global login directory (authn_emails, the one
// table of that schema not under row-level security; tenant rows are
// invisible without a tenant set).
type pgAuthStore struct {
	*authpg.Store
	pool *pgxpool.Pool
}

func (s pgAuthStore) tenantIDs(ctx context.Context) ([]tenancy.ID, error) {
	rows, err := s.pool.Query(ctx, "select distinct tenant_id::text from authn_emails")
	if err != nil {
		return nil, fmt.Errorf("list tenants: %w", err)
	}
	strs, err := pgx.CollectRows(rows, pgx.RowTo[string])
	if err != nil {
		return nil, fmt.Errorf("list tenants: %w", err)
	}
	ids := make([]tenancy.ID, 0, len(strs))
	for _, v := range strs {
		id, err := tenancy.Parse(v)
		if err != nil {
			return nil, fmt.Errorf("list tenants: %w", err)
		}
		ids = append(ids, id)
	}
	return ids, nil
}
