package redact

import (
	"cmp"
	"encoding/json"
	"fmt"
	"log/slog"
	"slices"
	"strconv"
	"strings"
	"sync"

	"github.com/nyaruka/phonenumbers"
)

// Config tunes a [Redactor]. The zero value and nil mean defaults.
type Config struct {
	// Types limits detection to these types. Defaults to all of [Types].
	Types []Type
	// PhoneRegions are the ISO 3166 regions whose national phone formats
	// are recognized (numbers with a leading + or 00 are recognized for
	// every region). Defaults to ["US"].
	PhoneRegions []string
}

// Redactor finds and masks personal data. It is safe for concurrent use;
// its zero value is not usable, call [New] or use [Default].
type Redactor struct {
	want         [numTypes]bool
	nanp         bool
	nanpRegion   string
	otherRegions []string
}

var defaultRedactor = func() *Redactor {
	r, err := New(nil)
	if err != nil {
		panic(err)
	}
	return r
}()

// Default returns the shared Redactor with the default [Config].
func Default() *Redactor { return defaultRedactor }

// New returns a Redactor for cfg (nil means defaults). It fails with
// [ErrInvalidConfig] naming the field for an unknown type or region.
func New(cfg *Config) (*Redactor, error) {
	var c Config
	if cfg != nil {
		c = *cfg
	}
	if len(c.Types) == 0 {
		c.Types = Types()
	}
	if len(c.PhoneRegions) == 0 {
		c.PhoneRegions = []string{"US"}
	}
	r := &Redactor{}
	for i, t := range c.Types {
		if t == 0 || int(t) >= numTypes {
			return nil, fmt.Errorf("%w: Types[%d] = %d is not a known type", ErrInvalidConfig, i, t)
		}
		r.want[t] = true
	}
	supported := phonenumbers.GetSupportedRegions()
	for i, reg := range c.PhoneRegions {
		reg = strings.ToUpper(reg)
		if !supported[reg] {
			return nil, fmt.Errorf("%w: PhoneRegions[%d] = %q is not a supported region", ErrInvalidConfig, i, reg)
		}
		if phonenumbers.IsNANPACountry(reg) {
			if !r.nanp {
				r.nanp, r.nanpRegion = true, reg
			}
			continue
		}
		r.otherRegions = append(r.otherRegions, reg)
	}
	return r, nil
}

// Find returns the personal data spans in text, sorted by start and not
// overlapping. Where candidates overlap, the longest wins, then the
// earlier type in [Types] (so a card number is never also a phone).
func (r *Redactor) Find(text string) []Span {
	spans, _ := r.find(text)
	return spans
}

// find is Find, also reporting whether an overlapping candidate was
// dropped (then the masked text must be scanned again: what is left of
// the loser may be a value of its own).
//
// Each scanner yields spans sorted by start; they are merged, not sorted.
func (r *Redactor) find(text string) ([]Span, bool) {
	var emails, ipv6 []Span
	if r.want[Email] {
		emails = findEmails(text, nil)
	}
	if r.want[IPv6] {
		ipv6 = findIPv6(text, nil)
	}
	nums := r.findNumeric(text, make([]Span, 0, 8+len(text)/512))
	return resolve(merge(merge(nums, emails), ipv6))
}

func spanOrder(a, b Span) int {
	return cmp.Or(cmp.Compare(a.Start, b.Start), cmp.Compare(b.End, a.End), cmp.Compare(a.Type, b.Type))
}

// merge merges two slices sorted by spanOrder.
func merge(a, b []Span) []Span {
	if len(b) == 0 {
		return a
	}
	if len(a) == 0 {
		return b
	}
	out := make([]Span, 0, len(a)+len(b))
	i, j := 0, 0
	for i < len(a) && j < len(b) {
		if spanOrder(b[j], a[i]) < 0 {
			out = append(out, b[j])
			j++
		} else {
			out = append(out, a[i])
			i++
		}
	}
	out = append(out, a[i:]...)
	return append(out, b[j:]...)
}

// resolve drops the weaker of each overlapping pair of spans sorted by
// spanOrder and reports whether it dropped any.
func resolve(spans []Span) ([]Span, bool) {
	if len(spans) < 2 {
		return spans, false
	}
	dropped := false
	if !slices.IsSortedFunc(spans, spanOrder) {
		slices.SortFunc(spans, spanOrder)
	}
	out := spans[:0]
	for _, s := range spans {
		keep := true
		for len(out) > 0 && out[len(out)-1].End > s.Start {
			top := out[len(out)-1]
			dropped = true
			if better(s, top) {
				out = out[:len(out)-1]
				continue
			}
			keep = false
			break
		}
		if keep {
			out = append(out, s)
		}
	}
	return out, dropped
}

func better(a, b Span) bool {
	la, lb := a.End-a.Start, b.End-b.Start
	if la != lb {
		return la > lb
	}
	if a.Type != b.Type {
		return a.Type < b.Type
	}
	return a.Start < b.Start
}

// Redact replaces every detected value in text with a typed, numbered
// placeholder ("[EMAIL_1]", "[PHONE_2]"); equal values (after
// normalization: e-mail case, phone formatting, card and IBAN spacing, IP
// notation) share one placeholder. Placeholder-shaped text already in the
// input is left alone and its numbers are not reused, so
// Restore(Redact(x).Text) gives x back.
func (r *Redactor) Redact(text string) *Redaction {
	rd := &Redaction{r: r, Counts: map[Type]int{}}
	rd.Text, rd.Count = rd.redact(text, rd.Counts)
	return rd
}

// Redact is [Default]().Redact(text).
func Redact(text string) *Redaction { return defaultRedactor.Redact(text) }

// Redaction is the result of [Redactor.Redact]: the masked Text that may
// go to an LLM or a log, and counts. It also holds the mapping from
// placeholders back to the original values; that mapping is unexported,
// is never printed, logged or marshalled (String, LogValue and
// MarshalJSON show counts only), and comes out only through [Redaction.Restore].
//
// Who may restore: only the server-side component that redacted the text
// on behalf of the caller who sent it (the gateway answering that same
// request), to give that caller back an answer with their own values.
// Never pass a Redaction to an LLM, a log, a queue or another tenant;
// keep it for the lifetime of the request and drop it.
//
// A Redaction is safe for concurrent use. The zero value is an empty
// mapping whose RedactOutput scans with the [Default] settings.
type Redaction struct {
	// Text is the input with every detected value replaced by its
	// placeholder.
	Text string
	// Count is the number of values replaced in Text (every occurrence).
	Count int
	// Counts is Count by type. Text, Count and Counts are set once by
	// Redact and must not be modified.
	Counts map[Type]int

	r  *Redactor
	mu sync.Mutex
	// byKey maps type and normalized value to its placeholder.
	byKey map[valueKey]string
	// orig maps a placeholder to the value as first seen.
	orig map[string]string
	// next is the last number issued per type.
	next [numTypes]int
	// taken holds placeholder-shaped text seen in inputs that this
	// Redaction did not issue.
	taken map[string]bool
}

// redact masks text with this mapping, adding occurrences to counts
// (when not nil) and returning the masked text and how many it replaced.
type valueKey struct {
	t    Type
	norm string
}

func (rd *Redaction) redact(text string, counts map[Type]int) (string, int) {
	rd.mu.Lock()
	defer rd.mu.Unlock()
	if rd.r == nil {
		rd.r = defaultRedactor // a zero Redaction scans with the defaults
	}
	rd.reserve(text)
	total := 0
	for round := 0; ; round++ {
		spans, dropped := rd.r.find(text)
		if len(spans) == 0 {
			return text, total
		}
		text = rd.replace(text, spans, counts)
		total += len(spans)
		// Values never contain '[' or ']', so a value found in masked
		// text never straddles a placeholder and Restore stays one pass.
		if !dropped || round == 3 {
			return text, total
		}
	}
}

// replace writes text with spans replaced by placeholders. Callers hold mu.
func (rd *Redaction) replace(text string, spans []Span, counts map[Type]int) string {
	if rd.byKey == nil {
		rd.byKey = map[valueKey]string{}
		rd.orig = map[string]string{}
	}
	var b strings.Builder
	b.Grow(len(text) + 8*len(spans))
	last := 0
	for _, s := range spans {
		b.WriteString(text[last:s.Start])
		key := valueKey{s.Type, s.norm}
		ph, ok := rd.byKey[key]
		if !ok {
			ph = rd.issue(s.Type)
			rd.byKey[key] = ph
			rd.orig[ph] = text[s.Start:s.End]
		}
		b.WriteString(ph)
		if counts != nil {
			counts[s.Type]++
		}
		last = s.End
	}
	b.WriteString(text[last:])
	return b.String()
}

// issue returns the next free placeholder for t. Callers hold mu.
func (rd *Redaction) issue(t Type) string {
	for {
		rd.next[t]++
		var buf [24]byte
		b := append(buf[:0], '[')
		b = append(b, t.String()...)
		b = append(b, '_')
		b = strconv.AppendInt(b, int64(rd.next[t]), 10)
		ph := string(append(b, ']'))
		if !rd.taken[ph] {
			return ph
		}
	}
}

// reserve records placeholder-shaped text in s that was not issued here.
func (rd *Redaction) reserve(s string) {
	eachPlaceholder(s, func(a, b int) {
		ph := s[a:b]
		if _, issued := rd.orig[ph]; issued {
			return
		}
		if rd.taken == nil {
			rd.taken = map[string]bool{}
		}
		rd.taken[ph] = true
	})
}

// eachPlaceholder calls f for every "[TYPE_N]" in s (TYPE a known type,
// N a positive decimal without leading zero).
func eachPlaceholder(s string, f func(a, b int)) {
	i := 0
	for i < len(s) {
		k := strings.IndexByte(s[i:], '[')
		if k < 0 {
			return
		}
		a := i + k
		i = a + 1
		u := strings.IndexByte(s[a+1:min(len(s), a+8)], '_')
		if u < 0 {
			continue
		}
		if _, ok := ParseType(s[a+1 : a+1+u]); !ok {
			continue
		}
		j := a + 2 + u
		d := j
		for j < len(s) && j-d < 10 && isDigit(s[j]) {
			j++
		}
		if j == d || s[d] == '0' || j >= len(s) || s[j] != ']' {
			continue
		}
		f(a, j+1)
		i = j + 1
	}
}

// Restore replaces the placeholders this Redaction issued with the
// original values (as first seen) in text, typically an LLM's answer to
// Text. Placeholders it did not issue are left as they are. See the type
// documentation for who may call it.
func (rd *Redaction) Restore(text string) string {
	rd.mu.Lock()
	defer rd.mu.Unlock()
	if len(rd.orig) == 0 {
		return text
	}
	var b strings.Builder
	last := 0
	eachPlaceholder(text, func(a, e int) {
		v, ok := rd.orig[text[a:e]]
		if !ok {
			return
		}
		if b.Len() == 0 {
			b.Grow(len(text))
		}
		b.WriteString(text[last:a])
		b.WriteString(v)
		last = e
	})
	if last == 0 {
		return text
	}
	b.WriteString(text[last:])
	return b.String()
}

// RedactOutput scans an LLM's output for personal data before it is
// logged or stored: values already known get their existing placeholder,
// new ones (which the model may have invented or recalled) get new
// placeholders in this same mapping, so a later [Redaction.Restore] on the
// result restores both. It returns the masked output and the number of
// values it replaced; Count and Counts keep describing Text only.
func (rd *Redaction) RedactOutput(output string) (string, int) {
	return rd.redact(output, nil)
}

// Len returns how many distinct values the mapping holds.
func (rd *Redaction) Len() int {
	rd.mu.Lock()
	defer rd.mu.Unlock()
	return len(rd.orig)
}

// String shows the counts only, never the values.
func (rd *Redaction) String() string {
	var b strings.Builder
	fmt.Fprintf(&b, "redaction: %d values", rd.Count)
	for _, t := range Types() {
		if n := rd.Counts[t]; n > 0 {
			fmt.Fprintf(&b, " %s=%d", t, n)
		}
	}
	return b.String()
}

// GoString is String, so %#v does not print the mapping.
func (rd *Redaction) GoString() string { return rd.String() }

// LogValue logs the counts only.
func (rd *Redaction) LogValue() slog.Value {
	attrs := []slog.Attr{slog.Int("count", rd.Count)}
	for _, t := range Types() {
		if n := rd.Counts[t]; n > 0 {
			attrs = append(attrs, slog.Int(strings.ToLower(t.String()), n))
		}
	}
	return slog.GroupValue(attrs...)
}

// MarshalJSON writes the masked text and counts, never the mapping.
func (rd *Redaction) MarshalJSON() ([]byte, error) {
	counts := make(map[string]int, len(rd.Counts))
	for t, n := range rd.Counts {
		counts[t.String()] = n
	}
	return json.Marshal(struct {
		Text   string         `json:"text"`
		Count  int            `json:"count"`
		Counts map[string]int `json:"counts"`
	}{rd.Text, rd.Count, counts})
}

var (
	_ fmt.Stringer   = (*Redaction)(nil)
	_ slog.LogValuer = (*Redaction)(nil)
	_ json.Marshaler = (*Redaction)(nil)
)
