package repair

import (
	"strings"
	"unicode"
	"unicode/utf8"
)

// nameInfo is a source field name read by the matcher: its concept words
// and the flags its marker words set.
type nameInfo struct {
	raw      string
	words    []string // concept words, deduplicated, markers removed
	leaf     []string // concept words of the last path segment alone
	idref    bool     // carries an id, key or reference marker
	temporal bool     // carries a date or time marker
	boolean  bool     // carries is/has/flag
	unit     bool     // carries a unit (usd, seconds, ...)
	second   bool     // names a secondary variant (home, other, alt)
	removed  int      // context words dropped for the chosen entity
	nested   bool     // a path under a named parent ("Owner.id", "entity.internalId")
	value    bool     // "value" was dropped as a filler next to other words
	address  bool     // a part of an address ("address1_telephone1")
}

// splitName splits a raw field name into lower-case, accent-folded word
// tokens, keeping the path segments apart: "CustomerRef.value" gives
// [["customer" "ref"] ["value"]]. Digits are dropped.
func splitName(name string) [][]string {
	var segs [][]string
	for _, seg := range strings.FieldsFunc(name, func(r rune) bool { return r == '.' || r == '/' || r == '[' || r == ']' }) {
		var toks []string
		for _, part := range strings.FieldsFunc(seg, func(r rune) bool {
			return !unicode.IsLetter(r) && !unicode.IsDigit(r)
		}) {
			toks = append(toks, splitCamel(part)...)
		}
		if len(toks) > 0 {
			segs = append(segs, toks)
		}
	}
	return segs
}

// splitCamel splits camelCase, PascalCase, acronyms and letter/digit
// boundaries, and returns folded lower-case words without digit runs.
func splitCamel(s string) []string {
	rs := []rune(s)
	var out []string
	start := 0
	flush := func(end int) {
		if end > start {
			w := string(rs[start:end])
			if !isDigits(w) {
				out = append(out, fold(w))
			}
		}
		start = end
	}
	for i := 1; i < len(rs); i++ {
		prev, cur := rs[i-1], rs[i]
		switch {
		case unicode.IsLower(prev) && unicode.IsUpper(cur):
			flush(i)
		case unicode.IsUpper(prev) && unicode.IsUpper(cur) && i+1 < len(rs) && unicode.IsLower(rs[i+1]):
			flush(i)
		case unicode.IsDigit(prev) != unicode.IsDigit(cur):
			flush(i)
		}
	}
	flush(len(rs))
	return out
}

func isDigits(s string) bool {
	for _, r := range s {
		if r < '0' || r > '9' {
			return false
		}
	}
	return s != ""
}

// fold lower-cases s and strips the accents of Latin letters.
func fold(s string) string {
	var b strings.Builder
	b.Grow(len(s))
	for _, r := range strings.ToLower(s) {
		switch r {
		case 'à', 'á', 'â', 'ã', 'å', 'ā':
			b.WriteByte('a')
		case 'ä', 'æ':
			b.WriteByte('a')
		case 'ç', 'č':
			b.WriteByte('c')
		case 'è', 'é', 'ê', 'ë', 'ē':
			b.WriteByte('e')
		case 'ì', 'í', 'î', 'ï':
			b.WriteByte('i')
		case 'ñ':
			b.WriteByte('n')
		case 'ò', 'ó', 'ô', 'õ', 'ø', 'ö', 'œ':
			b.WriteByte('o')
		case 'ù', 'ú', 'û', 'ü':
			b.WriteByte('u')
		case 'ß':
			b.WriteString("ss")
		case 'ý', 'ÿ':
			b.WriteByte('y')
		// Central European and Turkish letters, so that their words are
		// written once in the lexicon, in ASCII.
		case 'ł', 'ľ', 'ĺ':
			b.WriteByte('l')
		case 'ś', 'š', 'ş':
			b.WriteByte('s')
		case 'ż', 'ź', 'ž':
			b.WriteByte('z')
		case 'ć':
			b.WriteByte('c')
		case 'ń', 'ň':
			b.WriteByte('n')
		case 'ą':
			b.WriteByte('a')
		case 'ę', 'ě':
			b.WriteByte('e')
		case 'ř', 'ŕ':
			b.WriteByte('r')
		case 'ů', 'ű':
			b.WriteByte('u')
		case 'ő':
			b.WriteByte('o')
		case 'ğ':
			b.WriteByte('g')
		case 'ı':
			b.WriteByte('i')
		case 'ť':
			b.WriteByte('t')
		case 'ď':
			b.WriteByte('d')
		default:
			b.WriteRune(r)
		}
	}
	return b.String()
}

// lexer turns words into concept words. It is immutable after newLexer and
// safe for concurrent use.
type lexer struct {
	vocab    map[string]bool // every word the lexicon knows, for segmentation
	byLetter map[byte][]string
	extra    map[string]string // words added by the ontology's own field names
}

func newLexer(extraWords []string) *lexer {
	lx := &lexer{vocab: map[string]bool{}, byLetter: map[byte][]string{}, extra: map[string]string{}}
	add := func(w string) {
		if len(w) < 2 || lx.vocab[w] {
			return
		}
		lx.vocab[w] = true
		lx.byLetter[w[0]] = append(lx.byLetter[w[0]], w)
	}
	for w := range concepts {
		add(w)
	}
	for _, w := range extraWords {
		if _, ok := concepts[w]; !ok {
			lx.extra[w] = w
		}
		add(w)
	}
	for _, w := range []string{"sales", "system", "forecast", "weighted", "lost", "reason", "city", "postal", "zip",
		"region", "notes", "note", "comment", "description", "tags", "tag", "visible", "visibility", "next", "previous",
		"birth", "birthday", "opt", "out", "deleted", "converted", "private", "public", "street", "state", "province",
		"lifecycle", "pipeline", "rating", "score", "credit", "limit", "terms", "tax", "vat", "discount", "subtotal",
		"line", "lines", "direction", "body", "disposition", "priority", "location", "show", "all", "end", "finish",
		"linkedin", "twitter", "facebook", "page", "analytics", "marketing", "subscribed", "verified", "accepts",
		"orders", "spent", "fiscal", "quarter", "year", "month", "week", "tracking", "version", "sync", "token",
		"print", "send", "sent", "to", "reports", "report", "territory", "segment", "tier", "level", "group",
		"shared", "tickets", "ticket", "details", "external", "inactive", "active", "archived", "status", "ytd", "mtd",
		"last", "expected", "renewal", "associated", "related", "linked", "contract", "product", "products", "quote", "order", "shipping", "ship"} {
		add(w)
	}
	return lx
}

// concept maps one word to its concept words. Unknown words are stemmed,
// segmented into known words, or matched fuzzily against the vocabulary;
// failing all that they stand for themselves.
func (lx *lexer) concept(w string) []string {
	if c, ok := concepts[w]; ok {
		if c == "" {
			return nil
		}
		return strings.Fields(c)
	}
	if c, ok := lx.extra[w]; ok {
		return []string{c}
	}
	if lx.vocab[w] {
		return []string{w}
	}
	// Plural and simple inflections.
	for _, suf := range []string{"s", "es", "en", "e", "n"} {
		if strings.HasSuffix(w, suf) && len(w)-len(suf) >= 3 {
			base := w[:len(w)-len(suf)]
			if _, ok := concepts[base]; ok || lx.vocab[base] {
				return lx.concept(base)
			}
		}
	}
	if strings.HasSuffix(w, "ies") && len(w) > 4 {
		if base := w[:len(w)-3] + "y"; lx.vocab[base] {
			return lx.concept(base)
		}
	}
	if len(w) >= 5 {
		if parts := lx.segment(w); len(parts) > 1 {
			var out []string
			for _, p := range parts {
				out = append(out, lx.concept(p)...)
			}
			return out
		}
	}
	if len(w) >= 5 && isASCII(w) { // byte similarity means nothing in other scripts
		if best, ok := lx.fuzzy(w); ok {
			return lx.concept(best)
		}
	}
	// Compounds are head-final ("Rechnungsbetrag", "estimatedvalue"): when
	// only the tail is known, keep it and the unknown modifier apart, so
	// the head counts and the modifier weakens the match.
	if len(w) >= 8 {
		for cut := 3; cut <= len(w)-4; cut++ {
			tail := w[cut:]
			if _, known := concepts[tail]; known || lx.vocab[tail] {
				return append([]string{w[:cut]}, lx.concept(tail)...)
			}
		}
	}
	return []string{w}
}

func isASCII(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] >= 0x80 {
			return false
		}
	}
	return true
}

// segment splits a run-together word ("numberofemployees",
// "mitarbeiterzahl") into the fewest known words, or returns nil.
func (lx *lexer) segment(w string) []string {
	n := len(w)
	if n > 40 {
		return nil
	}
	const inf = 1 << 30
	cost := make([]int, n+1)
	prev := make([]int, n+1)
	for i := 1; i <= n; i++ {
		cost[i] = inf
		for j := max(0, i-20); j < i; j++ {
			if cost[j] == inf || i-j < 2 {
				continue
			}
			part := w[j:i]
			// Compounds join their parts with a linking s in German and
			// Dutch ("Bedrijfsnaam", "Jahresumsatz").
			if !lx.vocab[part] && !(len(part) > 4 && part[len(part)-1] == 's' && lx.vocab[part[:len(part)-1]]) {
				continue
			}
			// Prefer fewer, longer parts; two-letter parts cost extra.
			c := cost[j] + 10
			if i-j == 2 {
				c += 4
			}
			if c < cost[i] {
				cost[i], prev[i] = c, j
			}
		}
	}
	if cost[n] == inf {
		return nil
	}
	var parts []string
	for i := n; i > 0; i = prev[i] {
		parts = append(parts, w[prev[i]:i])
	}
	for i, j := 0, len(parts)-1; i < j; i, j = i+1, j-1 {
		parts[i], parts[j] = parts[j], parts[i]
	}
	return parts
}

// fuzzy finds the known word closest to w by Jaro-Winkler similarity, for
// misspellings and truncations ("adress", "revenu").
func (lx *lexer) fuzzy(w string) (string, bool) {
	best, bestSim := "", 0.0
	for _, c := range lx.byLetter[w[0]] {
		if d := len(c) - len(w); d > 2 || d < -2 || len(c) < 5 {
			continue
		}
		if s := jaroWinkler(w, c); s > bestSim {
			best, bestSim = c, s
		}
	}
	return best, bestSim >= 0.93
}

// read normalizes a raw field name for the given entity ("" before the
// entity is known).
func (lx *lexer) read(raw, entity string) nameInfo {
	ni := nameInfo{raw: raw}
	// A trailing number from 2 up marks a second variant ("Phone2",
	// "email_3", SAP's "NAME2"); 1 is the primary.
	if d := trailingDigits(raw); d != "" && d != "1" && d != "0" && len(d) <= 2 {
		ni.second = true
	}
	// Salesforce managed packages prefix a namespace: "ns__Field__c".
	if i := strings.Index(raw, "__"); i > 0 && (strings.HasSuffix(raw, "__c") || strings.HasSuffix(raw, "__r")) && i < len(raw)-3 {
		if rest := raw[i+2:]; strings.Contains(rest, "__") {
			raw = rest
		}
	}
	// "Invoice #", "Contact #": the sign reads as a number.
	if strings.Contains(raw, "#") {
		raw = strings.ReplaceAll(raw, "#", " no ")
	}
	segs := splitName(raw)
	var all []string
	for i, seg := range segs {
		// JSON:API and GraphQL wrap values in a "data" or "node" object
		// ("relationships.owner.data.id"): a container, not a date.
		if i < len(segs)-1 && len(seg) == 1 && (seg[0] == "data" || seg[0] == "node" || seg[0] == "edges") {
			continue
		}
		ws := lx.conceptWords(seg)
		if i == len(segs)-1 {
			ni.leaf = ws
		} else {
			for _, w := range ws {
				if _, marker := markerKind[w]; !marker {
					ni.nested = true
				}
			}
		}
		all = append(all, ws...)
	}
	all = applyPhrases(all)
	ni.words, ni.removed = lx.finish(all, entity, &ni)
	if len(segs) > 1 {
		leaf := applyPhrases(ni.leaf)
		var scratch nameInfo
		ni.leaf, _ = lx.finish(leaf, entity, &scratch)
		if len(ni.leaf) == 0 {
			ni.leaf = nil
		}
	} else {
		ni.leaf = nil
	}
	return ni
}

func (lx *lexer) conceptWords(seg []string) []string {
	var out []string
	for _, t := range seg {
		out = append(out, lx.concept(t)...)
	}
	return out
}

// applyPhrases rewrites adjacent pairs of concept words listed in
// phrases, until none is left.
func applyPhrases(ws []string) []string {
	for round := 0; round < 3; round++ {
		changed := false
		var out []string
		for i := 0; i < len(ws); i++ {
			if i+1 < len(ws) {
				if p, ok := phrases[[2]string{ws[i], ws[i+1]}]; ok {
					out = append(out, strings.Fields(p)...)
					i++
					changed = true
					continue
				}
			}
			out = append(out, ws[i])
		}
		ws = out
		if !changed {
			break
		}
	}
	return ws
}

// finish removes markers (setting flags), context words and duplicates.
func (lx *lexer) finish(ws []string, entity string, ni *nameInfo) ([]string, int) {
	ctx := contextWords[entity]
	out := make([]string, 0, len(ws))
	removed := 0
	var soft []string
	for i, w := range ws {
		// A trailing "code" after other words is a key ("SalesPersonCode",
		// "CustomerCode"); the codes with their own meaning (currency,
		// country, postal) were joined into one concept by the phrases.
		if w == "code" && i == len(ws)-1 && len(out) > 0 {
			ni.idref = true
			continue
		}
		switch markerKind[w] {
		case "idref":
			ni.idref = true
			continue
		case "temporal":
			ni.temporal = true
			continue
		case "boolean":
			ni.boolean = true
			continue
		case "unit":
			ni.unit = true
			continue
		case "qualifier":
			soft = append(soft, w)
			if w == "address" {
				ni.address = true
			}
			continue
		}
		if secondaryWords[w] {
			ni.second = true
			continue
		}
		if w == "value" || w == "label" {
			soft = append(soft, w)
			if w == "value" {
				ni.value = true
			}
			continue
		}
		isCtx := false
		for _, c := range ctx {
			if w == c {
				isCtx = true
			}
		}
		if isCtx {
			removed++
			continue
		}
		dup := false
		for _, o := range out {
			if o == w {
				dup = true
			}
		}
		if !dup {
			out = append(out, w)
		}
	}
	if len(out) == 0 && !ni.idref && !ni.temporal && !ni.boolean {
		// "value" alone is a field of its own (a deal's value).
		for _, s := range soft {
			if s == "value" {
				out = append(out, s)
				break
			}
		}
	}
	return out, removed
}

// jaroWinkler returns the Jaro-Winkler similarity of a and b (ASCII-safe;
// other runes compare as bytes, which only lowers the score).
func jaroWinkler(a, b string) float64 {
	if a == b {
		return 1
	}
	la, lb := len(a), len(b)
	if la == 0 || lb == 0 {
		return 0
	}
	window := max(la, lb)/2 - 1
	if window < 0 {
		window = 0
	}
	var ma, mb [64]bool
	if la > 64 || lb > 64 {
		return 0
	}
	matches := 0
	for i := 0; i < la; i++ {
		lo, hi := max(0, i-window), min(lb-1, i+window)
		for j := lo; j <= hi; j++ {
			if !mb[j] && a[i] == b[j] {
				ma[i], mb[j] = true, true
				matches++
				break
			}
		}
	}
	if matches == 0 {
		return 0
	}
	trans, k := 0, 0
	for i := 0; i < la; i++ {
		if !ma[i] {
			continue
		}
		for !mb[k] {
			k++
		}
		if a[i] != b[k] {
			trans++
		}
		k++
	}
	m := float64(matches)
	jaro := (m/float64(la) + m/float64(lb) + (m-float64(trans)/2)/m) / 3
	prefix := 0
	for i := 0; i < min(4, la, lb); i++ {
		if a[i] != b[i] {
			break
		}
		prefix++
	}
	return jaro + float64(prefix)*0.1*(1-jaro)
}

func trailingDigits(s string) string {
	i := len(s)
	for i > 0 && s[i-1] >= '0' && s[i-1] <= '9' {
		i--
	}
	return s[i:]
}

// validUTF8Name reports whether a field name can be read at all.
func validUTF8Name(s string) bool { return utf8.ValidString(s) && strings.TrimSpace(s) != "" }
