// Package mesh is the part of the adaptive API mesh that keeps a
// tenant's sources flowing: it syncs connections, detects schema drift,
// maps new objects onto the ontology, repairs mappings after drift
// within the Safe Mode policy, publishes canonical events and heals
// connections that failed.
//
// # Connections
//
// A [Connection] is a tenant's link to one source: a connector kind
// ("file", "postgres", ...; see [github.com/autonomos/autonomos/aam.Open])
// and its JSON configuration ([SourceConfig]), a Safe Mode flag, a
// [State] and a [Health]. Configurations hold secrets: fmt, log/slog and
// encoding/json all see [SourceConfig.Redacted], where the value of
// every key that names a secret ([SecretKey]: password, token, key,
// secret, private, credential, auth, ...) and the password of every URL
// is [Mask]; only [SourceConfig.Raw] gives the real configuration, to
// open the connector. The Mesh returns connections redacted, and error
// messages and health records are scrubbed of the configuration's
// secret values.
//
// # Getting started
//
//	m, err := mesh.New(memstore.New(), registry, publisher, nil)
//	conn := mesh.Connection{Tenant: t, ID: "crm-exports", Kind: "file",
//		Config: mesh.MustSourceConfig(map[string]string{"path": "/data/crm"})}
//	c, stats, err := m.Onboard(ctx, t, conn) // discover, propose, maybe sync
//	for _, p := range c.Pending {           // proposals waiting for a person
//		m.ApproveMapping(ctx, t, c.ID, p.Object, "alice")
//	}
//	stats, err = m.Sync(ctx, t, c.ID)      // run on a schedule
//	results, err := m.Heal(ctx, t)         // resume failed connections
//
// registry is a [github.com/autonomos/autonomos/repair.Registry] (mappings,
// Safe Mode, review queue) and publisher anything with the Publish method
// of [github.com/autonomos/autonomos/aam/stream.Publisher] (memstream in
// one process, redisstream across replicas).
//
// # What a sync does
//
// [Mesh.Sync] opens the connector, checks and discovers the source, then
// for every object:
//
//  1. Drift: the discovered schema goes to a
//     [github.com/autonomos/autonomos/drift.Detector]; a first schema is
//     recorded, a changed one yields a drift event.
//  2. Mapping: the registry's current mapping is used. A new object gets
//     a proposal from the [github.com/autonomos/autonomos/repair.Matcher]:
//     when the entity choice and every mapped field reach
//     Config.OnboardConfidence and Safe Mode is off, it is applied (actor
//     [Actor]); otherwise it is kept on the connection
//     ([Connection.Pending]) and the object waits for
//     [Mesh.ApproveMapping]. Approving counts as the person's approval for
//     Safe Mode, which then turns off (the registry's policy).
//  3. Repair: after drift, the registry's repairer proposes repairs of the
//     mapping ([github.com/autonomos/autonomos/repair.Registry.HandleDrift]):
//     confident replacements are applied when Safe Mode is off, the rest
//     is queued for review. An object with a pending review waits: it is
//     not read with a mapping known to be wrong.
//  4. Read, normalize, publish: records are read from the object's saved
//     cursor, normalized with a
//     [github.com/autonomos/autonomos/canonical.Normalizer], published, and
//     only then is the batch's cursor saved. A crash between publishing
//     and saving replays the batch on the next sync: delivery is at least
//     once, and the events' deterministic ids let consumers drop the
//     replays.
//  5. Dead records: row errors of the connector and records that could
//     not be normalized (no key value) are never dropped: they are stored
//     as [DeadRecord]s naming the file and line ([Mesh.DeadRecords]),
//     before the batch's cursor is saved. A publisher that stores the
//     events itself adds those its store refused ([DeadWarehouse], by
//     the record's source key) with [Mesh.AddDeadRecords] before its
//     Publish returns, so they too are kept before the cursor moves.
//
// A failed attempt (source unreachable, publish or cursor store failing)
// is retried with exponential backoff (Config.Backoff, doubling, capped
// at Config.MaxBackoff, up to Config.MaxAttempts; Config.Sleep and
// Config.Clock are injectable); retries are safe because every object
// resumes from its saved cursor. The connection's [Health] ends healthy,
// degraded (some objects synced, others failed) or failed (nothing
// synced), with the last error and its time. [Mesh.Heal] syncs the
// tenant's failed and degraded connections again.
//
// [Stats] counts what a sync did: objects, rows read, events published,
// row and normalization errors, drift events, repairs applied and queued,
// mappings applied and proposed, and the objects that wait.
//
// # Progress
//
// Config.Hook receives an [Event] for every step worth showing: sync
// started, retried, finished or failed; batch published; drift detected;
// repair applied or queued; mapping proposed or applied; object waiting;
// records dead; health changed. hostd streams them to its clients.
//
// # USE_AAM_AS_SOURCE
//
// The system this replaces had a switch, USE_AAM_AS_SOURCE, that hostd
// keeps: when on, the DCL reads its canonical events from the AAM stream
// that the Mesh publishes to; when off (the default), the legacy direct
// connectors feed the DCL, which then normalizes the records through the
// same path. [ParseSource] and [SourceFromEnv] read the switch into a
// [Source], and [Select] picks between the two feeds without this
// package importing the DCL.
//
// # Stores
//
// [Store] (a [ConnectionStore], a [CursorStore] and a [DeadRecordStore])
// keeps connections, cursors per (tenant, connection, object) and dead
// records, every key scoped by tenant. Package aam/mesh/memstore is the
// in-memory driver, aam/mesh/pgstore the PostgreSQL one (row-level
// security per tenant); package aam/mesh/meshtest holds the conformance
// suite both run. Drift history lives in Config.DriftStore and
// mappings, Safe Mode and reviews in the repair registry.
//
// # Errors
//
// [ErrNotFound], [ErrExists], [ErrInvalidConnection] (a
// [*ConnectionError] naming the field), [ErrSyncInProgress] and
// [ErrInvalidSource]. A sync that fails returns the connector's error
// (matching aam.ErrUnavailable for an unreachable source) or
// [*ObjectError]s naming the object and the stage that failed, joined;
// the message is scrubbed of secrets and errors.Is/As still see the
// cause. Context errors come back as they are.
//
// # Concurrency
//
// A [Mesh] is safe for concurrent use. Two syncs of one connection at
// once are refused with [ErrSyncInProgress]; syncs of different
// connections run in parallel. Objects of one connection are synced one
// after another.
//
// # Testing
//
// Everything runs in memory: memstore, repair/memstore, drift/memstore
// (the default drift store) and aam/stream/memstream, with a filesource
// over a temporary directory of CSVs, as the package's tests and
// examples do.
package mesh
