package authn

import (
	"context"
	"crypto/rand"
	"encoding/base64"
	"errors"
	"fmt"
	"log/slog"
	"net/mail"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/autonomos/autonomos/tenancy"
	"github.com/google/uuid"
)

// ServiceConfig configures a [Service]. The zero value is usable.
type ServiceConfig struct {
	// Hasher hashes new passwords; hashes made with other parameters are
	// upgraded on the next successful login. Defaults to NewHasher(nil)
	// (OWASP's minimum: m=19 MiB, t=2, p=1).
	Hasher *Hasher
	// MinPasswordLength is the shortest password, in characters, that
	// Register accepts. Defaults to 12.
	MinPasswordLength int
	// MaxLoginFailures is how many failed logins for one account lock it
	// out for the rest of FailureWindow. Defaults to 5.
	MaxLoginFailures int
	// FailureWindow is the sliding window failures are counted in.
	// Defaults to 15 minutes.
	FailureWindow time.Duration
	// Limiter counts failed logins. Defaults to a [MemoryLimiter] with
	// MaxLoginFailures, FailureWindow and Now.
	Limiter LoginLimiter
	// Now is the clock. Defaults to time.Now.
	Now func() time.Time
	// Logger receives warnings (such as a failed hash upgrade); never
	// passwords, hashes or tokens. Defaults to slog.Default().
	Logger *slog.Logger
}

// Service holds the business logic of accounts: registering a tenant
// with its first user, logging in, and reading the current user. HTTP
// handlers ([Service.RegisterHandler] and friends) are thin wrappers. A
// Service is safe for concurrent use.
type Service struct {
	store     Store
	tokens    *Tokens
	hasher    *Hasher
	limiter   LoginLimiter
	minPwLen  int
	now       func() time.Time
	log       *slog.Logger
	dummyHash string
}

// Session is the result of a successful register or login: a token for
// the user and what it names. User.PasswordHash is always empty.
type Session struct {
	Token     string
	ExpiresAt time.Time
	User      User
	Tenant    Tenant
}

// RegisterRequest is the input of [Service.Register].
type RegisterRequest struct {
	TenantName string
	Email      string
	Password   string
}

// NewService returns a Service over store that issues tokens with tokens.
// Both are required. A nil cfg means the defaults.
func NewService(store Store, tokens *Tokens, cfg *ServiceConfig) (*Service, error) {
	if store == nil || tokens == nil {
		return nil, fmt.Errorf("%w: NewService needs a store and tokens", ErrInvalidConfig)
	}
	var c ServiceConfig
	if cfg != nil {
		c = *cfg
	}
	if c.Hasher == nil {
		h, err := NewHasher(nil)
		if err != nil {
			return nil, err
		}
		c.Hasher = h
	}
	if c.MinPasswordLength == 0 {
		c.MinPasswordLength = 12
	}
	if c.MaxLoginFailures == 0 {
		c.MaxLoginFailures = 5
	}
	if c.FailureWindow == 0 {
		c.FailureWindow = 15 * time.Minute
	}
	if c.Now == nil {
		c.Now = time.Now
	}
	if c.Limiter == nil {
		c.Limiter = NewMemoryLimiter(c.MaxLoginFailures, c.FailureWindow, c.Now)
	}
	if c.Logger == nil {
		c.Logger = slog.Default()
	}
	if c.MinPasswordLength < 1 || c.MaxLoginFailures < 1 || c.FailureWindow < 0 {
		return nil, fmt.Errorf("%w: MinPasswordLength and MaxLoginFailures must be positive", ErrInvalidConfig)
	}
	// The dummy hash is verified when a login names an unknown account,
	// so that it costs what a wrong password costs.
	dummy, err := c.Hasher.Hash(randomString())
	if err != nil {
		return nil, err
	}
	return &Service{
		store: store, tokens: tokens, hasher: c.Hasher, limiter: c.Limiter,
		minPwLen: c.MinPasswordLength, now: c.Now, log: c.Logger, dummyHash: dummy,
	}, nil
}

func randomString() string {
	b := make([]byte, 24)
	_, _ = rand.Read(b)
	return base64.RawURLEncoding.EncodeToString(b)
}

// NormalizeEmail trims space and lower-cases an email address. Emails are
// compared and stored in this form.
func NormalizeEmail(email string) string {
	return strings.ToLower(strings.TrimSpace(email))
}

// ValidateEmail returns the normalized form of email, or an error
// wrapping [ErrInvalidInput] when it is not a bare address of at most 254
// bytes.
func ValidateEmail(email string) (string, error) {
	e := NormalizeEmail(email)
	if e == "" {
		return "", inputError("email", "empty")
	}
	if len(e) > 254 {
		return "", inputError("email", "longer than 254 bytes")
	}
	a, err := mail.ParseAddress(e)
	if err != nil || a.Address != e || a.Name != "" {
		return "", inputError("email", "not a plain email address")
	}
	return e, nil
}

// Register creates a tenant named req.TenantName with its first user and
// returns a session for that user. It returns an error wrapping
// [ErrInvalidInput] for a bad name, email or password and
// [ErrEmailTaken] when the email is registered already (in any tenant).
func (s *Service) Register(ctx context.Context, req RegisterRequest) (Session, error) {
	name := strings.TrimSpace(req.TenantName)
	if name == "" {
		return Session{}, inputError("tenant_name", "empty")
	}
	if utf8.RuneCountInString(name) > 200 || !utf8.ValidString(name) {
		return Session{}, inputError("tenant_name", "longer than 200 characters or not UTF-8")
	}
	email, err := ValidateEmail(req.Email)
	if err != nil {
		return Session{}, err
	}
	if n := utf8.RuneCountInString(req.Password); n < s.minPwLen {
		return Session{}, inputError("password", fmt.Sprintf("shorter than %d characters", s.minPwLen))
	}
	hash, err := s.hasher.Hash(req.Password)
	if err != nil {
		return Session{}, err
	}
	now := s.now().UTC().Truncate(time.Microsecond)
	t := Tenant{ID: tenancy.New(), Name: name, CreatedAt: now}
	u := User{ID: uuid.New(), TenantID: t.ID, Email: email, PasswordHash: hash, CreatedAt: now}
	if err := s.store.CreateTenant(ctx, t, u); err != nil {
		return Session{}, fmt.Errorf("authn: register: %w", err)
	}
	return s.session(u, t)
}

func (s *Service) session(u User, t Tenant) (Session, error) {
	tok, exp, err := s.tokens.Issue(u)
	if err != nil {
		return Session{}, err
	}
	u.PasswordHash = ""
	return Session{Token: tok, ExpiresAt: exp, User: u, Tenant: t}, nil
}

// Login checks email and password and returns a session. An unknown
// email and a wrong password give the same error, [ErrInvalidCredentials],
// after the same work (a dummy hash is verified for an unknown email).
// After MaxLoginFailures failures for one email within FailureWindow,
// Login returns a *[ThrottledError] without checking the password. A
// successful login whose stored hash was made with other parameters than
// the current Hasher's stores a fresh hash.
func (s *Service) Login(ctx context.Context, email, password string) (Session, error) {
	key := NormalizeEmail(email)
	if key == "" || len(key) > 254 {
		return Session{}, inputError("email", "empty or longer than 254 bytes")
	}
	if err := s.limiter.Check(ctx, key); err != nil {
		return Session{}, err
	}
	u, err := s.store.UserByEmail(ctx, key)
	hash := u.PasswordHash
	known := err == nil
	if err != nil {
		if !errors.Is(err, ErrNotFound) {
			return Session{}, fmt.Errorf("authn: login: %w", err)
		}
		hash = s.dummyHash
	}
	match, rehash, verr := s.hasher.Verify(password, hash)
	if verr != nil {
		// A stored hash we cannot parse: log without the hash, and treat
		// as a failure.
		s.log.Error("authn: stored password hash is malformed", "user", u.ID.String(), "err", verr)
		match = false
	}
	if !known || !match {
		if err := s.limiter.Fail(ctx, key); err != nil {
			return Session{}, fmt.Errorf("authn: login: record failure: %w", err)
		}
		return Session{}, ErrInvalidCredentials
	}
	if err := s.limiter.Reset(ctx, key); err != nil {
		return Session{}, fmt.Errorf("authn: login: reset failures: %w", err)
	}
	if rehash {
		s.upgradeHash(ctx, u, password)
	}
	t, err := s.store.Tenant(ctx, u.TenantID)
	if err != nil {
		return Session{}, fmt.Errorf("authn: login: tenant of user: %w", err)
	}
	return s.session(u, t)
}

func (s *Service) upgradeHash(ctx context.Context, u User, password string) {
	newHash, err := s.hasher.Hash(password)
	if err == nil {
		err = s.store.UpdatePasswordHash(ctx, u.TenantID, u.ID, u.PasswordHash, newHash)
	}
	switch {
	case err == nil:
		s.log.Info("authn: password hash upgraded to current parameters", "user", u.ID.String())
	case errors.Is(err, ErrHashChanged):
		// Someone changed the password meanwhile; theirs wins.
	default:
		s.log.Warn("authn: password hash upgrade failed", "user", u.ID.String(), "err", err)
	}
}

// Me returns the user and tenant of the principal in ctx (see
// [Middleware]), or [ErrNoPrincipal].
func (s *Service) Me(ctx context.Context) (User, Tenant, error) {
	p, err := PrincipalFromContext(ctx)
	if err != nil {
		return User{}, Tenant{}, err
	}
	u, err := s.store.User(ctx, p.TenantID, p.UserID)
	if err != nil {
		return User{}, Tenant{}, fmt.Errorf("authn: current user: %w", err)
	}
	t, err := s.store.Tenant(ctx, p.TenantID)
	if err != nil {
		return User{}, Tenant{}, fmt.Errorf("authn: current tenant: %w", err)
	}
	u.PasswordHash = ""
	return u, t, nil
}

// EnsureDevUser creates the development tenant and user ([DevPrincipal])
// in the store when they are missing, so that [Service.Me] works under
// [DevBypass]. The development user gets a random password nobody knows.
func (s *Service) EnsureDevUser(ctx context.Context) error {
	if _, err := s.store.User(ctx, DevTenantID, DevUserID); err == nil {
		return nil
	} else if !errors.Is(err, ErrNotFound) {
		return fmt.Errorf("authn: ensure dev user: %w", err)
	}
	hash, err := s.hasher.Hash(randomString())
	if err != nil {
		return err
	}
	now := s.now().UTC().Truncate(time.Microsecond)
	err = s.store.CreateTenant(ctx,
		Tenant{ID: DevTenantID, Name: "Development", CreatedAt: now},
		User{ID: DevUserID, TenantID: DevTenantID, Email: DevEmail, PasswordHash: hash, CreatedAt: now})
	if errors.Is(err, ErrTenantExists) || errors.Is(err, ErrEmailTaken) {
		// Another replica won the race, or the email is used elsewhere:
		// fine if the dev user is now there.
		if _, uerr := s.store.User(ctx, DevTenantID, DevUserID); uerr == nil {
			return nil
		}
	}
	if err != nil {
		return fmt.Errorf("authn: ensure dev user: %w", err)
	}
	return nil
}
