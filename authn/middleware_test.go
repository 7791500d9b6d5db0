package authn_test

import (
	"bytes"
	"encoding/json"
	"errors"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/autonomos/autonomos/authn"
	"github.com/autonomos/autonomos/tenancy"
	"github.com/golang-jwt/jwt/v5"
)

// echo answers with the principal and tenant of the request context.
var echo = http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
	p, err := authn.PrincipalFromContext(r.Context())
	if err != nil {
		http.Error(w, err.Error(), 500)
		return
	}
	tenant, err := tenancy.FromContext(r.Context())
	if err != nil {
		http.Error(w, err.Error(), 500)
		return
	}
	_, _ = w.Write([]byte(p.Email + " " + p.UserID.String() + " " + tenant.String()))
})

func TestMiddleware(t *testing.T) {
	c := &clock{now: t0}
	tk := newTokens(t, c)
	var logs bytes.Buffer
	log := slog.New(slog.NewTextHandler(&logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
	h := authn.Middleware(tk, &authn.MiddlewareConfig{Logger: log})(echo)
	good, _, _ := tk.Issue(testUser)
	c.Add(time.Minute)
	expired := forge(t, jwt.SigningMethodHS256, secretA, "a", func() jwt.MapClaims {
		cl := validClaims()
		cl["exp"] = t0.Add(-time.Hour).Unix()
		return cl
	}())

	t.Run("valid", func(t *testing.T) {
		rec := httptest.NewRecorder()
		req := httptest.NewRequest("GET", "/x", nil)
		req.Header.Set("Authorization", "Bearer "+good)
		h.ServeHTTP(rec, req)
		want := testUser.Email + " " + testUser.ID.String() + " " + testUser.TenantID.String()
		if rec.Code != 200 || rec.Body.String() != want {
			t.Errorf("got %d %q, want 200 %q", rec.Code, rec.Body.String(), want)
		}
	})
	for _, tc := range []struct {
		name, header, challenge, detail string
	}{
		{"missing header", "", `Bearer realm="autonomos"`, "missing bearer token"},
		{"other scheme", "Basic dXNlcjpwYXNz", `Bearer realm="autonomos"`, "missing bearer token"},
		{"expired", "Bearer " + expired, `Bearer realm="autonomos", error="invalid_token", error_description="token expired"`, "token expired"},
		{"garbage", "Bearer " + strings.Repeat(".", 1<<20), `Bearer realm="autonomos", error="invalid_token", error_description="token too large"`, "token too large"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			logs.Reset()
			rec := httptest.NewRecorder()
			req := httptest.NewRequest("GET", "/x", nil)
			if tc.header != "" {
				req.Header.Set("Authorization", tc.header)
			}
			h.ServeHTTP(rec, req)
			if rec.Code != http.StatusUnauthorized {
				t.Fatalf("status = %d, want 401", rec.Code)
			}
			if got := rec.Header().Get("WWW-Authenticate"); got != tc.challenge {
				t.Errorf("WWW-Authenticate = %q, want %q", got, tc.challenge)
			}
			if ct := rec.Header().Get("Content-Type"); ct != "application/problem+json" {
				t.Errorf("Content-Type = %q", ct)
			}
			var body map[string]any
			if err := json.Unmarshal(rec.Body.Bytes(), &body); err != nil {
				t.Fatalf("body %q is not JSON: %v", rec.Body.String(), err)
			}
			if body["status"] != float64(401) || body["detail"] != tc.detail {
				t.Errorf("body = %v, want status 401, detail %q", body, tc.detail)
			}
			if tok := strings.TrimPrefix(tc.header, "Bearer "); len(tok) > 10 {
				if strings.Contains(rec.Body.String(), tok[:10]) || strings.Contains(logs.String(), tok[:10]) {
					t.Error("the token appears in the response or the log")
				}
			}
			if !strings.Contains(logs.String(), "reason=") {
				t.Errorf("rejection not logged: %q", logs.String())
			}
		})
	}
}

func TestCheckDevBypass(t *testing.T) {
	for _, tc := range []struct {
		addr  string
		allow bool
		ok    bool
	}{
		{"127.0.0.1:5000", false, true},
		{"127.0.0.2:5000", false, true},
		{"localhost:5000", false, true},
		{"api.localhost:5000", false, true},
		{"[::1]:5000", false, true},
		{":5000", false, false},
		{"0.0.0.0:5000", false, false},
		{"[::]:5000", false, false},
		{"10.0.0.5:5000", false, false},
		{"example.com:80", false, false},
		{"no-port", false, false},
		{":5000", true, true},
		{"0.0.0.0:5000", true, true},
	} {
		err := authn.CheckDevBypass(tc.addr, tc.allow)
		if (err == nil) != tc.ok {
			t.Errorf("CheckDevBypass(%q, %v) = %v, want ok=%v", tc.addr, tc.allow, err, tc.ok)
		}
		if err != nil && !errors.Is(err, authn.ErrInvalidConfig) {
			t.Errorf("CheckDevBypass(%q) err %v does not wrap ErrInvalidConfig", tc.addr, err)
		}
	}
}

func TestDevBypass(t *testing.T) {
	var logs bytes.Buffer
	log := slog.New(slog.NewTextHandler(&logs, nil))
	if _, err := authn.NewDevBypass(authn.DevBypassConfig{ListenAddr: "0.0.0.0:5000", Logger: log}); err == nil {
		t.Fatal("NewDevBypass on 0.0.0.0 succeeded")
	}
	if logs.Len() != 0 {
		t.Errorf("a refused bypass logged %q", logs.String())
	}
	d, err := authn.NewDevBypass(authn.DevBypassConfig{ListenAddr: "127.0.0.1:5000", Logger: log})
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(logs.String(), "level=WARN") || !strings.Contains(logs.String(), "AUTHENTICATION IS DISABLED") {
		t.Errorf("no loud warning logged: %q", logs.String())
	}
	rec := httptest.NewRecorder()
	authn.Middleware(d, nil)(echo).ServeHTTP(rec, httptest.NewRequest("GET", "/", nil))
	want := "dev@autonomos.dev " + authn.DevUserID.String() + " " + authn.DevTenantID.String()
	if rec.Code != 200 || rec.Body.String() != want {
		t.Errorf("dev bypass: %d %q, want 200 %q", rec.Code, rec.Body.String(), want)
	}
}

func TestPrincipalFromContextEmpty(t *testing.T) {
	if _, err := authn.PrincipalFromContext(t.Context()); !errors.Is(err, authn.ErrNoPrincipal) {
		t.Errorf("err = %v, want ErrNoPrincipal", err)
	}
}
