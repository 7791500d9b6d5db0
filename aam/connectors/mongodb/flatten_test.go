package mongodb_test

import (
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"testing"
	"time"

	"go.mongodb.org/mongo-driver/v2/bson"

	"github.com/autonomos/autonomos/aam/connectors/mongodb"
	"github.com/autonomos/autonomos/drift"
)

func raw(t testing.TB, d bson.D) bson.Raw {
	t.Helper()
	b, err := bson.Marshal(d)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func TestFlattenAndConvert(t *testing.T) {
	oid, _ := bson.ObjectIDFromHex("65a1b2c3d4e5f60718293a4b")
	dec, _ := bson.ParseDecimal128("12345678901234567890.0123456789")
	nan, _ := bson.ParseDecimal128("NaN")
	at := time.Date(2024, 3, 1, 10, 34, 56, 789_000_000, time.FixedZone("CET", 3600))
	uuid := bson.Binary{Subtype: 4, Data: []byte{0xa0, 0xee, 0xbc, 0x99, 0x9c, 0x0b, 0x4e, 0xf8, 0xbb, 0x6d, 0x6b, 0xb9, 0xbd, 0x38, 0x0a, 0x11}}
	doc := raw(t, bson.D{
		{Key: "_id", Value: oid},
		{Key: "name", Value: "Acme"},
		{Key: "n32", Value: int32(-7)},
		{Key: "n64", Value: int64(9007199254740993)},
		{Key: "ratio", Value: 0.25},
		{Key: "inf", Value: math.Inf(1)},
		{Key: "amount", Value: dec},
		{Key: "bad", Value: nan},
		{Key: "active", Value: true},
		{Key: "none", Value: nil},
		{Key: "created", Value: bson.NewDateTimeFromTime(at)},
		{Key: "uuid", Value: uuid},
		{Key: "blob", Value: bson.Binary{Subtype: 0, Data: []byte("hi")}},
		{Key: "address", Value: bson.D{
			{Key: "city", Value: "Berlin"},
			{Key: "geo", Value: bson.D{{Key: "lat", Value: 52.5}, {Key: "lng", Value: 13.4}}},
		}},
		{Key: "empty", Value: bson.D{}},
		{Key: "tags", Value: bson.A{"a", int32(2), bson.D{{Key: "k", Value: oid}}, bson.A{}}},
		{Key: "re", Value: bson.Regex{Pattern: "^a", Options: "i"}},
	})
	got, err := mongodb.Flatten(doc)
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]any{
		"_id":             "65a1b2c3d4e5f60718293a4b",
		"name":            "Acme",
		"n32":             int64(-7),
		"n64":             int64(9007199254740993),
		"ratio":           0.25,
		"inf":             "+Inf",
		"amount":          json.Number("12345678901234567890.0123456789"),
		"bad":             "NaN",
		"active":          true,
		"none":            nil,
		"created":         "2024-03-01T09:34:56.789Z",
		"uuid":            "a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11",
		"blob":            "aGk=",
		"address.city":    "Berlin",
		"address.geo.lat": 52.5,
		"address.geo.lng": 13.4,
		"empty":           map[string]any{},
		"tags":            []any{"a", int64(2), map[string]any{"k": "65a1b2c3d4e5f60718293a4b"}, []any{}},
		"re":              "/^a/i",
	}
	if len(got) != len(want) {
		t.Errorf("%d fields, want %d: %v", len(got), len(want), got)
	}
	for k, w := range want {
		if g, ok := got[k]; !ok || fmt.Sprintf("%#v", g) != fmt.Sprintf("%#v", w) {
			t.Errorf("%s = %#v, want %#v", k, g, w)
		}
	}
	if _, err := json.Marshal(got); err != nil {
		t.Errorf("flattened record does not marshal: %v", err)
	}
}

func TestFlattenDepthAndCollision(t *testing.T) {
	// Deeper than MaxDepth: the rest stays a map.
	d := bson.D{{Key: "leaf", Value: 1}}
	for i := mongodb.MaxDepth; i > 0; i-- {
		d = bson.D{{Key: fmt.Sprintf("l%d", i), Value: d}}
	}
	got, err := mongodb.Flatten(raw(t, d))
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 1 {
		t.Fatalf("deep document flattened to %v", got)
	}
	for k, v := range got {
		if _, ok := v.(map[string]any); !ok || k != "l1.l2.l3.l4.l5.l6.l7.l8" {
			t.Errorf("deep field %q = %#v, want a map at depth %d", k, v, mongodb.MaxDepth)
		}
	}

	_, err = mongodb.Flatten(raw(t, bson.D{{Key: "a.b", Value: 1}, {Key: "a", Value: bson.D{{Key: "b", Value: 2}}}}))
	if !errors.Is(err, mongodb.ErrFieldCollision) {
		t.Errorf("colliding paths: %v, want ErrFieldCollision", err)
	}
	// A literal dotted name alone is fine.
	if got, err := mongodb.Flatten(raw(t, bson.D{{Key: "a.b", Value: 1}})); err != nil || got["a.b"] != int64(1) {
		t.Errorf("dotted name: %v, %v", got, err)
	}
	// Broken BSON is an error, not a panic.
	b := raw(t, bson.D{{Key: "x", Value: "text"}})
	if _, err := mongodb.Flatten(b[:len(b)-3]); err == nil {
		t.Error("truncated BSON flattened without error")
	}
}

func TestInferFromFlattenedDocuments(t *testing.T) {
	in := drift.NewInferrer("mongodb", "contacts", nil)
	for i := range 30 {
		d := bson.D{
			{Key: "_id", Value: bson.NewObjectIDFromTimestamp(time.Unix(int64(1700000000+i), 0))},
			{Key: "email", Value: fmt.Sprintf("c%d@example.com", i)},
			{Key: "score", Value: int32(i)},
			{Key: "updatedAt", Value: bson.NewDateTimeFromTime(time.Unix(int64(1700000000+i), 0))},
			{Key: "address", Value: bson.D{{Key: "city", Value: "Paris"}, {Key: "zip", Value: "75001"}}},
			{Key: "tags", Value: bson.A{"x"}},
		}
		if i%3 == 0 {
			price, _ := bson.ParseDecimal128(fmt.Sprintf("%d.50", i))
			d = append(d, bson.E{Key: "price", Value: price})
		}
		rec, err := mongodb.Flatten(raw(t, d))
		if err != nil {
			t.Fatal(err)
		}
		in.Add(rec)
	}
	sch := mongodb.InferSchema(in)
	if err := sch.Validate(); err != nil {
		t.Fatal(err)
	}
	if len(sch.PrimaryKey) != 1 || sch.PrimaryKey[0] != "_id" {
		t.Errorf("primary key %v", sch.PrimaryKey)
	}
	want := map[string]drift.FieldType{
		"_id": drift.TypeString, "email": drift.TypeString, "score": drift.TypeInteger,
		"updatedAt": drift.TypeTimestamp, "address.city": drift.TypeString, "address.zip": drift.TypeString,
		"tags": drift.TypeArray, "price": drift.TypeNumber,
	}
	for name, typ := range want {
		f, ok := sch.Field(name)
		if !ok || f.Type != typ {
			t.Errorf("field %s: %+v, want type %s", name, f, typ)
		}
	}
	if f, _ := sch.Field("price"); !f.Nullable {
		t.Error("price, present in a third of the documents, is not nullable")
	}
	if f, _ := sch.Field("email"); f.Nullable || f.Stats.Patterns[drift.PatternEmail] != 1 {
		t.Errorf("email: nullable %v, patterns %v", f.Nullable, f.Stats.Patterns)
	}
	if len(sch.Fields) != len(want) {
		t.Errorf("%d fields, want %d", len(sch.Fields), len(want))
	}
}

func FuzzFlatten(f *testing.F) {
	f.Add([]byte(raw(f, bson.D{{Key: "a", Value: bson.D{{Key: "b", Value: bson.A{int32(1), "x"}}}}})))
	f.Add([]byte(raw(f, bson.D{{Key: "d", Value: bson.NewDecimal128(1, 2)}, {Key: "t", Value: bson.DateTime(0)}})))
	f.Fuzz(func(t *testing.T, b []byte) {
		rec, err := mongodb.Flatten(bson.Raw(b))
		if err != nil {
			return
		}
		if _, err := json.Marshal(rec); err != nil {
			t.Fatalf("flattened record does not marshal: %v", err)
		}
		for k, v := range rec {
			if _, ok := v.(map[string]any); ok && len(v.(map[string]any)) > 0 && len(splitDots(k)) < mongodb.MaxDepth {
				t.Fatalf("field %q holds a non-empty map above MaxDepth", k)
			}
		}
	})
}

func splitDots(s string) []string {
	var out []string
	start := 0
	for i := range len(s) {
		if s[i] == '.' {
			out = append(out, s[start:i])
			start = i + 1
		}
	}
	return append(out, s[start:])
}
