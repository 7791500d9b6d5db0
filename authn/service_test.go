package authn_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/autonomos/autonomos/authn"
	"github.com/autonomos/autonomos/authn/memstore"
	"github.com/autonomos/autonomos/tenancy"
	"github.com/google/uuid"
)

type fixture struct {
	svc    *authn.Service
	store  *memstore.Store
	tokens *authn.Tokens
	clock  *clock
}

func newFixture(t *testing.T, cfg *authn.ServiceConfig) *fixture {
	t.Helper()
	c := &clock{now: t0}
	f := &fixture{store: memstore.New(), clock: c, tokens: newTokens(t, c)}
	var sc authn.ServiceConfig
	if cfg != nil {
		sc = *cfg
	}
	sc.Now = c.Now
	svc, err := authn.NewService(f.store, f.tokens, &sc)
	if err != nil {
		t.Fatal(err)
	}
	f.svc = svc
	return f
}

const pw = "correct horse battery"

func (f *fixture) register(t *testing.T, email string) authn.Session {
	t.Helper()
	s, err := f.svc.Register(context.Background(), authn.RegisterRequest{TenantName: "Acme", Email: email, Password: pw})
	if err != nil {
		t.Fatalf("Register(%s): %v", email, err)
	}
	return s
}

func TestRegisterLoginMe(t *testing.T) {
	ctx := context.Background()
	f := newFixture(t, nil)
	s := f.register(t, "  Ada@Example.COM ")
	if s.User.Email != "ada@example.com" || s.Tenant.Name != "Acme" || s.User.TenantID != s.Tenant.ID || s.User.PasswordHash != "" {
		t.Errorf("session = %+v", s)
	}
	p, err := f.tokens.Verify(s.Token)
	if err != nil || p.UserID != s.User.ID || p.TenantID != s.Tenant.ID {
		t.Fatalf("register token: %+v, %v", p, err)
	}
	l, err := f.svc.Login(ctx, "ADA@example.com", pw)
	if err != nil {
		t.Fatalf("Login: %v", err)
	}
	if l.User.ID != s.User.ID || l.Tenant.ID != s.Tenant.ID || l.User.PasswordHash != "" {
		t.Errorf("login session = %+v", l)
	}
	u, tn, err := f.svc.Me(authn.WithPrincipal(ctx, p))
	if err != nil || u.ID != s.User.ID || tn.Name != "Acme" || u.PasswordHash != "" {
		t.Errorf("Me = %+v, %+v, %v", u, tn, err)
	}
	if _, _, err := f.svc.Me(ctx); !errors.Is(err, authn.ErrNoPrincipal) {
		t.Errorf("Me without principal err = %v", err)
	}
	// A principal of a tenant the user is not in finds nothing.
	p.TenantID = tenancy.New()
	if _, _, err := f.svc.Me(authn.WithPrincipal(ctx, p)); !errors.Is(err, authn.ErrNotFound) {
		t.Errorf("Me with a foreign tenant err = %v, want ErrNotFound", err)
	}
}

func TestRegisterRefuses(t *testing.T) {
	ctx := context.Background()
	f := newFixture(t, nil)
	f.register(t, "ada@example.com")
	if _, err := f.svc.Register(ctx, authn.RegisterRequest{TenantName: "Other", Email: "ADA@example.com", Password: pw}); !errors.Is(err, authn.ErrEmailTaken) {
		t.Errorf("Register(taken email) err = %v, want ErrEmailTaken", err)
	}
	for _, req := range []authn.RegisterRequest{
		{TenantName: "", Email: "b@example.com", Password: pw},
		{TenantName: "B", Email: "not-an-email", Password: pw},
		{TenantName: "B", Email: "Bob <b@example.com>", Password: pw},
		{TenantName: "B", Email: "b@example.com", Password: "short"},
	} {
		if _, err := f.svc.Register(ctx, req); !errors.Is(err, authn.ErrInvalidInput) {
			t.Errorf("Register(%+v) err = %v, want ErrInvalidInput", req, err)
		}
	}
}

func TestLoginFailuresLookAlike(t *testing.T) {
	ctx := context.Background()
	f := newFixture(t, nil)
	f.register(t, "ada@example.com")
	_, errWrong := f.svc.Login(ctx, "ada@example.com", "wrong password!")
	_, errUnknown := f.svc.Login(ctx, "nobody@example.com", pw)
	if errWrong != authn.ErrInvalidCredentials || errUnknown != authn.ErrInvalidCredentials {
		t.Fatalf("wrong password err = %v, unknown email err = %v; want both ErrInvalidCredentials itself", errWrong, errUnknown)
	}
	// Timing: an unknown email must cost a hash too. Without the dummy hash
	// it would be thousands of times faster; compare the fastest of a few.
	fastest := func(email string) time.Duration {
		best := time.Hour
		for range 3 {
			start := time.Now()
			_, _ = f.svc.Login(ctx, email, "wrong password!")
			best = min(best, time.Since(start))
		}
		return best
	}
	wrong, unknown := fastest("ada@example.com"), fastest("nobody@example.com")
	if unknown < wrong/4 || wrong < unknown/4 { // loose: a shared machine is noisy; without the dummy hash the ratio is >1000
		t.Errorf("wrong password takes %v, unknown email %v: they must cost the same", wrong, unknown)
	}
}

func TestLoginThrottling(t *testing.T) {
	ctx := context.Background()
	f := newFixture(t, nil)
	f.register(t, "ada@example.com")
	for i := range 5 {
		if _, err := f.svc.Login(ctx, "ada@example.com", "wrong password!"); err != authn.ErrInvalidCredentials {
			t.Fatalf("failure %d: err = %v", i+1, err)
		}
		f.clock.Add(time.Minute)
	}
	// Locked now, even with the right password; the oldest failure was 5
	// minutes ago, so it leaves the 15-minute window in 10 minutes.
	_, err := f.svc.Login(ctx, "ADA@example.com", pw)
	var te *authn.ThrottledError
	if !errors.As(err, &te) || te.RetryAfter != 10*time.Minute {
		t.Fatalf("6th attempt err = %v, want ThrottledError with RetryAfter 10m", err)
	}
	if te.RetryAfterSeconds() != "600" {
		t.Errorf("RetryAfterSeconds = %q", te.RetryAfterSeconds())
	}
	f.clock.Add(10*time.Minute - time.Second)
	if _, err := f.svc.Login(ctx, "ada@example.com", pw); !errors.As(err, &te) || te.RetryAfter != time.Second {
		t.Fatalf("1 s before the end err = %v, want ThrottledError with 1s", err)
	}
	f.clock.Add(time.Second)
	if _, err := f.svc.Login(ctx, "ada@example.com", pw); err != nil {
		t.Fatalf("after the window: %v", err)
	}
	// Success forgot the failures: 4 more failures do not lock.
	for range 4 {
		_, _ = f.svc.Login(ctx, "ada@example.com", "wrong password!")
	}
	if _, err := f.svc.Login(ctx, "ada@example.com", pw); err != nil {
		t.Errorf("after a success and 4 failures: %v", err)
	}
	// Unknown accounts are throttled the same way, so throttling does not
	// reveal which accounts exist.
	for range 5 {
		_, _ = f.svc.Login(ctx, "ghost@example.com", pw)
	}
	if _, err := f.svc.Login(ctx, "ghost@example.com", pw); !errors.As(err, &te) {
		t.Errorf("unknown account after 5 failures err = %v, want ThrottledError", err)
	}
	// Other accounts are unaffected.
	f.register(t, "bob@example.com")
	if _, err := f.svc.Login(ctx, "bob@example.com", pw); err != nil {
		t.Errorf("another account: %v", err)
	}
}

func TestLoginUpgradesOldHash(t *testing.T) {
	ctx := context.Background()
	f := newFixture(t, nil)
	tn := authn.Tenant{ID: tenancy.New(), Name: "Legacy", CreatedAt: t0}
	old := legacyHash(pw, 4096, 1)
	u := authn.User{ID: uuid.New(), TenantID: tn.ID, Email: "old@example.com", PasswordHash: old, CreatedAt: t0}
	if err := f.store.CreateTenant(ctx, tn, u); err != nil {
		t.Fatal(err)
	}
	if _, err := f.svc.Login(ctx, "old@example.com", "wrong password!"); err != authn.ErrInvalidCredentials {
		t.Fatalf("wrong password err = %v", err)
	}
	if got, _ := f.store.User(ctx, tn.ID, u.ID); got.PasswordHash != old {
		t.Fatal("a failed login changed the hash")
	}
	if _, err := f.svc.Login(ctx, "old@example.com", pw); err != nil {
		t.Fatalf("Login: %v", err)
	}
	got, _ := f.store.User(ctx, tn.ID, u.ID)
	phc, err := authn.ParsePHC(got.PasswordHash)
	if err != nil || phc.Memory != authn.MinArgon2Memory || phc.Time != authn.MinArgon2Time {
		t.Fatalf("hash after login = %+v, %v; want current parameters", phc, err)
	}
	if _, err := f.svc.Login(ctx, "old@example.com", pw); err != nil {
		t.Fatalf("Login with the upgraded hash: %v", err)
	}
	if again, _ := f.store.User(ctx, tn.ID, u.ID); again.PasswordHash != got.PasswordHash {
		t.Error("a hash with current parameters was rehashed again")
	}
}

func TestEnsureDevUser(t *testing.T) {
	ctx := context.Background()
	f := newFixture(t, nil)
	for range 2 {
		if err := f.svc.EnsureDevUser(ctx); err != nil {
			t.Fatalf("EnsureDevUser: %v", err)
		}
	}
	u, tn, err := f.svc.Me(authn.WithPrincipal(ctx, authn.DevPrincipal()))
	if err != nil || u.Email != authn.DevEmail || tn.ID != authn.DevTenantID {
		t.Errorf("Me(dev) = %+v, %+v, %v", u, tn, err)
	}
}

func TestNewServiceNeedsStoreAndTokens(t *testing.T) {
	if _, err := authn.NewService(nil, nil, nil); !errors.Is(err, authn.ErrInvalidConfig) {
		t.Errorf("err = %v, want ErrInvalidConfig", err)
	}
}
