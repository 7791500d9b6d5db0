package main

import (
	"context"
	"encoding/json"
	"fmt"
	"path/filepath"

	"github.com/autonomos/autonomos/aam/mesh"
	meshpg "github.com/autonomos/autonomos/aam/mesh/pgstore"
	"github.com/autonomos/autonomos/aam/stream"
	"github.com/autonomos/autonomos/aam/stream/memstream"
	"github.com/autonomos/autonomos/aam/stream/redisstream"
	"github.com/autonomos/autonomos/drift"
	driftmem "github.com/autonomos/autonomos/drift/memstore"
	driftredis "github.com/autonomos/autonomos/drift/redisstore"
	"github.com/autonomos/autonomos/tenancy"
)

// openMesh builds the mesh. Embedded default: connections, cursors and
// dead records in a file under the data directory, events on an
// in-process stream, drift schemas in a file (so a restart still diffs
// against the schemas seen before it). Server mode: connections in
// PostgreSQL, events on Redis Streams, drift schemas in Redis, so that any
// replica can sync any connection. Mappings and reviews are in the shared
// repair registry either way.
func (a *app) openMesh() error {
	mcfg := &mesh.Config{Connectors: a.connectors, Logger: a.log, Ontology: a.ontology, Matcher: a.matcher, Hook: a.meshHook}
	var store mesh.Store
	if a.serverMode() {
		pub, err := redisstream.NewPublisher(a.rdb, nil)
		if err != nil {
			return fmt.Errorf("event stream (Redis): %w", err)
		}
		a.publisher = pub
		store = meshpg.New(a.pg)
		mcfg.DriftStore = drift.NewStore(driftredis.New(a.rdb, nil), nil)
	} else {
		a.broker = memstream.New(&memstream.Config{Logger: a.log})
		pub, err := a.broker.NewPublisher(nil)
		if err != nil {
			return fmt.Errorf("event stream: %w", err)
		}
		a.publisher = pub
		fs, err := openFileMeshStore(filepath.Join(a.cfg.DataDir, "connections.json"))
		if err != nil {
			return err
		}
		store = fs
		driftPath := filepath.Join(a.cfg.DataDir, "drift.json")
		dd, err := driftmem.Open(driftPath)
		if err != nil {
			return err
		}
		mcfg.DriftStore = drift.NewStore(dd, nil)
	}
	m, err := mesh.New(store, a.registry, a.dclFeed(a.publisher), mcfg)
	if err != nil {
		return fmt.Errorf("mesh: %w", err)
	}
	a.mesh = m
	a.registerJob("sync", func(ctx context.Context, tenant tenancy.ID, args json.RawMessage) (any, error) {
		var in syncArgs
		if err := json.Unmarshal(args, &in); err != nil {
			return nil, fmt.Errorf("sync job arguments: %w", err)
		}
		return a.runSync(ctx, tenant, in.Connection)
	})
	a.registerJob("heal", func(ctx context.Context, tenant tenancy.ID, _ json.RawMessage) (any, error) {
		res, err := a.mesh.Heal(ctx, tenant)
		if res == nil {
			res = []mesh.HealResult{}
		}
		return res, err
	})
	return nil
}

// runSync syncs one connection. The mesh refuses a second sync
// of a connection within this process (mesh.ErrSyncInProgress); in server
// mode a PostgreSQL advisory lock per tenant and connection extends that
// to every replica, so two replicas never read and save one connection's
// cursors at once. The lock is held on one pooled connection for the
// sync's length and ends with it, also when the process dies.
func (a *app) runSync(ctx context.Context, tenant tenancy.ID, id string) (mesh.Stats, error) {
	if !a.serverMode() {
		return a.mesh.Sync(ctx, tenant, id)
	}
	conn, err := a.pg.Acquire(ctx)
	if err != nil {
		return mesh.Stats{}, fmt.Errorf("sync %s: %w", id, err)
	}
	defer conn.Release()
	key := "hostd.sync:" + tenant.String() + ":" + id
	var got bool
	if err := conn.QueryRow(ctx, "select pg_try_advisory_lock(hashtextextended($1, 0))", key).Scan(&got); err != nil {
		return mesh.Stats{}, fmt.Errorf("sync %s: lock: %w", id, err)
	}
	if !got {
		return mesh.Stats{}, fmt.Errorf("sync %s: running on another replica: %w", id, mesh.ErrSyncInProgress)
	}
	defer func() {
		if _, err := conn.Exec(context.WithoutCancel(ctx), "select pg_advisory_unlock(hashtextextended($1, 0))", key); err != nil {
			// Ending the session releases the lock.
			_ = conn.Conn().Close(context.WithoutCancel(ctx))
		}
	}()
	return a.mesh.Sync(ctx, tenant, id)
}

// syncArgs are the arguments of a "sync" job.
type syncArgs struct {
	Connection string `json:"connection"`
}

// meshHook turns the mesh's progress into metrics and live events.
func (a *app) meshHook(ctx context.Context, e mesh.Event) {
	kind := string(e.Kind)
	a.metrics.meshEvents.WithLabelValues(kind).Inc()
	if e.Count > 0 {
		a.metrics.meshItems.WithLabelValues(kind).Add(float64(e.Count))
	}
	a.emit(ctx, e.Tenant, "mesh."+kind, e)
	a.dclAfterMeshEvent(ctx, e)
}

// newSubscriber subscribes group to tenant's canonical events: the
// in-process broker in the embedded default, a consumer of the group on the
// tenant's Redis stream in server mode (the replicas' consumers of a group
// share the work; an event a dead replica held is claimed by another).
// The caller closes it.
func (a *app) newSubscriber(ctx context.Context, tenant tenancy.ID, group string) (*stream.Subscriber, error) {
	if a.serverMode() {
		return redisstream.NewSubscriber(ctx, a.rdb, tenant, group, &redisstream.SubscriberConfig{Logger: a.log})
	}
	return a.broker.NewSubscriber(tenant, group, nil)
}
