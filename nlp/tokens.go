package nlp

import (
	"hash/fnv"
	"math"
	"strings"
	"unicode"
)

// tokenize lower-cases s, splits it on anything but letters, digits and
// '&', and stems each word lightly.
func tokenize(s string) []string {
	var out []string
	for _, f := range strings.FieldsFunc(strings.ToLower(s), func(r rune) bool {
		return !unicode.IsLetter(r) && !unicode.IsDigit(r) && r != '&'
	}) {
		if stop[f] {
			continue
		}
		out = append(out, stem(f))
	}
	return out
}

var stop = map[string]bool{
	"a": true, "an": true, "the": true, "of": true, "to": true, "in": true, "on": true, "for": true, "and": true,
	"or": true, "is": true, "are": true, "was": true, "were": true, "be": true, "been": true, "do": true, "does": true,
	"did": true, "we": true, "our": true, "us": true, "i": true, "me": true, "my": true, "you": true, "your": true,
	"it": true, "its": true, "this": true, "that": true, "these": true, "those": true, "what": true, "which": true,
	"how": true, "many": true, "much": true, "with": true, "by": true, "at": true, "from": true, "as": true,
	"have": true, "has": true, "had": true, "there": true, "any": true, "all": true, "show": true, "give": true,
	"tell": true, "list": true, "please": true, "can": true, "could": true, "should": true, "will": true, "would": true,
	"last": true, "month": true, "week": true, "year": true, "today": true, "current": true,
}

// stem strips common English inflections ("invoices" -> "invoice",
// "opportunities" -> "opportunity", "failing" -> "fail", "logged" ->
// "log"), keeping at least three letters. It is deliberately light: the
// lexicon is stemmed the same way, so it only has to be consistent.
func stem(w string) string {
	n := len(w)
	switch {
	case n > 4 && strings.HasSuffix(w, "ies"):
		return w[:n-3] + "y"
	case n > 5 && strings.HasSuffix(w, "sses"):
		return w[:n-2]
	case n > 3 && strings.HasSuffix(w, "s") && !strings.HasSuffix(w, "ss") && !strings.HasSuffix(w, "us") && !strings.HasSuffix(w, "is"):
		w = w[:n-1]
		n--
	}
	switch {
	case n > 5 && strings.HasSuffix(w, "ing"):
		w = w[:n-3]
	case n > 4 && strings.HasSuffix(w, "ed") && !strings.HasSuffix(w, "eed"):
		w = w[:n-2]
	default:
		return w
	}
	// "logged" -> "logg" -> "log", "shipping" -> "shipp" -> "ship".
	if m := len(w); m > 3 && w[m-1] == w[m-2] && w[m-1] != 'l' && w[m-1] != 's' {
		w = w[:m-1]
	}
	return w
}

// terms returns the unigrams and "a b" bigrams of tokens.
func terms(tokens []string) []string {
	out := make([]string, 0, 2*len(tokens))
	out = append(out, tokens...)
	for i := 1; i < len(tokens); i++ {
		out = append(out, tokens[i-1]+" "+tokens[i])
	}
	return out
}

// hashedVector maps terms into dim buckets by FNV-1a with a sign bit
// (feature hashing) and normalizes to unit length.
func hashedVector(ts []string, dim int) []float64 {
	v := make([]float64, dim)
	for _, t := range ts {
		h := fnv.New64a()
		h.Write([]byte(t))
		x := h.Sum64()
		sign := 1.0
		if x>>63 == 1 {
			sign = -1
		}
		w := 1.0
		if strings.IndexByte(t, ' ') >= 0 {
			w = 0.5
		}
		v[x%uint64(dim)] += sign * w
	}
	var norm float64
	for _, x := range v {
		norm += x * x
	}
	if norm > 0 {
		norm = math.Sqrt(norm)
		for i := range v {
			v[i] /= norm
		}
	}
	return v
}

func dot(a, b []float64) float64 {
	var s float64
	for i := range a {
		s += a[i] * b[i]
	}
	return s
}
