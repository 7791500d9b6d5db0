package postgres_test

import (
	"context"
	"encoding/json"
	"fmt"
	"log"

	"github.com/autonomos/autonomos/aam"
	_ "github.com/autonomos/autonomos/aam/connectors/postgres" // registers "postgres"
)

// Open a Supabase (PostgreSQL) database by kind, as the mesh does, then
// discover its tables and read one incrementally. It needs a database,
// so it only compiles.
func Example() {
	ctx := context.Background()
	c, err := aam.Open("postgres", json.RawMessage(`{
		"url": "postgres://reader:password@db.example.supabase.co:6543/postgres",
		"schemas": ["public"],
		"exec_mode": "exec",
		"batch_size": 500
	}`))
	if err != nil {
		log.Fatal(err)
	}
	defer c.Close()
	if err := c.Check(ctx); err != nil {
		log.Fatal(err) // names host, port and database, never the password
	}
	objects, err := c.Discover(ctx)
	if err != nil {
		log.Fatal(err)
	}
	for _, o := range objects {
		fmt.Println(o.Name, o.Schema.PrimaryKey, len(o.Schema.Fields))
	}
	var saved aam.Cursor // from the last published batch
	for b, err := range c.Read(ctx, "public.accounts", saved) {
		if err != nil {
			log.Fatal(err)
		}
		fmt.Println(len(b.Records), "records")
		saved = b.Cursor // save once the batch is published
	}
}
