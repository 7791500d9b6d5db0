package filesource

import (
	"encoding/json"
	"fmt"
	"log/slog"
	"path"
	"strings"

	"github.com/autonomos/autonomos/aam"
)

// Kind is the connector kind under which the package registers itself
// in [aam.DefaultRegistry].
const Kind = "file"

// Config configures a [Source]. The zero value is usable; a nil *Config
// means the zero value.
type Config struct {
	// Objects maps object names to glob patterns (path.Match syntax) on
	// the files' slash-separated paths relative to the source's
	// directory, e.g. {"opportunities": "exports/opps-*.csv.gz"}. An
	// object's files are read in the order of their paths. Defaults to
	// one object per file path without its format and .gz extensions
	// ("exports/opps.csv.gz" is "exports/opps"; "a.csv" and "a.csv.gz"
	// are both object "a").
	Objects map[string]string `json:"objects,omitempty"`
	// Format forces the format of every file: "csv", "tsv" or "jsonl".
	// Defaults to the file's extension: .csv and .txt are CSV with a
	// sniffed delimiter, .tsv is tab-separated, .jsonl and .ndjson are
	// JSON Lines; other files are ignored.
	Format string `json:"format,omitempty"`
	// Delimiter is the cell separator of CSV files, one ASCII
	// character. Defaults to sniffing among ',', ';', '\t' and '|' from
	// the first lines of each file (tab for .tsv files).
	Delimiter string `json:"delimiter,omitempty"`
	// LazyQuotes accepts a quote inside an unquoted cell as a literal
	// character (5" screen) instead of a row error. Defaults to false for
	// CSV; TSV files always read such quotes as literal characters.
	LazyQuotes bool `json:"lazy_quotes,omitempty"`
	// BatchSize is the number of records (and row errors) per batch.
	// Defaults to 1000.
	BatchSize int `json:"batch_size,omitempty"`
	// SampleRows is the number of records of each object that Discover
	// reads to infer its schema. Defaults to 1000.
	SampleRows int `json:"sample_rows,omitempty"`
	// MaxRecordBytes bounds the size of one record (and the memory of a
	// read): a longer record is a row error. Defaults to 4 MiB.
	MaxRecordBytes int `json:"max_record_bytes,omitempty"`
	// MaxRecordLines bounds the lines one quoted cell may span; beyond
	// it the quote is taken as broken, the record is a row error and the
	// read goes on at the next line. Defaults to 1000.
	MaxRecordLines int `json:"max_record_lines,omitempty"`
	// System is the drift schema's System of discovered objects.
	// Defaults to "file".
	System string `json:"system,omitempty"`
	// Logger receives warnings: a file that vanished before it was read,
	// one shorter than its saved cursor. Defaults to slog.Default().
	Logger *slog.Logger `json:"-"`
}

// WithDefaults returns c with its defaults filled in.
func (c *Config) WithDefaults() Config {
	var d Config
	if c != nil {
		d = *c
	}
	if d.BatchSize == 0 {
		d.BatchSize = 1000
	}
	if d.SampleRows == 0 {
		d.SampleRows = 1000
	}
	if d.MaxRecordBytes == 0 {
		d.MaxRecordBytes = 4 << 20
	}
	if d.MaxRecordLines == 0 {
		d.MaxRecordLines = 1000
	}
	if d.Logger == nil {
		d.Logger = slog.Default()
	}
	if d.System == "" {
		d.System = "file"
	}
	return d
}

func (c *Config) validate() error {
	bad := func(field, reason string) error {
		return &aam.ConfigError{Kind: Kind, Field: field, Reason: reason}
	}
	switch c.Format {
	case "", "csv", "tsv", "jsonl":
	default:
		return bad("format", fmt.Sprintf("%q is not csv, tsv or jsonl", c.Format))
	}
	if c.Delimiter != "" {
		if len(c.Delimiter) != 1 || c.Delimiter[0] >= 0x80 || strings.ContainsAny(c.Delimiter, "\"\r\n") {
			return bad("delimiter", "must be one ASCII character other than a quote or line break")
		}
	}
	for name, pat := range c.Objects {
		if name == "" {
			return bad("objects", "empty object name")
		}
		if _, err := path.Match(pat, ""); err != nil || pat == "" {
			return bad("objects", fmt.Sprintf("bad pattern for object %q", name))
		}
	}
	switch {
	case c.BatchSize < 0:
		return bad("batch_size", "must not be negative")
	case c.SampleRows < 0:
		return bad("sample_rows", "must not be negative")
	case c.MaxRecordBytes < 0 || c.MaxRecordBytes > 1<<30:
		return bad("max_record_bytes", "must be within 0..1 GiB")
	case c.MaxRecordLines < 0:
		return bad("max_record_lines", "must not be negative")
	}
	return nil
}

// fileConfig is the JSON configuration of the "file" kind: the path and
// the Config fields.
type fileConfig struct {
	Path string `json:"path"`
	Config
}

func init() {
	aam.Register(Kind, func(raw json.RawMessage) (aam.Connector, error) {
		var fc fileConfig
		dec := json.NewDecoder(strings.NewReader(string(raw)))
		dec.DisallowUnknownFields()
		if err := dec.Decode(&fc); err != nil {
			return nil, &aam.ConfigError{Kind: Kind, Reason: "cannot decode", Err: err}
		}
		return New(fc.Path, &fc.Config)
	})
}
