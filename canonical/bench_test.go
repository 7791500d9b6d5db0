package canonical

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"slices"
	"testing"
	"time"
)

// reportRate reports n operations per second of wall time under unit,
// and per second of process CPU time under "cpu-"+unit where the OS
// tells it: run with -cpu 1, so that the process uses one core.
func reportRate(b *testing.B, unit string, cpu0 time.Duration) {
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), unit)
	if cpu := processCPU() - cpu0; cpu0 > 0 && cpu > 0 {
		b.ReportMetric(float64(b.N)/cpu.Seconds(), "cpu-"+unit)
	}
}

// benchOpportunity is a 15-field opportunity record (no phone) as
// encoding/json decodes it into map[string]any: strings, float64, bool,
// a nested lookup object and two unmapped fields.
func benchOpportunity() map[string]any {
	return map[string]any{
		"Id":               "0065g00000XyZ1AAA",
		"CustomerRef":      map[string]any{"value": "0015g00000Abc"},
		"Name":             "Acme - 200 seats",
		"StageName":        "Negotiation",
		"Amount":           "1,234.50",
		"CurrencyIsoCode":  "USD",
		"Probability":      float64(75),
		"CloseDate":        "2025-03-04",
		"IsClosed":         false,
		"IsWon":            false,
		"OwnerId":          "0055g00000Own",
		"CreatedDate":      "2025-01-10T08:00:00.000+0000",
		"LastModifiedDate": "2025-03-04T10:15:00Z",
		"Description":      "long text",
		"Type":             "New Business",
	}
}

// BenchmarkNormalizeOpportunity normalizes one 15-field opportunity
// record into its event. Run it with -cpu 1 -benchmem: records/s is per
// core.
func BenchmarkNormalizeOpportunity(b *testing.B) {
	n := newOppNormalizer(b, nil)
	rec := benchOpportunity()
	if evs, err := n.Normalize(rec); err != nil || len(evs[0].Problems) != 0 || len(evs[0].Data) != 13 {
		b.Fatalf("%v %+v", err, evs)
	}
	b.ReportAllocs()
	cpu0 := processCPU()
	for b.Loop() {
		if _, err := n.Normalize(rec); err != nil {
			b.Fatal(err)
		}
	}
	reportRate(b, "records/s", cpu0)
}

// BenchmarkNormalizeFloor does for the same record only what any
// Normalize that returns an Event with a map[string]any Data must do: the
// event, the Data map of 13 entries filled with the raw values from 13
// record lookups, and the SHA-256 id over a text of the same length.
// Normalizing values costs what BenchmarkNormalizeOpportunity adds to it;
// records/s here bounds that benchmark.
func BenchmarkNormalizeFloor(b *testing.B) {
	n := newOppNormalizer(b, nil)
	rec := benchOpportunity()
	pe := n.entities[0]
	c := &normCtx{}
	if err := n.normalizeEntity(&Event{}, pe, mapGetter(rec), OpUpsert, "", fixedClock(), c); err != nil {
		b.Fatal(err)
	}
	text := slices.Clone(c.buf)
	g := mapGetter(rec)
	var evs []*Event
	b.ReportAllocs()
	cpu0 := processCPU()
	for b.Loop() {
		p := &eventAndSlice{}
		p.ev.Data = make(map[string]any, pe.dataSize)
		for _, pf := range pe.fields {
			if v, _, _, ok := g.get(pf); ok {
				p.ev.Data[pf.name] = v
			}
		}
		sum := sha256.Sum256(text)
		var id [32]byte
		hex.Encode(id[:], sum[:16])
		p.ev.ID = string(id[:])
		p.arr[0] = &p.ev
		evs = p.arr[:]
	}
	if len(evs[0].Data) != 13 {
		b.Fatalf("%d fields", len(evs[0].Data))
	}
	reportRate(b, "records/s", cpu0)
}

// BenchmarkNormalizeRow is the same record as a CSV row.
func BenchmarkNormalizeRow(b *testing.B) {
	n := newOppNormalizer(b, nil)
	header := []string{"Id", "CustomerRef.value", "Name", "StageName", "Amount", "CurrencyIsoCode", "Probability", "CloseDate",
		"IsClosed", "IsWon", "OwnerId", "CreatedDate", "LastModifiedDate", "Description", "Type"}
	row := []string{"0065g00000XyZ1AAA", "0015g00000Abc", "Acme - 200 seats", "Negotiation", "1,234.50", "USD", "75", "2025-03-04",
		"false", "false", "0055g00000Own", "2025-01-10T08:00:00.000+0000", "2025-03-04T10:15:00Z", "long text", "New Business"}
	b.ReportAllocs()
	cpu0 := processCPU()
	for b.Loop() {
		if _, err := n.NormalizeRow(header, row, ""); err != nil {
			b.Fatal(err)
		}
	}
	reportRate(b, "records/s", cpu0)
}

// BenchmarkValidateEvent reports the cost of checking one normalized
// opportunity event against its JSON Schema.
func BenchmarkValidateEvent(b *testing.B) {
	n := newOppNormalizer(b, nil)
	evs, err := n.Normalize(benchOpportunity())
	if err != nil {
		b.Fatal(err)
	}
	if err := Validate(evs[0]); err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	cpu0 := processCPU()
	for b.Loop() {
		if err := Validate(evs[0]); err != nil {
			b.Fatal(err)
		}
	}
	reportRate(b, "events/s", cpu0)
}

// BenchmarkMarshalEvent reports the cost of encoding one event as JSON.
func BenchmarkMarshalEvent(b *testing.B) {
	n := newOppNormalizer(b, nil)
	evs, _ := n.Normalize(benchOpportunity())
	b.ReportAllocs()
	for b.Loop() {
		if _, err := json.Marshal(evs[0]); err != nil {
			b.Fatal(err)
		}
	}
}
