package mongodb

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"strings"
	"time"

	"github.com/autonomos/autonomos/aam"
)

// Kind is the connector kind under which the package registers itself
// in [aam.DefaultRegistry].
const Kind = "mongodb"

// Config configures a [Source]. URI and a database (in Database or in
// the URI's path) are required.
//
// The URI is a secret (it usually holds a password): it is never
// written to an error, a log line or the Config's printed form.
type Config struct {
	// URI is the connection string, mongodb:// or mongodb+srv://.
	// Required.
	URI string `json:"uri"`
	// Database is the database whose collections are the objects.
	// Defaults to the database named in the URI's path.
	Database string `json:"database,omitempty"`
	// Collections lists the collections to discover and read. Defaults
	// to every collection of the database except system ones.
	Collections []string `json:"collections,omitempty"`
	// UpdateFields maps collections to an update-time field (dotted
	// paths allowed, "meta.updatedAt") that reads go by, with _id as
	// the tie-break, so that a resumed read also sees documents updated
	// since. Documents without the field are not read by such a read.
	// Defaults to reading every collection by ascending _id.
	UpdateFields map[string]string `json:"update_fields,omitempty"`
	// BatchSize is the number of documents per batch (one query each).
	// Defaults to 1000.
	BatchSize int `json:"batch_size,omitempty"`
	// SampleSize is the number of documents per collection that
	// Discover reads (the newest by _id) to infer the schema. Defaults
	// to 1000.
	SampleSize int `json:"sample_size,omitempty"`
	// ServerSelectionTimeout bounds how long an operation waits for a
	// server it can use, hence how soon Check reports an unreachable
	// deployment. Defaults to 10s.
	ServerSelectionTimeout time.Duration `json:"server_selection_timeout,omitempty"`
	// System is the drift schema's System of discovered objects.
	// Defaults to "mongodb".
	System string `json:"system,omitempty"`
	// Logger receives warnings. Defaults to slog.Default().
	Logger *slog.Logger `json:"-"`
	// Dial opens the driver's connections to the deployment's servers:
	// a server passes an egress guard (aam/egress) so that a tenant's
	// URI cannot reach its own network. The SRV and TXT lookups of a
	// mongodb+srv:// URI are not dials; the addresses they give are
	// dialed through Dial. Defaults to the driver's dialer.
	Dial DialFunc `json:"-"`
}

// DialFunc dials a network address, as net.Dialer.DialContext does.
type DialFunc = func(ctx context.Context, network, address string) (net.Conn, error)

// contextDialer adapts a DialFunc to the driver's dialer interface.
type contextDialer DialFunc

func (d contextDialer) DialContext(ctx context.Context, network, address string) (net.Conn, error) {
	return d(ctx, network, address)
}

// String returns the Config without its URI.
func (c Config) String() string {
	return fmt.Sprintf("mongodb.Config{URI:[redacted] Database:%q Collections:%v BatchSize:%d}", c.Database, c.Collections, c.BatchSize)
}

// LogValue logs the Config without its URI.
func (c Config) LogValue() slog.Value {
	return slog.GroupValue(slog.String("uri", "[redacted]"), slog.String("database", c.Database),
		slog.Any("collections", c.Collections), slog.Int("batch_size", c.BatchSize))
}

// WithDefaults returns c with its defaults filled in.
func (c *Config) WithDefaults() Config {
	var d Config
	if c != nil {
		d = *c
	}
	if d.Database == "" {
		d.Database = uriDatabase(d.URI)
	}
	if d.BatchSize == 0 {
		d.BatchSize = 1000
	}
	if d.SampleSize == 0 {
		d.SampleSize = 1000
	}
	if d.ServerSelectionTimeout == 0 {
		d.ServerSelectionTimeout = 10 * time.Second
	}
	if d.System == "" {
		d.System = "mongodb"
	}
	if d.Logger == nil {
		d.Logger = slog.Default()
	}
	return d
}

// uriDatabase returns the database in the path of a mongodb:// URI:
// after the first "/" that follows the host list, before any "?".
func uriDatabase(uri string) string {
	_, rest, ok := strings.Cut(uri, "://")
	if !ok {
		return ""
	}
	if i := strings.LastIndex(rest, "@"); i >= 0 {
		rest = rest[i+1:]
	}
	_, path, ok := strings.Cut(rest, "/")
	if !ok {
		return ""
	}
	path, _, _ = strings.Cut(path, "?")
	return path
}

// uriHosts returns the host list of a mongodb:// URI, without
// credentials, for errors.
func uriHosts(uri string) string {
	scheme, rest, ok := strings.Cut(uri, "://")
	if !ok {
		return "?"
	}
	if i := strings.LastIndex(rest, "@"); i >= 0 {
		rest = rest[i+1:]
	}
	if i := strings.IndexAny(rest, "/?"); i >= 0 {
		rest = rest[:i]
	}
	return scheme + "://" + rest
}

func (c *Config) validate() error {
	bad := func(field, reason string) error {
		return &aam.ConfigError{Kind: Kind, Field: field, Reason: reason}
	}
	switch {
	case c.URI == "":
		return bad("uri", "required")
	case !strings.HasPrefix(c.URI, "mongodb://") && !strings.HasPrefix(c.URI, "mongodb+srv://"):
		return bad("uri", "must start with mongodb:// or mongodb+srv://")
	case c.Database == "":
		return bad("database", "required (or name it in the URI's path)")
	case strings.ContainsAny(c.Database, "/\\. \"$\x00"):
		return bad("database", fmt.Sprintf("%q is not a valid database name", c.Database))
	case c.BatchSize < 0:
		return bad("batch_size", "must not be negative")
	case c.SampleSize < 0:
		return bad("sample_size", "must not be negative")
	case c.ServerSelectionTimeout < 0:
		return bad("server_selection_timeout", "must not be negative")
	}
	for _, coll := range c.Collections {
		if coll == "" {
			return bad("collections", "empty collection name")
		}
	}
	for coll, f := range c.UpdateFields {
		if coll == "" || f == "" || f == "_id" || strings.HasPrefix(f, "$") {
			return bad("update_fields", fmt.Sprintf("collection %q: %q is not a usable update field", coll, f))
		}
	}
	return nil
}

// jsonConfig is Config as JSON, with the timeout as a Go duration
// string ("5s").
type jsonConfig struct {
	Config
	ServerSelectionTimeout string `json:"server_selection_timeout,omitempty"`
}

func init() { aam.Register(Kind, Factory(nil)) }

// Factory returns the [aam.Factory] of the kind: it decodes the JSON
// configuration and opens a [Source] whose connections go through dial
// (nil: the driver's dialer). The package registers Factory(nil); a
// server that guards egress registers its own in its own [aam.Registry].
func Factory(dial DialFunc) aam.Factory {
	return func(raw json.RawMessage) (aam.Connector, error) {
		var jc jsonConfig
		dec := json.NewDecoder(strings.NewReader(string(raw)))
		dec.DisallowUnknownFields()
		if err := dec.Decode(&jc); err != nil {
			return nil, &aam.ConfigError{Kind: Kind, Reason: "cannot decode: " + decodeErrorWhere(err)}
		}
		cfg := jc.Config
		if jc.ServerSelectionTimeout != "" {
			d, err := time.ParseDuration(jc.ServerSelectionTimeout)
			if err != nil {
				return nil, &aam.ConfigError{Kind: Kind, Field: "server_selection_timeout", Reason: "not a duration such as \"5s\""}
			}
			cfg.ServerSelectionTimeout = d
		}
		cfg.Dial = dial
		return New(&cfg)
	}
}

// decodeErrorWhere describes a JSON decode error without quoting values
// (the text could hold the URI).
func decodeErrorWhere(err error) string {
	var ute *json.UnmarshalTypeError
	var se *json.SyntaxError
	switch {
	case errors.As(err, &ute):
		return fmt.Sprintf("field %q has the wrong type (want %s)", ute.Field, ute.Type)
	case errors.As(err, &se):
		return fmt.Sprintf("syntax error at byte %d", se.Offset)
	case strings.HasPrefix(err.Error(), "json: unknown field "):
		return err.Error()
	}
	return "not a configuration object"
}
