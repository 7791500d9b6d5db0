package memtelemetry_test

import (
	"testing"

	"github.com/autonomos/autonomos/dcl/telemetry"
	"github.com/autonomos/autonomos/dcl/telemetry/memtelemetry"
	"github.com/autonomos/autonomos/dcl/telemetry/telemetrytest"
)

func TestConformance(t *testing.T) {
	telemetrytest.RunConformanceTests(t, func(*testing.T) telemetry.Driver { return memtelemetry.New() })
}
