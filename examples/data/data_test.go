package data_test

import (
	"bytes"
	"os"
	"path/filepath"
	"testing"

	"github.com/autonomos/autonomos/examples/data"
)

func TestWriteTo(t *testing.T) {
	dir := t.TempDir()
	if err := data.WriteTo(dir); err != nil {
		t.Fatal(err)
	}
	n := 0
	for _, s := range data.Sources {
		files, err := filepath.Glob(filepath.Join(dir, s.ID, "*.csv"))
		if err != nil || len(files) == 0 {
			t.Fatalf("source %s: no files written (%v)", s.ID, err)
		}
		for _, f := range files {
			got, _ := os.ReadFile(f)
			want, err := os.ReadFile(filepath.Join(s.ID, filepath.Base(f)))
			if err != nil || !bytes.Equal(got, want) {
				t.Errorf("%s differs from the shipped file (%v)", f, err)
			}
			n++
		}
	}
	if n != 6 {
		t.Errorf("%d files written, want the 6 shipped", n)
	}
}
