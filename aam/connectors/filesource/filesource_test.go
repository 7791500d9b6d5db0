package filesource_test

import (
	"bytes"
	"compress/gzip"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/autonomos/autonomos/aam"
	"github.com/autonomos/autonomos/aam/connectors/filesource"
	"github.com/autonomos/autonomos/aam/connectortest"
	"github.com/autonomos/autonomos/drift"
)

func writeFile(t testing.TB, path string, data []byte) {
	t.Helper()
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		t.Fatal(err)
	}
	if strings.HasSuffix(path, ".gz") {
		var buf bytes.Buffer
		zw := gzip.NewWriter(&buf)
		zw.Write(data)
		zw.Close()
		data = buf.Bytes()
	}
	if err := os.WriteFile(path, data, 0o644); err != nil {
		t.Fatal(err)
	}
}

func appendFile(t testing.TB, path string, data string) {
	t.Helper()
	f, err := os.OpenFile(path, os.O_APPEND|os.O_WRONLY, 0)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if _, err := f.WriteString(data); err != nil {
		t.Fatal(err)
	}
}

// fixture writes a directory with a CSV object split over a plain and a
// gzip file (with a BOM, semicolons and a quoted newline), a TSV object
// and a JSON Lines object, and returns the directory and the record
// counts.
func fixture(t testing.TB) (string, map[string]int) {
	dir := t.TempDir()
	var a, b strings.Builder
	a.WriteString("\ufeffid;name;amount;closed\n")
	for i := range 12 {
		if i == 4 {
			fmt.Fprintf(&a, "%d;\"Acme;\nTwo \"\"lines\"\"\";%d,50;true\n", i, i*100)
			continue
		}
		fmt.Fprintf(&a, "%d;Deal %d;%d;false\r\n", i, i, i*100)
	}
	b.WriteString("id;name;amount;closed\n")
	for i := 12; i < 19; i++ {
		fmt.Fprintf(&b, "%d;Deal %d;%d;true\n", i, i, i*100)
	}
	writeFile(t, filepath.Join(dir, "deals", "2025-01.csv"), []byte(a.String()))
	writeFile(t, filepath.Join(dir, "deals", "2025-02.csv.gz"), []byte(b.String()))
	var tsv strings.Builder
	tsv.WriteString("email\tcountry\n")
	for i := range 9 {
		fmt.Fprintf(&tsv, "p%d@example.com\tDE\n", i)
	}
	writeFile(t, filepath.Join(dir, "people.tsv"), []byte(tsv.String()))
	var jl strings.Builder
	for i := range 8 {
		fmt.Fprintf(&jl, `{"id":%d,"ref":{"value":"acc-%d"},"tags":["a"]}`+"\n", i, i)
	}
	writeFile(t, filepath.Join(dir, "events.jsonl"), []byte(jl.String()))
	writeFile(t, filepath.Join(dir, "README.md"), []byte("not data"))
	writeFile(t, filepath.Join(dir, ".hidden", "x.csv"), []byte("a\n1\n"))
	outside := filepath.Join(t.TempDir(), "secret.csv")
	writeFile(t, outside, []byte("a\n1\n"))
	if err := os.Symlink(outside, filepath.Join(dir, "link.csv")); err != nil {
		t.Fatal(err)
	}
	return dir, map[string]int{"deals": 19, "people": 9, "events": 8}
}

func TestAcceptance(t *testing.T) {
	dir, records := fixture(t)
	cfg := &filesource.Config{BatchSize: 3, Objects: map[string]string{
		"deals": "deals/*.csv*", "people": "people.tsv", "events": "events.jsonl",
	}}
	connectortest.RunAcceptanceTests(t, connectortest.Harness{
		Open: func(t *testing.T) aam.Connector {
			s, err := filesource.New(dir, cfg)
			if err != nil {
				t.Fatal(err)
			}
			return s
		},
		Records: records,
		Append: func(t *testing.T, object string, n int) {
			// "deals" sorts first; its last file is compressed, so
			// new records arrive in a new, later file.
			var b strings.Builder
			b.WriteString("id;name;amount;closed\n")
			for i := range n {
				fmt.Fprintf(&b, "%d;New %d;1;false\n", 100+i, i)
			}
			writeFile(t, filepath.Join(dir, "deals", "2025-03.csv"), []byte(b.String()))
		},
		Unreachable: func(t *testing.T) aam.Connector {
			s, err := filesource.New(filepath.Join(dir, "no-such-dir"), nil)
			if err != nil {
				t.Fatal(err)
			}
			return s
		},
	})
}

// TestAcceptanceDefaultObjects runs the suite on a single plain file
// whose new records are appended to it.
func TestAcceptanceSingleFile(t *testing.T) {
	dir := t.TempDir()
	p := filepath.Join(dir, "accounts.csv")
	var b strings.Builder
	b.WriteString("id,name,domain\n")
	for i := range 10 {
		fmt.Fprintf(&b, "%d,Account %d,a%d.example.com\n", i, i, i)
	}
	writeFile(t, p, []byte(b.String()))
	connectortest.RunAcceptanceTests(t, connectortest.Harness{
		Open: func(t *testing.T) aam.Connector {
			s, err := filesource.New(p, &filesource.Config{BatchSize: 4})
			if err != nil {
				t.Fatal(err)
			}
			return s
		},
		Records: map[string]int{"accounts": 10},
		Append: func(t *testing.T, object string, n int) {
			for i := range n {
				appendFile(t, p, fmt.Sprintf("%d,Appended %d,n%d.example.com\n", 50+i, i, i))
			}
		},
	})
}

type readResult struct {
	rows    [][]string
	fields  []map[string]any
	lines   []int64
	errs    []*aam.RowError
	cursors []aam.Cursor
	header  []string
}

func readAll(t *testing.T, c aam.Connector, object string, cur aam.Cursor) readResult {
	t.Helper()
	var r readResult
	for b, err := range c.Read(context.Background(), object, cur) {
		if err != nil {
			t.Fatalf("Read(%q): %v", object, err)
		}
		r.header = b.Header
		for _, rec := range b.Records {
			if rec.Row != nil {
				r.rows = append(r.rows, rec.Row)
			} else {
				r.fields = append(r.fields, rec.Fields)
			}
			r.lines = append(r.lines, rec.Line)
		}
		r.errs = append(r.errs, b.Errors...)
		r.cursors = append(r.cursors, b.Cursor)
	}
	return r
}

func newSource(t *testing.T, path string, cfg *filesource.Config) *filesource.Source {
	t.Helper()
	s, err := filesource.New(path, cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

func TestFormats(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name, file, data string
		want             [][]string
		header           []string
	}{
		{"comma", "a.csv", "a,b\n1,2\n3,4\n", [][]string{{"1", "2"}, {"3", "4"}}, []string{"a", "b"}},
		{"semicolon", "a.csv", "a;b\n1,5;2\n3;4,25\n", [][]string{{"1,5", "2"}, {"3", "4,25"}}, []string{"a", "b"}},
		{"tab sniffed", "a.txt", "a\tb\n1\t2\n", [][]string{{"1", "2"}}, []string{"a", "b"}},
		{"pipe", "a.csv", "a|b|c\n1|2|3\n", [][]string{{"1", "2", "3"}}, []string{"a", "b", "c"}},
		{"tsv extension", "a.tsv", "a,x\tb\n1,2\t3\n", [][]string{{"1,2", "3"}}, []string{"a,x", "b"}},
		{"bom and crlf", "a.csv", "\ufeffa,b\r\n1,2\r\n", [][]string{{"1", "2"}}, []string{"a", "b"}},
		{"quoted newline and quotes", "a.csv", "a,b\n\"x\ny\",\"say \"\"hi\"\"\"\n", [][]string{{"x\ny", `say "hi"`}}, []string{"a", "b"}},
		{"crlf in quoted cell", "a.csv", "a,b\r\n\"x\r\ny\",\"1\r2\"\r\n", [][]string{{"x\ny", "1\r2"}}, []string{"a", "b"}},
		{"quoted delimiter", "a.csv", "a,b\n\"1,5\",2\n", [][]string{{"1,5", "2"}}, []string{"a", "b"}},
		{"empty cells and trailing delimiter", "a.csv", "a,b,c\n,,\n1,,\n", [][]string{{"", "", ""}, {"1", "", ""}}, []string{"a", "b", "c"}},
		{"blank lines skipped", "a.csv", "a,b\n\n1,2\n\r\n3,4", [][]string{{"1", "2"}, {"3", "4"}}, []string{"a", "b"}},
		{"no final newline", "a.csv", "a,b\n1,2", [][]string{{"1", "2"}}, []string{"a", "b"}},
		{"header names cleaned", "a.csv", " a ,,a\n1,2,3\n", [][]string{{"1", "2", "3"}}, []string{"a", "column_2", "a_2"}},
		{"tsv bare quote", "a.tsv", "a\tb\n5\" screen\t\"q\"\n", [][]string{{`5" screen`, "q"}}, []string{"a", "b"}},
		{"lazy quotes off in csv", "a.csv", "a,b\n1,2\n", [][]string{{"1", "2"}}, []string{"a", "b"}},
		{"gzip", "a.csv.gz", "a;b\n1;2\n", [][]string{{"1", "2"}}, []string{"a", "b"}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			dir := t.TempDir()
			writeFile(t, filepath.Join(dir, tc.file), []byte(tc.data))
			s := newSource(t, dir, nil)
			r := readAll(t, s, "a", "")
			if len(r.errs) > 0 {
				t.Fatalf("row errors: %v", r.errs)
			}
			if fmt.Sprint(r.header) != fmt.Sprint(tc.header) {
				t.Errorf("header = %q, want %q", r.header, tc.header)
			}
			if fmt.Sprintf("%q", r.rows) != fmt.Sprintf("%q", tc.want) {
				t.Errorf("rows = %q, want %q", r.rows, tc.want)
			}
		})
	}
}

func TestRowErrors(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	data := "id,name\n" +
		"1,ok\n" + // line 2
		"2,too,many\n" + // line 3: ragged
		"3\n" + // line 4: ragged
		"4,bad\xffutf8\n" + // line 5: encoding
		"5,bare\"quote\n" + // line 6: bare quote
		"6,\"closed\"x\n" + // line 7: after quote
		"7,fine\n" + // line 8
		"8,\"never closed\n" + // line 9: unterminated; the lines after it flow again
		"9,after\n" // line 10
	writeFile(t, filepath.Join(dir, "t.csv"), []byte(data))
	s := newSource(t, dir, &filesource.Config{MaxRecordLines: 1})
	r := readAll(t, s, "t", "")
	var ids []string
	for _, row := range r.rows {
		ids = append(ids, row[0])
	}
	if got := strings.Join(ids, ","); got != "1,7,9" {
		t.Errorf("records %s, want 1,7,9", got)
	}
	if fmt.Sprint(r.lines) != "[2 8 10]" {
		t.Errorf("record lines %v, want [2 8 10]", r.lines)
	}
	want := []struct {
		line int64
		err  error
	}{{3, aam.ErrRaggedRow}, {4, aam.ErrRaggedRow}, {5, aam.ErrInvalidEncoding}, {6, aam.ErrMalformedRecord}, {7, aam.ErrMalformedRecord}, {9, aam.ErrMalformedRecord}}
	if len(r.errs) != len(want) {
		t.Fatalf("%d row errors, want %d: %v", len(r.errs), len(want), r.errs)
	}
	for i, w := range want {
		e := r.errs[i]
		if e.File != "t.csv" || e.Line != w.line || !errors.Is(e, w.err) {
			t.Errorf("row error %d = %v (file %q line %d), want line %d %v", i, e, e.File, e.Line, w.line, w.err)
		}
		if !strings.HasPrefix(e.Error(), fmt.Sprintf("t.csv:%d: ", w.line)) {
			t.Errorf("row error text %q does not name file and line", e.Error())
		}
	}
	if !strings.Contains(r.errs[2].Error(), `"name"`) {
		t.Errorf("encoding error %q does not name the column", r.errs[2])
	}
}

func TestLongQuotedFieldBounded(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	// An unterminated quote on line 2 of a file larger than the record
	// limit: one row error, then the following lines flow.
	var b strings.Builder
	b.WriteString("id,text\n1,\"open\n")
	for i := range 5000 {
		fmt.Fprintf(&b, "%d,row %d\n", i+2, i)
	}
	writeFile(t, filepath.Join(dir, "t.csv"), []byte(b.String()))
	s := newSource(t, dir, &filesource.Config{MaxRecordBytes: 4096, MaxRecordLines: 1 << 20})
	r := readAll(t, s, "t", "")
	if len(r.errs) != 1 || r.errs[0].Line != 2 || !errors.Is(r.errs[0], aam.ErrMalformedRecord) {
		t.Fatalf("row errors %v, want one malformed record at line 2", r.errs)
	}
	if len(r.rows) != 5000 || r.rows[0][0] != "2" || r.lines[0] != 3 {
		t.Fatalf("%d rows, first %v at line %v; want 5000 from id 2 at line 3", len(r.rows), r.rows[:1], r.lines[:1])
	}
}

func TestJSONLines(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	writeFile(t, filepath.Join(dir, "e.ndjson.gz"), []byte("{\"a\":1.50,\"b\":{\"c\":\"x\"}}\n\nnot json\n[1]\n{\"a\":2} {\"a\":3}\n{\"a\":\"\xff\"}\n{\"a\":4}"))
	s := newSource(t, dir, nil)
	r := readAll(t, s, "e", "")
	if len(r.fields) != 2 {
		t.Fatalf("records %v, want 2", r.fields)
	}
	if n, ok := r.fields[0]["a"].(json.Number); !ok || n.String() != "1.50" {
		t.Errorf("a = %#v, want json.Number 1.50", r.fields[0]["a"])
	}
	if fmt.Sprint(r.lines) != "[1 7]" {
		t.Errorf("lines %v, want [1 7]", r.lines)
	}
	var lines []int64
	for _, e := range r.errs {
		lines = append(lines, e.Line)
		if !errors.Is(e, aam.ErrMalformedRecord) && !errors.Is(e, aam.ErrInvalidEncoding) {
			t.Errorf("row error %v does not match ErrMalformedRecord or ErrInvalidEncoding", e)
		}
	}
	if fmt.Sprint(lines) != "[3 4 5 6]" {
		t.Errorf("row error lines %v, want [3 4 5 6]", lines)
	}
}

func TestDiscover(t *testing.T) {
	t.Parallel()
	dir, _ := fixture(t)
	s := newSource(t, dir, &filesource.Config{SampleRows: 100})
	infos, err := s.Discover(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	got := map[string]*drift.Schema{}
	for _, o := range infos {
		got[o.Name] = o.Schema
		if !o.Inferred {
			t.Errorf("%s: Inferred = false", o.Name)
		}
	}
	// Default objects: one per file path without extensions.
	for _, name := range []string{"deals/2025-01", "deals/2025-02", "people", "events"} {
		if got[name] == nil {
			t.Fatalf("object %q missing from %v", name, infos)
		}
	}
	if len(got) != 4 {
		t.Errorf("objects %v, want 4 (hidden files, links and non-data files skipped)", infos)
	}
	typeOf := func(obj, field string) drift.FieldType {
		f, ok := got[obj].Field(field)
		if !ok {
			t.Fatalf("%s has no field %q: %+v", obj, field, got[obj].Fields)
		}
		return f.Type
	}
	if typ := typeOf("deals/2025-01", "id"); typ != drift.TypeInteger {
		t.Errorf("id type %s, want integer", typ)
	}
	if typ := typeOf("deals/2025-01", "closed"); typ != drift.TypeBoolean {
		t.Errorf("closed type %s, want boolean", typ)
	}
	if typ := typeOf("events", "ref.value"); typ != drift.TypeString {
		t.Errorf("ref.value type %s, want string", typ)
	}
}

func TestDiscoverHeaderOnly(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	writeFile(t, filepath.Join(dir, "empty.csv"), []byte("a,b\n"))
	s := newSource(t, dir, nil)
	infos, err := s.Discover(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if len(infos) != 1 || len(infos[0].Schema.Fields) != 2 {
		t.Fatalf("got %+v, want one object with fields a and b", infos)
	}
	if err := infos[0].Schema.Validate(); err != nil {
		t.Fatal(err)
	}
}

func TestResumeGzipMidFile(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	var b strings.Builder
	b.WriteString("id,v\n")
	for i := range 100 {
		fmt.Fprintf(&b, "%d,\"multi\nline %d\"\n", i, i)
	}
	writeFile(t, filepath.Join(dir, "g.csv.gz"), []byte(b.String()))
	s := newSource(t, dir, &filesource.Config{BatchSize: 7})
	all := readAll(t, s, "g", "")
	if len(all.rows) != 100 {
		t.Fatalf("%d rows", len(all.rows))
	}
	rest := readAll(t, s, "g", all.cursors[5])
	if len(rest.rows) != 100-6*7 || rest.rows[0][0] != "42" || rest.lines[0] != 2+42*2 {
		t.Fatalf("resumed at %v line %v with %d rows; want id 42 at line 86 and 58 rows", rest.rows[0], rest.lines[0], len(rest.rows))
	}
	// The last cursor of a compressed file marks it done.
	var last map[string]any
	json.Unmarshal([]byte(all.cursors[len(all.cursors)-1]), &last)
	if last["done"] != true {
		t.Errorf("last cursor %s is not done", all.cursors[len(all.cursors)-1])
	}
}

func TestTruncatedFileReadAgain(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	p := filepath.Join(dir, "r.csv")
	writeFile(t, p, []byte("id\n1\n2\n3\n"))
	var logs strings.Builder
	s := newSource(t, dir, &filesource.Config{Logger: slog.New(slog.NewTextHandler(&logs, nil))})
	first := readAll(t, s, "r", "")
	end := first.cursors[len(first.cursors)-1]
	writeFile(t, p, []byte("id\n9\n")) // replaced by a shorter file
	r := readAll(t, s, "r", end)
	if len(r.rows) != 1 || r.rows[0][0] != "9" {
		t.Fatalf("after truncation read %q, want the new file's row 9", r.rows)
	}
	if !strings.Contains(logs.String(), "shorter than the saved cursor") {
		t.Errorf("no warning logged: %q", logs.String())
	}
}

// TestRewrittenFileReadAgain: a file rewritten in place, longer than the
// saved offset, is read again from the start rather than from the middle
// of a row: when its header changed length (a column renamed shifts every
// offset), or when the offset is no longer at the start of a line. A file
// only appended to goes on from the cursor.
func TestRewrittenFileReadAgain(t *testing.T) {
	t.Parallel()
	for name, tc := range map[string]struct {
		rewrite  string
		wantRows []string
		wantLog  string
	}{
		"header renamed": {"id,site_urls\r\n1,a.com\r\n2,b.com\r\n3,c.com\r\n", []string{"1", "2", "3"}, "header changed length"},
		"row edited":     {"id,website\r\n1,aaaa.com\r\n2,b.com\r\n3,c.com\r\n", []string{"1", "2", "3"}, "not at the start of a line"},
		"appended":       {"id,website\r\n1,a.com\r\n2,b.com\r\n3,c.com\r\n", []string{"3"}, ""},
	} {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			dir := t.TempDir()
			p := filepath.Join(dir, "accounts.csv")
			writeFile(t, p, []byte("id,website\r\n1,a.com\r\n2,b.com\r\n"))
			var logs strings.Builder
			s := newSource(t, dir, &filesource.Config{Logger: slog.New(slog.NewTextHandler(&logs, nil))})
			first := readAll(t, s, "accounts", "")
			end := first.cursors[len(first.cursors)-1]
			writeFile(t, p, []byte(tc.rewrite))
			r := readAll(t, s, "accounts", end)
			var got []string
			for _, row := range r.rows {
				got = append(got, row[0])
			}
			if strings.Join(got, ",") != strings.Join(tc.wantRows, ",") || len(r.errs) != 0 {
				t.Fatalf("read %v with errors %v, want rows %v and no errors", got, r.errs, tc.wantRows)
			}
			if tc.wantLog != "" && !strings.Contains(logs.String(), tc.wantLog) {
				t.Errorf("no warning %q logged: %q", tc.wantLog, logs.String())
			}
			if tc.wantLog == "" && logs.Len() != 0 {
				t.Errorf("an append logged %q", logs.String())
			}
		})
	}
}

func TestGzipReplacedByShorter(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	p := filepath.Join(dir, "z.csv.gz")
	writeFile(t, p, []byte("id\n1\n2\n3\n4\n"))
	var logs strings.Builder
	s := newSource(t, dir, &filesource.Config{BatchSize: 3, Logger: slog.New(slog.NewTextHandler(&logs, nil))})
	first := readAll(t, s, "z", "")
	mid := first.cursors[0] // after rows 1-3, not done
	writeFile(t, p, []byte("id\n7\n"))
	r := readAll(t, s, "z", mid)
	if len(r.rows) != 1 || r.rows[0][0] != "7" || !strings.Contains(logs.String(), "shorter") {
		t.Fatalf("after replacement read %q (log %q), want the new file's row 7 and a warning", r.rows, logs.String())
	}
}

func TestCheck(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	s := newSource(t, filepath.Join(dir, "missing"), nil)
	err := s.Check(context.Background())
	var ue *aam.UnavailableError
	if !errors.As(err, &ue) || ue.Reason != "no such file or directory" || ue.Kind != "file" {
		t.Fatalf("Check = %#v, want an UnavailableError saying no such file or directory", err)
	}
	writeFile(t, filepath.Join(dir, "x.bin"), []byte("x"))
	s = newSource(t, filepath.Join(dir, "x.bin"), nil)
	if err := s.Check(context.Background()); !errors.Is(err, aam.ErrUnavailable) || !strings.Contains(err.Error(), "not a .csv") {
		t.Fatalf("Check of an unsupported file = %v", err)
	}
}

func TestConfig(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		cfg   string
		field string
	}{
		{`{}`, "path"},
		{`{"path":"/x","delimiter":"ab"}`, "delimiter"},
		{`{"path":"/x","delimiter":"\""}`, "delimiter"},
		{`{"path":"/x","format":"xml"}`, "format"},
		{`{"path":"/x","batch_size":-1}`, "batch_size"},
		{`{"path":"/x","objects":{"a":"["}}`, "objects"},
		{`{"path":"/x","pathh":"typo"}`, ""},
		{`[1]`, ""},
	} {
		_, err := aam.Open(filesource.Kind, json.RawMessage(tc.cfg))
		var ce *aam.ConfigError
		if !errors.As(err, &ce) || !errors.Is(err, aam.ErrInvalidConfig) || ce.Field != tc.field {
			t.Errorf("Open(%s) = %v, want a ConfigError on field %q", tc.cfg, err, tc.field)
		}
	}
	c, err := aam.Open(filesource.Kind, json.RawMessage(`{"path":"/x","delimiter":";","batch_size":10}`))
	if err != nil {
		t.Fatal(err)
	}
	if _, ok := c.(*filesource.Source); !ok {
		t.Fatalf("Open returned %T", c)
	}
}
