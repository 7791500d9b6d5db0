package main

import (
	"context"

	"github.com/autonomos/autonomos/tenancy"
)

// flagsPart holds the feature flags.
type flagsPart struct{}

// openFlags opens the flag store.
func (a *app) openFlags(context.Context) error { return nil }

// closeFlags closes it.
func (a *app) closeFlags() {}

// flagRoutes are the feature-flag routes.
func (a *app) flagRoutes() []route { return nil }

// flagEnabled reports whether flag name is on for tenant.
func (a *app) flagEnabled(_ context.Context, _ tenancy.ID, name string) bool {
	return name == "USE_AAM_AS_SOURCE" && a.cfg.UseAAMAsSource
}
