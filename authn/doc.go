// Package authn holds users and tenants, passwords, JSON Web Tokens and
// the net/http middleware that authenticates requests.
//
// # What is here
//
//   - [Service]: the business logic of accounts. [Service.Register]
//     creates a tenant with its first user, [Service.Login] checks a
//     password and returns a [Session] with a token, [Service.Me] reads
//     the current user. [Service.RegisterHandler], [Service.LoginHandler]
//     and [Service.MeHandler] are thin JSON handlers for them (bodies
//     bounded by http.MaxBytesReader, errors as application/problem+json).
//   - [Store]: where tenants and users live. Drivers: authn/memstore (in
//     memory, the embedded default) and authn/pgstore (PostgreSQL with
//     row-level security, migrations embedded and run with goose, and a
//     guard against destructive migrations). authn/authntest is the
//     conformance suite both pass; a driver of your own can run it too.
//   - [Hasher]: Argon2id password hashes in the PHC string format
//     ($argon2id$v=19$m=19456,t=2,p=1$salt$key). Parameters are at least
//     OWASP's minimum and configurable; keys are compared in constant
//     time; [Hasher.Verify] reports when a stored hash was made with
//     other parameters, and Service then stores a fresh one on the next
//     successful login. [ParsePHC] refuses malformed strings with a
//     *[HashFormatError] (it is fuzzed).
//   - [Tokens]: issues and verifies JWTs (golang-jwt/jwt v5). HS256 by
//     default with a secret of at least 32 bytes; EdDSA and RS256 keys
//     too. Several keys can be configured at once for rotation: new
//     tokens are signed with one and carry its kid, and a token verifies
//     only against the key its kid names, with that key's algorithm. The
//     claims are sub (user id), tenant_id, email, iss, aud, iat, nbf and
//     exp (8 hours by default). Verification pins the algorithms, requires
//     exp, checks issuer and audience with a small leeway, and refuses an
//     oversized or misshapen token before parsing it. A token that
//     verified is remembered by its SHA-256 (TokenConfig.VerifyCacheSize,
//     10000 by default), so the next request with it costs about a
//     microsecond instead of a signature check and a claims decode; its
//     validity window is still checked on every use.
//   - [Middleware]: reads "Authorization: Bearer", puts the [Principal]
//     ([PrincipalFromContext]) and its tenant ([tenancy.FromContext]) in
//     the request context, or answers 401 with WWW-Authenticate and a
//     problem+json body. The token never appears in a response or a log.
//   - [DevBypass]: lets every request through as the development user
//     (dev@autonomos.dev of tenant [DevTenantID]) for local work. It logs
//     a loud warning and is refused by [CheckDevBypass] unless the server
//     listens on loopback or the operator explicitly allows otherwise.
//     hostd maps DCL_AUTH_ENABLED=false onto it.
//   - Login throttling: after 5 failed logins for one email within 15
//     minutes (configurable), Login returns a *[ThrottledError] carrying
//     RetryAfter, which the handler sends as 429 with Retry-After. The
//     default [MemoryLimiter] counts per process; authn/redislimiter
//     shares the counts between replicas. Both pass the limiter suite in
//     authn/authntest.
//
// # Getting started
//
//	tokens, err := authn.NewTokens([]authn.Key{{ID: "2026-03", Secret: secret}}, nil)
//	svc, err := authn.NewService(memstore.New(), tokens, nil)
//	mux.Handle("POST /api/v1/auth/register", svc.RegisterHandler())
//	mux.Handle("POST /api/v1/auth/login", svc.LoginHandler())
//	protect := authn.Middleware(tokens, nil)
//	mux.Handle("GET /api/v1/auth/me", protect(svc.MeHandler()))
//
// # Emails and tenants
//
// Emails are normalized ([NormalizeEmail]: trimmed, lower case) and unique
// across all tenants, not per tenant: login is by email and password
// alone, before any tenant is known, so an email must name exactly one
// account. A person in two organisations uses two addresses.
//
// # Security properties
//
// An unknown email and a wrong password give the same error,
// [ErrInvalidCredentials], after the same work: for an unknown email a
// dummy hash made at start is verified. Throttling counts unknown emails
// too, so it reveals nothing either. Register does reveal that an email
// is taken ([ErrEmailTaken]); that is the usual trade-off for sign-up.
// Errors never contain passwords, hashes or tokens.
//
// # Errors
//
// Sentinels ([ErrNotFound], [ErrEmailTaken], [ErrTenantExists],
// [ErrHashChanged], [ErrInvalidCredentials], [ErrInvalidInput],
// [ErrInvalidToken], [ErrNoPrincipal], [ErrInvalidHash], [ErrWeakKey],
// [ErrInvalidConfig]) are matched with errors.Is; *[TokenError],
// *[HashFormatError] and *[ThrottledError] carry data and are matched
// with errors.As. Context errors come back unchanged.
//
// # Concurrency
//
// [Service], [Tokens], [Hasher], [MemoryLimiter] and the stores are safe
// for concurrent use. Tokens and Hasher are immutable after construction.
//
// # Testing
//
// Use authn/memstore and a [TokenConfig] with a fixed Now; [ServiceConfig]
// takes a clock as well, so throttling windows and token expiry can be
// tested without sleeping. authn/pgstore's tests run on a real PostgreSQL
// through internal/testenv.
package authn
