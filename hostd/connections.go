package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"github.com/jackc/pgx/v5/pgconn"

	"github.com/autonomos/autonomos/aam"
	"github.com/autonomos/autonomos/aam/connectors/airbyte"
	"github.com/autonomos/autonomos/aam/connectors/filesource"
	"github.com/autonomos/autonomos/aam/connectors/mongodb"
	"github.com/autonomos/autonomos/aam/connectors/postgres"
	"github.com/autonomos/autonomos/aam/connectors/salesforce"
	"github.com/autonomos/autonomos/aam/egress"
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
		{method: "POST", path: "/api/v1/connections", in: connectionRequest{}, out: mesh.Connection{}, tag: "connections", summary: "Create a connection of any connector kind (file, postgres, mongodb, salesforce, airbyte; 400 lists them for an unknown kind). Kind \"file\": config.path relative to the tenant's sources directory. Other kinds: the configuration is checked (400 names the field) and its hosts must pass the server's egress policy (HOSTD_EGRESS_ALLOW; 400 names the refused address and why); secrets are never shown back.", auth: true, body: "{id, name?, kind, config}", ok: 201, errors: []int{400, 409, 413}, handler: a.handle(a.createConnection)},
		{method: "GET", path: "/api/v1/connections/{id}", out: mesh.Connection{}, tag: "connections", summary: "One connection with its health and pending proposals, secrets masked.", auth: true, ok: 200, errors: []int{404}, handler: a.handle(a.getConnection)},
		{method: "POST", path: "/api/v1/connections/{id}/sync", out: Job{}, tag: "connections", summary: "Start a sync as a job; poll the job for its stats.", auth: true, ok: 202, errors: []int{404}, handler: a.handle(a.syncConnection)},
		{method: "POST", path: "/api/v1/connections/heal", tag: "connections", summary: "Sync the tenant's failed and degraded connections again, as a job.", auth: true, ok: 202, handler: a.handle(a.healConnections)},
		{method: "PUT", path: "/api/v1/connections/{id}/safe-mode", tag: "connections", summary: "Switch Safe Mode (every repair waits for a person) on or off.", auth: true, body: "{on}", in: safeModeRequest{}, out: safeModeRequest{}, ok: 200, errors: []int{400, 404, 413}, handler: a.handle(a.setSafeMode)},
		{method: "GET", path: "/api/v1/connections/{id}/dead-records", tag: "connections", summary: "Records a sync could not turn into events, with where and why (limit: 1..1000, default 100).", auth: true, out: struct {
			Records []mesh.DeadRecord `json:"records"`
		}{}, ok: 200, errors: []int{400, 404}, handler: a.handle(a.deadRecords)},
		{method: "PATCH", path: "/api/v1/connections/{id}", in: connectionPatch{}, out: mesh.Connection{}, tag: "connections", summary: "Change a connection's name, configuration (checked as at creation; kind \"file\": config.path relative to the tenant's sources directory; a secret sent back as \"***\" or \"[redacted]\" keeps its stored value, unless the connection's hosts change, which needs the secrets again) or Safe Mode; applies from the next sync on.", auth: true, body: "{name?, config?, safe_mode?}", ok: 200, errors: []int{400, 404, 413}, handler: a.handle(a.patchConnection)},
		{method: "DELETE", path: "/api/v1/connections/{id}", tag: "connections", summary: "Delete a connection with its cursors and dead records. Its mappings (with their history), review items and drift history stay as the audit trail, and the rows it brought stay in the warehouse; a connection added again under the same id reuses its mappings and reads every object from the start (writes are idempotent). 409 while it syncs.", auth: true, ok: 204, errors: []int{404, 409}, handler: a.handle(a.deleteConnection)},
		{method: "POST", path: "/api/v1/connections/{id}/test", out: connectionTest{}, tag: "connections", summary: "Check that the source answers with the connection's configuration, without syncing, through the egress guard and within a time limit; a failing check (unreachable, refused by the egress policy, too slow) is 200 with ok false and the reason (secrets masked).", auth: true, ok: 200, errors: []int{404}, handler: a.handle(a.testConnection)},
		{method: "GET", path: "/api/v1/connections/{id}/discover", out: struct {
			Objects []aam.ObjectInfo `json:"objects"`
		}{}, tag: "connections", summary: "The source's objects with their schemas (declared or inferred from a sample), without syncing or recording anything, within a time limit; 400 when the egress policy refuses the source's address, 502 when the source fails or is too slow.", auth: true, ok: 200, errors: []int{400, 404, 502}, handler: a.handle(a.discoverConnection)},
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
	if !slices.Contains(a.connectors.Kinds(), req.Kind) {
		return badRequest("kind: %q is not a connector kind of hostd (kinds: %s)", req.Kind, strings.Join(a.connectors.Kinds(), ", "))
	}
	raw, err := a.configFor(r.Context(), tenant, req.Kind, req.Config, nil)
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
	limit, err := limitParam(r, 100)
	if err != nil {
		return err
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
		// c is redacted: its configuration is what a client read, the
		// reference for secrets sent back masked.
		raw, err := a.configFor(r.Context(), tenant, c.Kind, req.Config, c.Config.Redacted())
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
	return writeJSON(w, http.StatusOK, c.Redacted())
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
	ctx, cancel := context.WithTimeout(r.Context(), a.checkTimeout())
	defer cancel()
	err = a.mesh.Test(ctx, tenant, r.PathValue("id"))
	switch {
	case err == nil:
		return writeJSON(w, http.StatusOK, connectionTest{OK: true})
	case errors.Is(err, mesh.ErrNotFound), r.Context().Err() != nil:
		return err
	}
	// The mesh masks the configuration's secrets in its errors; an egress
	// refusal names the address and why.
	return writeJSON(w, http.StatusOK, connectionTest{OK: false, Error: a.checkFailure(ctx, err)})
}

// checkTimeout bounds a connection's test or discovery: within the
// handler's own limit, so that the answer says the source was slow
// rather than the request timing out.
func (a *app) checkTimeout() time.Duration {
	return max(a.cfg.HandlerTimeout*2/3, time.Second)
}

// checkFailure says why a test or discovery failed: the mesh's message
// (secrets masked), or that the source did not answer in time.
func (a *app) checkFailure(ctx context.Context, err error) string {
	if errors.Is(ctx.Err(), context.DeadlineExceeded) {
		return fmt.Sprintf("the source did not answer within %s (%s)", a.checkTimeout(), err)
	}
	return err.Error()
}

func (a *app) discoverConnection(w http.ResponseWriter, r *http.Request) error {
	tenant, err := tenancy.FromContext(r.Context())
	if err != nil {
		return err
	}
	ctx, cancel := context.WithTimeout(r.Context(), a.checkTimeout())
	defer cancel()
	objs, err := a.mesh.Discover(ctx, tenant, r.PathValue("id"))
	switch {
	case err == nil:
	case errors.Is(err, mesh.ErrNotFound), r.Context().Err() != nil:
		return err
	case refusedByEgress(err):
		// The configuration points where this server may not go.
		return badRequest("%s", err.Error())
	default:
		// The source did not answer: a bad gateway, with the mesh's
		// message (secrets masked).
		return &httpError{Status: http.StatusBadGateway, Detail: a.checkFailure(ctx, err)}
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

// connectorRegistry returns the connector kinds hostd enables. Every
// network connector dials through d, the egress guard, so that no
// tenant's configuration reaches an address the policy refuses, at test,
// discovery or sync (the mesh opens connectors from this registry). A
// kind registered in aam but not here stays disabled: it would dial
// unguarded.
func connectorRegistry(d *egress.Dialer) *aam.Registry {
	r := &aam.Registry{}
	// Files are read below the tenant's sources directory (configFor);
	// they dial nothing.
	r.Register(filesource.Kind, func(raw json.RawMessage) (aam.Connector, error) {
		return aam.Open(filesource.Kind, raw)
	})
	r.Register(postgres.Kind, postgres.Factory(d.DialContext))
	r.Register(mongodb.Kind, mongodb.Factory(d.DialContext))
	r.Register(salesforce.Kind, salesforce.Factory(d.DialContext))
	r.Register(airbyte.Kind, airbyte.Factory(d.DialContext))
	return r
}

// configFor checks a connection's configuration as a tenant sent it and
// returns what to store. A file connection's path is confined to the
// tenant's sources directory. Any other kind's configuration must open
// (a *aam.ConfigError is a 400 naming the field), may not use the
// server's own files or credentials, and its hosts must pass the egress
// policy. stored is the redacted view of the configuration a PATCH
// replaces (nil at creation): a secret sent back masked ("***" or
// "[redacted]") where that view shows it masked keeps the stored value
// (the mesh swaps it in), but only while the hosts stay the same, so
// that a stored secret is never sent somewhere new.
func (a *app) configFor(ctx context.Context, tenant tenancy.ID, kind string, raw, stored json.RawMessage) (json.RawMessage, error) {
	if kind == filesource.Kind {
		return a.fileConfigFor(tenant, raw)
	}
	cfg, ok := decodeObject(raw)
	if !ok {
		return nil, badRequest("config: not a JSON object")
	}
	var old map[string]any
	if stored != nil {
		old, _ = decodeObject(stored)
	}
	var kept []string
	if _, err := keepMasked(cfg, old, "config", &kept); err != nil {
		return nil, err
	}
	norm, err := json.Marshal(cfg)
	if err != nil {
		return nil, fmt.Errorf("encode connection config: %w", err)
	}
	// Settings naming the server's files are refused before the
	// connector is opened: opening may read them already.
	field, hosts, err := configHosts(kind, cfg)
	if err != nil {
		return nil, err
	}
	if err := a.openConfig(kind, norm, kept); err != nil {
		return nil, err
	}
	for _, h := range hosts {
		if err := a.checkEgress(ctx, field, h); err != nil {
			return nil, err
		}
	}
	if len(kept) > 0 {
		_, before, _ := configHosts(kind, old)
		slices.Sort(before)
		slices.Sort(hosts)
		if !slices.Equal(before, hosts) {
			return nil, badRequest("config.%s: the hosts change while %s is sent back masked: send the secrets again with the new hosts",
				field, strings.Join(kept, ", "))
		}
	}
	return norm, nil
}

// decodeObject decodes a JSON object, numbers kept as written.
func decodeObject(raw json.RawMessage) (map[string]any, bool) {
	dec := json.NewDecoder(strings.NewReader(string(raw)))
	dec.UseNumber()
	var m map[string]any
	if err := dec.Decode(&m); err != nil || m == nil {
		return nil, false
	}
	return m, true
}

// looksMasked reports whether s is, or holds, the mask of a secret: what
// hostd ("***") or a connector ("[redacted]") shows in its place.
func looksMasked(s string) bool {
	return s == mesh.Mask || s == aam.Redacted ||
		strings.Contains(s, ":"+mesh.Mask+"@") || strings.Contains(s, ":"+aam.Redacted+"@")
}

// keepMasked walks a configuration n beside the redacted view r of the
// stored one. A masked string equal (with "[redacted]" read as "***") to
// the view at the same place becomes that view's value, which the mesh
// replaces with the stored secret; its path is added to kept. Any other
// masked string is a 400: no secret is stored there to keep.
func keepMasked(n, r any, path string, kept *[]string) (any, error) {
	switch nv := n.(type) {
	case string:
		if !looksMasked(nv) {
			return nv, nil
		}
		norm := strings.ReplaceAll(nv, aam.Redacted, mesh.Mask)
		if rv, ok := r.(string); ok && rv == norm && strings.Contains(rv, mesh.Mask) {
			*kept = append(*kept, path)
			return norm, nil
		}
		return nil, badRequest("%s: holds the mask shown in place of a secret, but no secret is stored there (or the rest of the value changed): give the secret itself", path)
	case map[string]any:
		rm, _ := r.(map[string]any)
		for k, v := range nv {
			x, err := keepMasked(v, rm[k], path+"."+k, kept)
			if err != nil {
				return nil, err
			}
			nv[k] = x
		}
	case []any:
		ra, _ := r.([]any)
		for i, v := range nv {
			var rv any
			if i < len(ra) {
				rv = ra[i]
			}
			x, err := keepMasked(v, rv, fmt.Sprintf("%s[%d]", path, i), kept)
			if err != nil {
				return nil, err
			}
			nv[i] = x
		}
	}
	return n, nil
}

// openConfig opens and closes a connector with raw to check it; opening
// reaches no source. A field whose value was sent back masked is not
// judged: the mask stands for the stored value, checked when it was set.
func (a *app) openConfig(kind string, raw json.RawMessage, kept []string) error {
	conn, err := a.connectors.Open(kind, raw)
	if err == nil {
		return conn.Close()
	}
	secrets := mesh.NewSourceConfig(raw).Secrets()
	scrub := func(s string) string {
		for _, sec := range secrets {
			s = strings.ReplaceAll(s, sec, mesh.Mask)
		}
		return s
	}
	var ce *aam.ConfigError
	if !errors.As(err, &ce) {
		return badRequest("config: %s", scrub(err.Error()))
	}
	if ce.Field != "" && slices.Contains(kept, "config."+ce.Field) {
		return nil
	}
	msg := ce.Reason
	if ce.Err != nil {
		msg += ": " + ce.Err.Error()
	}
	if ce.Field == "" {
		return badRequest("config: %s", scrub(msg))
	}
	return badRequest("config.%s: %s", ce.Field, scrub(msg))
}

// unixHost stands for a Unix socket among a configuration's hosts.
const unixHost = "(unix socket)"

// configHosts returns the configuration field that names the source's
// hosts, and those hosts, for the egress check made when a connection is
// saved (the dial checks again). It refuses, as a 400 naming the field,
// settings that would make the connector use the server's own files,
// environment or cloud credentials.
func configHosts(kind string, cfg map[string]any) (string, []string, error) {
	str := func(k string) string { s, _ := cfg[k].(string); return s }
	switch kind {
	case postgres.Kind:
		hosts, err := postgresHosts(str("url"))
		return "url", hosts, err
	case mongodb.Kind:
		hosts, err := mongoHosts(str("uri"))
		return "uri", hosts, err
	case salesforce.Kind:
		u := str("login_url")
		if u == "" {
			u = "https://login.salesforce.com"
		}
		return "login_url", urlHost(u), nil
	case airbyte.Kind:
		return "base_url", urlHost(str("base_url")), nil
	}
	return "", nil, nil
}

func urlHost(s string) []string {
	u, err := url.Parse(s)
	if err != nil || u.Hostname() == "" {
		return nil
	}
	return []string{u.Hostname()}
}

// postgresParams are the URL parameters a tenant may not set: they name
// the server's files (.pgpass, service files, TLS keys and roots) or
// hosts outside the URL's authority.
var postgresParams = []string{"host", "hostaddr", "password", "passfile", "service", "servicefile", "sslkey", "sslcert", "sslrootcert", "sslcrl", "sslpassword"}

// postgresHosts returns the hosts of a PostgreSQL URL, which must be a
// postgres:// URL naming its hosts: a key=value DSN would show its
// password unmasked, and a URL without a host would take the server's
// PGHOST.
func postgresHosts(s string) ([]string, error) {
	lower := strings.ToLower(s)
	if !strings.HasPrefix(lower, "postgres://") && !strings.HasPrefix(lower, "postgresql://") {
		return nil, badRequest("config.url: must be a postgres://user:password@host:port/database URL (a key=value DSN is not accepted: its password could not be masked)")
	}
	rest := s[strings.Index(s, "://")+3:]
	authority, query := rest, ""
	if i := strings.IndexAny(rest, "/?"); i >= 0 {
		authority = rest[:i]
	}
	if i := strings.IndexByte(rest, '?'); i >= 0 {
		query = rest[i+1:]
	}
	if i := strings.LastIndexByte(authority, '@'); i >= 0 {
		authority = authority[i+1:]
	}
	if authority == "" || strings.HasPrefix(authority, ":") {
		return nil, badRequest("config.url: must name the host (the server's own PGHOST is not used)")
	}
	q, err := url.ParseQuery(query)
	if err != nil {
		return nil, badRequest("config.url: the query parameters cannot be read")
	}
	for k := range q {
		if slices.Contains(postgresParams, strings.ToLower(k)) {
			return nil, badRequest("config.url: parameter %q is not allowed (it would use the server's files or another host; put hosts and the password in the URL's authority)", k)
		}
	}
	pc, err := pgconn.ParseConfig(s)
	if err != nil {
		return nil, badRequest("config.url: cannot be parsed")
	}
	hosts := []string{pc.Host}
	for _, f := range pc.Fallbacks {
		hosts = append(hosts, f.Host)
	}
	for i, h := range hosts {
		if strings.HasPrefix(h, "/") {
			hosts[i] = unixHost
		}
	}
	return slices.Compact(hosts), nil
}

// mongoHosts returns the hosts of a MongoDB URI (the SRV name of a
// mongodb+srv:// one). Options that use the server's files or its cloud
// or Kerberos credentials are refused.
func mongoHosts(s string) ([]string, error) {
	_, rest, ok := strings.Cut(s, "://")
	if !ok {
		return nil, nil // the connector's own check has said what is wrong
	}
	authority, query := rest, ""
	if i := strings.IndexAny(rest, "/?"); i >= 0 {
		authority = rest[:i]
	}
	if i := strings.IndexByte(rest, '?'); i >= 0 {
		query = rest[i+1:]
	}
	if i := strings.LastIndexByte(authority, '@'); i >= 0 {
		authority = authority[i+1:]
	}
	q, err := url.ParseQuery(query)
	if err != nil {
		return nil, badRequest("config.uri: the options cannot be read")
	}
	for k, vs := range q {
		lk := strings.ToLower(k)
		if strings.Contains(lk, "file") {
			return nil, badRequest("config.uri: option %q is not allowed (it names a file of the server)", k)
		}
		if strings.HasPrefix(lk, "proxy") {
			return nil, badRequest("config.uri: option %q is not allowed (a proxy would dial past the egress policy)", k)
		}
		if lk == "authmechanism" {
			for _, v := range vs {
				switch strings.ToUpper(v) {
				case "MONGODB-AWS", "MONGODB-OIDC", "GSSAPI":
					return nil, badRequest("config.uri: authMechanism %s is not allowed (it would use the server's own cloud or Kerberos credentials)", v)
				}
			}
		}
	}
	var hosts []string
	for _, h := range strings.Split(authority, ",") {
		if h == "" {
			continue
		}
		if u, err := url.PathUnescape(h); err == nil && strings.HasPrefix(u, "/") {
			hosts = append(hosts, unixHost)
			continue
		}
		if host, _, err := net.SplitHostPort(h); err == nil {
			h = host
		}
		hosts = append(hosts, strings.Trim(h, "[]"))
	}
	return hosts, nil
}

// checkEgress refuses, as a 400 naming the field, a host the egress
// policy refuses. Names are resolved with a short time limit; one that
// does not resolve now is left to the dial, which checks every address.
func (a *app) checkEgress(ctx context.Context, field, host string) error {
	if host == unixHost {
		if a.cfg.Egress.AllowLoopback {
			return nil
		}
		return badRequest("config.%s: egress: refused to dial a Unix socket (this server itself); %s", field, egressHint)
	}
	ctx, cancel := context.WithTimeout(ctx, 2*time.Second)
	defer cancel()
	if err := a.cfg.Egress.CheckHost(ctx, nil, host); err != nil {
		return badRequest("config.%s: %s", field, err.Error())
	}
	return nil
}

// refusedByEgress reports whether a connector failed because the egress
// guard refused its address. Some connectors keep only the text of the
// driver's error, so the text is read too.
func refusedByEgress(err error) bool {
	return errors.Is(err, egress.ErrRefused) || strings.Contains(err.Error(), "egress: refused to dial")
}
