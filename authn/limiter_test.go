package authn_test

import (
	"testing"
	"time"

	"github.com/autonomos/autonomos/authn"
	"github.com/autonomos/autonomos/authn/authntest"
)

func TestMemoryLimiter(t *testing.T) {
	authntest.RunLimiterTests(t, func(_ *testing.T, max int, window time.Duration, now func() time.Time) authn.LoginLimiter {
		return authn.NewMemoryLimiter(max, window, now)
	})
}
