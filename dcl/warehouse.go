package dcl

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"runtime"
	"strings"
	"sync"
	"sync/atomic"
	"time"
	"unicode/utf8"

	"github.com/autonomos/autonomos/canonical"
	"github.com/autonomos/autonomos/dcl/driver"
	"github.com/autonomos/autonomos/tenancy"
)

// Config configures a [Warehouse]. The zero value is usable.
type Config struct {
	// Ontology gives the entities and typed fields of the tables.
	// Defaults to canonical.V1().
	Ontology *canonical.Ontology
	// QueryTimeout bounds each read-only query. Defaults to 10s.
	QueryTimeout time.Duration
	// MaxRows caps the rows a read-only query returns; more are cut and
	// the result is marked truncated. Defaults to 10000.
	MaxRows int
	// MaxQueryBytes is the longest query text accepted. Defaults to 64 KiB.
	MaxQueryBytes int
	// Logger receives warnings. Defaults to slog.Default().
	Logger *slog.Logger
}

// WithDefaults returns a copy of c with zero fields set to their
// defaults. A nil c gives all defaults.
func (c *Config) WithDefaults() Config {
	var out Config
	if c != nil {
		out = *c
	}
	if out.Ontology == nil {
		out.Ontology = canonical.V1()
	}
	if out.QueryTimeout == 0 {
		out.QueryTimeout = 10 * time.Second
	}
	if out.MaxRows == 0 {
		out.MaxRows = 10000
	}
	if out.MaxQueryBytes == 0 {
		out.MaxQueryBytes = 64 << 10
	}
	if out.Logger == nil {
		out.Logger = slog.Default()
	}
	return out
}

func (c *Config) validate() error {
	switch {
	case c.QueryTimeout < 0:
		return fmt.Errorf("%w: QueryTimeout %s is negative", ErrInvalidConfig, c.QueryTimeout)
	case c.MaxRows < 0:
		return fmt.Errorf("%w: MaxRows %d is negative", ErrInvalidConfig, c.MaxRows)
	case c.MaxQueryBytes < 0:
		return fmt.Errorf("%w: MaxQueryBytes %d is negative", ErrInvalidConfig, c.MaxQueryBytes)
	}
	return nil
}

// Warehouse materializes canonical events per tenant, one table per
// entity, and answers read-only queries over a tenant's tables and
// unified views. It holds a [driver.Warehouse] (dcl/duckstore for
// DuckDB) and does the shared work: validation against the ontology,
// typing of values, de-duplication within a batch, tenant checks, query
// limits.
//
// A Warehouse is safe for concurrent use. It owns its driver: Close
// closes it.
type Warehouse struct {
	d      driver.Warehouse
	cfg    Config
	tables map[string]driver.Table
	order  []driver.Table

	mu      sync.Mutex
	closed  bool
	ensured map[tenancy.ID]bool
}

// New returns a Warehouse over d. A nil cfg means defaults.
func New(d driver.Warehouse, cfg *Config) (*Warehouse, error) {
	if d == nil {
		return nil, fmt.Errorf("%w: nil driver", ErrInvalidConfig)
	}
	c := cfg.WithDefaults()
	if err := c.validate(); err != nil {
		return nil, err
	}
	w := &Warehouse{d: d, cfg: c, tables: map[string]driver.Table{}, ensured: map[tenancy.ID]bool{}}
	for _, e := range c.Ontology.Entities() {
		t := driver.Table{Entity: e.Name}
		for _, f := range e.Fields {
			t.Columns = append(t.Columns, driver.Column{Name: f.Name, Type: f.Type})
		}
		w.tables[e.Name] = t
		w.order = append(w.order, t)
	}
	return w, nil
}

// Tables returns the entity tables every tenant has, in ontology order.
func (w *Warehouse) Tables() []driver.Table { return append([]driver.Table(nil), w.order...) }

// EnsureTenant creates the tenant's tables and views if they do not
// exist. Write calls it; call it to query a tenant that has no data yet.
func (w *Warehouse) EnsureTenant(ctx context.Context, tenant tenancy.ID) error {
	if err := tenant.Validate(); err != nil {
		return fmt.Errorf("%w: %w", ErrInvalidConfig, err)
	}
	w.mu.Lock()
	if w.closed {
		w.mu.Unlock()
		return ErrClosed
	}
	done := w.ensured[tenant]
	w.mu.Unlock()
	if done {
		return nil
	}
	if err := w.d.EnsureTenant(ctx, tenant, w.order); err != nil {
		return fmt.Errorf("dcl: prepare tenant %s: %w", tenant, err)
	}
	w.mu.Lock()
	w.ensured[tenant] = true
	w.mu.Unlock()
	return nil
}

// Write materializes events of one tenant in one transaction. Within
// the batch and against the stored rows, the newest version of each
// record wins (see [driver.Row]); writing the same events again changes
// nothing.
//
// Invalid events (another tenant's, an unknown entity or field, a value
// of the wrong type) are skipped and reported in a
// [*RejectedEventsError]; every other event is committed. Any other
// error means nothing was committed.
func (w *Warehouse) Write(ctx context.Context, tenant tenancy.ID, events []canonical.Event) error {
	if err := w.EnsureTenant(ctx, tenant); err != nil {
		return err
	}
	batches, errs := w.prepare(tenant, events)
	if len(batches) > 0 {
		if err := w.d.Write(ctx, tenant, batches); err != nil {
			if ctx.Err() != nil && errors.Is(err, ctx.Err()) {
				return ctx.Err()
			}
			return fmt.Errorf("dcl: write %d events for tenant %s: %w", len(events), tenant, err)
		}
	}
	if errs != nil {
		return &RejectedEventsError{Errs: errs}
	}
	return nil
}

// prepare validates and types events and groups them by entity, keeping
// the newest version of each record. errs is nil when every event is
// valid.
func (w *Warehouse) prepare(tenant tenancy.ID, events []canonical.Event) ([]driver.Batch, []error) {
	rows, errs := w.typeRows(tenant, events)
	type group struct {
		batch driver.Batch
		index map[string]int
	}
	var groups []*group
	byEntity := map[string]*group{}
	for i := range events {
		if errs != nil && errs[i] != nil {
			continue
		}
		e, row := &events[i], &rows[i]
		g := byEntity[e.Entity]
		if g == nil {
			g = &group{batch: driver.Batch{Table: w.tables[e.Entity]}, index: map[string]int{}}
			if len(groups) == 0 {
				// most batches are of one entity
				g.batch.Rows = make([]driver.Row, 0, len(events)-i)
			}
			byEntity[e.Entity] = g
			groups = append(groups, g)
		}
		if j, dup := g.index[row.Key]; dup {
			if row.Newer(&g.batch.Rows[j]) {
				g.batch.Rows[j] = *row
			}
			continue
		}
		g.index[row.Key] = len(g.batch.Rows)
		g.batch.Rows = append(g.batch.Rows, *row)
	}
	out := make([]driver.Batch, len(groups))
	for i, g := range groups {
		out[i] = g.batch
	}
	return out, errs
}

// parallelRows is the batch size from which typeRows splits its work
// across CPUs.
const parallelRows = 4096

// typeRows makes the row of each event, or its error: rows[i] is
// valid when errs is nil or errs[i] is. Large batches are typed on
// several goroutines; typing is most of dcl's share of a write.
func (w *Warehouse) typeRows(tenant tenancy.ID, events []canonical.Event) ([]driver.Row, []error) {
	rows := make([]driver.Row, len(events))
	errs := make([]error, len(events))
	parts := 1
	if len(events) >= parallelRows {
		parts = min(runtime.GOMAXPROCS(0), len(events)/(parallelRows/2))
	}
	var failed atomic.Bool
	work := func(lo, hi int) {
		var slab []any // values of many rows in one allocation
		for i := lo; i < hi; i++ {
			e := &events[i]
			t, ok := w.tables[e.Entity]
			if !ok {
				errs[i] = &InvalidEventError{EventID: e.ID, Reason: fmt.Sprintf("unknown entity %q", truncate(e.Entity, 64))}
				failed.Store(true)
				continue
			}
			if len(slab) < len(t.Columns) {
				slab = make([]any, max(len(t.Columns), 64*len(t.Columns)))
			}
			vals := slab[:len(t.Columns):len(t.Columns)]
			slab = slab[len(t.Columns):]
			if err := toRow(tenant, e, &t, &rows[i], vals); err != nil {
				errs[i] = err
				failed.Store(true)
			}
		}
	}
	if parts <= 1 {
		work(0, len(events))
	} else {
		var wg sync.WaitGroup
		step := (len(events) + parts - 1) / parts
		for lo := 0; lo < len(events); lo += step {
			wg.Go(func() { work(lo, min(lo+step, len(events))) })
		}
		wg.Wait()
	}
	if !failed.Load() {
		errs = nil
	}
	return rows, errs
}

// toRow fills r from e, with vals (len(t.Columns), zeroed) as its values.
func toRow(tenant tenancy.ID, e *canonical.Event, t *driver.Table, r *driver.Row, vals []any) error {
	bad := func(field, reason string) error {
		return &InvalidEventError{EventID: truncate(e.ID, 128), Field: field, Reason: reason}
	}
	switch {
	case e.Tenant != tenant:
		return bad("", "belongs to another tenant")
	case e.ID == "":
		return bad("", "empty id")
	case e.SourceKey == "":
		return bad("", "empty source_key")
	case e.Op != canonical.OpUpsert && e.Op != canonical.OpDelete:
		return bad("", fmt.Sprintf("unknown op %q", truncate(string(e.Op), 32)))
	}
	*r = driver.Row{
		Key:          driver.RecordKey(e.Source.System, e.Source.ConnectionID, e.Source.Object, e.SourceKey),
		SourceSystem: e.Source.System,
		ConnectionID: e.Source.ConnectionID,
		SourceObject: e.Source.Object,
		SourceKey:    e.SourceKey,
		EventID:      e.ID,
		OccurredAt:   e.OccurredAt.UTC(),
		IngestedAt:   e.IngestedAt.UTC(),
		Deleted:      e.Op == canonical.OpDelete,
		Values:       vals,
	}
	if e.OccurredAt.IsZero() {
		r.OccurredAt = time.Time{}
	}
	if r.Deleted {
		return nil
	}
	found := 0
	for i, c := range t.Columns {
		raw, ok := e.Data[c.Name]
		if !ok {
			continue
		}
		found++
		v, err := typedValue(c.Type, raw)
		if err != nil {
			return bad(c.Name, err.Error())
		}
		r.Values[i] = v
	}
	if found != len(e.Data) {
		for name := range e.Data {
			if _, ok := fieldIndex(t, name); !ok {
				return bad(truncate(name, 64), "not a field of "+t.Entity)
			}
		}
	}
	return nil
}

func fieldIndex(t *driver.Table, name string) (int, bool) {
	for i, c := range t.Columns {
		if c.Name == name {
			return i, true
		}
	}
	return 0, false
}

// Decimal limits of the warehouse column type DECIMAL(38,9).
const (
	maxScale     = 9
	maxIntDigits = 29
)

func typedValue(t canonical.ValueType, raw any) (any, error) {
	if raw == nil {
		return nil, nil
	}
	switch t {
	case canonical.TypeString, canonical.TypeEmail, canonical.TypePhone, canonical.TypeDomain,
		canonical.TypeCurrency, canonical.TypeCountry:
		if s, ok := raw.(string); ok {
			// Neither DuckDB nor PostgreSQL stores these faithfully (a NUL
			// cuts DuckDB's text short; bad UTF-8 fails the whole batch):
			// the event is rejected on its own, with the reason.
			if !utf8.ValidString(s) {
				return nil, fmt.Errorf("%q is not valid UTF-8", truncate(s, 64))
			}
			if strings.IndexByte(s, 0) >= 0 {
				return nil, fmt.Errorf("%q holds a NUL character, which the warehouse cannot store", truncate(s, 64))
			}
			return s, nil
		}
	case canonical.TypeInteger:
		switch v := raw.(type) {
		case int64:
			return v, nil
		case int:
			return int64(v), nil
		case int32:
			return int64(v), nil
		}
	case canonical.TypeBoolean:
		if b, ok := raw.(bool); ok {
			return b, nil
		}
	case canonical.TypeDecimal, canonical.TypePercent:
		var d canonical.Decimal
		switch v := raw.(type) {
		case canonical.Decimal:
			d = v
		case string:
			var err error
			if d, err = canonical.NewDecimal(v); err != nil {
				return nil, fmt.Errorf("%q is not a decimal", truncate(v, 64))
			}
		default:
			return nil, fmt.Errorf("a %s value must be a canonical.Decimal, not %T", t, raw)
		}
		if d.Exponent() < -maxScale {
			return nil, fmt.Errorf("%s has more than %d fractional digits", truncate(d.String(), 64), maxScale)
		}
		// integer digits: the coefficient's digits shifted by the
		// exponent (no big-number text on this per-value path)
		if n := d.NumDigits() + int(d.Exponent()); n > maxIntDigits {
			return nil, fmt.Errorf("%s has more than %d integer digits", truncate(d.String(), 64), maxIntDigits)
		}
		return d, nil
	case canonical.TypeDate:
		switch v := raw.(type) {
		case string:
			d, err := time.Parse(time.DateOnly, v)
			if err != nil {
				return nil, fmt.Errorf("%q is not a YYYY-MM-DD date", truncate(v, 64))
			}
			return d, nil
		case time.Time:
			y, m, dd := v.Date()
			return time.Date(y, m, dd, 0, 0, 0, 0, time.UTC), nil
		}
	case canonical.TypeTimestamp:
		switch v := raw.(type) {
		case string:
			ts, err := time.Parse(time.RFC3339Nano, v)
			if err != nil {
				return nil, fmt.Errorf("%q is not an RFC 3339 timestamp", truncate(v, 64))
			}
			return ts.UTC(), nil
		case time.Time:
			return v.UTC(), nil
		}
	default:
		return nil, fmt.Errorf("unknown value type %q", t)
	}
	return nil, fmt.Errorf("a %s value cannot be a %T", t, raw)
}

// Query runs one read-only SELECT over the tenant's own tables and
// unified views, with the configured timeout and row cap. Anything else
// is refused with a [*QueryRefusedError] (errors.Is ErrQueryRefused):
// DDL, DML, COPY, ATTACH, PRAGMA, SET, several statements, table
// functions (read_csv, read_parquet, ...), another tenant's schema or a
// system schema. Unqualified table names are the tenant's.
func (w *Warehouse) Query(ctx context.Context, tenant tenancy.ID, query string) (*driver.Result, error) {
	if err := w.EnsureTenant(ctx, tenant); err != nil {
		return nil, err
	}
	if len(query) > w.cfg.MaxQueryBytes {
		return nil, &QueryRefusedError{Reason: RefusedTooLong, Detail: fmt.Sprintf("%d bytes, at most %d", len(query), w.cfg.MaxQueryBytes)}
	}
	if isBlank(query) {
		return nil, &QueryRefusedError{Reason: RefusedEmpty}
	}
	qctx, cancel := context.WithTimeout(ctx, w.cfg.QueryTimeout)
	defer cancel()
	res, err := w.d.Query(qctx, tenant, query, w.cfg.MaxRows)
	if err != nil {
		var refused *QueryRefusedError
		switch {
		case errors.As(err, &refused):
			return nil, err
		case ctx.Err() != nil:
			return nil, ctx.Err()
		case qctx.Err() != nil:
			return nil, fmt.Errorf("%w after %s: %w", ErrQueryTimeout, w.cfg.QueryTimeout, context.DeadlineExceeded)
		}
		return nil, fmt.Errorf("dcl: query for tenant %s: %w", tenant, err)
	}
	return res, nil
}

// Close closes the driver. Later calls fail with ErrClosed.
func (w *Warehouse) Close() error {
	w.mu.Lock()
	if w.closed {
		w.mu.Unlock()
		return nil
	}
	w.closed = true
	w.mu.Unlock()
	return w.d.Close()
}

func isBlank(s string) bool {
	for _, r := range s {
		switch r {
		case ' ', '\t', '\n', '\r', ';':
		default:
			return false
		}
	}
	return true
}

func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return s[:n] + "..."
}
