package repair_test

import (
	"testing"

	"github.com/autonomos/autonomos/repair"
	"github.com/autonomos/autonomos/repair/learntest"
)

func TestLocalMemoryConformance(t *testing.T) {
	learntest.RunConformanceTests(t, func(*testing.T) repair.Memory { return repair.NewLocalMemory() })
}
