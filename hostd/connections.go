package main

import (
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"strconv"

	"github.com/autonomos/autonomos/aam/connectors/filesource"
	"github.com/autonomos/autonomos/aam/mesh"
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
