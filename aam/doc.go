// Package aam is the adaptive API mesh: connectors that discover and read
// a tenant's sources, the canonical event stream (package
// [github.com/autonomos/autonomos/aam/stream]), and the mesh that syncs
// connections, detects schema drift and heals failed connections.
//
// This package holds the portable types of connectors; connectors live in
// subpackages of aam/connectors (filesource for CSV, TSV and JSON Lines
// files), and importing this package pulls in no client library.
//
// # Connectors
//
// A [Connector] follows the shape of Airbyte's protocol: [Connector.Check]
// says whether the source answers (an [*UnavailableError] says why not),
// [Connector.Discover] lists the source's objects with their drift
// [github.com/autonomos/autonomos/drift.Schema] (inferred from a sample
// where the source declares none), and [Connector.Read] yields an
// object's records in batches ([Batch]), as a Go iterator:
//
//	c, err := aam.Open("file", json.RawMessage(`{"path": "/data/exports"}`))
//	if err != nil { ... }          // aam.ErrUnknownKind, aam.ErrInvalidConfig
//	defer c.Close()
//	if err := c.Check(ctx); err != nil { ... } // errors.Is(err, aam.ErrUnavailable)
//	objects, err := c.Discover(ctx)
//	for b, err := range c.Read(ctx, "opportunities", saved) {
//		if err != nil { ... }       // ctx's error, ErrUnknownObject, ErrInvalidCursor, source failure
//		for i, r := range b.Records { ... r.Row (with b.Header) or r.Fields ... b.Ref(i) }
//		for _, rowErr := range b.Errors { ... } // *aam.RowError: file, line, reason
//		publish(b) ; saved = b.Cursor  // save the cursor only after publishing
//	}
//
// Reads are incremental: each batch carries the [Cursor] after its last
// record, an opaque string the connector wrote. Saving it after the
// batch's events are published, and reading from it after a restart,
// gives every record at least once and, with the canonical events' ids
// making replays harmless, effectively once. An empty cursor reads from
// the beginning.
//
// A [Record] is either a row of cells named by its batch's Header (CSV:
// no map per record, and canonical.Normalizer.NormalizeRow takes the
// header and row as they are) or a map of fields (JSON, documents, APIs).
// A record that cannot be read (a ragged row, bad UTF-8, a broken quote)
// becomes a [*RowError] in [Batch.Errors], naming the file and line; it
// never stops the read.
//
// # Registry
//
// Connector packages register a [Factory] under their kind when
// imported, as database/sql drivers do; [Open] builds a connector from
// the kind and its JSON configuration (a connection's stored config):
//
//	import _ "github.com/autonomos/autonomos/aam/connectors/filesource" // kind "file"
//
// A [Registry] of one's own keeps kinds apart from [DefaultRegistry].
//
// # Writing a connector
//
// Implement [Connector], embedding [UnimplementedConnector] so that the
// connector keeps compiling when optional capabilities are added, and run
// the acceptance suite of package
// [github.com/autonomos/autonomos/aam/connectortest] from its tests: it
// checks discovery, reading, resuming from every cursor without
// duplicates or gaps, cancellation and closing.
//
// # Errors
//
// Sentinels live in errors.go: [ErrUnavailable] (matched by
// [*UnavailableError]), [ErrUnknownKind], [ErrInvalidConfig] (matched by
// [*ConfigError], which names the field but never its value),
// [ErrUnknownObject], [ErrInvalidCursor], [ErrClosed], [ErrUnsupported],
// and the reasons of row errors: [ErrRaggedRow], [ErrInvalidEncoding],
// [ErrMalformedRecord]. Context errors come back as they are. No error
// carries a secret: targets are paths or hosts, never credentials.
//
// # Concurrency
//
// Connectors are safe for concurrent use: the mesh may read several
// objects of one connector at once. A [Batch] belongs to the caller once
// yielded. The [Registry] is safe for concurrent use.
package aam
