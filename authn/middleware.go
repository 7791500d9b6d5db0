package authn

import (
	"encoding/json"
	"errors"
	"log/slog"
	"net/http"
	"strconv"
)

// Authenticator turns a request into a principal. [Tokens] (bearer JWTs)
// and [DevBypass] (the development user) implement it.
type Authenticator interface {
	Authenticate(r *http.Request) (Principal, error)
}

// MiddlewareConfig configures [Middleware]. The zero value is usable.
type MiddlewareConfig struct {
	// Realm is the realm named in WWW-Authenticate. Defaults to
	// "autonomos".
	Realm string
	// Logger receives one line per rejected request, with the reason but
	// never the token. Defaults to slog.Default().
	Logger *slog.Logger
}

// Middleware returns net/http middleware that authenticates every request
// with a. On success the next handler runs with the principal in the
// request context ([PrincipalFromContext]) and its tenant set with
// [tenancy.WithTenant]. On failure the client gets 401 with
// WWW-Authenticate: Bearer (RFC 6750) and an application/problem+json
// body naming the reason; the token never appears in the response or the
// log.
func Middleware(a Authenticator, cfg *MiddlewareConfig) func(http.Handler) http.Handler {
	var c MiddlewareConfig
	if cfg != nil {
		c = *cfg
	}
	if c.Realm == "" {
		c.Realm = "autonomos"
	}
	if c.Logger == nil {
		c.Logger = slog.Default()
	}
	return func(next http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			p, err := a.Authenticate(r)
			if err != nil {
				reason := "authentication failed"
				var te *TokenError
				if errors.As(err, &te) {
					reason = te.Reason
				}
				challenge := `Bearer realm=` + strconv.Quote(c.Realm)
				if !errors.Is(err, errMissingToken) {
					challenge += `, error="invalid_token", error_description=` + strconv.Quote(reason)
				}
				c.Logger.LogAttrs(r.Context(), slog.LevelInfo, "authn: request rejected",
					slog.String("method", r.Method), slog.String("path", r.URL.Path), slog.String("reason", reason))
				w.Header().Set("WWW-Authenticate", challenge)
				writeProblem(w, http.StatusUnauthorized, reason)
				return
			}
			next.ServeHTTP(w, r.WithContext(WithPrincipal(r.Context(), p)))
		})
	}
}

// problem is an RFC 9457 problem details body.
type problem struct {
	Type   string `json:"type"`
	Title  string `json:"title"`
	Status int    `json:"status"`
	Detail string `json:"detail,omitempty"`
}

func writeProblem(w http.ResponseWriter, status int, detail string) {
	w.Header().Set("Content-Type", "application/problem+json")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(problem{Type: "about:blank", Title: http.StatusText(status), Status: status, Detail: detail})
}
