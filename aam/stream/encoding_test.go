package stream

import (
	"bytes"
	"encoding/json"
	"math"
	"strings"
	"testing"
	"time"

	"github.com/shopspring/decimal"

	"github.com/autonomos/autonomos/canonical"
	"github.com/autonomos/autonomos/tenancy"
)

// stdEncode is the reference: the event's own JSON encoding.
func stdEncode(t testing.TB, v any) ([]byte, error) {
	t.Helper()
	return json.Marshal(v)
}

func TestFastEncoderIsInUse(t *testing.T) {
	if !fastEventOK {
		// Not a failure: Encode is still correct (it uses json.Marshal),
		// only slower, and a change in package canonical must not break
		// this package's tests. BenchmarkEncode shows the cost.
		t.Skip("canonical.Event changed shape: the fast encoder is off and Encode uses json.Marshal; update fastjson.go")
	}
}

func TestFastEncoderMatchesEncodingJSON(t *testing.T) {
	cases := map[string]canonical.Event{
		"full":    *checkSample(),
		"zero":    {},
		"minimal": {ID: "x", Tenant: tenancy.New(), Data: map[string]any{}},
	}
	for name, ev := range cases {
		t.Run(name, func(t *testing.T) {
			want, err := stdEncode(t, &ev)
			if err != nil {
				t.Fatal(err)
			}
			got, err := Encode(&ev)
			if err != nil {
				t.Fatal(err)
			}
			if !bytes.Equal(got, want) {
				t.Fatalf("fast encoding differs from encoding/json:\n got %s\nwant %s", got, want)
			}
			back, err := Decode(ev.Tenant, got)
			if ev.ID != "" && (err != nil || back.ID != ev.ID) {
				t.Fatalf("Decode of Encode: %v, %q", err, back.ID)
			}
		})
	}
}

func TestEncodeRefusesWhatEncodingJSONRefuses(t *testing.T) {
	for name, v := range map[string]any{
		"nan":  math.NaN(),
		"inf":  math.Inf(1),
		"year": time.Date(10000, 1, 1, 0, 0, 0, 0, time.UTC),
		"chan": make(chan int),
	} {
		ev := canonical.Event{ID: "e", Tenant: tenancy.New(), Data: map[string]any{"v": v}}
		if _, err := stdEncode(t, &ev); err == nil {
			t.Fatalf("%s: encoding/json accepts it; the test is wrong", name)
		}
		if _, err := Encode(&ev); err == nil || !strings.Contains(err.Error(), `"e"`) {
			t.Errorf("%s: Encode: %v, want an error naming the event", name, err)
		}
	}
}

func FuzzEncode(f *testing.F) {
	f.Add("id", "name", "a\"b\\c\n\x00\u2028\xff", int64(3), 1.25, true)
	f.Add("", "", "", int64(-1), 1e-9, false)
	f.Add("日本", "k", "<script>&amp;", int64(math.MaxInt64), 1e300, true)
	f.Fuzz(func(t *testing.T, id, key, val string, i int64, fl float64, b bool) {
		if math.IsNaN(fl) || math.IsInf(fl, 0) {
			fl = 0
		}
		ev := canonical.Event{
			ID: id, Tenant: tenancy.New(), Entity: val, SourceKey: key,
			Source: canonical.Source{System: val},
			Data: map[string]any{key: val, key + "i": i, key + "f": fl, key + "b": b, val: []any{val, fl},
				key + "d": canonical.Decimal{Decimal: decimal.New(i, int32(i%37)-18)}},
			Problems:   []canonical.Problem{{Field: key, SourceField: val, Raw: val, Reason: id}},
			OccurredAt: time.Unix(i%(1<<34), int64(fl)%1e9).UTC(),
		}
		want, werr := stdEncode(t, &ev)
		got, gerr := Encode(&ev)
		if (werr == nil) != (gerr == nil) {
			t.Fatalf("encoding/json error %v, Encode error %v", werr, gerr)
		}
		if werr == nil && !bytes.Equal(got, want) {
			t.Fatalf("fast encoding differs:\n got %s\nwant %s", got, want)
		}
		if werr == nil && !checkDecode(t, got) {
			t.Fatalf("the fast decoder declined the fast encoder's output %s", got)
		}
	})
}

func BenchmarkEncode(b *testing.B) {
	ev := *checkSample()
	delete(ev.Data, "num")
	delete(ev.Data, "list")
	delete(ev.Data, "m")
	delete(ev.Data, "d") // a bare decimal.Decimal goes through json.Marshal; events carry canonical.Decimal
	b.Run("fast", func(b *testing.B) {
		b.ReportAllocs()
		var buf []byte
		for b.Loop() {
			buf, _ = appendEncoded(buf[:0], &ev)
		}
		b.SetBytes(int64(len(buf)))
	})
	b.Run("encoding-json", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			_, _ = json.Marshal(&ev)
		}
	})
}

// TestEncodeMapsOfChangingKeys encodes, one after another on one
// goroutine, maps whose key sets repeat, change at equal size, shrink,
// grow and nest, and checks each against json.Marshal: appendMap reuses
// the sorted keys of the previous map only when the key sets are equal.
func TestEncodeMapsOfChangingKeys(t *testing.T) {
	datas := []map[string]any{
		{"a": 1, "b": "x", "c": true},
		{"a": 2, "b": "y", "c": false},
		{"a": 3, "b": "z", "d": nil},     // same size, one key different
		{"d": 4, "c": "w", "b": 1.5},     // same size, other keys
		{"z": 1, "y": 2},                 // smaller
		{"z": 1, "y": 2, "x": 3, "w": 4}, // larger
		{"m": map[string]any{"q": 1, "p": 2}, "n": map[string]any{"p": 3, "r": 4}},
		{"m": map[string]any{"p": 1, "q": 2}, "n": map[string]any{"p": 3, "q": 4}},
		{"amount": math.NaN(), "b": 1}, // refused
		{"amount": 1.5, "b": 1},
		{},
		nil,
	}
	for i, d := range datas {
		e := canonical.Event{ID: "e", Tenant: tenancy.New(), Entity: "x", Data: d}
		got, err := Encode(&e)
		want, wantErr := stdEncode(t, &e)
		if (err != nil) != (wantErr != nil) {
			t.Fatalf("data %d: Encode error %v, json.Marshal error %v", i, err, wantErr)
		}
		if err == nil && !bytes.Equal(got, want) {
			t.Errorf("data %d:\n got %s\nwant %s", i, got, want)
		}
	}
}

// TestEncodeDecimals checks the allocation-free decimal path against
// json.Marshal on the edges of its range (scale, sign, zero, 18 and 19
// digits, positive exponents) and beyond it.
func TestEncodeDecimals(t *testing.T) {
	texts := []string{"0", "0.00", "-0.05", "1234.50", "-1234.50", "0.000000000000000001", "1e-19", "1e-18",
		"123456789012345678", "1234567890123456789", "-999999999999999999", "12345678901234567890.123",
		"1.000000000000000000", "5e3", "-7E2", "0.1", "10", "-10.10"}
	for _, s := range texts {
		d, err := decimal.NewFromString(s)
		if err != nil {
			t.Fatal(err)
		}
		for _, v := range []any{canonical.Decimal{Decimal: d}, map[string]any{"x": canonical.Decimal{Decimal: d}}} {
			e := canonical.Event{ID: "e", Tenant: tenancy.New(), Entity: "x", Data: map[string]any{"amount": v}}
			got, err := Encode(&e)
			if err != nil {
				t.Fatalf("%s: %v", s, err)
			}
			want, err := stdEncode(t, &e)
			if err != nil {
				t.Fatalf("%s: %v", s, err)
			}
			if !bytes.Equal(got, want) {
				t.Errorf("%s:\n got %s\nwant %s", s, got, want)
			}
		}
	}
}
