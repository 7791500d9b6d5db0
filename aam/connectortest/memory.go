package connectortest

import (
	"context"
	"fmt"
	"iter"
	"maps"
	"slices"
	"strconv"
	"strings"
	"sync"

	"github.com/autonomos/autonomos/aam"
	"github.com/autonomos/autonomos/drift"
)

// Memory is an in-memory [aam.Connector] over records added by the test:
// a test double for code that drives connectors (the mesh's sync, its
// retries and health) and the reference implementation of the contract
// that [RunAcceptanceTests] checks. Objects hold map-shaped records and
// injected row errors in order; the cursor is the position after the
// last entry read, so records added later are read incrementally.
//
// A Memory is safe for concurrent use. Its zero value is not usable; use
// [NewMemory].
type Memory struct {
	aam.UnimplementedConnector
	mu          sync.RWMutex
	batchSize   int
	objects     map[string]*memObject
	unavailable error
	closed      bool
}

type memObject struct {
	schema  *drift.Schema // declared, or nil to infer
	entries []memEntry
}

type memEntry struct {
	rec map[string]any
	err error
}

var _ aam.Connector = (*Memory)(nil)

const memCursorPrefix = "memory:v1:"

// NewMemory returns an empty Memory whose reads yield batches of
// batchSize entries (records and row errors); 0 means 100.
func NewMemory(batchSize int) *Memory {
	if batchSize <= 0 {
		batchSize = 100
	}
	return &Memory{batchSize: batchSize, objects: make(map[string]*memObject)}
}

// Add appends records to object, creating it if needed. The records are
// not copied: do not change them afterwards.
func (m *Memory) Add(object string, records ...map[string]any) {
	m.mu.Lock()
	defer m.mu.Unlock()
	o := m.object(object)
	for _, r := range records {
		o.entries = append(o.entries, memEntry{rec: r})
	}
}

// AddRowError appends a record that cannot be read to object: reads
// yield it as an [*aam.RowError] with File object, Line its 1-based
// position among the object's entries, and Err err.
func (m *Memory) AddRowError(object string, err error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	o := m.object(object)
	o.entries = append(o.entries, memEntry{err: err})
}

// SetSchema declares object's schema; Discover then returns it as
// declared instead of inferring one. Defaults to inference.
func (m *Memory) SetSchema(object string, s *drift.Schema) {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.object(object).schema = s
}

// SetUnavailable makes every operation fail with an
// [*aam.UnavailableError] wrapping err, as a source that went away; nil
// makes the source answer again.
func (m *Memory) SetUnavailable(err error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.unavailable = err
}

func (m *Memory) object(name string) *memObject {
	o := m.objects[name]
	if o == nil {
		o = &memObject{}
		m.objects[name] = o
	}
	return o
}

// state checks the closed and unavailable states under the read lock.
func (m *Memory) state() error {
	if m.closed {
		return aam.ErrClosed
	}
	if m.unavailable != nil {
		return &aam.UnavailableError{Kind: "memory", Target: "memory", Reason: "made unavailable by the test", Err: m.unavailable}
	}
	return nil
}

// Check reports nil unless the Memory is closed or made unavailable.
func (m *Memory) Check(ctx context.Context) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	m.mu.RLock()
	defer m.mu.RUnlock()
	return m.state()
}

// Discover lists the objects in name order, with their declared schema
// or one inferred from all their records.
func (m *Memory) Discover(ctx context.Context) ([]aam.ObjectInfo, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	m.mu.RLock()
	defer m.mu.RUnlock()
	if err := m.state(); err != nil {
		return nil, err
	}
	var out []aam.ObjectInfo
	for _, name := range slices.Sorted(maps.Keys(m.objects)) {
		o := m.objects[name]
		if o.schema != nil {
			s := o.schema.Clone()
			s.Object = name
			out = append(out, aam.ObjectInfo{Name: name, Schema: s})
			continue
		}
		in := drift.NewInferrer("memory", name, nil)
		for _, e := range o.entries {
			if e.err == nil {
				in.Add(e.rec)
			}
		}
		out = append(out, aam.ObjectInfo{Name: name, Schema: in.Schema(), Inferred: true})
	}
	return out, nil
}

// Read yields object's entries after cursor in batches. See
// [aam.Connector.Read].
func (m *Memory) Read(ctx context.Context, object string, cursor aam.Cursor) iter.Seq2[*aam.Batch, error] {
	return func(yield func(*aam.Batch, error) bool) {
		pos := 0
		if cursor != "" {
			s, ok := strings.CutPrefix(string(cursor), memCursorPrefix)
			n, err := strconv.Atoi(s)
			if !ok || err != nil || n < 0 {
				yield(nil, fmt.Errorf("%w: not a memory cursor", aam.ErrInvalidCursor))
				return
			}
			pos = n
		}
		for {
			if err := ctx.Err(); err != nil {
				yield(nil, err)
				return
			}
			m.mu.RLock()
			err := m.state()
			o := m.objects[object]
			var batch []memEntry
			if err == nil && o != nil {
				if pos > len(o.entries) {
					err = fmt.Errorf("%w: position %d is past the end of %q", aam.ErrInvalidCursor, pos, object)
				} else {
					batch = o.entries[pos:min(pos+m.batchSize, len(o.entries))]
				}
			}
			m.mu.RUnlock()
			if err == nil && o == nil {
				err = fmt.Errorf("%w: %q", aam.ErrUnknownObject, object)
			}
			if err != nil {
				yield(nil, err)
				return
			}
			if len(batch) == 0 {
				return
			}
			b := &aam.Batch{Object: object}
			for i, e := range batch {
				line := int64(pos + i + 1)
				if e.err != nil {
					b.Errors = append(b.Errors, &aam.RowError{File: object, Line: line, Offset: -1, Err: e.err})
					continue
				}
				b.Records = append(b.Records, aam.Record{Fields: e.rec, Line: line})
			}
			pos += len(batch)
			b.Cursor = aam.Cursor(memCursorPrefix + strconv.Itoa(pos))
			if !yield(b, nil) {
				return
			}
		}
	}
}

// Close marks the Memory closed; it is idempotent.
func (m *Memory) Close() error {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.closed = true
	return nil
}
