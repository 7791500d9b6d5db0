package mongodb_test

import (
	"context"
	"encoding/json"
	"fmt"
	"log"
	"slices"
	"time"

	"go.mongodb.org/mongo-driver/v2/bson"

	"github.com/autonomos/autonomos/aam"
	"github.com/autonomos/autonomos/aam/connectors/mongodb"
)

// Flatten turns a document into a record's fields: nested documents as
// dotted paths, exact conversions of MongoDB's types.
func ExampleFlatten() {
	id, _ := bson.ObjectIDFromHex("65a1b2c3d4e5f60718293a4b")
	amount, _ := bson.ParseDecimal128("1250.50")
	doc, _ := bson.Marshal(bson.D{
		{Key: "_id", Value: id},
		{Key: "name", Value: "Acme"},
		{Key: "amount", Value: amount},
		{Key: "closedAt", Value: bson.NewDateTimeFromTime(time.Date(2024, 3, 1, 12, 0, 0, 0, time.UTC))},
		{Key: "owner", Value: bson.D{{Key: "email", Value: "ana@example.com"}, {Key: "team", Value: bson.D{{Key: "name", Value: "EMEA"}}}}},
		{Key: "tags", Value: bson.A{"enterprise", int32(3)}},
	})
	rec, err := mongodb.Flatten(doc)
	if err != nil {
		log.Fatal(err)
	}
	keys := make([]string, 0, len(rec))
	for k := range rec {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	for _, k := range keys {
		fmt.Printf("%s: %v (%T)\n", k, rec[k], rec[k])
	}
	// Output:
	// _id: 65a1b2c3d4e5f60718293a4b (string)
	// amount: 1250.50 (json.Number)
	// closedAt: 2024-03-01T12:00:00.000Z (string)
	// name: Acme (string)
	// owner.email: ana@example.com (string)
	// owner.team.name: EMEA (string)
	// tags: [enterprise 3] ([]interface {})
}

// Open a MongoDB database by kind, as the mesh does, and read a
// collection incrementally by its update time. It needs a server, so
// it only compiles.
func Example() {
	ctx := context.Background()
	c, err := aam.Open("mongodb", json.RawMessage(`{
		"uri": "mongodb://reader:password@db1.example.com:27017/crm?replicaSet=rs0",
		"update_fields": {"contacts": "meta.updatedAt"}
	}`))
	if err != nil {
		log.Fatal(err)
	}
	defer c.Close()
	objects, err := c.Discover(ctx)
	if err != nil {
		log.Fatal(err) // names the hosts and database, never the password
	}
	for _, o := range objects {
		fmt.Println(o.Name, len(o.Schema.Fields), "fields (inferred)")
	}
	var saved aam.Cursor
	for b, err := range c.Read(ctx, "contacts", saved) {
		if err != nil {
			log.Fatal(err)
		}
		fmt.Println(len(b.Records), "records,", len(b.Errors), "row errors")
		saved = b.Cursor // save once the batch is published
	}
}
