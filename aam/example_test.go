package aam_test

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"

	"github.com/autonomos/autonomos/aam"
	_ "github.com/autonomos/autonomos/aam/connectors/filesource" // registers kind "file"
)

// Open a connector by kind from the registry, with the JSON
// configuration a connection stores, and read an object in batches,
// keeping the cursor after each one.
func ExampleOpen() {
	dir, _ := os.MkdirTemp("", "aam-example")
	defer os.RemoveAll(dir)
	os.WriteFile(filepath.Join(dir, "deals.csv"), []byte("id;amount\n1;100\n2;oops;extra\n3;300\n"), 0o644)

	cfg, _ := json.Marshal(map[string]any{"path": dir, "batch_size": 2})
	c, err := aam.Open("file", cfg)
	if err != nil {
		fmt.Println(err)
		return
	}
	defer c.Close()
	ctx := context.Background()
	if err := c.Check(ctx); err != nil {
		fmt.Println(err)
		return
	}
	objects, _ := c.Discover(ctx)
	for _, o := range objects {
		fmt.Println("object", o.Name, "fields", len(o.Schema.Fields))
	}
	var saved aam.Cursor
	for b, err := range c.Read(ctx, "deals", saved) {
		if err != nil {
			fmt.Println(err)
			return
		}
		for i, r := range b.Records {
			fmt.Println(b.Ref(i), b.Header, r.Row)
		}
		for _, e := range b.Errors {
			fmt.Println("row error:", e)
		}
		saved = b.Cursor // after the batch is published
	}
	fmt.Println(saved != "")

	_, err = aam.Open("ftp", nil)
	fmt.Println(err)
	// Output:
	// object deals fields 2
	// deals.csv:2 [id amount] [1 100]
	// row error: deals.csv:3: aam: row has the wrong number of cells: 3 cells, the header has 2
	// deals.csv:4 [id amount] [3 300]
	// true
	// aam: unknown connector kind "ftp" (registered: [file])
}
