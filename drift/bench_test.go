package drift

import (
	"fmt"
	"testing"
)

// benchValues is a mix of the shapes real columns hold.
var benchValues = []string{
	"jane.doe@example.com", "415-555-0132", "https://example.com/pricing",
	"example.com", "2024-01-31", "2025-03-04T10:15:00+05:30", "1700000000",
	"USD", "Germany", "0015g00000XyZaBAAV", "0.25", "42", "true", "$1,200.50",
	"Acme Corp", "", "cus_NffrFeUfNV2Hib", "85000.5", "DE", "(512) 555 0199",
}

func BenchmarkProfile(b *testing.B) {
	values := make([]string, 0, 1000)
	for i := range 1000 {
		v := benchValues[i%len(benchValues)]
		if i%3 == 0 && v != "" {
			v = fmt.Sprint(v, i%7) // some distinct values
		}
		values = append(values, v)
	}
	b.ReportAllocs()
	b.ResetTimer()
	for b.Loop() {
		_ = Profile(values)
	}
	b.ReportMetric(float64(b.N)*float64(len(values))/b.Elapsed().Seconds(), "values/s")
}

func BenchmarkFingerprint50(b *testing.B) {
	s := bigSchema(50)
	b.ReportAllocs()
	b.ResetTimer()
	for b.Loop() {
		_ = Fingerprint(s)
	}
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N)/1000, "µs/fingerprint")
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "fingerprints/s")
}

func BenchmarkTypeFingerprint50(b *testing.B) {
	s := bigSchema(50)
	b.ReportAllocs()
	for b.Loop() {
		_ = TypeFingerprint(s)
	}
}

func BenchmarkDiff50(b *testing.B) {
	old := bigSchema(50)
	new := old.Clone()
	// A realistic drift: one rename, one widening, one breaking change,
	// one added field, fields reordered.
	new.Fields[0].Name = "Renamed__c"
	new.Fields[1].Type = TypeNumber // integer -> number
	new.Fields[2].Type = TypeString // number -> string
	new.Fields = append(new.Fields, Field{Name: "Added__c", Type: TypeString})
	new.Fields[10], new.Fields[40] = new.Fields[40], new.Fields[10]
	b.ReportAllocs()
	b.ResetTimer()
	for b.Loop() {
		_ = Diff(old, new)
	}
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N)/1000, "µs/diff")
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "diffs/s")
}
