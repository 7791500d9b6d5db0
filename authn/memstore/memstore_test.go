package memstore_test

import (
	"context"
	"testing"

	"github.com/autonomos/autonomos/authn"
	"github.com/autonomos/autonomos/authn/authntest"
	"github.com/autonomos/autonomos/authn/memstore"
)

type harness struct{}

func (harness) MakeStore(context.Context) (authn.Store, error) { return memstore.New(), nil }
func (harness) Close()                                         {}

func TestConformance(t *testing.T) {
	authntest.RunConformanceTests(t, func(context.Context, *testing.T) (authntest.Harness, error) {
		return harness{}, nil
	})
}
