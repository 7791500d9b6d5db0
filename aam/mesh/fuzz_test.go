package mesh_test

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/autonomos/autonomos/aam/mesh"
)

// FuzzRedacted checks that a secret under a secret key, or as a URL's
// password, never survives redaction, and that redaction always gives
// valid JSON.
func FuzzRedacted(f *testing.F) {
	f.Add("hunter22", "password", "db.internal")
	f.Add(`"quoted\"secret`, "client_secret", "a@b")
	f.Add("tok", "Token", "")
	f.Add("pw:with@signs", "private_key", "h/x")
	f.Fuzz(func(t *testing.T, secret, key, host string) {
		if !mesh.SecretKey(key) || len(secret) < 4 {
			return
		}
		raw, _ := json.Marshal(map[string]any{
			"path": "/data", key: secret, "nested": []any{map[string]any{key: secret}},
		})
		cfg := mesh.NewSourceConfig(raw)
		red := cfg.Redacted()
		if !json.Valid(red) {
			t.Fatalf("Redacted gave invalid JSON %s for %s", red, raw)
		}
		enc, _ := json.Marshal(secret)
		inner := string(enc[1 : len(enc)-1])
		var rest string
		{
			b, _ := json.Marshal(map[string]any{"path": "/data", key: mesh.Mask, "nested": []any{map[string]any{key: mesh.Mask}}})
			rest = string(b)
		}
		if strings.Contains(string(red), inner) && !strings.Contains(rest, inner) {
			t.Fatalf("secret %q survives in %s", secret, red)
		}
		if strings.ContainsAny(secret, "@/:") || host == "" || strings.ContainsAny(host, "@/") {
			return
		}
		u := mesh.NewSourceConfig(json.RawMessage(`{"url":` + mustJSON("postgres://app:"+secret+"@"+host+"/db") + `}`))
		if r := string(u.Redacted()); strings.Contains(r, inner) && !strings.Contains(`{"url":`+mustJSON("postgres://app:"+mesh.Mask+"@"+host+"/db")+`}`, inner) {
			t.Fatalf("URL password %q survives in %s", secret, r)
		}
	})
}

func mustJSON(s string) string {
	b, _ := json.Marshal(s)
	return string(b)
}

// Secrets inside connection strings: a URL's query parameters and a
// libpq key=value string, besides the URL's password.
func TestRedactedConnectionStrings(t *testing.T) {
	for _, tc := range []struct{ in, secret, keep string }{
		{"postgres://app:hunter2x@db:5432/app?sslmode=require", "hunter2x", "sslmode=require"},
		{"postgres://app@db:5432/app?sslmode=require&password=hunter2x", "hunter2x", "sslmode=require"},
		{"mongodb://db:27017/?authSource=admin&tlsCertificateKeyFilePassword=hunter2x&w=majority", "hunter2x", "w=majority"},
		{"host=db user=app password=hunter2x dbname=app", "hunter2x", "dbname=app"},
		{"host=db password='hunter 2x' dbname=app", "hunter 2x", "dbname=app"},
		{"host=db sslpassword=hunter2x", "hunter2x", "host=db"},
	} {
		cfg := mesh.NewSourceConfig([]byte(`{"url":` + mustJSON(tc.in) + `}`))
		red := string(cfg.Redacted())
		if strings.Contains(red, tc.secret) {
			t.Errorf("%s: redacted %s still holds the secret", tc.in, red)
		}
		if !strings.Contains(red, tc.keep) || !strings.Contains(red, mesh.Mask) {
			t.Errorf("%s: redacted %s lost %q or shows no mask", tc.in, red, tc.keep)
		}
		found := false
		for _, s := range cfg.Secrets() {
			found = found || s == tc.secret
		}
		if !found {
			t.Errorf("%s: Secrets() %q misses %q", tc.in, cfg.Secrets(), tc.secret)
		}
	}
}
