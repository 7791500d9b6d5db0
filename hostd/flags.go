package main

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"path/filepath"

	"github.com/autonomos/autonomos/flags"
	"github.com/autonomos/autonomos/flags/memflags"
	"github.com/autonomos/autonomos/flags/redisflags"
	"github.com/autonomos/autonomos/tenancy"
)

// flagsPart holds the feature flags.
type flagsPart struct {
	flagStore flags.Store
}

// flagCatalog is the flags hostd knows (flags.Standard) with the defaults
// its settings give: USE_AAM_AS_SOURCE from the setting of that name.
func flagCatalog(cfg Config) (*flags.Catalog, error) {
	known := flags.Standard()
	for i := range known {
		if known[i].Name == flags.UseAAMAsSource {
			known[i].Default = cfg.UseAAMAsSource
		}
	}
	return flags.NewCatalog(known...)
}

// openFlags opens the flag store: a Redis hash per tenant, broadcast to
// every replica, in server mode; a file in the data directory otherwise.
func (a *app) openFlags(context.Context) error {
	cat, err := flagCatalog(a.cfg)
	if err != nil {
		return fmt.Errorf("feature flags: %w", err)
	}
	if a.rdb != nil {
		s, err := redisflags.New(a.rdb, cat, &redisflags.Config{Logger: a.log})
		if err != nil {
			return fmt.Errorf("feature flags: %w", err)
		}
		a.flagStore = s
		return nil
	}
	s, err := memflags.Open(cat, filepath.Join(a.cfg.DataDir, "flags.json"))
	if err != nil {
		return fmt.Errorf("feature flags: %w", err)
	}
	a.flagStore = s
	return nil
}

// closeFlags closes it.
func (a *app) closeFlags() {
	if a.flagStore != nil {
		_ = a.flagStore.Close()
	}
}

// flagsList is the answer of GET /api/v1/flags.
type flagsList struct {
	Flags []flags.State `json:"flags"`
}

// flagSet is the body of PUT /api/v1/flags/{name}.
type flagSet struct {
	On *bool `json:"on"`
}

// flagChanged is the data of a "flag.changed" event.
type flagChanged struct {
	Name string `json:"name"`
	On   bool   `json:"on"`
}

// flagRoutes are the feature-flag routes.
func (a *app) flagRoutes() []route {
	return []route{
		{method: "GET", path: "/api/v1/flags", out: flagsList{}, tag: "flags", auth: true, ok: 200, errors: []int{503},
			summary: "The tenant's feature flags: every known flag with its description, default, value and whether the tenant set it.",
			handler: a.handle(a.listFlags)},
		{method: "PUT", path: "/api/v1/flags/{name}", in: flagSet{}, out: flags.State{}, tag: "flags", auth: true, body: "{on: true|false}", ok: 200, errors: []int{400, 404, 413, 503},
			summary: "Set a feature flag for the tenant (seen by every replica at once); an unknown flag is 404. Sends a flag.changed event.",
			handler: a.handle(a.setFlag)},
	}
}

// flagProblem maps the flag store's errors onto problems.
func flagProblem(err error) error {
	switch {
	case errors.Is(err, flags.ErrUnknownFlag):
		// The message names the flag asked for and the known ones.
		return &httpError{Status: http.StatusNotFound, Detail: err.Error()}
	case errors.Is(err, flags.ErrUnavailable), errors.Is(err, flags.ErrClosed):
		return &httpError{Status: http.StatusServiceUnavailable, Detail: "feature flags are unavailable right now; retry shortly"}
	}
	return err
}

func (a *app) listFlags(w http.ResponseWriter, r *http.Request) error {
	tenant, err := tenancy.FromContext(r.Context())
	if err != nil {
		return err
	}
	states, err := a.flagStore.List(r.Context(), tenant)
	if err != nil {
		return flagProblem(err)
	}
	return writeJSON(w, http.StatusOK, flagsList{Flags: states})
}

func (a *app) setFlag(w http.ResponseWriter, r *http.Request) error {
	tenant, err := tenancy.FromContext(r.Context())
	if err != nil {
		return err
	}
	name := r.PathValue("name")
	if _, err := a.flagStore.Catalog().Lookup(name); err != nil {
		return flagProblem(err)
	}
	var req flagSet
	if err := decodeJSON(r, &req); err != nil {
		return err
	}
	if req.On == nil {
		return badRequest("request body: field \"on\" (true or false) is required")
	}
	if err := a.flagStore.Set(r.Context(), tenant, name, *req.On); err != nil {
		return flagProblem(err)
	}
	a.emit(r.Context(), tenant, "flag.changed", flagChanged{Name: name, On: *req.On})
	states, err := a.flagStore.List(r.Context(), tenant)
	if err != nil {
		return flagProblem(err)
	}
	for _, s := range states {
		if s.Name == name {
			return writeJSON(w, http.StatusOK, s)
		}
	}
	return fmt.Errorf("flag %s set but not listed", name)
}

// flagEnabled reports whether flag name (one of flags.Standard) is on for
// tenant. It never fails its caller: when the store cannot answer it logs
// and returns the flag's default.
func (a *app) flagEnabled(ctx context.Context, tenant tenancy.ID, name string) bool {
	if a.flagStore == nil {
		return false
	}
	on, err := a.flagStore.Enabled(ctx, tenant, name)
	if err == nil {
		return on
	}
	f, lerr := a.flagStore.Catalog().Lookup(name)
	if lerr != nil {
		a.log.ErrorContext(ctx, "feature flag read by hostd is not in the catalog", "flag", name)
		return false
	}
	a.log.WarnContext(ctx, "feature flag unreadable; using its default", "flag", name, "tenant", tenant, "default", f.Default, "err", err)
	return f.Default
}
