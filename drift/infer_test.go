package drift

import (
	"encoding/json"
	"errors"
	"fmt"
	"math/rand/v2"
	"strings"
	"testing"
	"time"
)

func fieldsByName(s *Schema) map[string]Field {
	m := map[string]Field{}
	for _, f := range s.Fields {
		m[f.Name] = f
	}
	return m
}

func TestInferRecords(t *testing.T) {
	t.Parallel()
	var recs []map[string]any
	const doc = `[
	 {"id": 1, "name": "Acme", "amount": 10, "active": true, "created": "2024-01-31T10:00:00Z",
	  "CustomerRef": {"value": "42", "name": "Acme Corp"}, "tags": ["a", "b"], "close": "2024-01-31", "note": null},
	 {"id": 2, "name": "Globex", "amount": 10.5, "active": false, "created": "2024-02-01",
	  "CustomerRef": {"value": "43"}, "tags": [], "close": "2024-02-01", "note": ""},
	 {"id": 3, "name": "Initech", "amount": 7, "active": true, "created": "2024-02-02T08:00:00+05:30",
	  "CustomerRef": {"value": "44", "name": "Initech"}, "tags": ["c"], "close": "2024-02-03", "extra": {}}
	]`
	if err := json.Unmarshal([]byte(doc), &recs); err != nil {
		t.Fatal(err)
	}
	s := InferRecords("mongo", "deals", recs, nil)
	want := map[string]struct {
		typ      FieldType
		nullable bool
	}{
		"id":                {TypeInteger, false},
		"name":              {TypeString, false},
		"amount":            {TypeNumber, false},
		"active":            {TypeBoolean, false},
		"created":           {TypeTimestamp, false},
		"CustomerRef.value": {TypeString, false},
		"CustomerRef.name":  {TypeString, true},
		"tags":              {TypeArray, false},
		"close":             {TypeDate, false},
		"note":              {TypeString, true},
		"extra":             {TypeObject, true},
	}
	got := fieldsByName(s)
	if len(got) != len(want) {
		t.Errorf("fields = %v", s.Fields)
	}
	for name, w := range want {
		f, ok := got[name]
		if !ok {
			t.Errorf("missing field %q", name)
			continue
		}
		if f.Type != w.typ || f.Nullable != w.nullable {
			t.Errorf("%s: type %s nullable %v, want %s %v", name, f.Type, f.Nullable, w.typ, w.nullable)
		}
	}
	if err := s.Validate(); err != nil {
		t.Errorf("inferred schema invalid: %v", err)
	}
	if n := got["CustomerRef.name"]; n.Stats.Count != 3 || n.Stats.NullRatio < 0.33 || n.Stats.NullRatio > 0.34 {
		t.Errorf("missing values must count as nulls: %+v", n.Stats)
	}
	if a := got["amount"]; a.Stats.Min == nil || *a.Stats.Min != 7 || *a.Stats.Max != 10.5 {
		t.Errorf("amount stats = %+v", a.Stats)
	}
	// Deterministic order: first record's keys sorted, then new ones.
	if s.Fields[0].Name != "CustomerRef.name" || s.Fields[len(s.Fields)-1].Name != "extra" {
		t.Errorf("order = %v", names(s))
	}
}

func names(s *Schema) []string {
	var out []string
	for _, f := range s.Fields {
		out = append(out, f.Name)
	}
	return out
}

func TestInferGoValues(t *testing.T) {
	t.Parallel()
	ts := time.Date(2024, 1, 2, 3, 4, 5, 0, time.UTC)
	s := InferRecords("go", "o", []map[string]any{
		{"i": int64(3), "u": uint8(2), "f": float32(1.5), "t": ts, "n": json.Number("12"), "m": map[string]string{"k": "v"}, "b": []byte("xy")},
		{"i": 4.0, "u": 7, "f": 2, "t": ts, "n": json.Number("1.25"), "m": map[string]string{"k": "w"}, "b": []byte("z")},
	}, nil)
	want := map[string]FieldType{"i": TypeInteger, "u": TypeInteger, "f": TypeNumber, "t": TypeTimestamp, "n": TypeNumber, "m.k": TypeString, "b": TypeString}
	got := fieldsByName(s)
	for n, w := range want {
		if got[n].Type != w {
			t.Errorf("%s: %s, want %s", n, got[n].Type, w)
		}
	}
}

func TestInferWidening(t *testing.T) {
	t.Parallel()
	tests := []struct {
		a, b, want FieldType
	}{
		{"", TypeInteger, TypeInteger},
		{TypeInteger, TypeNumber, TypeNumber},
		{TypeNumber, TypeInteger, TypeNumber},
		{TypeDate, TypeTimestamp, TypeTimestamp},
		{TypeInteger, TypeString, TypeString},
		{TypeBoolean, TypeInteger, TypeString},
		{TypeObject, TypeArray, TypeString},
		{TypeArray, "", TypeArray},
	}
	for _, tt := range tests {
		if got := joinType(tt.a, tt.b); got != tt.want {
			t.Errorf("joinType(%s, %s) = %s, want %s", tt.a, tt.b, got, tt.want)
		}
	}
}

func TestInferCSV(t *testing.T) {
	t.Parallel()
	const data = "id,email,amount,won,close,ts,phone,notes\n" +
		"1,a@x.com,10,true,2024-01-31,2024-01-31T10:00:00Z,415-555-0132,hello\n" +
		"2,b@x.com,10.5,no,31/01/2024,2024-02-01,(512) 555 0199,\n" +
		"3,c@y.org,,yes,2024-02-02,2024-02-02 10:00:00+01:00,+49 89 1234567,x\n"
	s, err := InferCSV("csv", "deals.csv", strings.NewReader(data), 0, nil)
	if err != nil {
		t.Fatal(err)
	}
	want := []struct {
		name     string
		typ      FieldType
		nullable bool
		pattern  Pattern
	}{
		{"id", TypeInteger, false, PatternInteger},
		{"email", TypeString, false, PatternEmail},
		{"amount", TypeNumber, true, PatternNumeric},
		{"won", TypeBoolean, false, PatternBoolean},
		{"close", TypeDate, false, PatternDate},
		{"ts", TypeTimestamp, false, ""}, // one value is a bare date
		{"phone", TypeString, false, PatternPhone},
		{"notes", TypeString, true, ""},
	}
	if len(s.Fields) != len(want) {
		t.Fatalf("fields = %v", names(s))
	}
	for i, w := range want {
		f := s.Fields[i]
		if f.Name != w.name || f.Type != w.typ || f.Nullable != w.nullable {
			t.Errorf("field %d = %s %s nullable=%v, want %s %s %v", i, f.Name, f.Type, f.Nullable, w.name, w.typ, w.nullable)
		}
		if w.pattern != "" && f.Stats.Patterns[w.pattern] != 1 {
			t.Errorf("%s: patterns %v, want %s=1", f.Name, f.Stats.Patterns, w.pattern)
		}
	}
}

func TestInferCSVErrors(t *testing.T) {
	t.Parallel()
	tests := []struct{ data, want string }{
		{"", "deals.csv: no header row"},
		{"a,,b\n", "deals.csv: header column 2 is empty"},
		{"a,a\n", `deals.csv: header column 2 "a" is a duplicate`},
		{"a,b\n1,2,3\n", "deals.csv: drift: invalid record: record 1 has 3 cells, the header has 2"},
		{"a,b\n\"1,2\n", "extraneous or missing"},
	}
	for _, tt := range tests {
		_, err := InferCSV("csv", "deals.csv", strings.NewReader(tt.data), 0, nil)
		if err == nil || !errors.Is(err, ErrInvalidRecord) || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("InferCSV(%q) = %v, want an ErrInvalidRecord containing %q", tt.data, err, tt.want)
		}
	}
}

func TestInferBoundsAndDeterminism(t *testing.T) {
	t.Parallel()
	run := func(seed uint64) *Schema {
		in := NewInferrer("x", "y", &InferConfig{SampleSize: 5, MaxFields: 3, Rand: rand.New(rand.NewPCG(seed, 1)), MaxValueLen: 4})
		for i := range 1000 {
			in.Add(map[string]any{"a": fmt.Sprint("value", i), "b": i, "c": "é" + strings.Repeat("x", 10), "d": 1, "e": 2})
		}
		if in.Dropped() != 2000 || in.Records() != 1000 {
			t.Errorf("dropped %d, records %d; want 2000 (2 paths x 1000 records), 1000", in.Dropped(), in.Records())
		}
		return in.Schema()
	}
	s1, s2, s3 := run(1), run(1), run(2)
	if len(s1.Fields) != 3 {
		t.Fatalf("fields = %v, want 3 (MaxFields)", names(s1))
	}
	if len(s1.Fields[1].Samples) != 5 {
		t.Errorf("samples = %v, want 5", s1.Fields[1].Samples)
	}
	if fmt.Sprint(s1.Fields[1].Samples) != fmt.Sprint(s2.Fields[1].Samples) {
		t.Errorf("same seed, different samples: %v vs %v", s1.Fields[1].Samples, s2.Fields[1].Samples)
	}
	if fmt.Sprint(s1.Fields[1].Samples) == fmt.Sprint(s3.Fields[1].Samples) {
		t.Errorf("different seeds gave identical reservoirs %v", s1.Fields[1].Samples)
	}
	for _, v := range s1.Fields[2].Samples {
		if v != "éxx" {
			t.Errorf("sample %q not cut to 4 bytes on a rune boundary", v)
		}
	}
}

func TestInferReservoirUniform(t *testing.T) {
	t.Parallel()
	in := NewInferrer("x", "y", &InferConfig{SampleSize: 10})
	for i := range 10000 {
		in.Add(map[string]any{"n": i})
	}
	late := 0
	for _, v := range in.Schema().Fields[0].Samples {
		var n int
		fmt.Sscan(v, &n)
		if n >= 5000 {
			late++
		}
	}
	// Half the stream lies past 5000: with a uniform reservoir of 10,
	// at least one sample there fails with probability 2^-10.
	if late == 0 {
		t.Errorf("reservoir kept only early values")
	}
}
