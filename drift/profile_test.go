package drift

import (
	"fmt"
	"math"
	"slices"
	"strings"
	"testing"
)

// patternsOf returns the sorted pattern names of one value.
func patternsOf(v string) []Pattern {
	vi := classify(strings.TrimSpace(v))
	var out []Pattern
	for i, p := range allPatterns {
		if vi.bits&(1<<i) != 0 {
			out = append(out, p)
		}
	}
	slices.Sort(out)
	return out
}

func TestClassifyValues(t *testing.T) {
	t.Parallel()
	P := func(ps ...Pattern) []Pattern { slices.Sort(ps); return ps }
	num := func(extra ...Pattern) []Pattern { return P(append(extra, PatternNumeric)...) }
	intg := func(extra ...Pattern) []Pattern { return P(append(extra, PatternNumeric, PatternInteger)...) }
	tests := []struct {
		in   string
		want []Pattern
	}{
		// email
		{"jane.doe@example.com", P(PatternEmail)},
		{"a+tag@sub.example.co.uk", P(PatternEmail)},
		{"ops@acme.consulting", P(PatternEmail)},
		{"not an@email.com", nil},
		{"@example.com", nil},
		{"jane@", nil},
		{"jane@localhost", nil},
		// phone
		{"415-555-0132", P(PatternPhone)},
		{"(512) 555 0199", P(PatternPhone)},
		{"+49 89 1234567", P(PatternPhone)},
		{"089 1234567", P(PatternPhone)},
		{"+14155550132", intg(PatternPhone)},
		{"415.555.0132", P(PatternPhone)},
		{"+1 (415) 555-0132 x12", P(PatternPhone)},
		{"415-555-0132 ext. 7", P(PatternPhone)},
		{"192.168.1.1", nil},
		{"555-01", nil},
		// url
		{"https://example.com/pricing?x=1", P(PatternURL)},
		{"http://localhost:8080/health", P(PatternURL)},
		{"www.example.org", P(PatternURL)},
		{"example.com/about", P(PatternURL)},
		{"s3://bucket/key", P(PatternURL)},
		{"https://", nil},
		// domain
		{"example.com", P(PatternDomain)},
		{"Acme.CO.uk", P(PatternDomain)},
		{"shop.example.store", P(PatternDomain)},
		{"john.smith", nil},
		{"report.pdf", nil},
		{"-bad.com", nil},
		// date
		{"2024-01-31", P(PatternDate)},
		{"2024/01/31", P(PatternDate)},
		{"20240131", intg(PatternDate)},
		{"31/01/2024", P(PatternDate)},
		{"01/31/2024", P(PatternDate)},
		{"3.4.25", P(PatternDate)},
		{"5 March 2024", P(PatternDate)},
		{"Mar 5, 2024", P(PatternDate)},
		{"05-Mar-2024", P(PatternDate)},
		{"2024-02-30", nil},
		{"13/13/2024", nil},
		{"20241332", intg()},
		// timestamp
		{"2024-01-31T10:15:00Z", P(PatternTimestamp)},
		{"2025-03-04T10:15:00+05:30", P(PatternTimestamp)},
		{"2025-03-04 10:15:00.123456-0700", P(PatternTimestamp)},
		{"2025-03-04T10:15", P(PatternTimestamp)},
		{"31/01/2024 10:15", P(PatternTimestamp)},
		{"2025-03-04 10:15:00 UTC", P(PatternTimestamp)},
		{"Mon, 02 Jan 2006 15:04:05 -0700", P(PatternTimestamp)},
		{"2025-03-04T25:15:00Z", nil},
		{"2025-03-04T10:15:00+99:00", nil},
		// epoch
		{"1700000000", intg(PatternEpoch)},
		{"1700000000123", intg(PatternEpoch)},
		{"1700000000.5", num(PatternEpoch)},
		{"17000", intg()},
		// currency
		{"USD", P(PatternCurrency)},
		{"eur", P(PatternCurrency)},
		{"Usd", nil},
		{"ABC", nil},
		// country
		{"DE", P(PatternCountry)},
		{"de", nil},
		{"no", P(PatternBoolean)},
		{"usa", nil},
		{"DEU", P(PatternCountry)},
		{"Germany", P(PatternCountry)},
		{"united states", P(PatternCountry)},
		{"United Kingdom", P(PatternCountry)},
		{"Narnia", nil},
		{"De", nil},
		// "CHF" is only a currency; "CHE" is Switzerland and the WIR euro.
		{"CHF", P(PatternCurrency)},
		{"CHE", P(PatternCountry, PatternCurrency)},
		// id_like
		{"0015g00000XyZaB", P(PatternIDLike)},
		{"0015g00000XyZaBAAV", P(PatternIDLike)},
		{"3f2504e0-4f89-11d3-9a0c-0305e82c3301", P(PatternIDLike)},
		{"507f1f77bcf86cd799439011", P(PatternIDLike)},
		{"cus_NffrFeUfNV2Hib", P(PatternIDLike)},
		{"in_1MtHbELkdIwHu7ixl4OzzPMv", P(PatternIDLike)},
		{"INV-00042", P(PatternIDLike)},
		{"123456789012345", intg(PatternIDLike)},
		{"000123", intg(PatternIDLike)},
		{"well-known", nil},
		// percent
		{"0.25", num(PatternPercent01, PatternPercent100)},
		{"42", intg(PatternPercent100)},
		{"42.5%", P(PatternPercent100)},
		{"150%", nil},
		{"-3", intg()},
		// numeric / integer
		{"3.14159e2", num()},
		{"-12.5", num()},
		{"1e400", nil},
		{"NaN", nil},
		{"Inf", nil},
		{"0x1F", nil},
		// boolean
		{"true", P(PatternBoolean)},
		{"FALSE", P(PatternBoolean)},
		{"yes", P(PatternBoolean)},
		{"N", P(PatternBoolean)},
		{"1", intg(PatternPercent01, PatternPercent100)},
		// money
		{"$1,200", P(PatternMoney)},
		{"1,234.50", P(PatternMoney)},
		{"1.234,50", P(PatternMoney)},
		{"€ 85.000,50", P(PatternMoney)},
		{"USD 1200", P(PatternMoney)},
		{"1200.00 EUR", P(PatternMoney)},
		{"(1,200.00)", P(PatternMoney)},
		{"-$45.10", P(PatternMoney)},
		{"1 234 567,89", P(PatternMoney)},
		{"1,23,4", nil},
		{"12,34", nil},
		// plain text
		{"hello world", nil},
		{"Acme Corp", nil},
	}
	for _, tt := range tests {
		got := patternsOf(tt.in)
		want := tt.want
		if len(want) == 0 {
			want = nil
		}
		if !slices.Equal(got, want) {
			t.Errorf("classify(%q) = %v, want %v", tt.in, got, want)
		}
	}
}

func TestProfileStats(t *testing.T) {
	t.Parallel()
	st := Profile([]string{"a@x.com", "b@x.com", "", "NULL", "b@x.com", " c@y.org "})
	if st.Count != 6 {
		t.Errorf("Count = %d, want 6", st.Count)
	}
	if math.Abs(st.NullRatio-2.0/6) > 1e-9 {
		t.Errorf("NullRatio = %v, want 1/3", st.NullRatio)
	}
	if math.Abs(st.DistinctRatio-0.75) > 1e-9 {
		t.Errorf("DistinctRatio = %v, want 0.75", st.DistinctRatio)
	}
	if st.MinLen != 7 || st.MaxLen != 9 {
		t.Errorf("MinLen, MaxLen = %d, %d, want 7, 9", st.MinLen, st.MaxLen)
	}
	if st.Patterns[PatternEmail] != 1 || len(st.Patterns) != 1 {
		t.Errorf("Patterns = %v, want email=1 only", st.Patterns)
	}
	if st.Min != nil || st.Max != nil {
		t.Errorf("Min/Max set for non-numeric values")
	}
}

func TestProfileNumericRangeAndShares(t *testing.T) {
	t.Parallel()
	st := Profile([]string{"10", "2.5", "$1,000", "hello"})
	if st.Min == nil || *st.Min != 2.5 || *st.Max != 1000 {
		t.Fatalf("Min, Max = %v, %v, want 2.5, 1000", st.Min, st.Max)
	}
	if st.Patterns[PatternNumeric] != 0.5 || st.Patterns[PatternInteger] != 0.25 || st.Patterns[PatternMoney] != 0.25 {
		t.Errorf("Patterns = %v", st.Patterns)
	}
}

func TestProfilePercentRules(t *testing.T) {
	t.Parallel()
	// 0 and 1 only: no ratio, but boolean (every value is 0/1).
	st := Profile([]string{"0", "1", "1", "0"})
	if _, ok := st.Patterns[PatternPercent01]; ok {
		t.Errorf("percent_0_1 reported for 0/1 column: %v", st.Patterns)
	}
	if st.Patterns[PatternBoolean] != 1 {
		t.Errorf("boolean = %v, want 1 for a 0/1 column", st.Patterns[PatternBoolean])
	}
	st = Profile([]string{"0", "0.5", "1", "0.25"})
	if st.Patterns[PatternPercent01] != 1 || st.Patterns[PatternPercent100] != 1 {
		t.Errorf("ratio column: %v", st.Patterns)
	}
	st = Profile([]string{"0", "1", "2", "true"})
	if st.Patterns[PatternBoolean] != 0.25 {
		t.Errorf("boolean = %v, want 0.25 (0/1 count only in all-boolean columns)", st.Patterns[PatternBoolean])
	}
	st = Profile([]string{"5", "55", "99.5", "100"})
	if st.Patterns[PatternPercent100] != 1 || st.Patterns[PatternPercent01] != 0 {
		t.Errorf("0..100 column: %v", st.Patterns)
	}
}

func TestProfileEmpty(t *testing.T) {
	t.Parallel()
	st := Profile(nil)
	if st.Count != 0 || st.NullRatio != 0 || st.Patterns != nil {
		t.Errorf("Profile(nil) = %+v", st)
	}
	st = Profile([]string{"", "null"})
	if st.NullRatio != 1 || st.DistinctRatio != 0 || st.Patterns != nil {
		t.Errorf("all-null: %+v", st)
	}
}

func TestIsNull(t *testing.T) {
	t.Parallel()
	for _, v := range []string{"", "  ", "null", "NULL", "Nil", "none", "N/A", `\N`} {
		if !IsNull(v) {
			t.Errorf("IsNull(%q) = false", v)
		}
	}
	for _, v := range []string{"0", "NA", "nan", "nullable", "-"} {
		if IsNull(v) {
			t.Errorf("IsNull(%q) = true", v)
		}
	}
}

func TestProfilerType(t *testing.T) {
	t.Parallel()
	tests := []struct {
		in   []string
		want FieldType
	}{
		{[]string{"1", "2", ""}, TypeInteger},
		{[]string{"1", "2.5"}, TypeNumber},
		{[]string{"true", "no", "Y"}, TypeBoolean},
		{[]string{"0", "1"}, TypeInteger},
		{[]string{"2024-01-31", "31/01/2024"}, TypeDate},
		{[]string{"2024-01-31T10:00:00Z", "2024-02-01"}, TypeTimestamp},
		{[]string{"1", "x"}, TypeString},
		{[]string{"", ""}, TypeString},
	}
	for _, tt := range tests {
		var p Profiler
		for _, v := range tt.in {
			p.Add(v)
		}
		if got := p.Type(); got != tt.want {
			t.Errorf("Type(%q) = %s, want %s", tt.in, got, tt.want)
		}
	}
}

func TestProfileField(t *testing.T) {
	t.Parallel()
	var samples []string
	for i := range 100 {
		samples = append(samples, fmt.Sprint(i%30))
	}
	samples = append(samples, "")
	f := ProfileField("amount", "", samples)
	if f.Name != "amount" || f.Type != TypeInteger || !f.Nullable {
		t.Errorf("field = %s %s nullable=%v", f.Name, f.Type, f.Nullable)
	}
	if len(f.Samples) != DefaultSampleSize || f.Samples[0] != "0" || f.Samples[19] != "19" {
		t.Errorf("samples = %v", f.Samples)
	}
	if math.Abs(f.Stats.DistinctRatio-0.3) > 1e-9 {
		t.Errorf("DistinctRatio = %v, want 0.3", f.Stats.DistinctRatio)
	}
	if g := ProfileField("x", TypeString, []string{"1"}); g.Type != TypeString || g.Nullable {
		t.Errorf("declared type not kept: %+v", g)
	}
}

func TestDistinctEstimate(t *testing.T) {
	t.Parallel()
	var p Profiler
	const n = 50000
	for i := range n {
		p.Add(fmt.Sprint("v", i))
		p.Add(fmt.Sprint("v", i)) // every value twice
	}
	got := p.Stats().DistinctRatio
	if math.Abs(got-0.5) > 0.05 {
		t.Errorf("DistinctRatio = %v, want about 0.5", got)
	}
	if len(p.sketch.set) > 2*defaultExactDistinct {
		t.Errorf("sketch holds %d hashes, bound is %d", len(p.sketch.set), 2*defaultExactDistinct)
	}
}
