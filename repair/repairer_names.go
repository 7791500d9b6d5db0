package repair

import (
	"slices"
	"strings"
	"unicode"
)

// The repairer's own small name lexicon. Helpers here are prefixed "rep"
// so that they never collide with the matcher's lexicon in this package.

// repAbbrev expands common abbreviations of business field names.
var repAbbrev = map[string]string{
	"amt": "amount", "nm": "name", "no": "number", "num": "number", "nbr": "number", "nr": "number",
	"dt": "date", "ts": "timestamp", "tm": "time", "cust": "customer", "acct": "account", "acc": "account",
	"emp": "employee", "emps": "employee", "cnt": "count", "rev": "revenue", "ctry": "country", "cntry": "country",
	"addr": "address", "tel": "phone", "ph": "phone", "qty": "quantity", "desc": "description",
	"mgr": "manager", "org": "organization", "co": "company", "cmpny": "company", "lmt": "limit",
	"crt": "created", "upd": "updated", "mod": "modified", "pct": "percent", "prob": "probability",
	"curr": "currency", "ccy": "currency", "cur": "currency", "stat": "status", "inv": "invoice",
	"opp": "opportunity", "oppty": "opportunity", "usr": "user", "ind": "industry", "src": "source",
	"fname": "first name", "lname": "last name", "dob": "birth date", "zip": "postal", "yr": "year",
	"mo": "month", "bal": "balance", "pmt": "payment", "txn": "transaction", "ref": "reference",
	"id": "id", "ident": "id", "cd": "code", "typ": "type", "cat": "category", "val": "value",
	"lst": "last", "fst": "first", "cre": "created",
}

// repConcept folds synonyms onto one concept word.
var repConcept = map[string]string{
	"customer": "account", "company": "account", "organization": "account", "organisation": "account",
	"client": "account", "account": "account", "firma": "account", "kunde": "account",
	"deal": "opportunity", "opportunity": "opportunity",
	"value": "amount", "amount": "amount", "total": "amount", "sum": "amount", "betrag": "amount",
	"revenue": "revenue", "sales": "revenue", "turnover": "revenue", "umsatz": "revenue",
	"created": "created", "creation": "created", "create": "created", "inserted": "created",
	"modified": "updated", "updated": "updated", "changed": "updated", "update": "updated", "modify": "updated",
	"phone": "phone", "telephone": "phone", "mobile": "phone", "cell": "phone",
	"email": "email", "mail": "email",
	"website": "domain", "web": "domain", "url": "domain", "domain": "domain", "homepage": "domain", "site": "domain",
	"employee": "employee", "employees": "employee", "headcount": "employee", "staff": "employee",
	"country": "country", "nation": "country", "land": "country",
	"owner": "owner", "manager": "owner", "rep": "owner", "assignee": "owner",
	"at": "time", "date": "time", "on": "time", "time": "time", "timestamp": "time", "datetime": "time",
	"count": "count", "number": "number", "name": "name", "title": "title",
	"status": "status", "state": "status", "stage": "stage", "phase": "stage",
	"closed": "close", "close": "close", "due": "due", "paid": "paid",
}

// repDrop lists tokens that carry no meaning on their own.
var repDrop = map[string]bool{"c": true, "r": true, "the": true, "of": true, "x": true, "hs": true, "cf": true, "custom": true, "fld": true, "field": true}

// repTokens splits a field name into lower-case word tokens: camelCase,
// snake_case, dotted paths, kebab-case and digits; vendor affixes such as
// Salesforce's "__c" and HubSpot's "hs_" are dropped and abbreviations
// expanded. Each token is folded onto its concept when conceptual is set.
func repTokens(name string, conceptual bool) []string {
	var words []string
	var cur []rune
	flush := func() {
		if len(cur) > 0 {
			words = append(words, strings.ToLower(string(cur)))
			cur = cur[:0]
		}
	}
	rs := []rune(name)
	for i, r := range rs {
		switch {
		case unicode.IsLetter(r) || unicode.IsDigit(r):
			if len(cur) > 0 {
				prev := rs[i-1]
				lowerToUpper := unicode.IsUpper(r) && (unicode.IsLower(prev) || unicode.IsDigit(prev))
				acronymEnd := unicode.IsUpper(r) && unicode.IsUpper(prev) && i+1 < len(rs) && unicode.IsLower(rs[i+1])
				digitSwitch := unicode.IsDigit(r) != unicode.IsDigit(prev)
				if lowerToUpper || acronymEnd || digitSwitch {
					flush()
				}
			}
			cur = append(cur, r)
		default:
			flush()
		}
	}
	flush()
	var out []string
	for _, w := range words {
		if repDrop[w] {
			continue
		}
		if e, ok := repAbbrev[w]; ok {
			w = e
		}
		for _, p := range strings.Fields(w) {
			if conceptual {
				if c, ok := repConcept[p]; ok {
					p = c
				}
			}
			out = append(out, p)
		}
	}
	return out
}

// repNameSimilarity scores two field names in [0, 1]: the Dice
// coefficient of their concept tokens, or the trigram similarity of the
// expanded names when that is higher (it catches spelling variants).
func repNameSimilarity(a, b string) float64 {
	ta, tb := repTokens(a, true), repTokens(b, true)
	if len(ta) == 0 || len(tb) == 0 {
		return 0
	}
	dice := repDice(ta, tb)
	tri := repTrigram(strings.Join(repTokens(a, false), ""), strings.Join(repTokens(b, false), ""))
	if tri > dice {
		return tri
	}
	return dice
}

// repSameName reports whether two names are the same words after
// splitting, dropping vendor affixes and expanding abbreviations, in any
// order ("cust_nm" and "CustomerName"); synonyms do not count.
func repSameName(a, b string) bool {
	ta, tb := repUnversioned(repTokens(a, false)), repUnversioned(repTokens(b, false))
	if len(ta) == 0 || len(ta) != len(tb) {
		return false
	}
	slices.Sort(ta)
	slices.Sort(tb)
	return slices.Equal(ta, tb)
}

// repQualifiers are words that set sibling fields apart: two fields
// named with different ones ("billing_country", "shipping_country") are
// different fields even when their values agree on a few records.
var repQualifiers = map[string]bool{
	"billing": true, "shipping": true, "mailing": true, "delivery": true, "home": true, "work": true,
	"office": true, "personal": true, "business": true, "primary": true, "secondary": true, "other": true,
	"alternate": true, "alt": true, "mobile": true, "fax": true, "start": true, "end": true, "begin": true,
	"min": true, "max": true, "net": true, "gross": true, "first": true, "last": true, "created": true,
	"updated": true, "modified": true, "closed": true, "opened": true, "from": true, "to": true,
	"old": true, "new": true, "previous": true, "prior": true, "next": true, "ytd": true, "mtd": true,
	"qtd": true, "annual": true, "monthly": true, "weekly": true, "daily": true, "quarterly": true,
	"sub": true, "subtotal": true, "tax": true, "discount": true, "expected": true, "actual": true,
	"weighted": true, "parent": true, "child": true, "source": true, "target": true, "local": true,
	"base": true, "original": true, "converted": true, "legal": true, "display": true,
}

// repQualifierConflict returns a qualifier of a and a different one of b
// when each name has one the other lacks.
func repQualifierConflict(a, b string) (string, string, bool) {
	ta, tb := repTokens(a, false), repTokens(b, false)
	in := func(t string, ts []string) bool { return slices.Contains(ts, t) }
	var qa, qb string
	for _, t := range ta {
		if repQualifiers[t] && !in(t, tb) {
			qa = t
			break
		}
	}
	for _, t := range tb {
		if repQualifiers[t] && !in(t, ta) {
			qb = t
			break
		}
	}
	return qa, qb, qa != "" && qb != ""
}

// repUnversioned drops a trailing version marker ("v", "2" from "_v2").
func repUnversioned(ts []string) []string {
	n := len(ts)
	if n >= 3 && ts[n-2] == "v" && strings.Trim(ts[n-1], "0123456789") == "" {
		return ts[:n-2]
	}
	return ts
}

// repTargetHint scores in [0, 1] how plausible name is as a source name
// for the ontology target "entity.field": the share of the target field's
// concept tokens found among the name's.
func repTargetHint(name, target string) float64 {
	_, field, ok := strings.Cut(target, ".")
	if !ok {
		field = target
	}
	tt := repTokens(field, true)
	if len(tt) == 0 {
		return 0
	}
	have := make(map[string]bool)
	for _, t := range repTokens(name, true) {
		have[t] = true
	}
	n := 0
	for _, t := range tt {
		if have[t] {
			n++
		}
	}
	return float64(n) / float64(len(tt))
}

func repDice(a, b []string) float64 {
	sa := make(map[string]bool, len(a))
	for _, t := range a {
		sa[t] = true
	}
	sb := make(map[string]bool, len(b))
	for _, t := range b {
		sb[t] = true
	}
	n := 0
	for t := range sa {
		if sb[t] {
			n++
		}
	}
	return 2 * float64(n) / float64(len(sa)+len(sb))
}

func repTrigram(a, b string) float64 {
	if a == "" || b == "" {
		return 0
	}
	if a == b {
		return 1
	}
	grams := func(s string) map[string]bool {
		s = "  " + s + " "
		m := make(map[string]bool)
		r := []rune(s)
		for i := 0; i+3 <= len(r); i++ {
			m[string(r[i:i+3])] = true
		}
		return m
	}
	ga, gb := grams(a), grams(b)
	n := 0
	for g := range ga {
		if gb[g] {
			n++
		}
	}
	return 2 * float64(n) / float64(len(ga)+len(gb))
}
