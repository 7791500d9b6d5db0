package redistelemetry_test

import (
	"testing"

	"github.com/autonomos/autonomos/dcl/telemetry"
	"github.com/autonomos/autonomos/dcl/telemetry/redistelemetry"
	"github.com/autonomos/autonomos/dcl/telemetry/telemetrytest"
	"github.com/autonomos/autonomos/internal/testenv"
)

func TestConformance(t *testing.T) {
	telemetrytest.RunConformanceTests(t, func(t *testing.T) telemetry.Driver {
		return redistelemetry.New(testenv.Redis(t))
	})
}
