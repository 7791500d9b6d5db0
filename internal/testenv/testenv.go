package testenv

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"os"
	"strings"
	"testing"
	"time"
)

// Environment variables read by this package.
const (
	// EnvPostgresURL names a PostgreSQL server to use instead of a
	// container. The role needs CREATEDB (and CREATEROLE for
	// [PostgresRoles]); it must not need to be a superuser if the vector
	// extension is already in template1.
	EnvPostgresURL = "AOS_TEST_POSTGRES_URL"
	// EnvRedisURL names a standalone Redis server to use instead of a
	// container. Its database number is the coordination database; tests
	// get the other ones.
	EnvRedisURL = "AOS_TEST_REDIS_URL"
	// EnvRequireServices, when "1", turns a missing service into a test
	// failure instead of a skip. CI sets it.
	EnvRequireServices = "AOS_TEST_REQUIRE_SERVICES"
)

// setupTimeout bounds every setup or cleanup step against a service
// (creating a database, leasing a Redis database, ...).
const setupTimeout = 30 * time.Second

// required reports whether a missing service must fail the test.
func required() bool { return os.Getenv(EnvRequireServices) == "1" }

// unavailable ends the test because service cannot be reached: t.Skip, or
// t.Fatal when AOS_TEST_REQUIRE_SERVICES=1. Callers return right after it
// (a real testing.TB never comes back from Skip or Fatal).
func unavailable(t testing.TB, service, envVar string, reason error) {
	t.Helper()
	if required() {
		t.Fatalf("testenv: %s is required (%s=1) but unavailable: %v", service, EnvRequireServices, reason)
		return
	}
	t.Skipf("testenv: no %s (set %s, or run a Docker engine for testcontainers): %v", service, envVar, reason)
}

// setupContext returns a context for one setup step. Cleanup steps pass
// context.Background as parent: the test's own context is already
// canceled when cleanups run.
func setupContext(parent context.Context) (context.Context, context.CancelFunc) {
	return context.WithTimeout(parent, setupTimeout)
}

// randomHex returns 2n random lower-case hex digits.
func randomHex(n int) string {
	b := make([]byte, n)
	if _, err := rand.Read(b); err != nil {
		panic(fmt.Sprintf("testenv: crypto/rand: %v", err)) // never fails on supported platforms
	}
	return hex.EncodeToString(b)
}

// nameHint turns a test name into a short identifier fragment
// ([a-z0-9_], at most 24 bytes), so that a database left behind by a
// crashed test says which test made it.
func nameHint(testName string) string {
	var b strings.Builder
	for _, r := range strings.ToLower(testName) {
		if b.Len() >= 24 {
			break
		}
		switch {
		case r >= 'a' && r <= 'z', r >= '0' && r <= '9':
			b.WriteRune(r)
		default:
			if s := b.String(); s != "" && !strings.HasSuffix(s, "_") {
				b.WriteByte('_')
			}
		}
	}
	return strings.TrimSuffix(b.String(), "_")
}
