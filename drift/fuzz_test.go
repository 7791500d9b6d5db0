package drift

import (
	"encoding/json"
	"math/rand/v2"
	"strings"
	"testing"
)

func FuzzClassify(f *testing.F) {
	for _, v := range benchValues {
		f.Add(v)
	}
	for _, v := range []string{"1.234,50", "(1,200.00)", "+1 (415) 555-0132 x12", "2025-03-04T10:15:00+05:30", "€ 85.000,50", "Mar 5, 2024", "1e400", "0x1p3", "x", "ext", "--", "((1))"} {
		f.Add(v)
	}
	f.Fuzz(func(t *testing.T, v string) {
		vi := classify(v)
		if vi.bits&bitInteger != 0 && vi.bits&bitNumeric == 0 {
			t.Errorf("%q: integer but not numeric", v)
		}
		if vi.bits&(bitNumeric|bitMoney|bitPercent01|bitPercent100|bitEpoch) != 0 && !vi.hasNum {
			t.Errorf("%q: numeric patterns without a value", v)
		}
		if vi.bits&bitPercent01 != 0 && (vi.num < 0 || vi.num > 1) {
			t.Errorf("%q: percent_0_1 with value %v", v, vi.num)
		}
		if vi.bits&bitPercent100 != 0 && (vi.num < 0 || vi.num > 100) {
			t.Errorf("%q: percent_0_100 with value %v", v, vi.num)
		}
		if vi.bits&bitEmail != 0 && strings.Count(v, "@") != 1 {
			t.Errorf("%q: email without exactly one @", v)
		}
		if vi.bits&bitDate != 0 && vi.bits&bitTimestamp != 0 {
			t.Errorf("%q: both date and timestamp", v)
		}
	})
}

func FuzzProfile(f *testing.F) {
	f.Add("a@x.com\n\nnull\n1\n2.5\n$1,200")
	f.Add("0\n1\n0.5")
	f.Add("true\nno\n1")
	f.Fuzz(func(t *testing.T, data string) {
		values := strings.Split(data, "\n")
		st := Profile(values)
		if st.Count != len(values) {
			t.Errorf("Count = %d, want %d", st.Count, len(values))
		}
		for name, r := range map[string]float64{"null": st.NullRatio, "distinct": st.DistinctRatio} {
			if r < 0 || r > 1 {
				t.Errorf("%s ratio %v out of 0..1", name, r)
			}
		}
		if st.MinLen > st.MaxLen {
			t.Errorf("MinLen %d > MaxLen %d", st.MinLen, st.MaxLen)
		}
		for p, share := range st.Patterns {
			if share <= 0 || share > 1 {
				t.Errorf("pattern %s share %v", p, share)
			}
		}
		if (st.Min == nil) != (st.Max == nil) || st.Min != nil && *st.Min > *st.Max {
			t.Errorf("Min/Max = %v/%v", st.Min, st.Max)
		}
	})
}

func FuzzInferJSON(f *testing.F) {
	f.Add([]byte(`{"id": 1, "a": {"b": "2024-01-31", "c": [1, 2]}, "d": null, "": 3}`))
	f.Add([]byte(`{"x": "1", "x.y": 2, "x": {"y": 3}}`))
	f.Add([]byte(`{"a": {"b": {"c": {"d": {"e": {"f": {"g": {"h": {"i": 1}}}}}}}}}`))
	f.Fuzz(func(t *testing.T, data []byte) {
		var rec map[string]any
		if json.Unmarshal(data, &rec) != nil {
			return
		}
		in := NewInferrer("fuzz", "obj", &InferConfig{MaxFields: 50})
		in.Add(rec)
		in.Add(map[string]any{})
		in.Add(rec)
		s := in.Schema()
		if err := s.Validate(); err != nil {
			t.Fatalf("inferred schema invalid: %v\nrecord: %s", err, data)
		}
		for _, fl := range s.Fields {
			if !fl.Nullable {
				t.Errorf("%s: not nullable although the second record lacks it", fl.Name)
			}
			if len(fl.Samples) > DefaultSampleSize {
				t.Errorf("%s: %d samples", fl.Name, len(fl.Samples))
			}
		}
	})
}

func FuzzInferCSV(f *testing.F) {
	f.Add("a,b\n1,x\n2,\n")
	f.Add("id,amount\n1,\"1,234.50\"\n")
	f.Add("a\n\"unterminated\n")
	f.Fuzz(func(t *testing.T, data string) {
		s, err := InferCSV("csv", "f.csv", strings.NewReader(data), 100, nil)
		if err != nil {
			return
		}
		if err := s.Validate(); err != nil {
			t.Fatalf("inferred schema invalid: %v\ncsv: %q", err, data)
		}
	})
}

// FuzzFingerprintReorder checks that neither fingerprint nor the diff
// sees field order.
func FuzzFingerprintReorder(f *testing.F) {
	f.Add("id,amount,close_date,stage", "string,number,date,string", uint64(1))
	f.Add("a,b,a", "integer,integer,string", uint64(7))
	f.Fuzz(func(t *testing.T, names, types string, seed uint64) {
		ns, ts := strings.Split(names, ","), strings.Split(types, ",")
		s := &Schema{Object: "o"}
		for i, n := range ns {
			s.Fields = append(s.Fields, Field{Name: n, Type: FieldType(ts[i%len(ts)])})
		}
		c := s.Clone()
		r := rand.New(rand.NewPCG(seed, seed>>1))
		r.Shuffle(len(c.Fields), func(i, j int) { c.Fields[i], c.Fields[j] = c.Fields[j], c.Fields[i] })
		if Fingerprint(s) != Fingerprint(c) {
			t.Errorf("Fingerprint depends on order")
		}
		if TypeFingerprint(s) != TypeFingerprint(c) {
			t.Errorf("TypeFingerprint depends on order")
		}
		if s.Validate() == nil {
			if d := Diff(s, c); !d.Empty() {
				t.Errorf("Diff of a reordering = %+v", d.Changes)
			}
		}
	})
}
