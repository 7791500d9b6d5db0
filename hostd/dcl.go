package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"net/http"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/autonomos/autonomos/aam/mesh"
	"github.com/autonomos/autonomos/aam/stream"
	"github.com/autonomos/autonomos/canonical"
	"github.com/autonomos/autonomos/dcl"
	"github.com/autonomos/autonomos/dcl/driver"
	"github.com/autonomos/autonomos/dcl/duckstore"
	"github.com/autonomos/autonomos/dcl/pgstore"
	"github.com/autonomos/autonomos/dcl/telemetry"
	"github.com/autonomos/autonomos/dcl/telemetry/memtelemetry"
	"github.com/autonomos/autonomos/dcl/telemetry/redistelemetry"
	"github.com/autonomos/autonomos/flags"
	"github.com/autonomos/autonomos/nlp"
	"github.com/autonomos/autonomos/repair"
	"github.com/autonomos/autonomos/tenancy"
)

// sourceFlag is the per-tenant flag that says where the DCL reads its
// events from (mesh.SourceFlag).
const sourceFlag = flags.UseAAMAsSource

// dclGroup is the consumer group of the DCL on each tenant's stream.
const dclGroup = "dcl"

// dclPart is the DCL of the app: the warehouse, its engine, the feed
// between the mesh and the warehouse, the per-tenant stream consumers and
// the LLM telemetry.
//
// Where the events come from (USE_AAM_AS_SOURCE, a per-tenant flag that
// may change at run time) is decided in one place, per published batch,
// by dclFeed, the publisher the mesh is given:
//
//   - flag on: the batch is appended to the tenant's AAM stream, and the
//     tenant's DCL consumer (group "dcl") materializes it. The stream
//     acknowledges an event only after the warehouse committed it.
//   - flag off: the batch is materialized directly (dcl.Engine.Materialize,
//     the same path the stream handler takes) and never reaches the
//     stream.
//
// Either way Publish returns only once the events are stored (in the
// stream or in the warehouse), and the mesh saves a batch's cursor only
// after Publish returned: nothing is lost, whatever the flag does
// between two batches. Each batch takes exactly one of the two paths, so
// nothing is written twice on purpose; what at-least-once delivery
// replays (a redelivery, a sync that crashed before saving its cursor)
// is absorbed by the warehouse's idempotent, newest-wins upserts. The
// consumers run whatever the flag says: after the flag goes off they
// still drain what the stream holds, and they cost nothing while it is
// empty.
type dclPart struct {
	warehouse *dcl.Warehouse
	engine    *dcl.Engine
	telemetry *telemetry.Recorder
	consumers *consumerSet
	// writeLocks serializes this process's writes of one tenant (a DuckDB
	// write-write conflict would only fail the batch and retry it).
	writeLocks sync.Map // tenancy.ID -> *sync.Mutex
	// runLocks serializes DCL runs of one tenant.
	runLocks sync.Map // tenancy.ID -> *sync.Mutex
	// pending counts, per tenant, events this process published to the
	// stream that its consumer has not handled yet (dcl.run waits for it).
	pending sync.Map // tenancy.ID -> *atomic.Int64
	// rejected counts events the warehouse refused on the direct path.
	rejected atomic.Int64
}

// dclRunWait bounds how long a DCL run waits for the stream consumer to
// catch up before it builds the graph from what is stored.
const dclRunWait = 30 * time.Second

// openDCL opens the warehouse (DuckDB under the data directory, or the
// shared PostgreSQL), the engine and the telemetry, registers the
// "dcl.run" job and starts a stream consumer for every tenant that has
// connections.
func (a *app) openDCL(ctx context.Context) error {
	var (
		d   driver.Warehouse
		err error
	)
	switch a.cfg.Warehouse {
	case "", "duckdb":
		path := filepath.Join(a.cfg.DataDir, "warehouse.duckdb")
		if d, err = duckstore.Open(path, nil); err != nil {
			return fmt.Errorf("open DuckDB warehouse %s: %w", path, err)
		}
	case "postgres":
		if a.pg == nil {
			return errors.New("WAREHOUSE=postgres needs server mode (DATABASE_URL or SUPABASE_DATABASE_URL)")
		}
		// The tables are made by pgstore.Migrate, run as their owner at
		// deployment; Open refuses an owner or superuser role, under which
		// row-level security would not bind.
		if d, err = pgstore.Open(ctx, a.pg); err != nil {
			return fmt.Errorf("open PostgreSQL warehouse: %w", err)
		}
	default:
		return fmt.Errorf("WAREHOUSE: %q is neither duckdb nor postgres", a.cfg.Warehouse)
	}
	w, err := dcl.New(d, &dcl.Config{Ontology: a.ontology, Logger: a.log})
	if err != nil {
		_ = d.Close()
		return fmt.Errorf("warehouse: %w", err)
	}
	a.warehouse = w
	if a.engine, err = dcl.NewEngine(w, &dcl.EngineConfig{Logger: a.log}); err != nil {
		return fmt.Errorf("DCL engine: %w", err)
	}
	var td telemetry.Driver = memtelemetry.New()
	if a.rdb != nil {
		td = redistelemetry.New(a.rdb)
	}
	if a.telemetry, err = telemetry.New(td); err != nil {
		return fmt.Errorf("LLM telemetry: %w", err)
	}
	a.registerJob("dcl.run", func(ctx context.Context, tenant tenancy.ID, raw json.RawMessage) (any, error) {
		var in dclRunArgs
		if len(raw) > 0 {
			if err := json.Unmarshal(raw, &in); err != nil {
				return nil, fmt.Errorf("dcl.run job arguments: %w", err)
			}
		}
		if in.Reason == "" {
			in.Reason = "dcl.run"
		}
		return a.runDCL(ctx, tenant, in.Reason)
	})
	a.registerJob("onboard", a.onboardJob)
	a.consumers = newConsumerSet(a)
	tenants, err := a.accounts.tenantIDs(ctx)
	if err != nil {
		return err
	}
	for _, tenant := range tenants {
		cs, err := a.mesh.Connections(ctx, tenant)
		if err != nil {
			return fmt.Errorf("connections of tenant %s: %w", tenant, err)
		}
		if len(cs) > 0 {
			if err := a.consumers.ensure(tenant); err != nil {
				return err
			}
		}
	}
	return nil
}

// closeDCL stops the consumers (each finishes and acknowledges the batch
// it is handling) and closes the warehouse.
func (a *app) closeDCL() {
	if a.consumers != nil {
		a.consumers.close()
	}
	if a.warehouse != nil {
		if err := a.warehouse.Close(); err != nil {
			a.log.Warn("close warehouse", "err", err)
		}
	}
}

// dclFeed wraps the mesh's stream publisher; see dclPart.
func (a *app) dclFeed(stream mesh.Publisher) mesh.Publisher { return &dclFeed{a: a, stream: stream} }

type dclFeed struct {
	a      *app
	stream mesh.Publisher
}

// Publish sends each tenant's events to the stream or the warehouse,
// as the tenant's USE_AAM_AS_SOURCE flag says now.
func (f *dclFeed) Publish(ctx context.Context, events ...canonical.Event) error {
	for len(events) > 0 {
		// The mesh publishes one connection's batch, so one tenant; split
		// anyway rather than trust it.
		tenant := events[0].Tenant
		n := 1
		for n < len(events) && events[n].Tenant == tenant {
			n++
		}
		if err := f.publish(ctx, tenant, events[:n]); err != nil {
			return err
		}
		events = events[n:]
	}
	return nil
}

func (f *dclFeed) publish(ctx context.Context, tenant tenancy.ID, events []canonical.Event) error {
	a := f.a
	if a.engine == nil || a.flagEnabled(ctx, tenant, sourceFlag) {
		if a.consumers != nil {
			if err := a.consumers.ensure(tenant); err != nil {
				// The stream keeps the events for the consumer the
				// next run or start makes.
				a.log.WarnContext(ctx, "start DCL consumer", "tenant", tenant.String(), "err", err)
			}
		}
		p := a.pendingOf(tenant)
		p.Add(int64(len(events)))
		if err := f.stream.Publish(ctx, events...); err != nil {
			var pe *stream.PublishError
			if errors.As(err, &pe) {
				p.Add(-int64(pe.Total - pe.Published))
			} else {
				p.Add(-int64(len(events)))
			}
			return err
		}
		return nil
	}
	return a.materialize(ctx, tenant, events)
}

// materialize is the direct path (flag off): the batch is committed
// before the mesh saves its cursor. Events the warehouse refuses (they do
// not fit the ontology) are logged, counted and kept as dead records of
// their connection (kind "warehouse", GET
// /api/v1/connections/{id}/dead-records) before it returns; the stream
// path dead-letters the same events (GET /api/v1/dead-letters). When
// they cannot be kept the batch fails, and the mesh tries it again from
// its cursor (the committed events are written again, idempotently).
func (a *app) materialize(ctx context.Context, tenant tenancy.ID, events []canonical.Event) error {
	mu := a.writeLock(tenant)
	mu.Lock()
	err := a.engine.Materialize(ctx, tenant, events)
	mu.Unlock()
	var rej *dcl.RejectedEventsError
	if !errors.As(err, &rej) {
		return err
	}
	var (
		n     int
		conns []string
		dead  = map[string][]mesh.DeadRecord{}
	)
	for i, e := range rej.Errs {
		if e == nil || i >= len(events) {
			continue
		}
		ev := &events[i]
		n++
		a.log.WarnContext(ctx, "DCL refused an event", "tenant", tenant.String(), "event", ev.ID,
			"connection", ev.Source.ConnectionID, "object", ev.Source.Object, "err", e)
		c := ev.Source.ConnectionID
		if _, ok := dead[c]; !ok {
			conns = append(conns, c)
		}
		dead[c] = append(dead[c], mesh.DeadRecord{Object: ev.Source.Object, Ref: refusedRef(ev),
			Kind: mesh.DeadWarehouse, Reason: refusalReason(e)})
	}
	a.rejected.Add(int64(n))
	for _, c := range conns {
		err := a.mesh.AddDeadRecords(ctx, tenant, c, dead[c])
		if errors.Is(err, mesh.ErrNotFound) {
			// Not a connection of the tenant (an event published by other
			// means, or its connection deleted since): nowhere to keep it
			// but the log above.
			a.log.WarnContext(ctx, "refused events of no connection", "tenant", tenant.String(), "connection", c, "count", len(dead[c]))
			continue
		}
		if err != nil {
			return fmt.Errorf("keep %d events the warehouse refused: %w", len(dead[c]), err)
		}
	}
	return nil
}

// refusedRef locates a refused event's record for a person: its key in
// the source, or the event's id when it has none.
func refusedRef(e *canonical.Event) string {
	if e.SourceKey != "" {
		return e.SourceKey
	}
	return "event " + e.ID
}

// refusalReason is why the warehouse refused an event, naming the field;
// the event id the error also carries is left out (the record's ref and
// object say which record it is).
func refusalReason(err error) string {
	var ie *dcl.InvalidEventError
	if !errors.As(err, &ie) {
		return err.Error()
	}
	if ie.Field != "" {
		return "field " + ie.Field + ": " + ie.Reason
	}
	return ie.Reason
}

// ensureTenant makes sure the tenant's tables and views exist. DuckDB
// reports concurrent DDL on one schema as a write-write conflict, so it
// runs under the tenant's write lock (the warehouse remembers tenants it
// prepared, so this costs a map lookup after the first time).
func (a *app) ensureTenant(ctx context.Context, tenant tenancy.ID) error {
	mu := a.writeLock(tenant)
	mu.Lock()
	defer mu.Unlock()
	return a.warehouse.EnsureTenant(ctx, tenant)
}

func (a *app) writeLock(tenant tenancy.ID) *sync.Mutex {
	mu, _ := a.writeLocks.LoadOrStore(tenant, &sync.Mutex{})
	return mu.(*sync.Mutex)
}

func (a *app) pendingOf(tenant tenancy.ID) *atomic.Int64 {
	p, _ := a.pending.LoadOrStore(tenant, &atomic.Int64{})
	return p.(*atomic.Int64)
}

// consumerSet runs one DCL stream consumer per tenant until closed.
type consumerSet struct {
	a      *app
	ctx    context.Context
	cancel context.CancelFunc
	wg     sync.WaitGroup

	mu     sync.Mutex
	closed bool
	subs   map[tenancy.ID]*stream.Subscriber
	// subscribe makes a tenant's subscriber; nil is app.newSubscriber.
	// Tests set it (under mu) to a subscriber that redelivers and
	// dead-letters sooner than the default's 5 deliveries 30 s apart.
	subscribe func(ctx context.Context, tenant tenancy.ID, group string) (*stream.Subscriber, error)
}

func newConsumerSet(a *app) *consumerSet {
	ctx, cancel := context.WithCancel(context.Background())
	return &consumerSet{a: a, ctx: ctx, cancel: cancel, subs: map[tenancy.ID]*stream.Subscriber{}}
}

// ensure starts the tenant's consumer unless it runs already.
func (cs *consumerSet) ensure(tenant tenancy.ID) error {
	cs.mu.Lock()
	defer cs.mu.Unlock()
	if cs.closed {
		return dcl.ErrClosed
	}
	if _, ok := cs.subs[tenant]; ok {
		return nil
	}
	subscribe := cs.subscribe
	if subscribe == nil {
		subscribe = cs.a.newSubscriber
	}
	sub, err := subscribe(cs.ctx, tenant, dclGroup)
	if err != nil {
		return fmt.Errorf("DCL consumer of tenant %s: %w", tenant, err)
	}
	cs.subs[tenant] = sub
	cs.wg.Add(1)
	go cs.run(tenant, sub)
	return nil
}

func (cs *consumerSet) running(tenant tenancy.ID) bool {
	cs.mu.Lock()
	defer cs.mu.Unlock()
	_, ok := cs.subs[tenant]
	return ok
}

// run consumes until the set is closed; a Run that fails (the stream's
// backend went away) is started again after a pause.
func (cs *consumerSet) run(tenant tenancy.ID, sub *stream.Subscriber) {
	defer cs.wg.Done()
	a := cs.a
	handle := a.engine.Handler(tenant)
	pending := a.pendingOf(tenant)
	h := func(ctx context.Context, events []canonical.Event) error {
		mu := a.writeLock(tenant)
		mu.Lock()
		err := handle(ctx, events)
		mu.Unlock()
		var be *stream.BatchError
		switch {
		case err == nil:
			decrementFloor(pending, len(events))
		case errors.As(err, &be):
			// The refused events go back to the stream and end as
			// dead letters; they are no longer waited for.
			decrementFloor(pending, len(events))
		}
		return err
	}
	for {
		err := sub.Run(cs.ctx, h)
		if cs.ctx.Err() != nil {
			return
		}
		if err == nil {
			return // closed
		}
		a.log.Warn("DCL consumer stopped; restarting", "tenant", tenant.String(), "err", err)
		select {
		case <-cs.ctx.Done():
			return
		case <-time.After(time.Second):
		}
	}
}

func decrementFloor(p *atomic.Int64, n int) {
	for {
		cur := p.Load()
		next := max(cur-int64(n), 0)
		if p.CompareAndSwap(cur, next) {
			return
		}
	}
}

// close closes every subscriber (each finishes its batch) and waits.
func (cs *consumerSet) close() {
	cs.mu.Lock()
	cs.closed = true
	subs := cs.subs
	cs.subs = map[tenancy.ID]*stream.Subscriber{}
	cs.mu.Unlock()
	for _, s := range subs {
		_ = s.Close()
	}
	done := make(chan struct{})
	go func() { cs.wg.Wait(); close(done) }()
	select {
	case <-done:
	case <-time.After(10 * time.Second):
		cs.a.log.Warn("DCL consumers did not stop in time; canceling")
	}
	cs.cancel()
	<-done
}

// dclRunArgs are the arguments of a "dcl.run" job.
type dclRunArgs struct {
	// Reason says why the DCL runs; it is the graph.changed event's.
	Reason string `json:"reason,omitempty"`
}

// dclAfterMeshEvent runs the DCL (a job) after each finished sync of a
// tenant whose DCL_AUTO_RUN flag is on, so that views and graph follow
// the sources without anyone asking. Runs of one tenant are serialized,
// and a run that finds nothing new saves no graph version.
func (a *app) dclAfterMeshEvent(ctx context.Context, e mesh.Event) {
	if e.Kind != mesh.EventSyncFinished || a.jobs == nil || !a.flagEnabled(ctx, e.Tenant, flags.DCLAutoRun) {
		return
	}
	if _, err := a.jobs.Submit(context.WithoutCancel(ctx), e.Tenant, "dcl.run", "", dclRunArgs{Reason: "synced " + e.Connection}); err != nil {
		a.log.WarnContext(ctx, "DCL run after sync", "tenant", e.Tenant.String(), "connection", e.Connection, "err", err)
	}
}

// dclRunResult is the result of a "dcl.run" job.
type dclRunResult struct {
	// GraphVersion is the tenant's graph version after the run.
	GraphVersion int64 `json:"graph_version"`
	// GraphChanged reports that the run saved a new graph version.
	GraphChanged bool `json:"graph_changed"`
	// PendingEvents counts events published to the stream that the
	// consumer had not stored when the run gave up waiting (0 normally).
	PendingEvents int64 `json:"pending_events"`
	// Source is where the tenant's events come from: "aam" or "legacy".
	Source string `json:"source"`
}

// runDCL materializes what is pending (with the flag on: waits, bounded,
// for the tenant's consumer to store what was published), makes sure the
// tenant's tables and unified views exist, builds the graph from the
// warehouse and saves it when it changed (a new version, so versions only
// grow), announcing "graph.changed".
func (a *app) runDCL(ctx context.Context, tenant tenancy.ID, reason string) (dclRunResult, error) {
	mu, _ := a.runLocks.LoadOrStore(tenant, &sync.Mutex{})
	mu.(*sync.Mutex).Lock()
	defer mu.(*sync.Mutex).Unlock()
	res := dclRunResult{Source: mesh.SourceLegacy.String()}
	p := a.pendingOf(tenant)
	if a.flagEnabled(ctx, tenant, sourceFlag) || p.Load() > 0 {
		if a.flagEnabled(ctx, tenant, sourceFlag) {
			res.Source = mesh.SourceAAM.String()
		}
		if err := a.consumers.ensure(tenant); err != nil {
			return res, err
		}
		deadline := time.Now().Add(dclRunWait)
		for p.Load() > 0 && time.Now().Before(deadline) {
			select {
			case <-ctx.Done():
				return res, ctx.Err()
			case <-time.After(20 * time.Millisecond):
			}
		}
		res.PendingEvents = p.Load()
	}
	if err := a.ensureTenant(ctx, tenant); err != nil {
		return res, fmt.Errorf("warehouse tables and views: %w", err)
	}
	conf, err := a.mappingConfidence(ctx, tenant)
	if err != nil {
		return res, err
	}
	g, err := a.warehouse.BuildGraph(ctx, tenant, &dcl.GraphConfig{Confidence: conf})
	if err != nil {
		return res, err
	}
	saved, changed, err := dcl.SyncGraph(ctx, a.graphs, tenant, g)
	if err != nil {
		return res, err
	}
	res.GraphVersion, res.GraphChanged = saved.Version, changed
	if changed {
		a.emit(ctx, tenant, "graph.changed", graphChanged{Version: saved.Version, Reason: reason})
	}
	return res, nil
}

// mappingConfidence returns, for the graph's maps_to edges, the mean
// confidence of the mapped fields of each (connection, object) from the
// registry's current mappings, rounded to two places so that the graph
// changes only with the mapping.
func (a *app) mappingConfidence(ctx context.Context, tenant tenancy.ID) (func(canonical.Source, string) float64, error) {
	tctx := tenancy.WithTenant(ctx, tenant)
	cs, err := a.mesh.Connections(ctx, tenant)
	if err != nil {
		return nil, err
	}
	conf := map[[2]string]float64{}
	for _, c := range cs {
		keys, err := a.registry.Mappings(tctx, c.ID)
		if err != nil {
			return nil, fmt.Errorf("mappings of %s: %w", c.ID, err)
		}
		for _, k := range keys {
			v, err := a.registry.Current(tctx, k)
			if errors.Is(err, repair.ErrNotFound) {
				continue
			}
			if err != nil {
				return nil, fmt.Errorf("mapping %s/%s: %w", k.Connection, k.Object, err)
			}
			sum, n := 0.0, 0
			for _, f := range v.Mapping.Fields {
				if f.Target != "" {
					sum += f.Confidence
					n++
				}
			}
			if n > 0 {
				conf[[2]string{k.Connection, k.Object}] = math.Round(sum/float64(n)*100) / 100
			}
		}
	}
	return func(src canonical.Source, _ string) float64 { return conf[[2]string{src.ConnectionID, src.Object}] }, nil
}

// onMappingChanged is called after a person changed a mapping (approved a
// proposal or a review): the connection is synced again, then (with
// DCL_AUTO_RUN on, the default) the DCL runs, both as one job, so that
// the change shows in the views and the graph.
func (a *app) onMappingChanged(ctx context.Context, tenant tenancy.ID, connection, object string) {
	if a.jobs == nil {
		return
	}
	args := onboardArgs{Connections: []string{connection}, Reason: "mapping changed: " + connection + "/" + object,
		SkipDCL: !a.flagEnabled(ctx, tenant, flags.DCLAutoRun)}
	if _, err := a.jobs.Submit(context.WithoutCancel(ctx), tenant, "onboard", connection, args); err != nil {
		a.log.WarnContext(ctx, "resync after mapping change", "tenant", tenant.String(), "connection", connection, "err", err)
	}
}

// onboardArgs are the arguments of an "onboard" job: sync these
// connections one after the other, then run the DCL.
type onboardArgs struct {
	Connections []string `json:"connections"`
	Reason      string   `json:"reason,omitempty"`
	// SkipDCL syncs only.
	SkipDCL bool `json:"skip_dcl,omitempty"`
}

type onboardResult struct {
	Syncs map[string]mesh.Stats `json:"syncs"`
	// Errors holds each failed sync's message (secrets masked).
	Errors map[string]string `json:"errors,omitempty"`
	DCL    *dclRunResult     `json:"dcl,omitempty"`
}

// onboardJob syncs the connections, then runs the DCL whatever the syncs
// did (a failed connection keeps what it had). A sync already running is
// waited for, since its data must be in before the DCL runs.
func (a *app) onboardJob(ctx context.Context, tenant tenancy.ID, raw json.RawMessage) (any, error) {
	var in onboardArgs
	if err := json.Unmarshal(raw, &in); err != nil {
		return nil, fmt.Errorf("onboard job arguments: %w", err)
	}
	res := onboardResult{Syncs: map[string]mesh.Stats{}}
	for _, id := range in.Connections {
		var (
			st  mesh.Stats
			err error
		)
		for {
			st, err = a.runSync(ctx, tenant, id)
			if !errors.Is(err, mesh.ErrSyncInProgress) {
				break
			}
			select {
			case <-ctx.Done():
				return res, ctx.Err()
			case <-time.After(100 * time.Millisecond):
			}
		}
		res.Syncs[id] = st
		if err != nil {
			if ctx.Err() != nil {
				return res, ctx.Err()
			}
			if res.Errors == nil {
				res.Errors = map[string]string{}
			}
			res.Errors[id] = err.Error()
		}
	}
	if in.SkipDCL {
		return res, nil
	}
	reason := in.Reason
	if reason == "" {
		reason = "onboard"
	}
	d, err := a.runDCL(ctx, tenant, reason)
	res.DCL = &d
	return res, err
}

// ---- routes ---------------------------------------------------------------

// resolvedEntities have the <entity>_members and <entity>_unified views.
var resolvedEntities = []string{"account", "contact", "lead"}

// viewInfo is one table or view of the tenant's warehouse.
type viewInfo struct {
	Name string `json:"name"`
	// Kind is "table" (one per ontology entity), "members" or "unified".
	Kind   string `json:"kind"`
	Entity string `json:"entity"`
	// Rows counts the live rows (tombstones left out of tables).
	Rows int64 `json:"rows"`
}

// queryJSON is a query's answer.
type queryJSON struct {
	Columns   []string `json:"columns"`
	Rows      [][]any  `json:"rows"`
	Truncated bool     `json:"truncated"`
}

type queryRequest struct {
	SQL string `json:"sql"`
}

type summaryJSON struct {
	Persona nlp.Persona  `json:"persona"`
	AsOf    time.Time    `json:"as_of"`
	Figures []figureJSON `json:"figures"`
	Text    string       `json:"text"`
}

type figureJSON struct {
	Name  string `json:"name"`
	Label string `json:"label"`
	Value string `json:"value"`
	Unit  string `json:"unit"`
}

type telemetryJSON struct {
	Models map[string]telemetry.Usage `json:"models"`
	Total  telemetry.Usage            `json:"total"`
}

// dclRoutes are the DCL's routes: run, views, query, persona summary,
// telemetry, drift events.
func (a *app) dclRoutes() []route {
	return []route{
		{method: "POST", path: "/api/v1/dcl/run", out: Job{}, tag: "dcl", summary: "Run the DCL as a job: store what the stream still holds for the tenant, build the unified views and the graph, save the graph when it changed (graph.changed).", auth: true, ok: 202, handler: a.handle(a.postDCLRun)},
		{method: "GET", path: "/api/v1/dcl/views", out: struct {
			Views []viewInfo `json:"views"`
		}{}, tag: "dcl", summary: "The tenant's warehouse tables (one per entity) and unified views, with row counts.", auth: true, ok: 200, handler: a.handle(a.listViews)},
		{method: "GET", path: "/api/v1/dcl/views/{name}", out: queryJSON{}, tag: "dcl", summary: "Rows of one table or view of the tenant (limit: 1..1000, default 100).", auth: true, ok: 200, errors: []int{400, 404}, handler: a.handle(a.viewRows)},
		{method: "POST", path: "/api/v1/dcl/query", in: queryRequest{}, out: queryJSON{}, tag: "dcl", summary: "Run one read-only SELECT over the tenant's own tables and views, with a timeout and a row cap; anything else is 400 with the reason.", auth: true, body: "{sql}", ok: 200, errors: []int{400, 413, 503}, handler: a.handle(a.postQuery)},
		{method: "GET", path: "/api/v1/nlp/summary/{persona}", out: summaryJSON{}, tag: "nlp", summary: "The persona's figures (cro, cfo, coo, cto) from the tenant's warehouse and connections.", auth: true, ok: 200, errors: []int{400}, handler: a.handle(a.personaSummary)},
		{method: "GET", path: "/api/v1/telemetry", out: telemetryJSON{}, tag: "ops", summary: "The tenant's LLM calls and tokens by model.", auth: true, ok: 200, handler: a.handle(a.getTelemetry)},
		{method: "GET", path: "/api/v1/drift/events", out: struct {
			Events []mesh.DriftRecord `json:"events"`
		}{}, tag: "connections", summary: "Schema drift of the tenant's sources, newest first (connection, limit: 1..1000, default 100): what changed, when, how severe, and what repair did (applied, queued, decided).", auth: true, ok: 200, errors: []int{400, 404}, handler: a.handle(a.driftEvents)},
	}
}

func (a *app) postDCLRun(w http.ResponseWriter, r *http.Request) error {
	tenant, err := tenancy.FromContext(r.Context())
	if err != nil {
		return err
	}
	job, err := a.jobs.Submit(r.Context(), tenant, "dcl.run", "", struct{}{})
	if err != nil {
		return err
	}
	w.Header().Set("Location", "/api/v1/jobs/"+job.ID)
	return writeJSON(w, http.StatusAccepted, job)
}

// views lists the tenant's tables and views with their live row counts,
// in one query.
func (a *app) views(ctx context.Context, tenant tenancy.ID) ([]viewInfo, error) {
	if err := a.ensureTenant(ctx, tenant); err != nil {
		return nil, err
	}
	var out []viewInfo
	for _, t := range a.warehouse.Tables() {
		out = append(out, viewInfo{Name: t.Entity, Kind: "table", Entity: t.Entity})
		if slices.Contains(resolvedEntities, t.Entity) {
			out = append(out, viewInfo{Name: t.Entity + "_members", Kind: "members", Entity: t.Entity},
				viewInfo{Name: t.Entity + "_unified", Kind: "unified", Entity: t.Entity})
		}
	}
	q := ""
	for i, v := range out {
		if i > 0 {
			q += " UNION ALL "
		}
		where := ""
		if v.Kind == "table" {
			where = " WHERE NOT _deleted"
		}
		q += fmt.Sprintf("SELECT %d AS i, CAST(count(*) AS BIGINT) AS n FROM %s%s", i, v.Name, where)
	}
	res, err := a.warehouse.Query(ctx, tenant, q)
	if err != nil {
		return nil, fmt.Errorf("count rows: %w", err)
	}
	for _, row := range res.Rows {
		i, ok1 := toInt64(row[0])
		n, ok2 := toInt64(row[1])
		if ok1 && ok2 && i >= 0 && int(i) < len(out) {
			out[i].Rows = n
		}
	}
	return out, nil
}

func toInt64(v any) (int64, bool) {
	switch x := v.(type) {
	case int64:
		return x, true
	case int32:
		return int64(x), true
	case int:
		return int64(x), true
	case uint64:
		return int64(x), true
	case float64:
		return int64(x), true
	}
	n, err := strconv.ParseInt(fmt.Sprint(v), 10, 64)
	return n, err == nil
}

func (a *app) listViews(w http.ResponseWriter, r *http.Request) error {
	tenant, err := tenancy.FromContext(r.Context())
	if err != nil {
		return err
	}
	vs, err := a.views(r.Context(), tenant)
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, map[string]any{"views": vs})
}

func (a *app) viewRows(w http.ResponseWriter, r *http.Request) error {
	tenant, err := tenancy.FromContext(r.Context())
	if err != nil {
		return err
	}
	limit, err := limitParam(r, 100)
	if err != nil {
		return err
	}
	name := r.PathValue("name")
	known := false
	for _, t := range a.warehouse.Tables() {
		if name == t.Entity || slices.Contains(resolvedEntities, t.Entity) && (name == t.Entity+"_members" || name == t.Entity+"_unified") {
			known = true
		}
	}
	if !known {
		return &httpError{Status: http.StatusNotFound, Detail: "no such resource"}
	}
	if err := a.ensureTenant(r.Context(), tenant); err != nil {
		return err
	}
	// name is one of the known relation names, never user text.
	res, err := a.warehouse.Query(r.Context(), tenant, fmt.Sprintf("SELECT * FROM %s LIMIT %d", name, limit))
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, resultJSON(res))
}

// limitParam reads ?limit= in 1..1000.
func limitParam(r *http.Request, def int) (int, error) {
	l := r.URL.Query().Get("limit")
	if l == "" {
		return def, nil
	}
	n, err := strconv.Atoi(l)
	if err != nil || n < 1 || n > 1000 {
		return 0, badRequest("query parameter limit: %q is not a number from 1 to 1000", l)
	}
	return n, nil
}

func resultJSON(res *driver.Result) queryJSON {
	out := queryJSON{Columns: res.Columns, Rows: res.Rows, Truncated: res.Truncated}
	if out.Columns == nil {
		out.Columns = []string{}
	}
	if out.Rows == nil {
		out.Rows = [][]any{}
	}
	return out
}

func (a *app) postQuery(w http.ResponseWriter, r *http.Request) error {
	tenant, err := tenancy.FromContext(r.Context())
	if err != nil {
		return err
	}
	var req queryRequest
	if err := decodeJSON(r, &req); err != nil {
		return err
	}
	if err := a.ensureTenant(r.Context(), tenant); err != nil {
		return err
	}
	res, err := a.warehouse.Query(r.Context(), tenant, req.SQL)
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, resultJSON(res))
}

// classifyDCL maps the DCL's errors; classify calls it.
func classifyDCL(err error) (int, string, bool) {
	var qr *dcl.QueryRefusedError
	switch {
	case errors.As(err, &qr):
		// Its text names only what the caller wrote.
		detail := "query refused: " + qr.Reason
		if d := strings.TrimSpace(qr.Detail); d != "" {
			detail += ": " + d
		}
		return http.StatusBadRequest, detail, true
	case errors.Is(err, dcl.ErrQueryTimeout):
		return http.StatusServiceUnavailable, "the query ran longer than the warehouse's query timeout", true
	}
	return 0, "", false
}

func (a *app) personaSummary(w http.ResponseWriter, r *http.Request) error {
	tenant, err := tenancy.FromContext(r.Context())
	if err != nil {
		return err
	}
	p, err := nlp.ParsePersona(r.PathValue("persona"))
	if err != nil {
		return err
	}
	s, err := nlp.Summarize(r.Context(), &dclFigures{a: a}, tenant, p, time.Now().UTC())
	if err != nil {
		return err
	}
	out := summaryJSON{Persona: s.Persona, AsOf: s.AsOf, Figures: []figureJSON{}, Text: s.String()}
	for _, f := range s.Figures {
		out.Figures = append(out.Figures, figureJSON{Name: f.Name, Label: f.Label, Value: f.Value.String(), Unit: f.Unit})
	}
	return writeJSON(w, http.StatusOK, out)
}

func (a *app) getTelemetry(w http.ResponseWriter, r *http.Request) error {
	tenant, err := tenancy.FromContext(r.Context())
	if err != nil {
		return err
	}
	t, err := a.telemetry.Totals(r.Context(), tenant)
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, telemetryJSON{Models: t, Total: t.Sum()})
}

// recordLLMUsage counts an answer's LLM call in the telemetry of the
// tenant in ctx. It never fails the request: telemetry is a view, not the
// record.
func (a *app) recordLLMUsage(ctx context.Context, ans *nlp.Answer) {
	tenant, err := tenancy.FromContext(ctx)
	if ans == nil || ans.Mode != nlp.AnswerLLM || a.telemetry == nil || err != nil {
		return
	}
	a.countLLM("ask", int64(ans.Tokens.Prompt), int64(ans.Tokens.Completion))
	if err := a.telemetry.Record(ctx, tenant, a.cfg.OpenAIModel, int64(ans.Tokens.Prompt), int64(ans.Tokens.Completion)); err != nil {
		a.log.WarnContext(ctx, "record LLM telemetry", "tenant", tenant.String(), "err", err)
	}
}

// advisorUsage counts the mapping advisor's LLM calls (repair's
// OpenAIAdvisor) in the tenant's telemetry. The advisor is made before the
// DCL opens, so it reads a.telemetry when a call is made. Answers from the
// advisor's cache are no LLM call and are not counted.
type advisorUsage struct{ a *app }

func (u advisorUsage) RecordUsage(ctx context.Context, tenant tenancy.ID, x repair.Usage) {
	if x.Calls == 0 || u.a.telemetry == nil {
		return
	}
	u.a.countLLM("mapping_advisor", x.PromptTokens, x.CompletionTokens)
	if err := u.a.telemetry.Record(ctx, tenant, u.a.cfg.OpenAIModel, x.PromptTokens, x.CompletionTokens); err != nil {
		u.a.log.WarnContext(ctx, "record LLM telemetry", "tenant", tenant.String(), "err", err)
	}
}

func (a *app) driftEvents(w http.ResponseWriter, r *http.Request) error {
	tenant, err := tenancy.FromContext(r.Context())
	if err != nil {
		return err
	}
	limit, err := limitParam(r, 100)
	if err != nil {
		return err
	}
	conn := r.URL.Query().Get("connection")
	if conn != "" {
		if _, err := a.mesh.Connection(r.Context(), tenant, conn); err != nil {
			return err
		}
	}
	evs, err := a.mesh.DriftEvents(r.Context(), tenant, conn, limit)
	if err != nil {
		return err
	}
	if evs == nil {
		evs = []mesh.DriftRecord{}
	}
	return writeJSON(w, http.StatusOK, map[string]any{"events": evs})
}
