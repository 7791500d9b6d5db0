// Package authntest is the conformance suite for [authn.Store] drivers.
// Every driver's tests call [RunConformanceTests]; a user's own driver can
// prove itself the same way:
//
//	func TestConformance(t *testing.T) {
//		authntest.RunConformanceTests(t, func(ctx context.Context, t *testing.T) (authntest.Harness, error) {
//			return myHarness{store: mystore.New()}, nil
//		})
//	}
package authntest

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/autonomos/autonomos/authn"
	"github.com/autonomos/autonomos/tenancy"
	"github.com/google/uuid"
)

// Harness gives the suite a store to test.
type Harness interface {
	// MakeStore returns a store to test. It need not be empty (the suite
	// uses fresh ids and emails throughout), but no other test may use it
	// concurrently.
	MakeStore(ctx context.Context) (authn.Store, error)
	// Close releases what the harness holds.
	Close()
}

// HarnessMaker makes a fresh Harness for one test. It is called once per
// subtest.
type HarnessMaker func(ctx context.Context, t *testing.T) (Harness, error)

// RunConformanceTests runs the shared semantics of [authn.Store] against
// stores made by newHarness.
func RunConformanceTests(t *testing.T, newHarness HarnessMaker) {
	t.Helper()
	tests := []struct {
		name string
		fn   func(context.Context, *testing.T, authn.Store)
	}{
		{"CreateTenantAndRead", testCreateTenantAndRead},
		{"EmailUniqueAcrossTenantsIgnoringCase", testEmailUnique},
		{"CreateTenantIsAtomic", testCreateTenantAtomic},
		{"DuplicateTenantID", testDuplicateTenant},
		{"CreateUserInTenant", testCreateUser},
		{"CreateUserUnknownTenant", testCreateUserUnknownTenant},
		{"ReadsAreTenantScoped", testTenantScoped},
		{"NotFound", testNotFound},
		{"UpdatePasswordHashCompareAndSwap", testUpdateHash},
		{"InvalidInput", testInvalidInput},
		{"ConcurrentRegistrationsOneEmail", testConcurrentSameEmail},
		{"CanceledContext", testCanceled},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			ctx := context.Background()
			h, err := newHarness(ctx, t)
			if err != nil {
				t.Fatalf("make harness: %v", err)
			}
			t.Cleanup(h.Close)
			s, err := h.MakeStore(ctx)
			if err != nil {
				t.Fatalf("make store: %v", err)
			}
			tc.fn(ctx, t, s)
		})
	}
}

var seq struct {
	sync.Mutex
	n int
}

// newTenant returns a tenant and a first user with a unique email.
func newTenant(t *testing.T, email string) (authn.Tenant, authn.User) {
	t.Helper()
	seq.Lock()
	seq.n++
	n := seq.n
	seq.Unlock()
	now := time.Now().UTC().Truncate(time.Microsecond)
	tn := authn.Tenant{ID: tenancy.New(), Name: fmt.Sprintf("Tenant %d", n), CreatedAt: now}
	if email == "" {
		email = fmt.Sprintf("user%d@example.com", n)
	}
	u := authn.User{ID: uuid.New(), TenantID: tn.ID, Email: email, PasswordHash: fmt.Sprintf("$argon2id$hash-%d", n), CreatedAt: now}
	return tn, u
}

func mustCreate(ctx context.Context, t *testing.T, s authn.Store, email string) (authn.Tenant, authn.User) {
	t.Helper()
	tn, u := newTenant(t, email)
	if err := s.CreateTenant(ctx, tn, u); err != nil {
		t.Fatalf("CreateTenant: %v", err)
	}
	return tn, u
}

func sameUser(t *testing.T, what string, got, want authn.User) {
	t.Helper()
	if got.ID != want.ID || got.TenantID != want.TenantID || got.Email != want.Email ||
		got.PasswordHash != want.PasswordHash || !got.CreatedAt.Equal(want.CreatedAt) {
		t.Errorf("%s = %+v, want %+v", what, got, want)
	}
}

func wantErr(t *testing.T, what string, err, target error) {
	t.Helper()
	if !errors.Is(err, target) {
		t.Errorf("%s: err = %v, want %v", what, err, target)
	}
}

func testCreateTenantAndRead(ctx context.Context, t *testing.T, s authn.Store) {
	tn, u := mustCreate(ctx, t, s, "")
	gotT, err := s.Tenant(ctx, tn.ID)
	if err != nil {
		t.Fatalf("Tenant: %v", err)
	}
	if gotT.ID != tn.ID || gotT.Name != tn.Name || !gotT.CreatedAt.Equal(tn.CreatedAt) {
		t.Errorf("Tenant = %+v, want %+v", gotT, tn)
	}
	got, err := s.User(ctx, tn.ID, u.ID)
	if err != nil {
		t.Fatalf("User: %v", err)
	}
	sameUser(t, "User", got, u)
	got, err = s.UserByEmail(ctx, u.Email)
	if err != nil {
		t.Fatalf("UserByEmail: %v", err)
	}
	sameUser(t, "UserByEmail", got, u)
	got, err = s.UserByEmail(ctx, strings.ToUpper(u.Email))
	if err != nil {
		t.Fatalf("UserByEmail(upper case): %v", err)
	}
	sameUser(t, "UserByEmail(upper case)", got, u)
}

func testEmailUnique(ctx context.Context, t *testing.T, s authn.Store) {
	_, u := mustCreate(ctx, t, s, "")
	tn2, u2 := newTenant(t, strings.ToUpper(u.Email))
	wantErr(t, "CreateTenant with an email of another tenant (other case)", s.CreateTenant(ctx, tn2, u2), authn.ErrEmailTaken)
	tn3, _ := mustCreate(ctx, t, s, "")
	_, u4 := newTenant(t, u.Email)
	u4.TenantID = tn3.ID
	wantErr(t, "CreateUser with an email of another tenant", s.CreateUser(ctx, u4), authn.ErrEmailTaken)
	_, u5 := newTenant(t, u.Email)
	u5.TenantID = u.TenantID
	wantErr(t, "CreateUser with an email of the same tenant", s.CreateUser(ctx, u5), authn.ErrEmailTaken)
}

func testCreateTenantAtomic(ctx context.Context, t *testing.T, s authn.Store) {
	_, u := mustCreate(ctx, t, s, "")
	tn2, u2 := newTenant(t, u.Email)
	if err := s.CreateTenant(ctx, tn2, u2); err == nil {
		t.Fatal("CreateTenant with a taken email succeeded")
	}
	wantErr(t, "Tenant after a failed CreateTenant", func() error { _, err := s.Tenant(ctx, tn2.ID); return err }(), authn.ErrNotFound)
	wantErr(t, "User after a failed CreateTenant", func() error { _, err := s.User(ctx, tn2.ID, u2.ID); return err }(), authn.ErrNotFound)
	// The tenant id is free again: a retry with another email works.
	u2.Email = "retry-" + u.Email
	if err := s.CreateTenant(ctx, tn2, u2); err != nil {
		t.Fatalf("CreateTenant retry with a free email: %v", err)
	}
}

func testDuplicateTenant(ctx context.Context, t *testing.T, s authn.Store) {
	tn, _ := mustCreate(ctx, t, s, "")
	_, u2 := newTenant(t, "")
	u2.TenantID = tn.ID
	wantErr(t, "CreateTenant with an existing id", s.CreateTenant(ctx, tn, u2), authn.ErrTenantExists)
	wantErr(t, "UserByEmail of the refused user", func() error { _, err := s.UserByEmail(ctx, u2.Email); return err }(), authn.ErrNotFound)
}

func testCreateUser(ctx context.Context, t *testing.T, s authn.Store) {
	tn, _ := mustCreate(ctx, t, s, "")
	_, u2 := newTenant(t, "")
	u2.TenantID = tn.ID
	if err := s.CreateUser(ctx, u2); err != nil {
		t.Fatalf("CreateUser: %v", err)
	}
	got, err := s.User(ctx, tn.ID, u2.ID)
	if err != nil {
		t.Fatalf("User: %v", err)
	}
	sameUser(t, "User", got, u2)
	_, u3 := newTenant(t, "")
	u3.TenantID = tn.ID
	u3.ID = u2.ID
	if err := s.CreateUser(ctx, u3); err == nil {
		t.Error("CreateUser with an existing user id succeeded")
	}
}

func testCreateUserUnknownTenant(ctx context.Context, t *testing.T, s authn.Store) {
	_, u := newTenant(t, "")
	wantErr(t, "CreateUser in an unknown tenant", s.CreateUser(ctx, u), authn.ErrNotFound)
	wantErr(t, "UserByEmail after refusal", func() error { _, err := s.UserByEmail(ctx, u.Email); return err }(), authn.ErrNotFound)
}

func testTenantScoped(ctx context.Context, t *testing.T, s authn.Store) {
	a, ua := mustCreate(ctx, t, s, "")
	b, ub := mustCreate(ctx, t, s, "")
	wantErr(t, "User of A read as tenant B", func() error { _, err := s.User(ctx, b.ID, ua.ID); return err }(), authn.ErrNotFound)
	wantErr(t, "User of B read as tenant A", func() error { _, err := s.User(ctx, a.ID, ub.ID); return err }(), authn.ErrNotFound)
	wantErr(t, "UpdatePasswordHash of A's user as tenant B",
		s.UpdatePasswordHash(ctx, b.ID, ua.ID, ua.PasswordHash, "$argon2id$stolen"), authn.ErrNotFound)
	got, err := s.User(ctx, a.ID, ua.ID)
	if err != nil {
		t.Fatalf("User: %v", err)
	}
	if got.PasswordHash != ua.PasswordHash {
		t.Errorf("A's hash changed through tenant B: %q", got.PasswordHash)
	}
}

func testNotFound(ctx context.Context, t *testing.T, s authn.Store) {
	mustCreate(ctx, t, s, "")
	wantErr(t, "Tenant(unknown)", func() error { _, err := s.Tenant(ctx, tenancy.New()); return err }(), authn.ErrNotFound)
	wantErr(t, "User(unknown)", func() error { _, err := s.User(ctx, tenancy.New(), uuid.New()); return err }(), authn.ErrNotFound)
	wantErr(t, "UserByEmail(unknown)", func() error { _, err := s.UserByEmail(ctx, "nobody@example.com"); return err }(), authn.ErrNotFound)
	wantErr(t, "UpdatePasswordHash(unknown)", s.UpdatePasswordHash(ctx, tenancy.New(), uuid.New(), "a", "b"), authn.ErrNotFound)
}

func testUpdateHash(ctx context.Context, t *testing.T, s authn.Store) {
	tn, u := mustCreate(ctx, t, s, "")
	if err := s.UpdatePasswordHash(ctx, tn.ID, u.ID, u.PasswordHash, "$argon2id$new"); err != nil {
		t.Fatalf("UpdatePasswordHash: %v", err)
	}
	got, err := s.UserByEmail(ctx, u.Email)
	if err != nil {
		t.Fatalf("UserByEmail: %v", err)
	}
	if got.PasswordHash != "$argon2id$new" {
		t.Errorf("hash after update = %q, want %q", got.PasswordHash, "$argon2id$new")
	}
	wantErr(t, "UpdatePasswordHash with a stale old hash",
		s.UpdatePasswordHash(ctx, tn.ID, u.ID, u.PasswordHash, "$argon2id$other"), authn.ErrHashChanged)
	got, err = s.User(ctx, tn.ID, u.ID)
	if err != nil {
		t.Fatalf("User: %v", err)
	}
	if got.PasswordHash != "$argon2id$new" {
		t.Errorf("hash after a refused update = %q, want %q", got.PasswordHash, "$argon2id$new")
	}
}

func testInvalidInput(ctx context.Context, t *testing.T, s authn.Store) {
	tn, u := newTenant(t, "")
	bad := tn
	bad.ID = tenancy.Nil
	wantErr(t, "CreateTenant with a nil tenant id", s.CreateTenant(ctx, bad, u), tenancy.ErrInvalidID)
	other := u
	other.TenantID = tenancy.New()
	wantErr(t, "CreateTenant with a user of another tenant", s.CreateTenant(ctx, tn, other), authn.ErrInvalidInput)
	noHash := u
	noHash.PasswordHash = ""
	wantErr(t, "CreateTenant with no password hash", s.CreateTenant(ctx, tn, noHash), authn.ErrInvalidInput)
	noEmail := u
	noEmail.Email = ""
	wantErr(t, "CreateTenant with no email", s.CreateTenant(ctx, tn, noEmail), authn.ErrInvalidInput)
	noName := tn
	noName.Name = ""
	wantErr(t, "CreateTenant with no name", s.CreateTenant(ctx, noName, u), authn.ErrInvalidInput)
	nilUser := u
	nilUser.ID = uuid.Nil
	wantErr(t, "CreateTenant with a nil user id", s.CreateTenant(ctx, tn, nilUser), authn.ErrInvalidInput)
	wantErr(t, "Tenant after refusals", func() error { _, err := s.Tenant(ctx, tn.ID); return err }(), authn.ErrNotFound)
	wantErr(t, "Tenant(nil id)", func() error { _, err := s.Tenant(ctx, tenancy.Nil); return err }(), tenancy.ErrInvalidID)
	wantErr(t, "User(nil tenant)", func() error { _, err := s.User(ctx, tenancy.Nil, u.ID); return err }(), tenancy.ErrInvalidID)
	wantErr(t, "UpdatePasswordHash(nil tenant)", s.UpdatePasswordHash(ctx, tenancy.Nil, u.ID, "a", "b"), tenancy.ErrInvalidID)
}

func testConcurrentSameEmail(ctx context.Context, t *testing.T, s authn.Store) {
	const n = 8
	email := fmt.Sprintf("race-%s@example.com", uuid.NewString()[:8])
	errs := make([]error, n)
	var wg sync.WaitGroup
	for i := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			tn, u := newTenant(t, email)
			errs[i] = s.CreateTenant(ctx, tn, u)
		}()
	}
	wg.Wait()
	ok := 0
	for _, err := range errs {
		switch {
		case err == nil:
			ok++
		case !errors.Is(err, authn.ErrEmailTaken):
			t.Errorf("concurrent CreateTenant: err = %v, want nil or ErrEmailTaken", err)
		}
	}
	if ok != 1 {
		t.Errorf("%d of %d concurrent registrations of one email succeeded, want exactly 1", ok, n)
	}
}

func testCanceled(ctx context.Context, t *testing.T, s authn.Store) {
	tn, u := mustCreate(ctx, t, s, "")
	cctx, cancel := context.WithCancel(ctx)
	cancel()
	_, err := s.User(cctx, tn.ID, u.ID)
	wantErr(t, "User with a canceled context", err, context.Canceled)
	_, err = s.UserByEmail(cctx, u.Email)
	wantErr(t, "UserByEmail with a canceled context", err, context.Canceled)
	tn2, u2 := newTenant(t, "")
	wantErr(t, "CreateTenant with a canceled context", s.CreateTenant(cctx, tn2, u2), context.Canceled)
}
