package drift

import (
	"math"
	"slices"
	"strings"
	"unicode/utf8"
)

// DefaultSampleSize is how many distinct raw values [ProfileField] and
// [Inferrer] keep per field in [Field.Samples].
const DefaultSampleSize = 20

// defaultExactDistinct is how many distinct values a Profiler counts
// exactly by default; past it the count is estimated.
const defaultExactDistinct = 4096

// Profiler accumulates the statistics of one field's values in bounded
// memory: counters, the numeric range and a distinct-value sketch of at
// most 2×ExactDistinct hashes. Distinct counts are exact up to
// ExactDistinct distinct values and estimated past that (a k minimum
// values sketch with k = ExactDistinct: about 1/sqrt(k) relative error,
// under 2% at the default).
//
// The zero value is ready to use. A Profiler is not safe for concurrent
// use.
type Profiler struct {
	// ExactDistinct is how many distinct values are counted exactly and
	// the size of the sketch past that. Set it before the first Add.
	// Defaults to 4096.
	ExactDistinct int

	count, nulls   int
	counts         [len(allPatterns)]int
	boolWords      int
	bool01         int
	frac01         bool // some value in [0,1] has a fractional part
	minLen, maxLen int
	min, max       float64
	hasNum         bool
	sketch         kmv
}

// IsNull reports whether a raw value counts as null: empty or blank, or
// one of "null", "nil", "none", "n/a" (any case) and `\N` (the COPY null).
func IsNull(v string) bool {
	v = strings.TrimSpace(v)
	switch len(v) {
	case 0:
		return true
	case 2:
		return v == `\N`
	case 3:
		return strings.EqualFold(v, "nil") || strings.EqualFold(v, "n/a")
	case 4:
		return strings.EqualFold(v, "null") || strings.EqualFold(v, "none")
	}
	return false
}

// AddNull records a null value.
func (p *Profiler) AddNull() {
	p.count++
	p.nulls++
}

// Add records one raw value. Values for which [IsNull] holds count as
// nulls; others are trimmed of surrounding white space for pattern
// detection, while lengths are measured on the raw value.
func (p *Profiler) Add(v string) { p.add(v) }

// add is Add returning what it learned; ok is false for a null.
func (p *Profiler) add(v string) (vi valueInfo, ok bool) {
	if IsNull(v) {
		p.AddNull()
		return vi, false
	}
	p.count++
	l := utf8.RuneCountInString(v)
	if p.count-p.nulls == 1 || l < p.minLen {
		p.minLen = l
	}
	if l > p.maxLen {
		p.maxLen = l
	}
	p.sketch.add(hashString(v), p.exactLimit())
	vi = classify(strings.TrimSpace(v))
	for b, i := vi.bits, 0; b != 0; b, i = b>>1, i+1 {
		if b&1 != 0 {
			p.counts[i]++
		}
	}
	if vi.boolWord {
		p.boolWords++
	}
	if vi.bool01 {
		p.bool01++
	}
	if vi.bits&bitPercent01 != 0 && vi.fractional {
		p.frac01 = true
	}
	if vi.hasNum {
		if !p.hasNum || vi.num < p.min {
			p.min = vi.num
		}
		if !p.hasNum || vi.num > p.max {
			p.max = vi.num
		}
		p.hasNum = true
	}
	return vi, true
}

func (p *Profiler) exactLimit() int {
	if p.ExactDistinct > 0 {
		return p.ExactDistinct
	}
	return defaultExactDistinct
}

// Count reports how many values were added, nulls included.
func (p *Profiler) Count() int { return p.count }

// Stats returns the statistics of the values added so far.
//
// Pattern shares are over non-null values. Two rules apply on the field
// as a whole: percent_0_1 is reported only when some value in 0..1 has a
// fractional part (a column of 0 and 1 is not a ratio), and boolean
// counts "0" and "1" only when every non-null value is a boolean word or
// 0/1. Min and Max span plain numbers, money amounts and "12%" values.
func (p *Profiler) Stats() Stats {
	st := Stats{Count: p.count, MinLen: p.minLen, MaxLen: p.maxLen}
	nonNull := p.count - p.nulls
	if p.count > 0 {
		st.NullRatio = float64(p.nulls) / float64(p.count)
	}
	if nonNull == 0 {
		return st
	}
	st.DistinctRatio = math.Min(1, p.sketch.estimate()/float64(nonNull))
	counts := p.counts
	if !p.frac01 {
		counts[bitIndex(bitPercent01)] = 0
	}
	if p.boolWords+p.bool01 == nonNull {
		counts[bitIndex(bitBoolean)] = nonNull
	}
	for i, c := range counts {
		if c > 0 {
			if st.Patterns == nil {
				st.Patterns = make(map[Pattern]float64, 4)
			}
			st.Patterns[allPatterns[i]] = float64(c) / float64(nonNull)
		}
	}
	if p.hasNum {
		lo, hi := p.min, p.max
		st.Min, st.Max = &lo, &hi
	}
	return st
}

// Type infers a field type from the values added so far: boolean when
// every non-null value is a boolean word (true/false/yes/no/t/f/y/n; a
// column of 0 and 1 stays integer), then integer, number, date (ISO,
// d/m/y and YYYYMMDD mixed), timestamp (timestamps mixed with dates or
// unix times), and string otherwise or when there are no non-null
// values.
func (p *Profiler) Type() FieldType {
	nonNull := p.count - p.nulls
	switch {
	case nonNull == 0:
		return TypeString
	case p.boolWords == nonNull:
		return TypeBoolean
	case p.counts[bitIndex(bitInteger)] == nonNull:
		return TypeInteger
	case p.counts[bitIndex(bitNumeric)] == nonNull:
		return TypeNumber
	case p.counts[bitIndex(bitDate)] == nonNull:
		return TypeDate
	case p.counts[bitIndex(bitTimestamp)] > 0 &&
		p.counts[bitIndex(bitTimestamp)]+p.counts[bitIndex(bitDate)]+p.counts[bitIndex(bitEpoch)] == nonNull:
		// Timestamps mixed with dates or unix times (the patterns are
		// exclusive per value) are timestamps.
		return TypeTimestamp
	}
	return TypeString
}

func bitIndex(b uint32) int {
	i := 0
	for b > 1 {
		b >>= 1
		i++
	}
	return i
}

// Profile returns the statistics of samples. It is a shorthand for a
// [Profiler] fed every sample.
func Profile(samples []string) Stats {
	var p Profiler
	for _, s := range samples {
		p.Add(s)
	}
	return p.Stats()
}

// ProfileField returns a [Field] named name, with the statistics of
// samples, Nullable set when any sample is null, and up to
// [DefaultSampleSize] distinct non-null samples in first-seen order. An
// empty typ is inferred from the samples (see [Profiler.Type]).
func ProfileField(name string, typ FieldType, samples []string) Field {
	var p Profiler
	keep := make([]string, 0, min(len(samples), DefaultSampleSize))
	for _, s := range samples {
		p.Add(s)
		if len(keep) < DefaultSampleSize && !IsNull(s) && !contains(keep, s) {
			keep = append(keep, s)
		}
	}
	if typ == "" {
		typ = p.Type()
	}
	st := p.Stats()
	return Field{Name: name, Type: typ, Nullable: p.nulls > 0, Samples: keep, Stats: st}
}

func contains(xs []string, s string) bool {
	for _, x := range xs {
		if x == s {
			return true
		}
	}
	return false
}

// hashString is FNV-1a followed by the SplitMix64 finalizer, so that the
// high bits the sketch relies on are well mixed. It is deterministic
// across processes, which keeps estimates reproducible.
func hashString(s string) uint64 {
	h := uint64(14695981039346656037)
	for i := 0; i < len(s); i++ {
		h ^= uint64(s[i])
		h *= 1099511628211
	}
	return mix64(h)
}

func mix64(h uint64) uint64 {
	h ^= h >> 30
	h *= 0xbf58476d1ce4e5b9
	h ^= h >> 27
	h *= 0x94d049bb133111eb
	h ^= h >> 31
	return h
}

// kmv is a k-minimum-values distinct counter. It keeps every hash below
// threshold; when the set grows past 2k it keeps only the k smallest.
// Until the first prune the count is exact.
type kmv struct {
	set       map[uint64]struct{}
	threshold uint64 // 0 means "not pruned yet"
}

func (s *kmv) add(h uint64, k int) {
	if s.threshold != 0 && h >= s.threshold {
		return
	}
	if s.set == nil {
		s.set = make(map[uint64]struct{}, 16)
	}
	s.set[h] = struct{}{}
	if len(s.set) > 2*k {
		s.prune(k)
	}
}

// prune keeps the k smallest hashes; the k+1-th becomes the threshold.
func (s *kmv) prune(k int) {
	hs := make([]uint64, 0, len(s.set))
	for h := range s.set {
		hs = append(hs, h)
	}
	slices.Sort(hs)
	s.threshold = hs[k]
	for _, h := range hs[k:] {
		delete(s.set, h)
	}
}

func (s *kmv) estimate() float64 {
	if s.threshold == 0 {
		return float64(len(s.set))
	}
	// len(set) hashes fall below threshold out of a uniform 2^64 range.
	return float64(len(s.set)) / (float64(s.threshold) / math.Exp2(64))
}
