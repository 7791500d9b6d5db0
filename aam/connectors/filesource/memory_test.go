package filesource_test

import (
	"bufio"
	"compress/gzip"
	"context"
	"os"
	"path/filepath"
	"testing"
)

// TestReadMemoryBounded reads a 64 MB CSV file (and the same gzipped)
// and checks that the live heap stays far below the file's size: the
// reader streams through a bounded window, whatever the file's size.
func TestReadMemoryBounded(t *testing.T) {
	if testing.Short() {
		t.Skip("writes 64 MB")
	}
	dir := t.TempDir()
	line := []byte("0065g00000XyZ1AAA,0015g00000Abc,\"Acme, Inc. - 200 seats\",Negotiation,\"1,234.50\",USD,75,2025-03-04,false,false,0055g00000Own\n")
	const size = 64 << 20
	rows := size / len(line)
	for _, name := range []string{"big.csv", "bigz.csv.gz"} {
		f, err := os.Create(filepath.Join(dir, name))
		if err != nil {
			t.Fatal(err)
		}
		var w *bufio.Writer
		var zw *gzip.Writer
		if filepath.Ext(name) == ".gz" {
			zw = gzip.NewWriter(f)
			w = bufio.NewWriter(zw)
		} else {
			w = bufio.NewWriter(f)
		}
		w.WriteString("Id,AccountId,Name,Stage,Amount,Currency,Probability,CloseDate,IsClosed,IsWon,OwnerId\n")
		for range rows {
			w.Write(line)
		}
		w.Flush()
		if zw != nil {
			zw.Close()
		}
		if err := f.Close(); err != nil {
			t.Fatal(err)
		}
	}
	s := newSource(t, dir, nil)
	for _, object := range []string{"big", "bigz"} {
		stop := heapPeak()
		n := 0
		for b, err := range s.Read(context.Background(), object, "") {
			if err != nil {
				t.Fatal(err)
			}
			n += len(b.Records) + len(b.Errors)
		}
		peak := stop()
		if n != rows {
			t.Fatalf("%s: read %d rows, want %d", object, n, rows)
		}
		t.Logf("%s: %d rows (%d MB of CSV), peak live heap %.1f MB", object, n, size>>20, float64(peak)/(1<<20))
		if peak > 32<<20 {
			t.Errorf("%s: peak heap %.1f MB while reading a %d MB file: memory grows with the file", object, float64(peak)/(1<<20), size>>20)
		}
	}
}
