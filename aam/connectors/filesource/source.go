package filesource

import (
	"bytes"
	"compress/gzip"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"iter"
	"log/slog"
	"os"
	"path"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync/atomic"
	"unicode/utf8"

	"github.com/autonomos/autonomos/aam"
	"github.com/autonomos/autonomos/drift"
)

// Source is a [aam.Connector] over a directory (or a single file) of
// CSV, TSV and JSON Lines files, plain or gzip-compressed. It is safe for
// concurrent use; it holds no open file between calls, so Close only
// marks it closed. The zero value is not usable; use [New] or
// aam.Open("file", ...).
type Source struct {
	aam.UnimplementedConnector
	root   string
	cfg    Config
	log    *slog.Logger
	closed atomic.Bool
}

var _ aam.Connector = (*Source)(nil)

// New returns a Source over root, a directory or one file. It does not
// touch the file system ([Source.Check] does). A nil cfg means defaults;
// an invalid cfg or an empty root yields an error matching
// [aam.ErrInvalidConfig].
func New(root string, cfg *Config) (*Source, error) {
	if root == "" {
		return nil, &aam.ConfigError{Kind: Kind, Field: "path", Reason: "required"}
	}
	c := cfg.WithDefaults()
	if err := c.validate(); err != nil {
		return nil, err
	}
	return &Source{root: filepath.Clean(root), cfg: c, log: c.Logger.With("connector", Kind)}, nil
}

// file is one data file of the source.
type file struct {
	rel    string // slash-separated path relative to the root (base name for a single file)
	abs    string
	format string // csv, tsv, jsonl
	gz     bool
}

// formatOf returns the format of a file name, from its extension unless
// forced, and whether it is gzip-compressed.
func formatOf(name, forced string) (format string, gz, ok bool) {
	lower := strings.ToLower(name)
	if strings.HasSuffix(lower, ".gz") {
		gz = true
		lower = strings.TrimSuffix(lower, ".gz")
	}
	if forced != "" {
		return forced, gz, true
	}
	switch path.Ext(lower) {
	case ".csv", ".txt":
		return "csv", gz, true
	case ".tsv", ".tab":
		return "tsv", gz, true
	case ".jsonl", ".ndjson":
		return "jsonl", gz, true
	}
	return "", false, false
}

// defaultObject names the object of a file: its path without the gzip
// and format extensions.
func defaultObject(rel string) string {
	if strings.HasSuffix(strings.ToLower(rel), ".gz") {
		rel = rel[:len(rel)-3]
	}
	return strings.TrimSuffix(rel, path.Ext(rel))
}

// unavailable builds the error of a root that cannot be reached.
func (s *Source) unavailable(err error) error {
	reason := "cannot be read"
	switch {
	case errors.Is(err, fs.ErrNotExist):
		reason = "no such file or directory"
	case errors.Is(err, fs.ErrPermission):
		reason = "permission denied"
	}
	return &aam.UnavailableError{Kind: Kind, Target: s.root, Reason: reason, Err: err}
}

// list returns the source's data files sorted by relative path. Hidden
// files and directories (".name") and symbolic links are skipped, so
// that a read never leaves the directory.
func (s *Source) list(ctx context.Context) ([]file, error) {
	st, err := os.Stat(s.root)
	if err != nil {
		return nil, s.unavailable(err)
	}
	if !st.IsDir() {
		name := filepath.Base(s.root)
		f, gz, ok := formatOf(name, s.cfg.Format)
		if !ok {
			return nil, &aam.UnavailableError{Kind: Kind, Target: s.root, Reason: "not a .csv, .tsv, .txt, .jsonl or .ndjson file (plain or .gz); set format"}
		}
		return []file{{rel: name, abs: s.root, format: f, gz: gz}}, nil
	}
	var files []file
	err = filepath.WalkDir(s.root, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			if p == s.root {
				return err
			}
			s.log.Warn("filesource: skipping unreadable entry", "path", p, "err", err)
			return nil
		}
		if cerr := ctx.Err(); cerr != nil {
			return cerr
		}
		if p != s.root && strings.HasPrefix(d.Name(), ".") {
			if d.IsDir() {
				return filepath.SkipDir
			}
			return nil
		}
		if d.IsDir() || !d.Type().IsRegular() { // symbolic links are not followed
			return nil
		}
		f, gz, ok := formatOf(d.Name(), s.cfg.Format)
		if !ok {
			return nil
		}
		rel, _ := filepath.Rel(s.root, p)
		files = append(files, file{rel: filepath.ToSlash(rel), abs: p, format: f, gz: gz})
		return nil
	})
	if err != nil {
		if ctx.Err() != nil {
			return nil, ctx.Err()
		}
		return nil, s.unavailable(err)
	}
	slices.SortFunc(files, func(a, b file) int { return strings.Compare(a.rel, b.rel) })
	return files, nil
}

// belongs reports whether the file of relative path rel is part of
// object.
func (s *Source) belongs(object, rel string) bool {
	if len(s.cfg.Objects) == 0 {
		return defaultObject(rel) == object
	}
	pat, ok := s.cfg.Objects[object]
	if !ok {
		return false
	}
	m, _ := path.Match(pat, rel)
	return m
}

// objects groups files by object, each group in path order.
func (s *Source) objects(files []file) map[string][]file {
	objs := make(map[string][]file)
	if len(s.cfg.Objects) == 0 {
		for _, f := range files {
			o := defaultObject(f.rel)
			objs[o] = append(objs[o], f)
		}
		return objs
	}
	for name := range s.cfg.Objects {
		objs[name] = nil
		for _, f := range files {
			if s.belongs(name, f.rel) {
				objs[name] = append(objs[name], f)
			}
		}
	}
	return objs
}

// Check reports whether the root exists and its files can be listed and
// opened. An unreachable root yields an [*aam.UnavailableError].
func (s *Source) Check(ctx context.Context) error {
	if s.closed.Load() {
		return aam.ErrClosed
	}
	files, err := s.list(ctx)
	if err != nil {
		return err
	}
	if len(files) > 0 {
		f, err := os.Open(files[0].abs)
		if err != nil {
			return &aam.UnavailableError{Kind: Kind, Target: files[0].abs, Reason: "cannot open file", Err: err}
		}
		f.Close()
	}
	return nil
}

// Discover returns one object per file group, each with a schema
// inferred from its first SampleRows records (drift inference over CSV
// cells or JSON values). A CSV header's columns are fields even when no
// row has a value for them.
func (s *Source) Discover(ctx context.Context) ([]aam.ObjectInfo, error) {
	if s.closed.Load() {
		return nil, aam.ErrClosed
	}
	files, err := s.list(ctx)
	if err != nil {
		return nil, err
	}
	objs := s.objects(files)
	names := make([]string, 0, len(objs))
	for n := range objs {
		names = append(names, n)
	}
	slices.Sort(names)
	out := make([]aam.ObjectInfo, 0, len(names))
	for _, name := range names {
		sch, err := s.infer(ctx, name, objs[name])
		if err != nil {
			return nil, err
		}
		out = append(out, aam.ObjectInfo{Name: name, Schema: sch, Inferred: true})
	}
	return out, nil
}

func (s *Source) infer(ctx context.Context, object string, files []file) (*drift.Schema, error) {
	in := drift.NewInferrer(s.cfg.System, object, nil)
	var headers []string
	n := 0
	for _, f := range files {
		if n >= s.cfg.SampleRows {
			break
		}
		r := &reader{src: s, object: object, f: f, batchSize: min(s.cfg.BatchSize, s.cfg.SampleRows)}
		err := r.run(ctx, 0, 1, func(b *aam.Batch) bool {
			for _, rec := range b.Records {
				if n >= s.cfg.SampleRows {
					return false
				}
				n++
				if rec.Fields != nil {
					in.Add(rec.Fields)
				} else {
					_ = in.AddRow(b.Header, rec.Row) // rows are never longer than the header
				}
			}
			return n < s.cfg.SampleRows
		})
		if err != nil {
			return nil, err
		}
		for _, h := range r.header {
			if !slices.Contains(headers, h) {
				headers = append(headers, h)
			}
		}
	}
	sch := in.Schema()
	for _, h := range headers {
		if _, ok := sch.Field(h); !ok {
			sch.Fields = append(sch.Fields, drift.Field{Name: h, Type: drift.TypeString, Nullable: true})
		}
	}
	return sch, nil
}

// Close marks the source closed; it is idempotent. Reads in progress
// stop at their next batch.
func (s *Source) Close() error {
	s.closed.Store(true)
	return nil
}

// cursor is the position of a read: the file, the byte offset in its
// (decompressed) content after the last record read, and the line
// there. Done marks a compressed file read to its end, which a resumed
// read skips instead of decompressing it again. HdrEnd is the offset
// where the CSV header ended when the cursor was made: a header rewritten
// to another length (a column renamed in place) shifts every offset after
// it, so a resumed read of such a file starts it again rather than seeking
// into the middle of a row.
type cursor struct {
	V      int    `json:"v"`
	File   string `json:"file"`
	Off    int64  `json:"off"`
	Line   int64  `json:"line"`
	Done   bool   `json:"done,omitempty"`
	HdrEnd int64  `json:"hdr_end,omitempty"`
}

func (c cursor) encode() aam.Cursor {
	b := make([]byte, 0, 64+len(c.File))
	b = append(b, `{"v":1,"file":`...)
	name, _ := json.Marshal(c.File) // a string always marshals
	b = append(b, name...)
	b = append(b, `,"off":`...)
	b = strconv.AppendInt(b, c.Off, 10)
	b = append(b, `,"line":`...)
	b = strconv.AppendInt(b, c.Line, 10)
	if c.Done {
		b = append(b, `,"done":true`...)
	}
	if c.HdrEnd > 0 {
		b = append(b, `,"hdr_end":`...)
		b = strconv.AppendInt(b, c.HdrEnd, 10)
	}
	b = append(b, '}')
	return aam.Cursor(b)
}

func decodeCursor(cur aam.Cursor) (cursor, error) {
	if cur == "" {
		return cursor{}, nil
	}
	var c cursor
	dec := json.NewDecoder(strings.NewReader(string(cur)))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&c); err != nil || c.V != 1 || c.File == "" || c.Off < 0 || c.Line < 1 {
		return cursor{}, fmt.Errorf("%w: not a %s cursor", aam.ErrInvalidCursor, Kind)
	}
	return c, nil
}

// Read yields the records of object's files in path order, from cur.
// See [aam.Connector.Read].
func (s *Source) Read(ctx context.Context, object string, cur aam.Cursor) iter.Seq2[*aam.Batch, error] {
	return func(yield func(*aam.Batch, error) bool) {
		if s.closed.Load() {
			yield(nil, aam.ErrClosed)
			return
		}
		c, err := decodeCursor(cur)
		if err != nil {
			yield(nil, err)
			return
		}
		files, err := s.list(ctx)
		if err != nil {
			yield(nil, err)
			return
		}
		objs := s.objects(files)
		group, ok := objs[object]
		if !ok {
			yield(nil, fmt.Errorf("%w: %q", aam.ErrUnknownObject, object))
			return
		}
		if c.File != "" && !s.belongs(object, c.File) {
			yield(nil, fmt.Errorf("%w: file %q is not part of object %q", aam.ErrInvalidCursor, c.File, object))
			return
		}
		stopped := false
		emit := func(b *aam.Batch) bool {
			if !yield(b, nil) {
				stopped = true
				return false
			}
			return !s.closed.Load()
		}
		for _, f := range group {
			off, line := int64(0), int64(1)
			if c.File != "" {
				if f.rel < c.File || f.rel == c.File && c.Done {
					continue
				}
				if f.rel == c.File {
					off, line = c.Off, c.Line
				}
			}
			r := &reader{src: s, object: object, f: f, batchSize: s.cfg.BatchSize}
			if f.rel == c.File {
				r.cursorHdrEnd = c.HdrEnd
			}
			if err := r.run(ctx, off, line, emit); err != nil {
				if !stopped {
					yield(nil, err)
				}
				return
			}
			if stopped {
				return
			}
			if s.closed.Load() {
				yield(nil, aam.ErrClosed)
				return
			}
		}
	}
}

// reader reads one file into batches.
type reader struct {
	src       *Source
	object    string
	f         file
	batchSize int
	header    []string // the CSV header, once run has read it
	// hdrEnd is the offset after the header; cursorHdrEnd is the HdrEnd
	// of the cursor the read resumes from (0 when none or older).
	hdrEnd, cursorHdrEnd int64
}

// run reads the file from offset off (at line) and hands each batch to
// emit until it returns false. It returns the context's error, an
// invalid cursor or a read failure; row errors go into the batches.
func (r *reader) run(ctx context.Context, off, line int64, emit func(*aam.Batch) bool) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	fh, err := os.Open(r.f.abs)
	if errors.Is(err, fs.ErrNotExist) {
		r.src.log.Warn("filesource: file vanished before it was read", "file", r.f.rel)
		return nil
	}
	if err != nil {
		return &aam.UnavailableError{Kind: Kind, Target: r.f.abs, Reason: "cannot open file", Err: err}
	}
	defer fh.Close()
	var size int64 = -1
	if st, err := fh.Stat(); err == nil && !r.f.gz {
		size = st.Size()
	}
	if size >= 0 && off > size {
		r.src.log.Warn("filesource: file is shorter than the saved cursor; reading it again from the start", "file", r.f.rel, "cursor_offset", off, "size", size)
		off, line = 0, 1
	}
	var in io.Reader = fh
	if r.f.gz {
		zr, err := gzip.NewReader(fh)
		if err != nil {
			if err == io.EOF { // an empty file
				return nil
			}
			emit(&aam.Batch{Object: r.object, File: r.f.rel, Errors: []*aam.RowError{{File: r.f.rel, Offset: 0, Err: fmt.Errorf("%w: not gzip data: %v", aam.ErrMalformedRecord, err)}},
				Cursor: cursor{V: 1, File: r.f.rel, Line: 1, Done: true, HdrEnd: r.hdrEnd}.encode()})
			return nil
		}
		defer zr.Close()
		in = zr
	}
	maxB, maxL := r.src.cfg.MaxRecordBytes, r.src.cfg.MaxRecordLines
	sc := newScanner(in, 0, 1, maxB, maxL)
	sc.skipBOM()
	var header []string
	if r.f.format != "jsonl" {
		sc.comma = r.delimiter(sc)
		sc.lazy = r.src.cfg.LazyQuotes || r.f.format == "tsv"
		var cuts []int
		var out []byte
		var rowErr error
		var ok bool
		out, cuts, _, _, rowErr, ok = sc.record(nil, nil)
		if !ok {
			return nil // empty file
		}
		if rowErr == nil && invalidCell(out, cuts, 0) > 0 {
			rowErr = fmt.Errorf("%w: header is not UTF-8", aam.ErrInvalidEncoding)
		}
		if rowErr != nil {
			if off == 0 {
				emit(&aam.Batch{Object: r.object, File: r.f.rel, Errors: []*aam.RowError{{File: r.f.rel, Line: 1, Offset: 0, Err: fmt.Errorf("header: %w", rowErr)}},
					Cursor: cursor{V: 1, File: r.f.rel, Off: sc.offset(), Line: sc.line, Done: true, HdrEnd: r.hdrEnd}.encode()})
			}
			return nil
		}
		header = headerNames(out, cuts)
		r.header = header
		r.hdrEnd = sc.offset()
	}
	if off > 0 && r.cursorHdrEnd > 0 && r.cursorHdrEnd != r.hdrEnd {
		r.src.log.Warn("filesource: the file's header changed length since the saved cursor; reading it again from the start", "file", r.f.rel, "cursor_offset", off)
		off, line = 0, 1
	}
	if off > 0 && !r.f.gz && off < size {
		// A record ends with a newline: if the byte before the offset is
		// something else, the file was rewritten, not appended to.
		var prev [1]byte
		if _, err := fh.ReadAt(prev[:], off-1); err == nil && prev[0] != '\n' {
			r.src.log.Warn("filesource: the saved cursor is not at the start of a line any more (the file was rewritten); reading it again from the start", "file", r.f.rel, "cursor_offset", off)
			off, line = 0, 1
		}
	}
	if off > 0 {
		if off < sc.offset() {
			return fmt.Errorf("%w: offset %d of %q is inside its header", aam.ErrInvalidCursor, off, r.f.rel)
		}
		if !r.f.gz {
			if _, err := fh.Seek(off, io.SeekStart); err != nil {
				return fmt.Errorf("filesource: seek %s: %w", r.f.rel, err)
			}
			comma, lazy := sc.comma, sc.lazy
			sc = newScanner(fh, off, line, maxB, maxL)
			sc.comma, sc.lazy = comma, lazy
		} else {
			if err := sc.discard(ctx, off); err != nil {
				if ctx.Err() != nil {
					return ctx.Err()
				}
				if sc.rerr != nil {
					return fmt.Errorf("filesource: read %s: %w", r.f.rel, sc.rerr)
				}
				r.src.log.Warn("filesource: file is shorter than the saved cursor; reading it again from the start", "file", r.f.rel, "cursor_offset", off)
				fh.Close()
				return r.run(ctx, 0, 1, emit)
			}
			sc.line = line
		}
	}
	last := cursor{V: 1, File: r.f.rel, Off: sc.offset(), Line: sc.line, HdrEnd: r.hdrEnd}
	var out []byte
	var cuts, starts []int
	var lines []int64
	for {
		if err := ctx.Err(); err != nil {
			return err
		}
		b := &aam.Batch{Object: r.object, File: r.f.rel, Header: header}
		n := 0
		eof := false
		if header != nil {
			out, cuts, starts, lines = out[:0], cuts[:0], starts[:0], lines[:0]
			for n < r.batchSize {
				o0, c0 := len(out), len(cuts)
				var (
					line, off int64
					rowErr    error
					ok        bool
				)
				out, cuts, line, off, rowErr, ok = sc.record(out, cuts)
				if !ok {
					eof = true
					break
				}
				n++
				if rowErr == nil {
					if nc := len(cuts) - c0; nc != len(header) {
						rowErr = fmt.Errorf("%w: %d cells, the header has %d", aam.ErrRaggedRow, nc, len(header))
					} else if k := invalidCell(out, cuts[c0:], o0); k > 0 {
						rowErr = fmt.Errorf("%w: column %q", aam.ErrInvalidEncoding, header[k-1])
					}
				}
				if rowErr != nil {
					out, cuts = out[:o0], cuts[:c0]
					b.Errors = append(b.Errors, &aam.RowError{File: r.f.rel, Line: line, Offset: off, Err: rowErr})
					continue
				}
				starts = append(starts, c0)
				lines = append(lines, line)
			}
			if len(starts) > 0 {
				str := string(out)
				cells := make([]string, len(cuts))
				prev := 0
				for i, c := range cuts {
					cells[i] = str[prev:c]
					prev = c
				}
				nc := len(header)
				b.Records = make([]aam.Record, len(starts))
				for i, st := range starts {
					b.Records[i] = aam.Record{Row: cells[st : st+nc : st+nc], Line: lines[i]}
				}
			}
		} else {
			for n < r.batchSize {
				text, line, off, rowErr, ok := sc.nextLine()
				if !ok {
					eof = true
					break
				}
				n++
				var rec map[string]any
				if rowErr == nil {
					rec, rowErr = decodeLine(text)
				}
				if rowErr != nil {
					b.Errors = append(b.Errors, &aam.RowError{File: r.f.rel, Line: line, Offset: off, Err: rowErr})
					continue
				}
				b.Records = append(b.Records, aam.Record{Fields: rec, Line: line})
			}
		}
		if sc.rerr != nil {
			return fmt.Errorf("filesource: read %s: %w", r.f.rel, sc.rerr)
		}
		cur := cursor{V: 1, File: r.f.rel, Off: sc.offset(), Line: sc.line, Done: eof && r.f.gz, HdrEnd: r.hdrEnd}
		if n > 0 || cur != last {
			b.Cursor = cur.encode()
			last = cur
			if !emit(b) {
				return nil
			}
		}
		if eof {
			return nil
		}
	}
}

// delimiter returns the configured delimiter, tab for TSV, or the one
// sniffed from the first lines in the scanner's window.
func (r *reader) delimiter(sc *scanner) byte {
	if d := r.src.cfg.Delimiter; d != "" {
		return d[0]
	}
	if r.f.format == "tsv" {
		return '\t'
	}
	for sc.end-sc.pos < 64<<10 && sc.fill() {
	}
	return sniff(sc.buf[sc.pos:sc.end])
}

// headerNames turns the header cells into field names: trimmed, an
// empty name becomes "column_N", and a repeated name gets "_2", "_3".
func headerNames(out []byte, cuts []int) []string {
	h := make([]string, len(cuts))
	seen := make(map[string]bool, len(cuts))
	prev := 0
	for i, c := range cuts {
		name := strings.TrimSpace(string(out[prev:c]))
		prev = c
		if name == "" {
			name = "column_" + strconv.Itoa(i+1)
		}
		base := name
		for k := 2; seen[name]; k++ {
			name = base + "_" + strconv.Itoa(k)
		}
		seen[name] = true
		h[i] = name
	}
	return h
}

// decodeLine reads one JSON Lines record: a JSON object, numbers kept as
// json.Number.
func decodeLine(text []byte) (map[string]any, error) {
	if !utf8.Valid(text) {
		return nil, fmt.Errorf("%w: line is not UTF-8", aam.ErrInvalidEncoding)
	}
	dec := json.NewDecoder(bytes.NewReader(text))
	dec.UseNumber()
	var rec map[string]any
	if err := dec.Decode(&rec); err != nil {
		return nil, fmt.Errorf("%w: not JSON: %v", aam.ErrMalformedRecord, err)
	}
	if rec == nil {
		return nil, fmt.Errorf("%w: not a JSON object", aam.ErrMalformedRecord)
	}
	if dec.More() {
		return nil, fmt.Errorf("%w: more than one JSON value on the line", aam.ErrMalformedRecord)
	}
	return rec, nil
}
