package authn

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"time"
)

// maxBodyBytes bounds the JSON bodies the handlers read.
const maxBodyBytes = 64 << 10

type registerBody struct {
	TenantName string `json:"tenant_name"`
	Email      string `json:"email"`
	Password   string `json:"password"`
}

type loginBody struct {
	Email    string `json:"email"`
	Password string `json:"password"`
}

// UserJSON is the public form of a [User] in HTTP responses.
type UserJSON struct {
	ID        string    `json:"id"`
	TenantID  string    `json:"tenant_id"`
	Email     string    `json:"email"`
	CreatedAt time.Time `json:"created_at"`
}

// TenantJSON is the public form of a [Tenant] in HTTP responses.
type TenantJSON struct {
	ID        string    `json:"id"`
	Name      string    `json:"name"`
	CreatedAt time.Time `json:"created_at"`
}

// SessionJSON is the body of a successful register or login.
type SessionJSON struct {
	Token     string     `json:"token"`
	TokenType string     `json:"token_type"`
	ExpiresAt time.Time  `json:"expires_at"`
	User      UserJSON   `json:"user"`
	Tenant    TenantJSON `json:"tenant"`
}

// MeJSON is the body of a successful "current user" request.
type MeJSON struct {
	User   UserJSON   `json:"user"`
	Tenant TenantJSON `json:"tenant"`
}

func userJSON(u User) UserJSON {
	return UserJSON{ID: u.ID.String(), TenantID: u.TenantID.String(), Email: u.Email, CreatedAt: u.CreatedAt}
}

func tenantJSON(t Tenant) TenantJSON {
	return TenantJSON{ID: t.ID.String(), Name: t.Name, CreatedAt: t.CreatedAt}
}

func sessionJSON(s Session) SessionJSON {
	return SessionJSON{Token: s.Token, TokenType: "Bearer", ExpiresAt: s.ExpiresAt, User: userJSON(s.User), Tenant: tenantJSON(s.Tenant)}
}

// RegisterHandler returns a handler for "POST .../register": a JSON body
// {"tenant_name", "email", "password"} creates a tenant and its first
// user and answers 201 with a [SessionJSON]. Errors are
// application/problem+json: 400 for bad input, 409 for a taken email.
func (s *Service) RegisterHandler() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		var in registerBody
		if !s.decode(w, r, &in) {
			return
		}
		sess, err := s.Register(r.Context(), RegisterRequest(in))
		if err != nil {
			s.writeError(w, r, err)
			return
		}
		writeJSON(w, http.StatusCreated, sessionJSON(sess))
	})
}

// LoginHandler returns a handler for "POST .../login": a JSON body
// {"email", "password"} answers 200 with a [SessionJSON], 401 for wrong
// credentials (the same for an unknown email), 429 with Retry-After when
// the account is throttled.
func (s *Service) LoginHandler() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		var in loginBody
		if !s.decode(w, r, &in) {
			return
		}
		sess, err := s.Login(r.Context(), in.Email, in.Password)
		if err != nil {
			s.writeError(w, r, err)
			return
		}
		writeJSON(w, http.StatusOK, sessionJSON(sess))
	})
}

// MeHandler returns a handler for "GET .../me" that answers 200 with a
// [MeJSON] for the principal in the request context. Mount it behind
// [Middleware].
func (s *Service) MeHandler() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		u, t, err := s.Me(r.Context())
		if err != nil {
			s.writeError(w, r, err)
			return
		}
		writeJSON(w, http.StatusOK, MeJSON{User: userJSON(u), Tenant: tenantJSON(t)})
	})
}

// decode reads one JSON object of at most maxBodyBytes into v, answering
// 400 or 413 itself when it cannot.
func (s *Service) decode(w http.ResponseWriter, r *http.Request, v any) bool {
	r.Body = http.MaxBytesReader(w, r.Body, maxBodyBytes)
	dec := json.NewDecoder(r.Body)
	dec.DisallowUnknownFields()
	err := dec.Decode(v)
	if err == nil && dec.Decode(&struct{}{}) != io.EOF {
		err = errors.New("more than one JSON value")
	}
	if err != nil {
		var tooBig *http.MaxBytesError
		if errors.As(err, &tooBig) {
			writeProblem(w, http.StatusRequestEntityTooLarge, fmt.Sprintf("body larger than %d bytes", maxBodyBytes))
			return false
		}
		writeProblem(w, http.StatusBadRequest, "body is not the expected JSON object")
		return false
	}
	return true
}

// writeError maps service errors to problem details. Internal errors are
// logged and answered with a fixed text.
func (s *Service) writeError(w http.ResponseWriter, r *http.Request, err error) {
	var throttled *ThrottledError
	switch {
	case errors.As(err, &throttled):
		w.Header().Set("Retry-After", throttled.RetryAfterSeconds())
		writeProblem(w, http.StatusTooManyRequests, "too many failed logins; retry later")
	case errors.Is(err, ErrInvalidInput):
		writeProblem(w, http.StatusBadRequest, err.Error())
	case errors.Is(err, ErrEmailTaken):
		writeProblem(w, http.StatusConflict, "email already registered")
	case errors.Is(err, ErrInvalidCredentials):
		writeProblem(w, http.StatusUnauthorized, "invalid email or password")
	case errors.Is(err, ErrNoPrincipal), errors.Is(err, ErrNotFound):
		w.Header().Set("WWW-Authenticate", `Bearer realm="autonomos"`)
		writeProblem(w, http.StatusUnauthorized, "not authenticated")
	case errors.Is(err, context.Canceled), errors.Is(err, context.DeadlineExceeded):
		writeProblem(w, http.StatusServiceUnavailable, "request cancelled or timed out")
	default:
		s.log.LogAttrs(r.Context(), slog.LevelError, "authn: request failed",
			slog.String("method", r.Method), slog.String("path", r.URL.Path), slog.String("err", err.Error()))
		writeProblem(w, http.StatusInternalServerError, "internal error")
	}
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(v)
}
