package main

import (
	"context"
	"errors"
	"fmt"
	"os"

	"github.com/autonomos/autonomos/aam/connectors/filesource"
	"github.com/autonomos/autonomos/aam/mesh"
	"github.com/autonomos/autonomos/examples/data"
	"github.com/autonomos/autonomos/tenancy"
)

// demoActor is who hostd records for what it does to the demo tenant on
// its own (switching Safe Mode off so that confident mappings apply).
const demoActor = "hostd-demo"

// onboardDemo gives the demo tenant the sample sources of examples/data
// when cfg.OnboardDemo is set: on the start that finds the tenant without
// connections, the files are copied under the tenant's sources directory
// and one "file" connection is added per source, with Safe Mode off (a
// demo: confident mappings are applied, the others wait for a person in
// the console). The syncs and the DCL run are one job, so the server
// listens at once and the graph fills in live.
//
// It is idempotent across restarts: a later start finds the connections
// and does nothing, except that connections that were added but never
// synced (a start that stopped before its job ran) are synced then.
func (a *app) onboardDemo(ctx context.Context) error {
	if !a.cfg.OnboardDemo || a.demoTenant.IsZero() {
		return nil
	}
	tenant := a.demoTenant
	existing, err := a.mesh.Connections(ctx, tenant)
	if err != nil {
		return fmt.Errorf("demo connections: %w", err)
	}
	var toSync []string
	if len(existing) == 0 {
		dir := a.sourcesDir(tenant)
		if err := os.MkdirAll(dir, 0o700); err != nil {
			return fmt.Errorf("demo sources directory: %w", err)
		}
		if err := data.WriteTo(dir); err != nil {
			return fmt.Errorf("write demo sources: %w", err)
		}
		for _, src := range data.Sources {
			if err := a.addDemoConnection(ctx, tenant, src); err != nil {
				return err
			}
			toSync = append(toSync, src.ID)
		}
	} else {
		for _, c := range existing {
			if c.State == mesh.StateNew && isDemoSource(c.ID) {
				toSync = append(toSync, c.ID)
			}
		}
	}
	if len(toSync) == 0 {
		return nil
	}
	if err := a.consumers.ensure(tenant); err != nil {
		return err
	}
	job, err := a.jobs.Submit(ctx, tenant, "onboard", "demo", onboardArgs{Connections: toSync, Reason: "demo onboarded"})
	if err != nil {
		return fmt.Errorf("demo onboarding job: %w", err)
	}
	a.log.Info("demo tenant onboarding", "tenant", tenant.String(), "connections", toSync, "job", job.ID)
	return nil
}

func isDemoSource(id string) bool {
	for _, s := range data.Sources {
		if s.ID == id {
			return true
		}
	}
	return false
}

// addDemoConnection adds one demo source's connection (an existing one of
// that id is kept) and switches its Safe Mode off.
func (a *app) addDemoConnection(ctx context.Context, tenant tenancy.ID, src data.Source) error {
	raw, err := a.fileConfigFor(tenant, []byte(fmt.Sprintf(`{"path": %q, "system": %q}`, src.ID, src.System)))
	if err != nil {
		return fmt.Errorf("demo connection %s: %w", src.ID, err)
	}
	_, err = a.mesh.AddConnection(ctx, mesh.Connection{Tenant: tenant, ID: src.ID, Name: src.Name, Kind: filesource.Kind, Config: mesh.NewSourceConfig(raw)})
	if err != nil && !errors.Is(err, mesh.ErrExists) {
		return fmt.Errorf("demo connection %s: %w", src.ID, err)
	}
	if err := a.mesh.SetSafeMode(ctx, tenant, src.ID, false, demoActor); err != nil {
		return fmt.Errorf("demo connection %s: safe mode: %w", src.ID, err)
	}
	return nil
}
