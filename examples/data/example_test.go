package data_test

import (
	"fmt"
	"os"
	"path/filepath"

	"github.com/autonomos/autonomos/examples/data"
)

// Copy the demo sources out of the binary; each directory is then the
// path of one "file" connection.
func ExampleWriteTo() {
	dir, _ := os.MkdirTemp("", "demo")
	defer os.RemoveAll(dir)
	if err := data.WriteTo(dir); err != nil {
		panic(err)
	}
	for _, s := range data.Sources {
		files, _ := filepath.Glob(filepath.Join(dir, s.ID, "*.csv"))
		fmt.Println(s.ID, len(files), "files")
	}
	// Output:
	// crm 3 files
	// billing 2 files
	// legacy 1 files
}
