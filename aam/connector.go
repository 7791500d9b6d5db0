package aam

import (
	"context"
	"iter"
	"strconv"

	"github.com/autonomos/autonomos/drift"
)

// Connector reads the objects of one source: a directory of files, a
// database, a SaaS API. It follows the shape of Airbyte's protocol
// (check, discover, read with state): the mesh checks that the source
// answers, discovers its objects and their schemas, then reads each
// object from the cursor it saved after the last batch it published.
//
// Implementations must be safe for concurrent use: the mesh may read
// several objects of one connector at once. Whoever opened a Connector
// closes it. Use [UnimplementedConnector] as an embedded field to keep
// compiling when optional capabilities are added, and run
// aam/connectortest.RunAcceptanceTests on every implementation.
type Connector interface {
	// Check reports whether the source can be reached and read with the
	// connector's configuration. A source that cannot be reached yields
	// an error matching [ErrUnavailable], usually an [*UnavailableError]
	// that says why.
	Check(ctx context.Context) error

	// Discover lists the source's objects, each with its schema: the
	// schema the source declares, or one inferred from a sample of its
	// records when it declares none ([ObjectInfo.Inferred]).
	Discover(ctx context.Context) ([]ObjectInfo, error)

	// Read returns the records of object after cursor, in batches; the
	// empty cursor means from the beginning. Each batch carries the
	// cursor after its last record: saved once the batch has been
	// published, it resumes the read with no record lost and none read
	// twice. Records that cannot be read become [*RowError] values in
	// their batch, and the read goes on.
	//
	// The sequence ends after the last batch, or with one (nil, err)
	// pair: [ErrUnknownObject], [ErrInvalidCursor], the context's error
	// when ctx is done, or a failure of the source. Stopping the
	// iteration early is allowed and releases what the read holds.
	Read(ctx context.Context, object string, cursor Cursor) iter.Seq2[*Batch, error]

	// Close releases the connector's resources. It is idempotent; after
	// it, the other methods return [ErrClosed].
	Close() error
}

// ObjectInfo describes one object (table, collection, file group) that a
// [Connector] can read.
type ObjectInfo struct {
	// Name is the object's name, as passed to [Connector.Read].
	Name string `json:"name"`
	// Schema is the object's schema; Schema.Object equals Name.
	Schema *drift.Schema `json:"schema"`
	// Inferred reports whether Schema was inferred from a sample of
	// records rather than declared by the source.
	Inferred bool `json:"inferred"`
}

// Cursor is an opaque position in an object, as a connector wrote it:
// the mesh stores it and passes it back, and never looks inside. The
// empty Cursor is the beginning of the object.
type Cursor string

// Batch is a run of consecutive records of one object, the row errors
// met among them, and the cursor after them. A Batch and its slices are
// owned by the caller once yielded; the strings of one batch may share
// memory, so keeping one value keeps its batch's text alive (copy it
// with strings.Clone to keep it alone).
type Batch struct {
	// Object is the object read.
	Object string
	// File names the file or part of the source the batch comes from,
	// when the source has such parts. Defaults to "".
	File string
	// Header names the cells of the records' Row, for row-shaped
	// sources (CSV). It is nil for map-shaped records.
	Header []string
	// Records holds the records, in source order.
	Records []Record
	// Errors holds the records that could not be read, in source order.
	Errors []*RowError
	// Cursor is the position after the batch's last record (and error).
	Cursor Cursor
}

// Len returns the number of records and row errors in b.
func (b *Batch) Len() int { return len(b.Records) + len(b.Errors) }

// Ref returns a short reference to record i for errors and problems:
// "file:line" when both are known.
func (b *Batch) Ref(i int) string {
	r := &b.Records[i]
	switch {
	case b.File != "" && r.Line > 0:
		return b.File + ":" + strconv.FormatInt(r.Line, 10)
	case r.Line > 0:
		return "line " + strconv.FormatInt(r.Line, 10)
	case b.File != "":
		return b.File
	}
	return "record"
}

// Record is one source record: either a row of cells named by its
// batch's Header (CSV and other row-shaped sources, which then allocate
// no map per record) or a map of fields (JSON, documents, APIs).
type Record struct {
	// Row holds the cells of a row-shaped record, named by
	// Batch.Header; it may be shorter than the header, never longer.
	Row []string
	// Fields holds the values of a map-shaped record by field name, as
	// decoded from JSON with json.Decoder.UseNumber or from a driver.
	Fields map[string]any
	// Line is the 1-based line where the record starts, for text
	// sources; 0 when the source has no lines.
	Line int64
}
