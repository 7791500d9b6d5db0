package main

import (
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"time"

	"github.com/autonomos/autonomos/aam"
	"github.com/autonomos/autonomos/aam/connectors/filesource"
	"github.com/autonomos/autonomos/aam/mesh"
	"github.com/autonomos/autonomos/drift"
	"github.com/autonomos/autonomos/repair"
	"github.com/autonomos/autonomos/tenancy"
)

// sourcesDir is where a tenant's file sources live: file connections may
// only read below it, so that no tenant can point hostd at another
// tenant's files or at the server's own.
func (a *app) sourcesDir(tenant tenancy.ID) string {
	return filepath.Join(a.cfg.DataDir, "sources", tenant.String())
}

func (a *app) connectionRoutes() []route {
	return []route{
		{method: "GET", path: "/api/v1/connections", out: struct {
			Connections []mesh.Connection `json:"connections"`
		}{}, tag: "connections", summary: "The tenant's connections, secrets masked.", auth: true, ok: 200, handler: a.handle(a.listConnections)},
		{method: "POST", path: "/api/v1/connections", in: connectionRequest{}, out: mesh.Connection{}, tag: "connections", summary: "Create a connection (kind \"file\": config.path relative to the tenant's sources directory).", auth: true, body: "{id, name?, kind, config}", ok: 201, errors: []int{400, 409, 413}, handler: a.handle(a.createConnection)},
		{method: "GET", path: "/api/v1/connections/{id}", out: mesh.Connection{}, tag: "connections", summary: "One connection with its health and pending proposals, secrets masked.", auth: true, ok: 200, errors: []int{404}, handler: a.handle(a.getConnection)},
		{method: "POST", path: "/api/v1/connections/{id}/sync", out: Job{}, tag: "connections", summary: "Start a sync as a job; poll the job for its stats.", auth: true, ok: 202, errors: []int{404}, handler: a.handle(a.syncConnection)},
		{method: "POST", path: "/api/v1/connections/heal", tag: "connections", summary: "Sync the tenant's failed and degraded connections again, as a job.", auth: true, ok: 202, handler: a.handle(a.healConnections)},
		{method: "PUT", path: "/api/v1/connections/{id}/safe-mode", tag: "connections", summary: "Switch Safe Mode (every repair waits for a person) on or off.", auth: true, body: "{on}", in: safeModeRequest{}, out: safeModeRequest{}, ok: 200, errors: []int{400, 404, 413}, handler: a.handle(a.setSafeMode)},
		{method: "GET", path: "/api/v1/connections/{id}/dead-records", tag: "connections", summary: "Records a sync could not turn into events, with where and why (limit: 1..1000, default 100).", auth: true, out: struct {
			Records []mesh.DeadRecord `json:"records"`
		}{}, ok: 200, errors: []int{400, 404}, handler: a.handle(a.deadRecords)},
		{method: "PATCH", path: "/api/v1/connections/{id}", in: connectionPatch{}, out: mesh.Connection{}, tag: "connections", summary: "Change a connection's name, configuration (kind \"file\": config.path relative to the tenant's sources directory; a secret sent back as \"***\" keeps its stored value) or Safe Mode; applies from the next sync on.", auth: true, body: "{name?, config?, safe_mode?}", ok: 200, errors: []int{400, 404, 413}, handler: a.handle(a.patchConnection)},
		{method: "DELETE", path: "/api/v1/connections/{id}", tag: "connections", summary: "Delete a connection with its cursors and dead records. Its mappings (with their history), review items and drift history stay as the audit trail, and the rows it brought stay in the warehouse; a connection added again under the same id reuses its mappings and reads every object from the start (writes are idempotent). 409 while it syncs.", auth: true, ok: 204, errors: []int{404, 409}, handler: a.handle(a.deleteConnection)},
		{method: "POST", path: "/api/v1/connections/{id}/test", out: connectionTest{}, tag: "connections", summary: "Check that the source answers with the connection's configuration, without syncing; a failing check is 200 with ok false and the reason (secrets masked).", auth: true, ok: 200, errors: []int{404}, handler: a.handle(a.testConnection)},
		{method: "GET", path: "/api/v1/connections/{id}/discover", out: struct {
			Objects []aam.ObjectInfo `json:"objects"`
		}{}, tag: "connections", summary: "The source's objects with their schemas (declared or inferred from a sample), without syncing or recording anything.", auth: true, ok: 200, errors: []int{404, 502}, handler: a.handle(a.discoverConnection)},
		{method: "GET", path: "/api/v1/connections/{id}/health", out: connectionHealth{}, tag: "connections", summary: "How the connection's syncs fare: health, state, objects waiting for a person, pending reviews, dead records.", auth: true, ok: 200, errors: []int{404}, handler: a.handle(a.connectionHealth)},
		{method: "GET", path: "/api/v1/jobs/{id}", out: Job{}, tag: "jobs", summary: "A job's status and result.", auth: true, ok: 200, errors: []int{404}, handler: a.handle(a.getJob)},
	}
}

type connectionRequest struct {
	ID     string          `json:"id"`
	Name   string          `json:"name,omitempty"`
	Kind   string          `json:"kind"`
	Config json.RawMessage `json:"config,omitempty"`
}

// fileConfigFor confines a file connection's "path" (relative) to the
// tenant's sources directory and returns the configuration with the
// absolute path.
func (a *app) fileConfigFor(tenant tenancy.ID, raw json.RawMessage) (json.RawMessage, error) {
	cfg := map[string]any{}
	if len(raw) > 0 {
		if err := json.Unmarshal(raw, &cfg); err != nil {
			return nil, badRequest("config: not a JSON object")
		}
	}
	p, _ := cfg["path"].(string)
	if p == "" {
		p = "."
	}
	if !filepath.IsLocal(p) && p != "." {
		return nil, badRequest("config.path: must be a relative path inside the tenant's sources directory (no '..', not absolute)")
	}
	dir := a.sourcesDir(tenant)
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, fmt.Errorf("create sources directory: %w", err)
	}
	cfg["path"] = filepath.Join(dir, p)
	return json.Marshal(cfg)
}

func (a *app) createConnection(w http.ResponseWriter, r *http.Request) error {
	tenant, err := tenancy.FromContext(r.Context())
	if err != nil {
		return err
	}
	var req connectionRequest
	if err := decodeJSON(r, &req); err != nil {
		return err
	}
	if req.Kind != filesource.Kind {
		return badRequest("kind: %q is not enabled in hostd yet (enabled: %q)", req.Kind, filesource.Kind)
	}
	raw, err := a.fileConfigFor(tenant, req.Config)
	if err != nil {
		return err
	}
	c, err := a.mesh.AddConnection(r.Context(), mesh.Connection{
		Tenant: tenant, ID: req.ID, Name: req.Name, Kind: req.Kind, Config: mesh.NewSourceConfig(raw),
	})
	if err != nil {
		return err
	}
	// A tenant's first connection starts its DCL consumer (a no-op when
	// it runs already).
	if err := a.consumers.ensure(tenant); err != nil {
		a.log.WarnContext(r.Context(), "start DCL consumer", "tenant", tenant.String(), "err", err)
	}
	w.Header().Set("Location", "/api/v1/connections/"+c.ID)
	return writeJSON(w, http.StatusCreated, c.Redacted())
}

func (a *app) listConnections(w http.ResponseWriter, r *http.Request) error {
	tenant, err := tenancy.FromContext(r.Context())
	if err != nil {
		return err
	}
	cs, err := a.mesh.Connections(r.Context(), tenant)
	if err != nil {
		return err
	}
	out := make([]mesh.Connection, 0, len(cs))
	for _, c := range cs {
		out = append(out, c.Redacted())
	}
	return writeJSON(w, http.StatusOK, map[string]any{"connections": out})
}

func (a *app) getConnection(w http.ResponseWriter, r *http.Request) error {
	tenant, err := tenancy.FromContext(r.Context())
	if err != nil {
		return err
	}
	c, err := a.mesh.Connection(r.Context(), tenant, r.PathValue("id"))
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, c.Redacted())
}

// syncConnection starts a sync as a job and answers 202 with it.
func (a *app) syncConnection(w http.ResponseWriter, r *http.Request) error {
	tenant, err := tenancy.FromContext(r.Context())
	if err != nil {
		return err
	}
	id := r.PathValue("id")
	if _, err := a.mesh.Connection(r.Context(), tenant, id); err != nil {
		return err
	}
	job, err := a.jobs.Submit(r.Context(), tenant, "sync", id, syncArgs{Connection: id})
	if err != nil {
		return err
	}
	w.Header().Set("Location", "/api/v1/jobs/"+job.ID)
	return writeJSON(w, http.StatusAccepted, job)
}

func (a *app) getJob(w http.ResponseWriter, r *http.Request) error {
	tenant, err := tenancy.FromContext(r.Context())
	if err != nil {
		return err
	}
	j, err := a.jobs.Get(r.Context(), tenant, r.PathValue("id"))
	if errors.Is(err, errJobNotFound) {
		return &httpError{Status: http.StatusNotFound, Detail: "no such resource"}
	}
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, j)
}

// classifyMesh maps the mesh's errors; classify calls it.
func classifyMesh(err error) (int, string, bool) {
	var ce *mesh.ConnectionError
	switch {
	case errors.Is(err, mesh.ErrNotFound):
		return http.StatusNotFound, "no such resource", true
	case errors.Is(err, mesh.ErrExists):
		return http.StatusConflict, "a connection with this id exists already", true
	case errors.Is(err, mesh.ErrSyncInProgress):
		return http.StatusConflict, "a sync of this connection is running already", true
	case errors.As(err, &ce), errors.Is(err, mesh.ErrInvalidConnection):
		// A ConnectionError names the field; the configuration's secrets
		// are scrubbed by the mesh.
		return http.StatusBadRequest, err.Error(), true
	}
	return 0, "", false
}

func (a *app) healConnections(w http.ResponseWriter, r *http.Request) error {
	tenant, err := tenancy.FromContext(r.Context())
	if err != nil {
		return err
	}
	job, err := a.jobs.Submit(r.Context(), tenant, "heal", "", struct{}{})
	if err != nil {
		return err
	}
	w.Header().Set("Location", "/api/v1/jobs/"+job.ID)
	return writeJSON(w, http.StatusAccepted, job)
}

type safeModeRequest struct {
	On *bool `json:"on"`
}

func (a *app) setSafeMode(w http.ResponseWriter, r *http.Request) error {
	tenant, err := tenancy.FromContext(r.Context())
	if err != nil {
		return err
	}
	var req safeModeRequest
	if err := decodeJSON(r, &req); err != nil {
		return err
	}
	if req.On == nil {
		return badRequest("on: required (true or false)")
	}
	who, err := actor(r)
	if err != nil {
		return err
	}
	if err := a.mesh.SetSafeMode(r.Context(), tenant, r.PathValue("id"), *req.On, who); err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, req)
}

func (a *app) deadRecords(w http.ResponseWriter, r *http.Request) error {
	tenant, err := tenancy.FromContext(r.Context())
	if err != nil {
		return err
	}
	limit := 100
	if l := r.URL.Query().Get("limit"); l != "" {
		n, err := strconv.Atoi(l)
		if err != nil || n < 1 || n > 1000 {
			return badRequest("query parameter limit: %q is not a number from 1 to 1000", l)
		}
		limit = n
	}
	id := r.PathValue("id")
	if _, err := a.mesh.Connection(r.Context(), tenant, id); err != nil {
		return err
	}
	recs, err := a.mesh.DeadRecords(r.Context(), tenant, id, limit)
	if err != nil {
		return err
	}
	if recs == nil {
		recs = []mesh.DeadRecord{}
	}
	return writeJSON(w, http.StatusOK, map[string]any{"records": recs})
}

// connectionPatch is the body of PATCH /api/v1/connections/{id}; absent
// fields are left as they are.
type connectionPatch struct {
	Name     *string         `json:"name,omitempty"`
	Config   json.RawMessage `json:"config,omitempty"`
	SafeMode *bool           `json:"safe_mode,omitempty"`
}

func (a *app) patchConnection(w http.ResponseWriter, r *http.Request) error {
	tenant, err := tenancy.FromContext(r.Context())
	if err != nil {
		return err
	}
	var req connectionPatch
	if err := decodeJSON(r, &req); err != nil {
		return err
	}
	id := r.PathValue("id")
	c, err := a.mesh.Connection(r.Context(), tenant, id)
	if err != nil {
		return err
	}
	if req.Name == nil && req.Config == nil && req.SafeMode == nil {
		return badRequest("nothing to change: give name, config or safe_mode")
	}
	u := mesh.ConnectionUpdate{Name: req.Name}
	if req.Config != nil {
		if c.Kind != filesource.Kind {
			return badRequest("config: connections of kind %q cannot be changed in hostd yet", c.Kind)
		}
		raw, err := a.fileConfigFor(tenant, req.Config)
		if err != nil {
			return err
		}
		sc := mesh.NewSourceConfig(raw)
		u.Config = &sc
	}
	if req.SafeMode != nil {
		who, err := actor(r)
		if err != nil {
			return err
		}
		if err := a.mesh.SetSafeMode(r.Context(), tenant, id, *req.SafeMode, who); err != nil {
			return err
		}
	}
	if u.Name != nil || u.Config != nil {
		if c, err = a.mesh.UpdateConnection(r.Context(), tenant, id, u); err != nil {
			return err
		}
	} else if c, err = a.mesh.Connection(r.Context(), tenant, id); err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, c)
}

func (a *app) deleteConnection(w http.ResponseWriter, r *http.Request) error {
	tenant, err := tenancy.FromContext(r.Context())
	if err != nil {
		return err
	}
	if err := a.mesh.DeleteConnection(r.Context(), tenant, r.PathValue("id")); err != nil {
		return err
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}

// connectionTest is the answer of a connection test.
type connectionTest struct {
	OK bool `json:"ok"`
	// Error says why the check failed, secrets masked.
	Error string `json:"error,omitempty"`
}

func (a *app) testConnection(w http.ResponseWriter, r *http.Request) error {
	tenant, err := tenancy.FromContext(r.Context())
	if err != nil {
		return err
	}
	err = a.mesh.Test(r.Context(), tenant, r.PathValue("id"))
	switch {
	case err == nil:
		return writeJSON(w, http.StatusOK, connectionTest{OK: true})
	case errors.Is(err, mesh.ErrNotFound), r.Context().Err() != nil:
		return err
	}
	// The mesh masks the configuration's secrets in its errors.
	return writeJSON(w, http.StatusOK, connectionTest{OK: false, Error: err.Error()})
}

func (a *app) discoverConnection(w http.ResponseWriter, r *http.Request) error {
	tenant, err := tenancy.FromContext(r.Context())
	if err != nil {
		return err
	}
	objs, err := a.mesh.Discover(r.Context(), tenant, r.PathValue("id"))
	switch {
	case err == nil:
	case errors.Is(err, mesh.ErrNotFound), r.Context().Err() != nil:
		return err
	default:
		// The source did not answer: a bad gateway, with the mesh's
		// message (secrets masked).
		return &httpError{Status: http.StatusBadGateway, Detail: err.Error()}
	}
	if objs == nil {
		objs = []aam.ObjectInfo{}
	}
	return writeJSON(w, http.StatusOK, map[string]any{"objects": objs})
}

// connectionHealth is a connection's health as the console shows it.
type connectionHealth struct {
	ID       string         `json:"id"`
	State    mesh.State     `json:"state"`
	SafeMode bool           `json:"safe_mode"`
	Health   mesh.Health    `json:"health"`
	Pending  []string       `json:"pending_proposals"`
	Reviews  int            `json:"pending_reviews"`
	Dead     int            `json:"dead_records"`
	Drift    int            `json:"drift_events"`
	Latest   *time.Time     `json:"last_drift_at,omitempty"`
	Severity drift.Severity `json:"last_drift_severity,omitempty"`
}

func (a *app) connectionHealth(w http.ResponseWriter, r *http.Request) error {
	tenant, err := tenancy.FromContext(r.Context())
	if err != nil {
		return err
	}
	id := r.PathValue("id")
	c, err := a.mesh.Connection(r.Context(), tenant, id)
	if err != nil {
		return err
	}
	out := connectionHealth{ID: c.ID, State: c.State, SafeMode: c.SafeMode, Health: c.Health, Pending: []string{}}
	for _, p := range c.Pending {
		out.Pending = append(out.Pending, p.Object)
	}
	reviews, err := a.registry.Reviews(tenancy.WithTenant(r.Context(), tenant), repair.ReviewFilter{Status: repair.ReviewPending, Connection: id})
	if err != nil {
		return err
	}
	out.Reviews = len(reviews)
	dead, err := a.mesh.DeadRecords(r.Context(), tenant, id, 0)
	if err != nil {
		return err
	}
	out.Dead = len(dead)
	evs, err := a.mesh.DriftEvents(r.Context(), tenant, id, 0)
	if err != nil {
		return err
	}
	out.Drift = len(evs)
	if len(evs) > 0 {
		at := evs[0].DetectedAt
		out.Latest, out.Severity = &at, evs[0].Severity
	}
	return writeJSON(w, http.StatusOK, out)
}
