package memlive_test

import (
	"testing"

	"github.com/autonomos/autonomos/live/livetest"
	"github.com/autonomos/autonomos/live/memlive"
)

func TestConformance(t *testing.T) {
	livetest.Run(t, func(t *testing.T) livetest.Harness {
		return livetest.Harness{Hub: memlive.New(&memlive.Config{History: 16}), Buffer: 16, Forget: 17}
	})
}
