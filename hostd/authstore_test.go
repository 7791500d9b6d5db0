package main

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/autonomos/autonomos/authn"
	"github.com/autonomos/autonomos/authn/authntest"
	"github.com/autonomos/autonomos/tenancy"
)

type fileHarness struct {
	t      *testing.T
	reopen bool
}

func (h fileHarness) MakeStore(context.Context) (authn.Store, error) {
	path := filepath.Join(h.t.TempDir(), "accounts.json")
	s, err := openFileAuthStore(path)
	if err != nil {
		return nil, err
	}
	if h.reopen {
		return &reopeningStore{t: h.t, path: path, cur: s}, nil
	}
	return s, nil
}

func (fileHarness) Close() {}

// reopeningStore reloads the file after every write, so that the whole
// conformance suite reads what went through the file.
type reopeningStore struct {
	mu   sync.RWMutex // writers swap cur
	t    *testing.T
	path string
	cur  *fileAuthStore
}

func (r *reopeningStore) reload() {
	s, err := openFileAuthStore(r.path)
	if err != nil {
		r.t.Fatalf("reopen %s: %v", r.path, err)
	}
	r.cur = s
}

func (r *reopeningStore) CreateTenant(ctx context.Context, t authn.Tenant, u authn.User) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	defer r.reload()
	return r.cur.CreateTenant(ctx, t, u)
}

func (r *reopeningStore) CreateUser(ctx context.Context, u authn.User) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	defer r.reload()
	return r.cur.CreateUser(ctx, u)
}

func (r *reopeningStore) UpdatePasswordHash(ctx context.Context, tenant tenancy.ID, id uuid.UUID, oldHash, newHash string) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	defer r.reload()
	return r.cur.UpdatePasswordHash(ctx, tenant, id, oldHash, newHash)
}

func (r *reopeningStore) Tenant(ctx context.Context, id tenancy.ID) (authn.Tenant, error) {
	r.mu.RLock()
	defer r.mu.RUnlock()
	return r.cur.Tenant(ctx, id)
}

func (r *reopeningStore) User(ctx context.Context, tenant tenancy.ID, id uuid.UUID) (authn.User, error) {
	r.mu.RLock()
	defer r.mu.RUnlock()
	return r.cur.User(ctx, tenant, id)
}

func (r *reopeningStore) UserByEmail(ctx context.Context, email string) (authn.User, error) {
	r.mu.RLock()
	defer r.mu.RUnlock()
	return r.cur.UserByEmail(ctx, email)
}

func TestFileAuthStoreConformance(t *testing.T) {
	authntest.RunConformanceTests(t, func(_ context.Context, t *testing.T) (authntest.Harness, error) {
		return fileHarness{t: t}, nil
	})
}

func TestFileAuthStoreConformanceThroughTheFile(t *testing.T) {
	authntest.RunConformanceTests(t, func(_ context.Context, t *testing.T) (authntest.Harness, error) {
		return fileHarness{t: t, reopen: true}, nil
	})
}

func testAccount(email string) (authn.Tenant, authn.User) {
	tn := authn.Tenant{ID: tenancy.New(), Name: "Acme", CreatedAt: time.Now().UTC()}
	u := authn.User{ID: uuid.New(), TenantID: tn.ID, Email: email, PasswordHash: "$argon2id$v=19$m=19456,t=2,p=1$c2FsdHNhbHRzYWx0$a2V5a2V5a2V5a2V5a2V5a2V5a2V5a2V5a2V5a2V5a2U", CreatedAt: time.Now().UTC()}
	return tn, u
}

func TestFileAuthStoreUndoesAFailedWrite(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "accounts.json")
	s, err := openFileAuthStore(path)
	if err != nil {
		t.Fatal(err)
	}
	// A directory where the file should be: the rename fails.
	if err := os.Mkdir(path, 0o700); err != nil {
		t.Fatal(err)
	}
	tn, u := testAccount("ana@acme.example")
	err = s.CreateTenant(ctx, tn, u)
	if err == nil || !strings.Contains(err.Error(), path) {
		t.Fatalf("write into a directory: %v, want an error naming %s", err, path)
	}
	if _, err := s.UserByEmail(ctx, u.Email); !errors.Is(err, authn.ErrNotFound) {
		t.Fatalf("after a failed write the user is there: %v", err)
	}
	if err := os.Remove(path); err != nil {
		t.Fatal(err)
	}
	if err := s.CreateTenant(ctx, tn, u); err != nil {
		t.Fatalf("retry after the failure: %v", err)
	}
	fi, err := os.Stat(path)
	if err != nil || fi.Mode().Perm() != 0o600 {
		t.Fatalf("accounts file: %v mode %v, want 0600", err, fi.Mode().Perm())
	}
}

func TestFileAuthStoreRefusesACorruptFile(t *testing.T) {
	path := filepath.Join(t.TempDir(), "accounts.json")
	for _, content := range []string{"{not json", `{"format": 99}`, `{"format":1,"tenants":[{"id":"6f1c2a1e-8d1b-4c55-9a3e-1f2d3c4b5a69","name":"x"}]}`} {
		if err := os.WriteFile(path, []byte(content), 0o600); err != nil {
			t.Fatal(err)
		}
		if _, err := openFileAuthStore(path); err == nil || !strings.Contains(err.Error(), path) {
			t.Errorf("file %q: err %v, want an error naming the file", content, err)
		}
	}
}
