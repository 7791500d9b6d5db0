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
