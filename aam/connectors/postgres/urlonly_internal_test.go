package postgres

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"math/big"
	"os"
	"path/filepath"
	"testing"
	"time"
)

// Under URLOnly, what the URL leaves out is not filled from the server's
// environment: a tenant's host never receives the operator's password.
func TestURLOnlyIgnoresEnvironmentCredentials(t *testing.T) {
	t.Setenv("PGPASSWORD", "operator-secret")
	t.Setenv("PGPASSFILE", "/nonexistent")
	for _, tc := range []struct {
		url     string
		urlOnly bool
		want    string
	}{
		{"postgres://tenant@db.example.com:5432/app", true, ""},
		{"postgres://tenant@db.example.com:5432/app?sslpassword=x", true, ""},
		{"postgres://tenant:own@db.example.com:5432/app", true, "own"},
		{"postgres://tenant@db.example.com:5432/app?password=own", true, "own"},
		{"host=db.example.com user=tenant dbname=app", true, ""},
		{"host=db.example.com user=tenant password=own dbname=app", true, "own"},
		// without URLOnly, pgx's usual behaviour
		{"postgres://tenant@db.example.com:5432/app", false, "operator-secret"},
	} {
		s, err := New(&Config{URL: tc.url, URLOnly: tc.urlOnly})
		if err != nil {
			t.Fatalf("%s: %v", tc.url, err)
		}
		if got := s.pool.Config().ConnConfig.Password; got != tc.want {
			t.Errorf("%s (URLOnly %v): password %q, want %q", tc.url, tc.urlOnly, got, tc.want)
		}
		s.pool.Close()
	}
}

func TestURLOnlyIgnoresEnvironmentClientCertificate(t *testing.T) {
	dir := t.TempDir()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "operator"},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour)}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	kder, err := x509.MarshalECPrivateKey(key)
	if err != nil {
		t.Fatal(err)
	}
	certPath, keyPath := filepath.Join(dir, "client.crt"), filepath.Join(dir, "client.key")
	if err := os.WriteFile(certPath, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(keyPath, pem.EncodeToMemory(&pem.Block{Type: "EC PRIVATE KEY", Bytes: kder}), 0o600); err != nil {
		t.Fatal(err)
	}
	t.Setenv("PGSSLCERT", certPath)
	t.Setenv("PGSSLKEY", keyPath)
	for _, urlOnly := range []bool{false, true} {
		s, err := New(&Config{URL: "postgres://tenant@db.example.com:5432/app?sslmode=require", URLOnly: urlOnly})
		if err != nil {
			t.Fatal(err)
		}
		tc := s.pool.Config().ConnConfig.TLSConfig
		if tc == nil {
			t.Fatal("no TLS config for sslmode=require")
		}
		if has := len(tc.Certificates) > 0 || tc.GetClientCertificate != nil; has == urlOnly {
			t.Errorf("URLOnly %v: client certificate from the environment present = %v", urlOnly, has)
		}
		s.pool.Close()
	}
}
