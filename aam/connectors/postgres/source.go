package postgres

import (
	"bytes"
	"context"
	"crypto/tls"
	"encoding/json"
	"errors"
	"fmt"
	"iter"
	"math"
	"net"
	neturl "net/url"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgtype"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/autonomos/autonomos/aam"
	"github.com/autonomos/autonomos/drift"
)

// Source is a PostgreSQL (or Supabase) database as an [aam.Connector]:
// its tables (and optionally views) are the objects, named
// "schema.table". It holds a pgx pool; it is safe for concurrent use.
type Source struct {
	aam.UnimplementedConnector
	cfg     Config
	pool    *pgxpool.Pool
	target  string   // host:port/database, no credentials
	secrets []string // the URL and the password, scrubbed from errors
	closed  atomic.Bool
	closeMu sync.Mutex
}

var _ aam.Connector = (*Source)(nil)

// New returns a Source for cfg. It parses the URL and sets up the pool
// but does not connect: [Source.Check] does. A URL that cannot be
// parsed is a [*aam.ConfigError] that does not quote it.
func New(cfg *Config) (*Source, error) {
	c := cfg.WithDefaults()
	if err := c.validate(); err != nil {
		return nil, err
	}
	pc, err := pgxpool.ParseConfig(c.URL)
	if err != nil {
		secrets := []string{c.URL}
		if i := strings.Index(c.URL, "password="); i >= 0 {
			secrets = append(secrets, strings.Fields(c.URL[i+len("password="):] + " ")[0])
		}
		return nil, &aam.ConfigError{Kind: Kind, Field: "url", Reason: "cannot parse", Err: redact(err, secrets...)}
	}
	pc.MaxConns = c.MaxConns
	if c.URLOnly {
		urlOnly(pc.ConnConfig, c.URL)
	}
	if c.Dial != nil {
		pc.ConnConfig.DialFunc = c.Dial
	}
	if c.ExecMode != "" {
		pc.ConnConfig.DefaultQueryExecMode = execModes[c.ExecMode]
	}
	s := &Source{
		cfg:     c,
		target:  net.JoinHostPort(pc.ConnConfig.Host, strconv.Itoa(int(pc.ConnConfig.Port))) + "/" + pc.ConnConfig.Database,
		secrets: []string{c.URL},
	}
	if pw := pc.ConnConfig.Password; pw != "" {
		s.secrets = append(s.secrets, pw)
	}
	s.pool, err = pgxpool.NewWithConfig(context.Background(), pc)
	if err != nil {
		return nil, &aam.ConfigError{Kind: Kind, Field: "url", Reason: "cannot set up the pool", Err: redact(err, s.secrets...)}
	}
	return s, nil
}

// urlOnly drops from cc what pgx took from the environment or from
// files rather than from url: the password (PGPASSWORD, the password
// file) and client certificates (PGSSLCERT, PGSSLKEY).
func urlOnly(cc *pgx.ConnConfig, url string) {
	has := func(param string) bool { return urlHasParam(url, param) }
	if !has("password") && !urlHasPassword(url) {
		cc.Password = ""
	}
	if !has("sslcert") && !has("sslkey") {
		noClientCert := func(t *tls.Config) {
			if t != nil {
				t.Certificates, t.GetClientCertificate = nil, nil
			}
		}
		noClientCert(cc.TLSConfig)
		for _, fb := range cc.Fallbacks {
			noClientCert(fb.TLSConfig)
		}
	}
}

// urlHasParam reports whether a URL's query or a key=value connection
// string sets param.
func urlHasParam(raw, param string) bool {
	if u, err := neturl.Parse(raw); err == nil && u.Scheme != "" {
		return u.Query().Has(param)
	}
	for _, kv := range strings.Fields(raw) {
		if k, _, ok := strings.Cut(kv, "="); ok && strings.TrimSpace(k) == param {
			return true
		}
	}
	return false
}

// urlHasPassword reports a URL whose user information holds a password
// ("postgres://user:pw@host").
func urlHasPassword(raw string) bool {
	u, err := neturl.Parse(raw)
	if err != nil || u.User == nil {
		return false
	}
	_, ok := u.User.Password()
	return ok
}

// Target returns the host, port and database the Source reads, with no
// credentials.
func (s *Source) Target() string { return s.target }

func (s *Source) unavailable(reason string, err error) error {
	return &aam.UnavailableError{Kind: Kind, Target: s.target, Reason: reason, Err: redact(err, s.secrets...)}
}

// queryError wraps a failed query: the context's error as itself, any
// other as unavailable.
func (s *Source) queryError(what string, err error) error {
	if errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded) {
		return redact(err, s.secrets...)
	}
	return s.unavailable("cannot "+what, err)
}

// Check connects, runs select 1 and checks that every configured schema
// exists and may be used.
func (s *Source) Check(ctx context.Context) error {
	if s.closed.Load() {
		return aam.ErrClosed
	}
	var one int
	if err := s.pool.QueryRow(ctx, "select 1").Scan(&one); err != nil {
		if ctx.Err() != nil {
			return ctx.Err()
		}
		return s.unavailable("cannot connect and select 1", err)
	}
	for _, schema := range s.cfg.Schemas {
		var exists, usage bool
		err := s.pool.QueryRow(ctx,
			`SELECT EXISTS (SELECT 1 FROM pg_catalog.pg_namespace WHERE nspname = $1),
			        COALESCE((SELECT has_schema_privilege(oid, 'USAGE') FROM pg_catalog.pg_namespace WHERE nspname = $1), false)`,
			schema).Scan(&exists, &usage)
		switch {
		case err != nil:
			return s.queryError("check schema privileges", err)
		case !exists:
			return s.unavailable(fmt.Sprintf("schema %q does not exist", schema), nil)
		case !usage:
			return s.unavailable(fmt.Sprintf("no USAGE privilege on schema %q", schema), nil)
		}
	}
	// Tables the session may not read are left out of Discover: none
	// readable among several is a misconfigured role, some is a warning.
	var readable, total int
	err := s.pool.QueryRow(ctx,
		`SELECT count(*) FILTER (WHERE has_table_privilege(c.oid, 'SELECT')), count(*)
		 FROM pg_catalog.pg_class c JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace
		 WHERE n.nspname = ANY($1::text[]) AND c.relkind IN ('r', 'p') AND NOT c.relispartition`,
		s.cfg.Schemas).Scan(&readable, &total)
	switch {
	case err != nil:
		return s.queryError("check table privileges", err)
	case total > 0 && readable == 0:
		return s.unavailable(fmt.Sprintf("no SELECT privilege on any of the %d tables of schemas %v", total, s.cfg.Schemas), nil)
	case readable < total:
		s.cfg.Logger.WarnContext(ctx, "postgres: some tables are not readable and will not be discovered",
			"target", s.target, "readable", readable, "tables", total)
	}
	return nil
}

// Discover lists the tables (and views, with IncludeViews) of the
// configured schemas that the session may read, with their columns,
// types, nullability and primary keys from the catalog, each field
// profiled from a sample of up to SampleRows rows.
func (s *Source) Discover(ctx context.Context) ([]aam.ObjectInfo, error) {
	if s.closed.Load() {
		return nil, aam.ErrClosed
	}
	rels, err := s.catalog(ctx, "")
	if err != nil {
		return nil, err
	}
	out := make([]aam.ObjectInfo, 0, len(rels))
	for _, rel := range rels {
		sch, err := s.describe(ctx, rel)
		if err != nil {
			return nil, err
		}
		out = append(out, aam.ObjectInfo{Name: rel.object(), Schema: sch})
	}
	return out, nil
}

func (s *Source) describe(ctx context.Context, rel *relation) (*drift.Schema, error) {
	samples := make([][]string, len(rel.columns))
	if s.cfg.SampleRows > 0 {
		order := ""
		if p, err := s.plan(rel); err == nil {
			order = " ORDER BY " + keyList(p.keys)
		}
		q := "SELECT " + selectList(rel.columns) + " FROM " + rel.ident() + " AS src" + order + " LIMIT " + strconv.Itoa(s.cfg.SampleRows)
		rows, err := s.pool.Query(ctx, q)
		if err != nil {
			return nil, s.queryError("sample "+strconv.Quote(rel.object()), err)
		}
		for rows.Next() {
			vals, err := rows.Values()
			if err != nil {
				rows.Close()
				return nil, s.queryError("sample "+strconv.Quote(rel.object()), err)
			}
			for i := range rel.columns {
				v, err := convert(rel.columns[i].kind, vals[i])
				if err != nil {
					samples[i] = append(samples[i], "")
					continue
				}
				samples[i] = append(samples[i], sampleText(v))
			}
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return nil, s.queryError("sample "+strconv.Quote(rel.object()), err)
		}
	}
	sch := &drift.Schema{System: s.cfg.System, Object: rel.object(), PrimaryKey: s.cfg.Keys[rel.object()]}
	if len(sch.PrimaryKey) == 0 {
		sch.PrimaryKey = rel.primaryKey()
	}
	for i, c := range rel.columns {
		f := drift.ProfileField(c.name, c.field, samples[i])
		f.Nullable = !c.notNull
		sch.Fields = append(sch.Fields, f)
	}
	if err := sch.Validate(); err != nil {
		// A configured key naming no column: keep the schema valid.
		sch.PrimaryKey = rel.primaryKey()
	}
	return sch, nil
}

// sampleText renders a converted value as text for profiling; null is "".
func sampleText(v any) string {
	switch x := v.(type) {
	case nil:
		return ""
	case string:
		return x
	case json.Number:
		return x.String()
	case int64:
		return strconv.FormatInt(x, 10)
	case float64:
		return strconv.FormatFloat(x, 'g', -1, 64)
	case bool:
		return strconv.FormatBool(x)
	}
	b, err := json.Marshal(v)
	if err != nil {
		return ""
	}
	return string(b)
}

// Close closes the pool. It is idempotent.
func (s *Source) Close() error {
	s.closeMu.Lock()
	defer s.closeMu.Unlock()
	if s.closed.Swap(true) {
		return nil
	}
	s.pool.Close()
	return nil
}

// cursor is the JSON form of an [aam.Cursor] of this connector: the
// text of the last row's cursor column (when reading by one) and key
// columns, and the names of those columns, so that a cursor written for
// another ordering is refused.
type cursor struct {
	V    int      `json:"v"`
	Cols []string `json:"cols"` // cursor column (if any) then keys
	Vals []string `json:"vals"`
}

func (p *plan) order() []*column {
	if p.cursor == nil {
		return p.keys
	}
	return append([]*column{p.cursor}, p.keys...)
}

func decodeCursor(cur aam.Cursor, p *plan) ([]string, error) {
	if cur == "" {
		return nil, nil
	}
	var c cursor
	dec := json.NewDecoder(strings.NewReader(string(cur)))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&c); err != nil || c.V != 1 {
		return nil, fmt.Errorf("%w: not a postgres cursor", aam.ErrInvalidCursor)
	}
	order := p.order()
	if len(c.Cols) != len(order) || len(c.Vals) != len(order) {
		return nil, fmt.Errorf("%w: written for another key or cursor column of %q", aam.ErrInvalidCursor, p.rel.object())
	}
	for i, col := range order {
		if c.Cols[i] != col.name {
			return nil, fmt.Errorf("%w: written for another key or cursor column of %q", aam.ErrInvalidCursor, p.rel.object())
		}
	}
	return c.Vals, nil
}

func encodeCursor(p *plan, vals []string) aam.Cursor {
	c := cursor{V: 1, Vals: vals}
	for _, col := range p.order() {
		c.Cols = append(c.Cols, col.name)
	}
	b, _ := json.Marshal(c)
	return aam.Cursor(b)
}

// Read reads object ("schema.table") in batches of BatchSize rows, one
// keyset query per batch: ordered by the key columns, or by the cursor
// column then the keys, and starting after the cursor's values with a
// row comparison, so each batch costs an index range scan however deep
// the read is. Rows whose cursor column is NULL are not read.
func (s *Source) Read(ctx context.Context, object string, cur aam.Cursor) iter.Seq2[*aam.Batch, error] {
	return func(yield func(*aam.Batch, error) bool) {
		if s.closed.Load() {
			yield(nil, aam.ErrClosed)
			return
		}
		if err := ctx.Err(); err != nil {
			yield(nil, err)
			return
		}
		rels, err := s.catalog(ctx, object)
		if err != nil {
			yield(nil, err)
			return
		}
		if len(rels) != 1 {
			yield(nil, fmt.Errorf("%w: %q in schemas %v", aam.ErrUnknownObject, object, s.cfg.Schemas))
			return
		}
		p, err := s.plan(rels[0])
		if err != nil {
			yield(nil, err)
			return
		}
		after, err := decodeCursor(cur, p)
		if err != nil {
			yield(nil, err)
			return
		}
		first, next := p.queries(s.cfg.BatchSize)
		for {
			if s.closed.Load() {
				yield(nil, aam.ErrClosed)
				return
			}
			if err := ctx.Err(); err != nil {
				yield(nil, err)
				return
			}
			q, args := first, []any(nil)
			if after != nil {
				q = next
				args = make([]any, len(after))
				for i, v := range after {
					args[i] = v
				}
			}
			b, last, err := s.batch(ctx, p, q, args)
			if err != nil {
				if ctx.Err() != nil {
					err = ctx.Err()
				}
				yield(nil, err)
				return
			}
			if b.Len() == 0 {
				return
			}
			b.Object = object
			b.Cursor = encodeCursor(p, last)
			if !yield(b, nil) {
				return
			}
			if b.Len() < s.cfg.BatchSize {
				return
			}
			after = last
		}
	}
}

// queries returns the first batch's query and the query of the batches
// after a cursor. Every identifier comes from the catalog and is quoted
// with pgx.Identifier.Sanitize; cursor values are parameters cast to
// the column's catalog type.
func (p *plan) queries(limit int) (first, next string) {
	order := p.order()
	sel := "SELECT " + selectList(p.rel.columns)
	for _, c := range order {
		sel += ", src." + quote(c.name) + "::text"
	}
	sel += " FROM " + p.rel.ident() + " AS src"
	tail := " ORDER BY " + keyList(order) + " LIMIT " + strconv.Itoa(limit)
	var params []string
	for i, c := range order {
		params = append(params, fmt.Sprintf("CAST($%d::text AS %s)", i+1, c.sqlType))
	}
	where := " WHERE (" + keyList(order) + ") > (" + strings.Join(params, ", ") + ")"
	if len(order) == 1 {
		where = " WHERE " + keyList(order) + " > " + params[0]
	}
	if p.cursor != nil && !p.cursor.notNull {
		sel0 := sel + " WHERE src." + quote(p.cursor.name) + " IS NOT NULL"
		return sel0 + tail, sel + where + tail
	}
	return sel + tail, sel + where + tail
}

func quote(name string) string { return pgx.Identifier{name}.Sanitize() }

// keyList lists cols qualified with the relation's alias "src", so
// that they never resolve to the select list's output columns.
func keyList(cols []*column) string {
	names := make([]string, len(cols))
	for i, c := range cols {
		names[i] = "src." + quote(c.name)
	}
	return strings.Join(names, ", ")
}

// selectList selects every column in the form its kind converts from.
func selectList(cols []column) string {
	var b strings.Builder
	for i, c := range cols {
		if i > 0 {
			b.WriteString(", ")
		}
		q := "src." + quote(c.name)
		switch c.kind {
		case kindInt, kindFloat, kindBool, kindDate, kindTime:
			b.WriteString(q)
		case kindArray:
			b.WriteString("to_json(" + q + ")::text")
		default: // text, numeric, json: their exact text form
			b.WriteString(q + "::text")
		}
	}
	return b.String()
}

// batch runs one page query and converts its rows. It returns the text
// of the last row's ordering columns.
func (s *Source) batch(ctx context.Context, p *plan, q string, args []any) (*aam.Batch, []string, error) {
	rows, err := s.pool.Query(ctx, q, args...)
	if err != nil {
		return nil, nil, s.queryError("read "+strconv.Quote(p.rel.object()), err)
	}
	defer rows.Close()
	b := &aam.Batch{}
	n := len(p.rel.columns)
	var last []string
	for rows.Next() {
		vals, err := rows.Values()
		if err != nil {
			return nil, nil, s.queryError("read "+strconv.Quote(p.rel.object()), err)
		}
		rec := make(map[string]any, n)
		var bad error
		for i := range p.rel.columns {
			c := &p.rel.columns[i]
			v, err := convert(c.kind, vals[i])
			if err != nil && bad == nil {
				bad = fmt.Errorf("%w: column %q: %v", aam.ErrMalformedRecord, c.name, err)
			}
			rec[c.name] = v
		}
		last = last[:0:0]
		for _, v := range vals[n:] {
			t, _ := v.(string)
			last = append(last, t)
		}
		if bad != nil {
			// RowError has no field for a key: the object and key go in File.
			var names []string
			for _, c := range p.order() {
				names = append(names, c.name)
			}
			ref := p.rel.object() + " (" + strings.Join(names, ", ") + ")=(" + strings.Join(last, ", ") + ")"
			b.Errors = append(b.Errors, &aam.RowError{File: ref, Offset: -1, Err: bad})
			continue
		}
		b.Records = append(b.Records, aam.Record{Fields: rec})
	}
	if err := rows.Err(); err != nil {
		return nil, nil, s.queryError("read "+strconv.Quote(p.rel.object()), err)
	}
	// Rows that became row errors still advance the cursor.
	return b, last, nil
}

// convert turns a value as pgx decoded the select list into the
// record's value: int64, float64, bool, json.Number for numerics,
// strings for text, dates ("2006-01-02") and timestamps (RFC 3339 in
// UTC), decoded JSON (numbers as json.Number) for json and arrays.
func convert(k kind, v any) (any, error) {
	if v == nil {
		return nil, nil
	}
	switch k {
	case kindInt:
		switch x := v.(type) {
		case int16:
			return int64(x), nil
		case int32:
			return int64(x), nil
		case int64:
			return x, nil
		case uint32:
			return int64(x), nil
		}
	case kindFloat:
		var f float64
		switch x := v.(type) {
		case float32:
			f = float64(x)
		case float64:
			f = x
		default:
			return nil, fmt.Errorf("unexpected %T", v)
		}
		if math.IsNaN(f) || math.IsInf(f, 0) {
			return strconv.FormatFloat(f, 'g', -1, 64), nil
		}
		return f, nil
	case kindNumeric:
		t, ok := v.(string)
		if !ok {
			break
		}
		switch t {
		case "NaN", "Infinity", "-Infinity":
			return t, nil
		}
		return json.Number(t), nil
	case kindBool:
		if x, ok := v.(bool); ok {
			return x, nil
		}
	case kindDate:
		switch x := v.(type) {
		case time.Time:
			return x.Format(time.DateOnly), nil
		case pgtype.InfinityModifier:
			return x.String(), nil
		}
	case kindTime:
		switch x := v.(type) {
		case time.Time:
			return x.UTC().Format(time.RFC3339Nano), nil
		case pgtype.InfinityModifier:
			return x.String(), nil
		}
	case kindJSON, kindArray:
		t, ok := v.(string)
		if !ok {
			break
		}
		dec := json.NewDecoder(bytes.NewReader([]byte(t)))
		dec.UseNumber()
		var out any
		if err := dec.Decode(&out); err != nil {
			return nil, err
		}
		return out, nil
	case kindText:
		if t, ok := v.(string); ok {
			return t, nil
		}
	}
	return nil, fmt.Errorf("unexpected %T for a %s column", v, kindNames[k])
}

var kindNames = [...]string{"text", "integer", "float", "numeric", "boolean", "date", "timestamp", "json", "array"}
