package stream

import (
	"encoding/json"
	"reflect"
	"testing"

	"github.com/autonomos/autonomos/canonical"
)

func TestFastDecoderIsInUse(t *testing.T) {
	if !fastDecodeOK {
		// Not a failure: Decode is still correct (json.Unmarshal), only
		// slower. See TestFastEncoderIsInUse.
		t.Skip("the fast decoder disagrees with json.Unmarshal on the sample and is off; update fastjson_decode.go")
	}
}

// checkDecode asserts that where the fast decoder accepts body, it gives
// what json.Unmarshal gives.
func checkDecode(t *testing.T, body []byte) (accepted bool) {
	t.Helper()
	if !fastDecodeOK {
		t.Skip("the fast decoder is off (see TestFastDecoderIsInUse)")
	}
	got, ok := decodeFast(body)
	if !ok {
		return false
	}
	var want canonical.Event
	if err := json.Unmarshal(body, &want); err != nil {
		t.Fatalf("fast decoder accepted what json.Unmarshal refuses (%v): %q", err, body)
	}
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("fast decoder differs on %q:\n got %#v\nwant %#v", body, got, want)
	}
	return true
}

func TestFastDecoderMatchesEncodingJSON(t *testing.T) {
	body, err := Encode(checkSample())
	if err != nil {
		t.Fatal(err)
	}
	if !checkDecode(t, body) {
		t.Fatal("the fast decoder declined the fast encoder's own output")
	}
	tn := `"7f8e2b1c-0d3a-4e5f-9a6b-1c2d3e4f5a6b"`
	head := `{"id":"x","tenant_id":` + tn + `,"source":{"system":"","connection_id":"","object":""},"entity":"","op":"","source_key":"","data":`
	tail := `,"ingested_at":"0001-01-01T00:00:00Z"}`
	for _, c := range []struct {
		data   string
		accept bool
	}{
		{`null`, true},
		{`{}`, true},
		{`{"a":-0,"b":1e3,"c":9223372036854775808,"d":[1,{"e":2}],"f":"\u00e9\/\"","g":0.5}`, true},
		{`{"a":"\ud83d\ude00"}`, false}, // surrogates: left to encoding/json
		{`{"a":"\xff"}`, false},         // invalid UTF-8: left to encoding/json
		{`{"a": 1}`, false},             // white space
		{`{"a":01}`, false},
		{`{"a":tru}`, false},
		{`{"a":1,"a":2}`, true},
	} {
		body := []byte(head + c.data + tail)
		if got := checkDecode(t, body); got != c.accept {
			t.Errorf("data %s: fast decoder accepted=%v, want %v", c.data, got, c.accept)
		}
		if _, err := Decode(canonical.Event{}.Tenant, body); err == nil {
			t.Errorf("data %s: Decode for the nil tenant succeeded", c.data)
		}
	}
}

func TestFastDecoderOccurredAt(t *testing.T) {
	tn := `"7f8e2b1c-0d3a-4e5f-9a6b-1c2d3e4f5a6b"`
	for _, at := range []string{"", `,"occurred_at":"2026-01-02T03:04:05.5+01:00"`, `,"occurred_at":"0001-01-01T00:00:00Z"`} {
		body := `{"id":"x","tenant_id":` + tn + `,"source":{"system":"","connection_id":"","object":""},"entity":"","op":"","source_key":"","data":null` +
			at + `,"ingested_at":"2026-01-02T03:04:05Z"}`
		if !checkDecode(t, []byte(body)) {
			t.Errorf("declined %s", body)
		}
	}
}

func FuzzDecode(f *testing.F) {
	body, _ := Encode(checkSample())
	f.Add(body)
	f.Add([]byte(`{"id":"x"}`))
	f.Fuzz(func(t *testing.T, body []byte) {
		checkDecode(t, body)
	})
}

func BenchmarkDecode(b *testing.B) {
	ev := *checkSample()
	delete(ev.Data, "num")
	delete(ev.Data, "list")
	delete(ev.Data, "m")
	delete(ev.Data, "d") // a bare decimal.Decimal goes through json.Marshal; events carry canonical.Decimal
	body, _ := Encode(&ev)
	b.Run("fast", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			if _, err := Decode(ev.Tenant, body); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("encoding-json", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			var e canonical.Event
			if err := json.Unmarshal(body, &e); err != nil {
				b.Fatal(err)
			}
		}
	})
}
