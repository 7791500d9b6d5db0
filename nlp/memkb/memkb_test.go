package memkb_test

import (
	"testing"

	"github.com/autonomos/autonomos/nlp"
	"github.com/autonomos/autonomos/nlp/kbtest"
	"github.com/autonomos/autonomos/nlp/memkb"
)

func TestConformance(t *testing.T) {
	kbtest.RunConformanceTests(t, func(t *testing.T) nlp.KBStore { return memkb.New() })
}
