package postgres

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"strings"

	"github.com/jackc/pgx/v5"

	"github.com/autonomos/autonomos/aam"
)

// Kind is the connector kind under which the package registers itself
// in [aam.DefaultRegistry].
const Kind = "postgres"

// Config configures a [Source]. Only URL is required.
//
// The URL is a secret (it usually holds a password): it is never
// written to an error, a log line or the Config's log value.
type Config struct {
	// URL is the connection string, a postgres:// URL or a key=value
	// DSN, as pgx parses it (Supabase gives one of each). Required.
	URL string `json:"url"`
	// Schemas lists the schemas whose tables are discovered and read.
	// Defaults to ["public"].
	Schemas []string `json:"schemas,omitempty"`
	// IncludeViews also discovers views and materialized views. A view
	// has no primary key in the catalog: give it one in Keys to read it.
	// Defaults to false.
	IncludeViews bool `json:"include_views,omitempty"`
	// Keys gives the ordering key columns of objects ("schema.table")
	// whose catalog declares no primary key (views, tables without
	// one). The columns must be unique and not null together. Defaults
	// to the primary key from the catalog.
	Keys map[string][]string `json:"keys,omitempty"`
	// CursorColumns maps objects ("schema.table") to an update-time
	// column ("updated_at") that reads go by, with the key as the
	// tie-break, so that a resumed read also sees rows updated since.
	// The empty string forces keyset reads on the key alone. Defaults
	// to detection (see DisableCursorDetection).
	CursorColumns map[string]string `json:"cursor_columns,omitempty"`
	// DisableCursorDetection turns off picking, for an object absent
	// from CursorColumns, a NOT NULL timestamp column named updated_at,
	// updatedat, modified_at, last_modified, last_modified_at,
	// date_modified or modified as its cursor column. Defaults to false.
	DisableCursorDetection bool `json:"disable_cursor_detection,omitempty"`
	// BatchSize is the number of rows per batch (one query each).
	// Defaults to 1000.
	BatchSize int `json:"batch_size,omitempty"`
	// SampleRows is the number of rows per table that Discover reads to
	// profile the fields' values. Defaults to 100; -1 reads none.
	SampleRows int `json:"sample_rows,omitempty"`
	// ExecMode is pgx's query execution mode: "cache_statement",
	// "cache_describe", "describe_exec", "exec" or "simple_protocol".
	// Behind PgBouncer in transaction mode (Supabase's pooler on port
	// 6543) use "exec" or "simple_protocol", which keep no prepared
	// statements on the server. Defaults to the URL's
	// default_query_exec_mode, else "cache_statement".
	ExecMode string `json:"exec_mode,omitempty"`
	// MaxConns bounds the pool's connections. Defaults to 4.
	MaxConns int32 `json:"max_conns,omitempty"`
	// System is the drift schema's System of discovered objects.
	// Defaults to "postgres".
	System string `json:"system,omitempty"`
	// Logger receives warnings. Defaults to slog.Default().
	Logger *slog.Logger `json:"-"`
	// Dial opens the connections to the server (pgx's DialFunc), for
	// every host of the URL and for cancel requests: a server passes an
	// egress guard (aam/egress) so that a tenant's URL cannot reach its
	// own network. Defaults to pgx's dialer.
	Dial DialFunc `json:"-"`
	// URLOnly takes credentials and client certificates from the URL
	// alone: pgx otherwise fills what the URL leaves out from the
	// process's PGPASSWORD, ~/.pgpass and PGSSLCERT/PGSSLKEY, which a
	// server must never send to a host a tenant named. Factory(dial)
	// with a non-nil dial sets it.
	URLOnly bool `json:"-"`
}

// DialFunc dials a network address, as net.Dialer.DialContext does.
type DialFunc = func(ctx context.Context, network, address string) (net.Conn, error)

// LogValue logs the Config without its URL.
func (c Config) LogValue() slog.Value {
	return slog.GroupValue(
		slog.String("url", "[redacted]"),
		slog.Any("schemas", c.Schemas),
		slog.Bool("include_views", c.IncludeViews),
		slog.Int("batch_size", c.BatchSize),
		slog.String("exec_mode", c.ExecMode),
	)
}

// String returns the Config without its URL, so that printing it by
// mistake leaks nothing.
func (c Config) String() string {
	return fmt.Sprintf("postgres.Config{URL:[redacted] Schemas:%v IncludeViews:%v BatchSize:%d ExecMode:%q}",
		c.Schemas, c.IncludeViews, c.BatchSize, c.ExecMode)
}

// WithDefaults returns c with its defaults filled in (ExecMode stays
// empty when unset: the URL decides).
func (c *Config) WithDefaults() Config {
	var d Config
	if c != nil {
		d = *c
	}
	if len(d.Schemas) == 0 {
		d.Schemas = []string{"public"}
	}
	if d.BatchSize == 0 {
		d.BatchSize = 1000
	}
	if d.SampleRows == 0 {
		d.SampleRows = 100
	}
	if d.MaxConns == 0 {
		d.MaxConns = 4
	}
	if d.System == "" {
		d.System = "postgres"
	}
	if d.Logger == nil {
		d.Logger = slog.Default()
	}
	return d
}

var execModes = map[string]pgx.QueryExecMode{
	"cache_statement": pgx.QueryExecModeCacheStatement,
	"cache_describe":  pgx.QueryExecModeCacheDescribe,
	"describe_exec":   pgx.QueryExecModeDescribeExec,
	"exec":            pgx.QueryExecModeExec,
	"simple_protocol": pgx.QueryExecModeSimpleProtocol,
}

func (c *Config) validate() error {
	bad := func(field, reason string) error {
		return &aam.ConfigError{Kind: Kind, Field: field, Reason: reason}
	}
	if strings.TrimSpace(c.URL) == "" {
		return bad("url", "required")
	}
	for _, s := range c.Schemas {
		if s == "" {
			return bad("schemas", "empty schema name")
		}
	}
	if _, ok := execModes[c.ExecMode]; c.ExecMode != "" && !ok {
		return bad("exec_mode", fmt.Sprintf("%q is not cache_statement, cache_describe, describe_exec, exec or simple_protocol", c.ExecMode))
	}
	for obj, cols := range c.Keys {
		if obj == "" || len(cols) == 0 {
			return bad("keys", fmt.Sprintf("object %q needs at least one key column", obj))
		}
		for _, col := range cols {
			if col == "" {
				return bad("keys", fmt.Sprintf("object %q has an empty key column", obj))
			}
		}
	}
	for obj := range c.CursorColumns {
		if obj == "" {
			return bad("cursor_columns", "empty object name")
		}
	}
	switch {
	case c.BatchSize < 0:
		return bad("batch_size", "must not be negative")
	case c.SampleRows < -1:
		return bad("sample_rows", "must be -1 (none), 0 (default) or positive")
	case c.MaxConns < 0:
		return bad("max_conns", "must not be negative")
	}
	return nil
}

func init() { aam.Register(Kind, Factory(nil)) }

// Factory returns the [aam.Factory] of the kind: it decodes the JSON
// configuration and opens a [Source] whose connections go through dial
// (nil: pgx's dialer). The package registers Factory(nil); a server that
// guards egress registers its own in its own [aam.Registry].
func Factory(dial DialFunc) aam.Factory {
	return func(raw json.RawMessage) (aam.Connector, error) {
		var cfg Config
		dec := json.NewDecoder(strings.NewReader(string(raw)))
		dec.DisallowUnknownFields()
		if err := dec.Decode(&cfg); err != nil {
			// A decode error may quote the JSON it choked on, which
			// can hold the URL: say only where.
			return nil, &aam.ConfigError{Kind: Kind, Reason: "cannot decode: " + decodeErrorWhere(err)}
		}
		cfg.Dial = dial
		cfg.URLOnly = dial != nil
		return New(&cfg)
	}
}

// decodeErrorWhere describes a JSON decode error without quoting values.
func decodeErrorWhere(err error) string {
	var ute *json.UnmarshalTypeError
	var se *json.SyntaxError
	switch {
	case errors.As(err, &ute):
		return fmt.Sprintf("field %q has the wrong type (want %s)", ute.Field, ute.Type)
	case errors.As(err, &se):
		return fmt.Sprintf("syntax error at byte %d", se.Offset)
	case strings.HasPrefix(err.Error(), "json: unknown field "):
		return err.Error() // names the field, not a value
	}
	return "not a configuration object"
}
