package repair

import (
	"fmt"
	"math"
	"strconv"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/autonomos/autonomos/drift"
)

// repProfile is what the repairer knows about one field's values.
type repProfile struct {
	field    drift.Field
	stats    drift.Stats // the field's own, or drift.Profile of its samples
	nonNull  int
	nulls    int
	distinct []string           // distinct normalized non-null values (primary keys)
	valKeys  [][]string         // per distinct value, all its keys
	keys     map[string]int     // every key of every value -> index into distinct
	weight   map[string]float64 // primary key -> specificity in [0, 1]
	shapes   map[string]bool    // coarse character-class shapes
	kind     string             // "numeric", "time", "bool", "text", "" when no values
	minLen   int                // bounds of rune lengths
	maxLen   int                //
	minNum   float64            // bounds of numeric values (kind numeric)
	maxNum   float64            //
	nullAt   []bool             // per sample position
	posKeys  []map[string]bool  // per sample position, the keys of the value
	days     map[string]bool    // "d:" day keys of the values with a time of day
}

var repCommonValues = map[string]bool{
	"0": true, "1": true, "-1": true, "true": true, "false": true, "yes": true, "no": true,
	"y": true, "n": true, "t": true, "f": true, "null": true, "none": true, "n/a": true, "na": true,
	"-": true, "unknown": true, "other": true,
}

var repTimeLayouts = []string{
	time.RFC3339Nano, "2006-01-02T15:04:05.000-0700", "2006-01-02T15:04:05-0700", "2006-01-02T15:04:05",
	"2006-01-02 15:04:05", "2006-01-02 15:04:05Z07:00", "2006-01-02 15:04", "2006-01-02",
	"01/02/2006", "01/02/2006 15:04", "01/02/2006 15:04:05", "02.01.2006", "2006/01/02", "20060102T150405Z",
	time.RFC1123, time.RFC1123Z, "02-Jan-06", "02-Jan-2006", // Oracle's DD-MON-YY
	"Jan 2, 2006", "January 2, 2006", "2 January 2006", "2 Jan 2006", "January 2, 2006 3:04 PM", "Jan 2, 2006 3:04 PM",
	"2006/1/2 15:04:05", "2006/1/2 15:04", "2006/1/2", "2006-1-2 15:04:05", "2006-1-2",
	"1/2/2006 3:04 pm", "1/2/2006 3:04 PM", "1/2/2006 15:04", "1/2/2006", // NetSuite, US exports
}

func repIsNull(s string) bool {
	switch strings.ToLower(strings.TrimSpace(s)) {
	case "", "null", "nil", "none", "n/a", "\\n":
		return true
	}
	return false
}

// repValueKeys returns the comparison keys of one raw value: its primary
// key first (what it most likely is), then alternative readings (an
// integer that is also a plausible Unix time, a midnight timestamp that is
// also a date).
func repValueKeys(raw string) (keys []string, kind string) {
	s := strings.TrimSpace(raw)
	low := strings.ToLower(s)
	switch low {
	case "true", "false", "yes", "no", "t", "f", "y", "n":
		b := low == "true" || low == "yes" || low == "t" || low == "y"
		return []string{"b:" + strconv.FormatBool(b)}, "bool"
	}
	if strings.HasPrefix(s, "+") {
		if d := repPhoneDigits(s); d != "" {
			return []string{"s:" + low, "p:" + d}, "text"
		}
	}
	clean := strings.NewReplacer(",", "", "$", "", "€", "", "£", "").Replace(s)
	if f, err := strconv.ParseFloat(clean, 64); err == nil && !math.IsInf(f, 0) && !math.IsNaN(f) && repLooksNumeric(clean) {
		keys = append(keys, "n:"+strconv.FormatFloat(f, 'g', -1, 64))
		if f == math.Trunc(f) && !strings.Contains(clean, ".") {
			switch {
			case f >= 1e9 && f < 4e9: // Unix seconds, 2001..2096
				keys = append(keys, repTimeKeys(time.Unix(int64(f), 0).UTC())...)
			case f >= 1e12 && f < 4e12: // Unix milliseconds
				keys = append(keys, repTimeKeys(time.UnixMilli(int64(f)).UTC())...)
			}
		}
		return keys, "numeric"
	}
	for _, layout := range repTimeLayouts {
		if t, err := time.Parse(layout, s); err == nil {
			return repTimeKeys(t), "time"
		}
	}
	keys = []string{"s:" + low}
	if d := repPhoneDigits(s); d != "" {
		keys = append(keys, "p:"+d)
	}
	if h := repHost(low); h != "" {
		keys = append(keys, "h:"+h)
	}
	return keys, "text"
}

// repPhoneDigits returns the last ten digits of a phone-like value
// ("(415) 555-0132", "+1 415 555 0132"), so that reformatted numbers
// compare equal, or "" for anything else.
func repPhoneDigits(s string) string {
	var d []byte
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case c >= '0' && c <= '9':
			d = append(d, c)
		case c == ' ' || c == '-' || c == '(' || c == ')' || c == '+' || c == '.' || c == '/':
		default:
			return ""
		}
	}
	if len(d) < 7 || len(d) > 15 {
		return ""
	}
	if len(d) > 10 {
		d = d[len(d)-10:]
	}
	return string(d)
}

// repHost returns the bare host of a URL- or domain-like value
// ("https://www.acme.com/about" -> "acme.com"), or "".
func repHost(low string) string {
	if strings.ContainsAny(low, " @") {
		return ""
	}
	h := low
	if i := strings.Index(h, "://"); i >= 0 {
		h = h[i+3:]
	}
	if i := strings.IndexAny(h, "/?#"); i >= 0 {
		h = h[:i]
	}
	h = strings.TrimPrefix(h, "www.")
	dot := strings.LastIndexByte(h, '.')
	if dot <= 0 || dot >= len(h)-2 {
		return ""
	}
	for _, r := range h[dot+1:] {
		if r < 'a' || r > 'z' {
			return ""
		}
	}
	return h
}

func repLooksNumeric(s string) bool {
	if s == "" {
		return false
	}
	for _, r := range s {
		if !(unicode.IsDigit(r) || r == '.' || r == '-' || r == '+' || r == 'e' || r == 'E') {
			return false
		}
	}
	// Leading zeros mark codes ("00123"), not numbers.
	t := strings.TrimLeft(s, "+-")
	return !(len(t) > 1 && t[0] == '0' && t[1] != '.')
}

func repTimeKeys(t time.Time) []string {
	u := t.UTC()
	keys := []string{"t:" + u.Format(time.RFC3339)}
	// The wall-clock reading too: an export that drops the offset
	// ("2023/5/12 14:22:10") and one that writes it ("...T14:22:10+08:00")
	// hold the same time.
	keys = append(keys, "l:"+t.Format("2006-01-02T15:04:05"))
	if u.Hour() == 0 && u.Minute() == 0 && u.Second() == 0 {
		keys = append(keys, "d:"+u.Format("2006-01-02"))
	}
	return keys
}

// repSpecificity says how much a shared value proves: a long, unusual
// value shared by two fields is strong evidence, "0" or "true" is none.
func repSpecificity(raw string) float64 {
	s := strings.ToLower(strings.TrimSpace(raw))
	if repCommonValues[s] {
		return 0
	}
	n := utf8.RuneCountInString(s)
	return math.Min(1, float64(n-1)/5)
}

func repShape(s string) string {
	var b strings.Builder
	var last rune
	for _, r := range s {
		c := r
		switch {
		case unicode.IsLetter(r):
			c = 'a'
		case unicode.IsDigit(r):
			c = '9'
		case unicode.IsSpace(r):
			c = ' '
		}
		if c != last {
			b.WriteRune(c)
			last = c
		}
	}
	return b.String()
}

func newRepProfile(f drift.Field) *repProfile {
	p := &repProfile{field: f, keys: map[string]int{}, weight: map[string]float64{}, shapes: map[string]bool{}}
	p.stats = f.Stats
	if p.stats.Count == 0 {
		p.stats = drift.Profile(f.Samples)
	}
	kinds := map[string]int{}
	p.minNum, p.maxNum = math.Inf(1), math.Inf(-1)
	for _, raw := range f.Samples {
		if repIsNull(raw) {
			p.nulls++
			p.nullAt = append(p.nullAt, true)
			p.posKeys = append(p.posKeys, nil)
			continue
		}
		p.nonNull++
		p.nullAt = append(p.nullAt, false)
		keys, kind := repValueKeys(raw)
		kinds[kind]++
		pk := map[string]bool{}
		for _, k := range keys {
			pk[k] = true
		}
		p.posKeys = append(p.posKeys, pk)
		if d := repTimestampDay(keys); d != "" {
			if p.days == nil {
				p.days = map[string]bool{}
			}
			p.days[d] = true
		}
		if _, seen := p.keys[keys[0]]; !seen {
			idx := len(p.distinct)
			p.distinct = append(p.distinct, keys[0])
			p.valKeys = append(p.valKeys, keys)
			p.weight[keys[0]] = repSpecificity(raw)
			for _, k := range keys {
				if _, ok := p.keys[k]; !ok {
					p.keys[k] = idx
				}
			}
		}
		s := strings.TrimSpace(raw)
		n := utf8.RuneCountInString(s)
		if p.nonNull == 1 || n < p.minLen {
			p.minLen = n
		}
		if n > p.maxLen {
			p.maxLen = n
		}
		p.shapes[repShape(s)] = true
		if kind == "numeric" {
			v, _ := strconv.ParseFloat(strings.TrimPrefix(keys[0], "n:"), 64)
			p.minNum, p.maxNum = math.Min(p.minNum, v), math.Max(p.maxNum, v)
		}
	}
	best := 0
	for k, c := range kinds {
		if c > best || (c == best && k < p.kind) {
			p.kind, best = k, c
		}
	}
	return p
}

// repSnapshots describes how the two snapshots' samples relate, judged on
// the fields present in both with specific enough values.
type repSnapshots struct {
	// same is the share of those fields whose samples agree exactly (the
	// snapshots cover the same records, position by position); -1 when no
	// field allows the test.
	same float64
	// overlap is the mean share of a field's distinct values found in the
	// other snapshot: what a renamed field's values should share; -1 when
	// no field allows the test.
	overlap float64
}

// repAlignment compares the samples of the fields that did not change,
// given as profiles of the same fields in the old and the new schema.
func repAlignment(olds, news []*repProfile) repSnapshots {
	n, same, overlap := 0, 0, 0.0
	for i := range olds {
		bp, ap := olds[i], news[i]
		if repInformation(bp) < 1 && repInformation(ap) < 1 {
			continue // too few specific values to tell records apart
		}
		n++
		shared, _ := repShared(bp, ap)
		if shared == len(bp.distinct) && shared == len(ap.distinct) {
			same++
		}
		if m := min(len(bp.distinct), len(ap.distinct)); m > 0 {
			overlap += float64(shared) / float64(m)
		}
	}
	if n == 0 {
		return repSnapshots{same: -1, overlap: -1}
	}
	return repSnapshots{same: float64(same) / float64(n), overlap: overlap / float64(n)}
}

// repTwin returns the name of one of the unchanged fields (profiles of
// the new schema's fields present in both schemas) whose samples have the
// same values as the added field c, or "".
func repTwin(c *repProfile, unchanged []*repProfile) string {
	if len(c.distinct) == 0 {
		return ""
	}
	for _, p := range unchanged {
		if n, _ := repShared(c, p); n == len(c.distinct) && n == len(p.distinct) {
			return p.field.Name
		}
	}
	return ""
}

// repInformation sums the specificity of a field's distinct values.
func repInformation(p *repProfile) float64 {
	w := 0.0
	for _, v := range p.distinct {
		w += p.weight[v]
	}
	return w
}

// repShared counts the distinct values of a found among b's (by any key)
// and sums their specificity.
func repShared(a, b *repProfile) (int, float64) {
	n, w := 0, 0.0
	for i, v := range a.distinct {
		hit := false
		for _, k := range a.valKeys[i] {
			if _, ok := b.keys[k]; ok {
				hit = true
				break
			}
		}
		// A date and a time of day on that date are one value written
		// at two precisions (a date column now sent as a timestamp or
		// epoch milliseconds); two times of day on one date are not.
		if !hit {
			if d := repTimestampDay(a.valKeys[i]); d != "" {
				_, hit = b.keys[d]
			} else {
				for _, k := range a.valKeys[i] {
					if strings.HasPrefix(k, "d:") && b.days[k] {
						hit = true
					}
				}
			}
		}
		if hit {
			n++
			w += a.weight[v]
		}
	}
	return n, w
}

// repTimestampDay returns the "d:" key of the date of a value with a time
// of day (its keys hold a "t:" key and no "d:" key), or "".
func repTimestampDay(keys []string) string {
	t := ""
	for _, k := range keys {
		switch {
		case strings.HasPrefix(k, "d:"):
			return ""
		case strings.HasPrefix(k, "t:") && len(k) >= 12:
			t = k
		}
	}
	if t == "" {
		return ""
	}
	return "d:" + t[2:12]
}

// repDistribution compares two fields' value distributions in [0, 1]:
// value kind, character shapes, length ranges, numeric ranges (in orders
// of magnitude) and null ratios. It is -1 when either has no values.
func repDistribution(a, b *repProfile) float64 {
	if a.nonNull == 0 || b.nonNull == 0 {
		return -1
	}
	var sum, n float64
	add := func(x, w float64) { sum += x * w; n += w }
	if a.kind == b.kind {
		add(1, 2)
	} else if (a.kind == "numeric" && b.kind == "time") || (a.kind == "time" && b.kind == "numeric") {
		add(0.4, 2)
	} else {
		add(0, 2)
	}
	if pa, pb := a.stats.Patterns, b.stats.Patterns; len(pa) > 0 || len(pb) > 0 {
		add(repCosine(pa, pb), 2)
	}
	inter := 0
	for s := range a.shapes {
		if b.shapes[s] {
			inter++
		}
	}
	add(float64(inter)/float64(len(a.shapes)+len(b.shapes)-inter), 1)
	add(repRangeOverlap(float64(a.minLen), float64(a.maxLen)+1, float64(b.minLen), float64(b.maxLen)+1), 1)
	if a.kind == "numeric" && b.kind == "numeric" {
		la, ha := repMag(a.minNum), repMag(a.maxNum)
		lb, hb := repMag(b.minNum), repMag(b.maxNum)
		add(repRangeOverlap(math.Min(la, ha), math.Max(la, ha)+1, math.Min(lb, hb), math.Max(lb, hb)+1), 1.5)
	}
	na := float64(a.nulls) / float64(a.nulls+a.nonNull)
	nb := float64(b.nulls) / float64(b.nulls+b.nonNull)
	add(1-math.Abs(na-nb), 0.5)
	return sum / n
}

// repCosine is the cosine similarity of two pattern-share vectors.
func repCosine(a, b map[drift.Pattern]float64) float64 {
	var dot, na, nb float64
	for k, x := range a {
		dot += x * b[k]
		na += x * x
	}
	for _, y := range b {
		nb += y * y
	}
	if na == 0 || nb == 0 {
		return 0
	}
	return dot / math.Sqrt(na*nb)
}

// repMag maps a number to a signed order of magnitude.
func repMag(x float64) float64 {
	if x == 0 {
		return 0
	}
	return math.Copysign(math.Log10(math.Abs(x)+1), x)
}

func repRangeOverlap(a0, a1, b0, b1 float64) float64 {
	lo, hi := math.Max(a0, b0), math.Min(a1, b1)
	if hi <= lo {
		return 0
	}
	return (hi - lo) / (math.Max(a1, b1) - math.Min(a0, b0))
}

// repTypeRelation classifies a change of declared type.
func repTypeRelation(from, to drift.FieldType) string {
	if from == to || from == "" || to == "" {
		return "same"
	}
	switch {
	case from == drift.TypeInteger && to == drift.TypeNumber,
		from == drift.TypeDate && to == drift.TypeTimestamp,
		to == drift.TypeString && from != drift.TypeObject && from != drift.TypeArray:
		return "widening"
	case from == drift.TypeString || from == drift.TypeNumber && to == drift.TypeInteger,
		from == drift.TypeTimestamp && to == drift.TypeDate,
		(from == drift.TypeInteger || from == drift.TypeNumber) && (to == drift.TypeTimestamp || to == drift.TypeDate),
		(to == drift.TypeInteger || to == drift.TypeNumber) && (from == drift.TypeTimestamp || from == drift.TypeDate):
		return "conversion"
	}
	return "incompatible"
}

// repPair is the score of one added field as the replacement of one gone
// field.
type repPair struct {
	p              float64 // stand-alone probability
	nameSim        float64
	sameName       bool    // the same words, without synonym folding
	hint           float64 // how well the new name fits the target
	valueConfirmed bool
	evidence       []string
}

// repScore combines the evidence as a sum of log-odds. The weights were
// set by reasoning about what each piece of evidence proves, then checked
// on drift cases (see repair/testdata/drift).
func (r *Repairer) repScore(g, a *repProfile, target string, snap repSnapshots) repPair {
	var ps repPair
	z := -2.0 // prior: most (gone, added) pairs are not renames
	alignW := math.Max(0, snap.same)

	// Values.
	shared, spec := repShared(g, a)
	switch {
	case g.nonNull > 0 && a.nonNull > 0 && shared > 0:
		c := float64(shared) / float64(min(len(g.distinct), len(a.distinct)))
		if snap.overlap >= 0 && snap.overlap < 1 {
			// The snapshots sampled partly other records: a renamed field
			// shares about as much as the unchanged fields do.
			c = math.Min(1, c/math.Max(snap.overlap, 0.05))
		}
		strength := math.Min(1, spec/2)
		z += 2.5*c + 1.5*strength*c
		if c == 1 {
			z += alignW
		} else {
			z -= 2 * alignW * (1 - c)
		}
		ps.valueConfirmed = c >= 0.99 && spec >= 1.5
		ps.evidence = append(ps.evidence, fmt.Sprintf("values: %d of %d distinct samples shared (specificity %.1f)", shared, min(len(g.distinct), len(a.distinct)), spec))
	case g.nonNull > 0 || a.nonNull > 0:
		// Values on at least one side and none shared. How much that
		// says depends on how much a renamed field would share: all of
		// it with aligned snapshots, the unchanged fields' overlap else.
		scaledK, scaled := repScaled(g, a)
		scaled = scaled && alignW > 0
		var certainty float64
		switch {
		case scaled:
			z += 2.5 * alignW
			ps.evidence = append(ps.evidence, fmt.Sprintf("values: the same at every position times %g", scaledK))
		default:
			if repPositionsDisagree(g, a) {
				certainty = alignW
			}
			if snap.overlap > 0 && repInformation(g) >= 1 && repInformation(a) >= 1 {
				expect := snap.overlap * float64(min(len(g.distinct), len(a.distinct)))
				certainty = math.Max(certainty, math.Min(1, expect/2))
			}
			z -= 3.5 * certainty
		}
		if d := repDistribution(g, a); d >= 0 {
			z += (1 - math.Max(certainty, alignW)) * 2 * (d - 0.5)
			ps.evidence = append(ps.evidence, fmt.Sprintf("values: none shared; distribution similarity %.2f", d))
		} else {
			ps.evidence = append(ps.evidence, "values: none shared")
		}
	default:
		ps.evidence = append(ps.evidence, "values: no samples on either side")
	}

	// Declared type.
	switch rel := repTypeRelation(g.field.Type, a.field.Type); rel {
	case "same":
		z += 0.7
	case "widening":
		z += 0.2
		ps.evidence = append(ps.evidence, fmt.Sprintf("type: %s widened to %s", g.field.Type, a.field.Type))
	case "conversion":
		if !ps.valueConfirmed {
			z -= 0.3
		}
		ps.evidence = append(ps.evidence, fmt.Sprintf("type: %s converted to %s", g.field.Type, a.field.Type))
	default:
		z -= 3
		ps.evidence = append(ps.evidence, fmt.Sprintf("type: %s and %s are incompatible", g.field.Type, a.field.Type))
	}

	// Names.
	ps.nameSim = r.cfg.NameSimilarity(g.field.Name, a.field.Name)
	if !(ps.nameSim >= 0) { // NaN or negative from a plugged-in function
		ps.nameSim = 0
	}
	ps.nameSim = math.Min(1, ps.nameSim)
	ps.sameName = repSameName(g.field.Name, a.field.Name)
	z += 4 * (ps.nameSim - 0.35)
	ps.evidence = append(ps.evidence, fmt.Sprintf("name: %q ~ %q similarity %.2f", g.field.Name, a.field.Name, ps.nameSim))
	if target != "" {
		if h := math.Max(0, math.Min(1, r.cfg.TargetHint(a.field.Name, target))); h > 0 {
			ps.hint = h
			z += 2 * h
			ps.evidence = append(ps.evidence, fmt.Sprintf("name: %q fits target %s (%.2f)", a.field.Name, target, h))
		}
	}
	ps.p = repSigmoid(z)
	return ps
}

// repPositionsDisagree reports whether a non-null value of one field sits
// at a position where the other's is null or different. With aligned
// snapshots that is evidence against the pairing.
func repPositionsDisagree(g, a *repProfile) bool {
	n := min(len(g.nullAt), len(a.nullAt))
	for i := 0; i < n; i++ {
		if g.nullAt[i] && a.nullAt[i] {
			continue
		}
		if g.nullAt[i] != a.nullAt[i] {
			return true
		}
		match := false
		for k := range g.posKeys[i] {
			if a.posKeys[i][k] {
				match = true
				break
			}
		}
		if !match {
			return true
		}
	}
	return false
}

// repScaled reports whether b's numeric values are a's times one power
// of ten (10^-3 .. 10^3, not 1) at every position where either has a
// value, with at least two non-zero values: amounts moved to cents, a
// 0..1 share moved to 0..100.
func repScaled(a, b *repProfile) (float64, bool) {
	if a.kind != "numeric" || b.kind != "numeric" || len(a.field.Samples) != len(b.field.Samples) {
		return 0, false
	}
	ratio, n := 0.0, 0
	for i := range a.field.Samples {
		if a.nullAt[i] != b.nullAt[i] {
			return 0, false
		}
		if a.nullAt[i] {
			continue
		}
		x, errA := strconv.ParseFloat(strings.TrimSpace(a.field.Samples[i]), 64)
		y, errB := strconv.ParseFloat(strings.TrimSpace(b.field.Samples[i]), 64)
		if errA != nil || errB != nil {
			return 0, false
		}
		if x == 0 || y == 0 {
			if x != y {
				return 0, false
			}
			continue
		}
		r := y / x
		if n == 0 {
			ratio = r
		} else if math.Abs(r-ratio) > 1e-9*math.Abs(ratio) {
			return 0, false
		}
		n++
	}
	if n < 2 {
		return 0, false
	}
	for _, k := range []float64{1e-3, 1e-2, 1e-1, 10, 100, 1000} {
		if math.Abs(ratio-k) <= 1e-9*k {
			return k, true
		}
	}
	return 0, false
}

// repAssign pairs gone fields (rows) with added fields (columns) one to
// one, maximizing the summed log-odds above minScore (the matcher's
// Hungarian solver); pairs scored below minScore are never made. It
// returns, per row, the chosen column or -1.
func repAssign(scores [][]repPair, minScore float64) []int {
	out := make([]int, len(scores))
	for i := range out {
		out[i] = -1
	}
	if len(scores) == 0 || len(scores[0]) == 0 {
		return out
	}
	floor := repLogit(minScore)
	profit := make([][]float64, len(scores))
	for i := range scores {
		profit[i] = make([]float64, len(scores[i]))
		for j, ps := range scores[i] {
			if ps.p >= minScore {
				// A small constant keeps a pair at exactly minScore worth
				// making.
				profit[i][j] = repLogit(ps.p) - floor + 1e-6
			}
		}
	}
	for i, j := range hungarianMax(profit) {
		if j >= 0 && j < len(scores[i]) && profit[i][j] > 0 {
			out[i] = j
		}
	}
	return out
}

func repLogit(p float64) float64 {
	p = math.Min(math.Max(p, 1e-9), 1-1e-9)
	return math.Log(p / (1 - p))
}
