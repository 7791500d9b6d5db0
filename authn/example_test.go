package authn_test

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"time"

	"github.com/autonomos/autonomos/authn"
	"github.com/autonomos/autonomos/authn/memstore"
	"github.com/autonomos/autonomos/tenancy"
	"github.com/google/uuid"
)

// Issue a token for a user and verify it.
func ExampleTokens() {
	// In production the secret comes from configuration; at least 32 bytes.
	secret := []byte("an example secret of at least 32 bytes")
	tokens, err := authn.NewTokens([]authn.Key{{ID: "2026-03", Secret: secret}}, nil)
	if err != nil {
		panic(err)
	}
	user := authn.User{
		ID:       uuid.MustParse("6f1c2a9e-8f0a-4c59-9d53-1e9b6c0f7a11"),
		TenantID: tenancy.MustParse("0b9e7c4e-3f6d-4a3b-8c1e-5d2f9a7b6c10"),
		Email:    "ada@example.com",
	}
	token, expires, err := tokens.Issue(user)
	if err != nil {
		panic(err)
	}
	p, err := tokens.Verify(token)
	if err != nil {
		panic(err)
	}
	fmt.Println(p.Email, p.TenantID, expires.Sub(time.Now()).Round(time.Hour))

	// The same key id with another secret: the signature does not match.
	other, _ := authn.NewTokens([]authn.Key{{ID: "2026-03", Secret: []byte("another secret of at least 32 bytes!")}}, nil)
	_, err = other.Verify(token)
	var te *authn.TokenError
	fmt.Println(errors.As(err, &te), te.Reason)
	// Output:
	// ada@example.com 0b9e7c4e-3f6d-4a3b-8c1e-5d2f9a7b6c10 8h0m0s
	// true signature or algorithm not accepted
}

// Hash a password and verify it.
func ExampleHasher() {
	h, err := authn.NewHasher(nil) // OWASP's minimum: m=19 MiB, t=2, p=1
	if err != nil {
		panic(err)
	}
	hash, err := h.Hash("correct horse battery staple")
	if err != nil {
		panic(err)
	}
	fmt.Println(strings.Join(strings.Split(hash, "$")[:4], "$"))
	match, needsRehash, err := h.Verify("correct horse battery staple", hash)
	fmt.Println(match, needsRehash, err)
	match, _, _ = h.Verify("wrong", hash)
	fmt.Println(match)
	// Output:
	// $argon2id$v=19$m=19456,t=2,p=1
	// true false <nil>
	// false
}

// Protect a handler with bearer tokens.
func ExampleMiddleware() {
	tokens, _ := authn.NewTokens([]authn.Key{{ID: "k1", Secret: []byte("an example secret of at least 32 bytes")}}, nil)
	hello := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		p, _ := authn.PrincipalFromContext(r.Context())
		tenant, _ := tenancy.FromContext(r.Context())
		fmt.Fprintf(w, "hello %s of %s", p.Email, tenant)
	})
	quiet := slog.New(slog.NewTextHandler(io.Discard, nil))
	h := authn.Middleware(tokens, &authn.MiddlewareConfig{Logger: quiet})(hello)

	token, _, _ := tokens.Issue(authn.User{
		ID: uuid.New(), TenantID: tenancy.MustParse("0b9e7c4e-3f6d-4a3b-8c1e-5d2f9a7b6c10"), Email: "ada@example.com",
	})
	req := httptest.NewRequest("GET", "/hello", nil)
	req.Header.Set("Authorization", "Bearer "+token)
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, req)
	fmt.Println(rec.Code, rec.Body.String())

	rec = httptest.NewRecorder()
	h.ServeHTTP(rec, httptest.NewRequest("GET", "/hello", nil))
	fmt.Println(rec.Code, rec.Header().Get("WWW-Authenticate"))
	// Output:
	// 200 hello ada@example.com of 0b9e7c4e-3f6d-4a3b-8c1e-5d2f9a7b6c10
	// 401 Bearer realm="autonomos"
}

// Register a tenant with its first user, then log in.
func ExampleService() {
	ctx := context.Background()
	tokens, _ := authn.NewTokens([]authn.Key{{ID: "k1", Secret: []byte("an example secret of at least 32 bytes")}}, nil)
	svc, err := authn.NewService(memstore.New(), tokens, nil)
	if err != nil {
		panic(err)
	}
	reg, err := svc.Register(ctx, authn.RegisterRequest{TenantName: "Acme", Email: "Ada@Example.com", Password: "correct horse battery"})
	if err != nil {
		panic(err)
	}
	fmt.Println(reg.User.Email, reg.Tenant.Name)

	_, err = svc.Login(ctx, "ada@example.com", "wrong password")
	fmt.Println(err)
	sess, err := svc.Login(ctx, "ada@example.com", "correct horse battery")
	fmt.Println(err, sess.User.ID == reg.User.ID)
	// Output:
	// ada@example.com Acme
	// authn: invalid email or password
	// <nil> true
}

// Decide at startup whether the development bypass may run.
func ExampleCheckDevBypass() {
	fmt.Println(authn.CheckDevBypass("127.0.0.1:5000", false))
	fmt.Println(authn.CheckDevBypass(":5000", false) != nil)
	fmt.Println(authn.CheckDevBypass(":5000", true))
	// Output:
	// <nil>
	// true
	// <nil>
}
