package filesource_test

import (
	"bytes"
	"context"
	"encoding/csv"
	"errors"
	"io"
	"os"
	"path/filepath"
	"slices"
	"testing"
	"unicode/utf8"

	"github.com/autonomos/autonomos/aam"
	"github.com/autonomos/autonomos/aam/connectors/filesource"
)

// FuzzReadCSV reads arbitrary bytes as a CSV file and checks what must
// hold whatever the input: no panic, every record as wide as its header
// and valid UTF-8, records and row errors in line order, resuming from
// any cursor yields the rest exactly, and for input that encoding/csv
// reads without error (after its BOM, and when it is valid UTF-8, which
// encoding/csv does not check) the same rows.
func FuzzReadCSV(f *testing.F) {
	for _, s := range []string{
		"a,b\n1,2\n",
		"a;b\n\"x\ny\";2\n3;4\n",
		"\ufeffa\tb\r\n1\t2\r\n",
		"a,b\n1,\"2\n",
		"a,b\n1,2,3\n4\n\"5\"x,6\n",
		"a|b\n\"\"\"\"|\"\"\n",
		"a\n\xff\n",
		"",
		"\n\n",
		"a,b\r\n\"x\r\ny\",2\r\n",
		"a,b\r1,2\r\n",
		"a,b\n1,\"2\"\r",
		"a\r\n\r\n1\r\n",
	} {
		f.Add([]byte(s))
	}
	dir := f.TempDir() // one per fuzzing process, which runs inputs one at a time
	f.Fuzz(func(t *testing.T, data []byte) {
		if err := os.WriteFile(filepath.Join(dir, "f.csv"), data, 0o644); err != nil {
			t.Fatal(err)
		}
		s, err := filesource.New(dir, &filesource.Config{BatchSize: 2, MaxRecordBytes: 512, MaxRecordLines: 8})
		if err != nil {
			t.Fatal(err)
		}
		ctx := context.Background()
		type item struct {
			line int64
			row  []string
		}
		var items []item
		var cursors []aam.Cursor
		var counts []int
		var header []string
		lastLine := int64(0)
		for b, err := range s.Read(ctx, "f", "") {
			if err != nil {
				t.Fatalf("Read: %v", err)
			}
			header = b.Header
			// Records and errors are each in line order, and a batch's
			// lines are all before the next batch's.
			for _, e := range b.Errors {
				if e.Line <= lastLine || e.File != "f.csv" {
					t.Fatalf("row error %v out of order (after line %d)", e, lastLine)
				}
			}
			for _, r := range b.Records {
				if r.Line <= lastLine {
					t.Fatalf("record at line %d after line %d", r.Line, lastLine)
				}
				if len(r.Row) != len(b.Header) {
					t.Fatalf("record at line %d has %d cells, header %d", r.Line, len(r.Row), len(b.Header))
				}
				for _, c := range r.Row {
					if !utf8.ValidString(c) {
						t.Fatalf("cell %q is not UTF-8", c)
					}
				}
				items = append(items, item{r.Line, r.Row})
			}
			for _, e := range b.Errors {
				lastLine = max(lastLine, e.Line)
			}
			for _, r := range b.Records {
				lastLine = max(lastLine, r.Line)
			}
			cursors = append(cursors, b.Cursor)
			counts = append(counts, len(items))
		}
		for k, cur := range cursors {
			if k > 3 && k < len(cursors)-2 {
				continue // the first and last few are enough per input
			}
			var rest []item
			for b, err := range s.Read(ctx, "f", cur) {
				if err != nil {
					t.Fatalf("Read from %s: %v", cur, err)
				}
				for _, r := range b.Records {
					rest = append(rest, item{r.Line, r.Row})
				}
			}
			want := items[counts[k]:]
			if len(rest) != len(want) {
				t.Fatalf("resume from %s: %d records, want %d", cur, len(rest), len(want))
			}
			for i := range rest {
				if rest[i].line != want[i].line || !slices.Equal(rest[i].row, want[i].row) {
					t.Fatalf("resume from %s: record %d = %q at line %d, want %q at %d", cur, i, rest[i].row, rest[i].line, want[i].row, want[i].line)
				}
			}
		}
		// Differential check against encoding/csv.
		if len(header) == 0 || !utf8.Valid(data) || len(data) > 400 {
			return
		}
		cr := csv.NewReader(bytes.NewReader(bytes.TrimPrefix(data, []byte("\ufeff"))))
		cr.FieldsPerRecord = -1
		cr.Comma = sniffed(s, data)
		var want [][]string
		first := true
		for {
			rec, err := cr.Read()
			if err == io.EOF {
				break
			}
			if err != nil {
				var pe *csv.ParseError
				if errors.As(err, &pe) {
					return // malformed: our recovery differs by design
				}
				t.Fatal(err)
			}
			if first {
				first = false
				if len(rec) != len(header) {
					return
				}
				continue
			}
			if len(rec) != len(header) {
				return // ragged rows are row errors here
			}
			want = append(want, rec)
		}
		if len(want) != len(items) {
			t.Fatalf("encoding/csv read %d rows, we read %d", len(want), len(items))
		}
		for i := range want {
			if !slices.Equal(want[i], items[i].row) {
				t.Fatalf("row %d: encoding/csv %q, we %q", i, want[i], items[i].row)
			}
		}
	})
}

// sniffed returns the delimiter the source chose for data: the one
// whose split of the first record matches the discovered header.
func sniffed(s *filesource.Source, data []byte) rune {
	infos, err := s.Discover(context.Background())
	if err != nil || len(infos) == 0 {
		return ','
	}
	n := len(infos[0].Schema.Fields)
	for _, d := range []rune{',', ';', '\t', '|'} {
		cr := csv.NewReader(bytes.NewReader(data))
		cr.Comma = d
		cr.FieldsPerRecord = -1
		if rec, err := cr.Read(); err == nil && len(rec) == n {
			return d
		}
	}
	return ','
}

// FuzzReadJSONLines reads arbitrary bytes as a JSON Lines file: no
// panic, records are objects in line order, and resuming from the
// first cursor yields the rest.
func FuzzReadJSONLines(f *testing.F) {
	for _, s := range []string{"{\"a\":1}\n{\"b\":[1,2]}\n", "{\"a\":1} x\n\n{", "\ufeff{\"a\":\"\xff\"}\r\n{}\n", "null\n[]\n1\n"} {
		f.Add([]byte(s))
	}
	dir := f.TempDir()
	f.Fuzz(func(t *testing.T, data []byte) {
		if err := os.WriteFile(filepath.Join(dir, "j.jsonl"), data, 0o644); err != nil {
			t.Fatal(err)
		}
		s, err := filesource.New(dir, &filesource.Config{BatchSize: 1, MaxRecordBytes: 256})
		if err != nil {
			t.Fatal(err)
		}
		ctx := context.Background()
		var lines []int64
		var cursors []aam.Cursor
		last := int64(0)
		for b, err := range s.Read(ctx, "j", "") {
			if err != nil {
				t.Fatal(err)
			}
			for _, r := range b.Records {
				if r.Fields == nil || r.Row != nil || r.Line <= last {
					t.Fatalf("bad record %+v after line %d", r, last)
				}
				last = r.Line
				lines = append(lines, r.Line)
			}
			for _, e := range b.Errors {
				if e.Line <= 0 {
					t.Fatalf("row error without a line: %v", e)
				}
			}
			cursors = append(cursors, b.Cursor)
		}
		if len(cursors) == 0 {
			return
		}
		var rest []int64
		for b, err := range s.Read(ctx, "j", cursors[0]) {
			if err != nil {
				t.Fatal(err)
			}
			for _, r := range b.Records {
				rest = append(rest, r.Line)
			}
		}
		skip := 0
		if len(lines) > 0 && lines[0] > 0 && len(rest) < len(lines) {
			skip = len(lines) - len(rest)
		}
		if !slices.Equal(rest, lines[skip:]) || skip > 1 {
			t.Fatalf("resume from %s: lines %v, full read %v", cursors[0], rest, lines)
		}
	})
}
