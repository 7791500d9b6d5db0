package authn_test

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/autonomos/autonomos/authn"
)

func newServer(t *testing.T) (*httptest.Server, *fixture) {
	t.Helper()
	f := newFixture(t, nil)
	mux := http.NewServeMux()
	mux.Handle("POST /auth/register", f.svc.RegisterHandler())
	mux.Handle("POST /auth/login", f.svc.LoginHandler())
	mux.Handle("GET /auth/me", authn.Middleware(f.tokens, nil)(f.svc.MeHandler()))
	srv := httptest.NewServer(mux)
	t.Cleanup(srv.Close)
	return srv, f
}

func do(t *testing.T, srv *httptest.Server, method, path, token, body string) (*http.Response, map[string]any) {
	t.Helper()
	req, err := http.NewRequest(method, srv.URL+path, strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	resp, err := srv.Client().Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var out map[string]any
	if err := json.NewDecoder(resp.Body).Decode(&out); err != nil {
		t.Fatalf("%s %s: body is not JSON: %v", method, path, err)
	}
	return resp, out
}

func TestHandlers(t *testing.T) {
	srv, _ := newServer(t)
	resp, body := do(t, srv, "POST", "/auth/register", "", `{"tenant_name":"Acme","email":"ada@example.com","password":"`+pw+`"}`)
	if resp.StatusCode != http.StatusCreated || body["token_type"] != "Bearer" {
		t.Fatalf("register: %d %v", resp.StatusCode, body)
	}
	user := body["user"].(map[string]any)
	if user["email"] != "ada@example.com" || user["password_hash"] != nil {
		t.Errorf("register user = %v", user)
	}
	resp, body = do(t, srv, "POST", "/auth/login", "", `{"email":"ada@example.com","password":"`+pw+`"}`)
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("login: %d %v", resp.StatusCode, body)
	}
	token := body["token"].(string)
	resp, body = do(t, srv, "GET", "/auth/me", token, "")
	if resp.StatusCode != http.StatusOK || body["user"].(map[string]any)["email"] != "ada@example.com" ||
		body["tenant"].(map[string]any)["name"] != "Acme" {
		t.Errorf("me: %d %v", resp.StatusCode, body)
	}

	for _, tc := range []struct {
		name, method, path, token, body string
		status                          int
	}{
		{"me without token", "GET", "/auth/me", "", "", 401},
		{"register taken", "POST", "/auth/register", "", `{"tenant_name":"B","email":"ADA@example.com","password":"` + pw + `"}`, 409},
		{"register short password", "POST", "/auth/register", "", `{"tenant_name":"B","email":"b@example.com","password":"short"}`, 400},
		{"unknown field", "POST", "/auth/login", "", `{"email":"ada@example.com","password":"x","admin":true}`, 400},
		{"not JSON", "POST", "/auth/login", "", `email=ada`, 400},
		{"two objects", "POST", "/auth/login", "", `{} {}`, 400},
		{"too large", "POST", "/auth/login", "", `{"email":"` + strings.Repeat("a", 70<<10) + `"}`, 413},
		{"wrong password", "POST", "/auth/login", "", `{"email":"ada@example.com","password":"wrong password!"}`, 401},
		{"unknown email", "POST", "/auth/login", "", `{"email":"nobody@example.com","password":"wrong password!"}`, 401},
	} {
		t.Run(tc.name, func(t *testing.T) {
			resp, body := do(t, srv, tc.method, tc.path, tc.token, tc.body)
			if resp.StatusCode != tc.status {
				t.Errorf("status = %d, want %d (%v)", resp.StatusCode, tc.status, body)
			}
			if ct := resp.Header.Get("Content-Type"); ct != "application/problem+json" {
				t.Errorf("Content-Type = %q", ct)
			}
			if body["status"] != float64(tc.status) || body["title"] == "" {
				t.Errorf("problem body = %v", body)
			}
			if strings.Contains(body["detail"].(string), "wrong password!") || strings.Contains(body["detail"].(string), pw) {
				t.Errorf("detail %q echoes the password", body["detail"])
			}
		})
	}
}

func TestLoginHandlerThrottles(t *testing.T) {
	srv, _ := newServer(t)
	do(t, srv, "POST", "/auth/register", "", `{"tenant_name":"Acme","email":"ada@example.com","password":"`+pw+`"}`)
	wrong := `{"email":"ada@example.com","password":"wrong password!"}`
	for range 5 {
		if resp, _ := do(t, srv, "POST", "/auth/login", "", wrong); resp.StatusCode != 401 {
			t.Fatalf("failure: status %d", resp.StatusCode)
		}
	}
	resp, body := do(t, srv, "POST", "/auth/login", "", `{"email":"ada@example.com","password":"`+pw+`"}`)
	if resp.StatusCode != http.StatusTooManyRequests || resp.Header.Get("Retry-After") != "900" {
		t.Errorf("6th attempt: %d Retry-After %q (%v), want 429 and 900", resp.StatusCode, resp.Header.Get("Retry-After"), body)
	}
}
