package main

import (
	"context"

	"github.com/autonomos/autonomos/tenancy"
)

// dclPart is the DCL of the app: the warehouse, its engine and the graph
// builder.
type dclPart struct{}

// openDCL opens the warehouse and registers the DCL's jobs.
func (a *app) openDCL(context.Context) error { return nil }

// closeDCL closes the warehouse.
func (a *app) closeDCL() {}

// dclRoutes are the DCL's routes: run, views, query, persona summary,
// telemetry.
func (a *app) dclRoutes() []route { return nil }

// onboardDemo onboards, syncs and materializes the demo tenant's sample
// sources on first start.
func (a *app) onboardDemo(context.Context) error { return nil }

// onMappingChanged is called after a person changed a mapping (approved a
// proposal or a review); the DCL rebuilds the tenant's views and graph.
func (a *app) onMappingChanged(ctx context.Context, tenant tenancy.ID, connection, object string) {}
