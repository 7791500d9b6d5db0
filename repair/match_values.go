package repair

import (
	"encoding/json"
	"strconv"
	"strings"
	"time"

	"github.com/autonomos/autonomos/canonical"
	"github.com/autonomos/autonomos/drift"
	"golang.org/x/text/currency"
	"golang.org/x/text/language"
)

// valueProfile is what a field's samples look like: the share of
// non-empty samples that have each shape.
type valueProfile struct {
	n                                  int
	email, phone, url, domain, deepURL float64
	currency, country                  float64
	date, timestamp, epoch             float64
	integer, numeric, boolean          float64
	idLike, text, multiWord            float64
	clock                              float64 // h:mm or h:mm:ss durations
	localPhone                         float64 // bare runs of 7-15 digits: a local number when the name says phone
	lowerWord                          float64 // one lower-case token ("user", "end-user")
	direction                          float64 // inbound, outbound, ...
	company                            float64 // names with a legal form ("Globex GmbH", "Acme Inc.")
	fill                               float64 // share of samples that are not empty
	honorific                          float64 // Dr., Mr, Frau, Mme, ...
	min, max                           float64
	hasNum                             bool
	distinct                           float64
}

// profileValues reads a field's samples. Stats patterns computed upstream
// (drift) are merged in when the samples alone say nothing.
func profileValues(f drift.Field) valueProfile {
	var p valueProfile
	seen := map[string]bool{}
	first := true
	for _, raw := range f.Samples {
		v := strings.TrimSpace(raw)
		v = unwrapArray(v)
		if v == "" || strings.EqualFold(v, "null") {
			continue
		}
		p.n++
		seen[v] = true
		lv := strings.ToLower(v)
		isEmail := looksEmail(v)
		if isEmail {
			p.email++
		}
		num, numErr := strconv.ParseFloat(strings.TrimSuffix(strings.ReplaceAll(v, ",", ""), "%"), 64)
		isNum := numErr == nil
		if isNum {
			p.numeric++
			if !p.hasNum || first {
				p.min, p.max = num, num
			}
			p.hasNum, first = true, false
			p.min, p.max = min(p.min, num), max(p.max, num)
			if !strings.ContainsAny(v, ".eE") {
				p.integer++
				if len(v) >= 9 && len(v) <= 13 && num > 3e8 {
					p.epoch++
				}
			}
		}
		switch lv {
		case "true", "false", "yes", "no", "y", "n", "t", "f", "0", "1", "ja", "nein", "oui", "non", "si":
			p.boolean++
		}
		if !isEmail && looksPhone(v) && !isTemporal(v) {
			p.phone++
		} else if n := len(v); n >= 7 && n <= 15 && isDigits(v) && v[0] != '0' {
			p.localPhone++
		}
		if !isEmail {
			if u, deep := looksURL(lv); u {
				p.url++
				if deep {
					p.deepURL++
				}
			} else if looksDomain(lv) {
				p.domain++
			}
		}
		if len(v) == 3 && isAlpha(v) {
			if _, err := currency.ParseISO(strings.ToUpper(v)); err == nil {
				p.currency++
			}
		}
		if looksCountry(v) {
			p.country++
		}
		if d, ts := looksTemporal(v); d || ts {
			if ts {
				p.timestamp++
			} else {
				p.date++
			}
		}
		if !strings.ContainsAny(v, " @.") && strings.ToLower(v) == v && hasLetter(v) && !isNum {
			p.lowerWord++
		}
		switch strings.TrimSuffix(lv, ".") {
		case "dr", "mr", "mrs", "ms", "miss", "prof", "mag", "ing", "dipl", "herr", "frau", "m", "mme", "mlle",
			"sr", "sra", "srta", "dott", "sig", "dhr", "mevr", "sir", "madam", "dr. med", "prof. dr":
			p.honorific++
		}
		if hasLegalForm(lv) {
			p.company++
		}
		switch lv {
		case "inbound", "outbound", "incoming", "outgoing", "in", "out", "eingehend", "ausgehend", "entrant", "sortant", "entrante", "saliente":
			p.direction++
		}
		if looksClock(v) {
			p.clock++
		}
		if looksIDLike(v) {
			p.idLike++
		}
		if !isNum && !isEmail && hasLetter(v) {
			p.text++
			if strings.Contains(strings.TrimSpace(v), " ") {
				p.multiWord++
			}
		}
	}
	p.fill = 1
	if len(f.Samples) > 0 {
		p.fill = float64(p.n) / float64(len(f.Samples))
	}
	if p.n > 0 {
		n := float64(p.n)
		for _, x := range []*float64{&p.email, &p.phone, &p.url, &p.domain, &p.deepURL, &p.currency, &p.country,
			&p.date, &p.timestamp, &p.epoch, &p.integer, &p.numeric, &p.boolean, &p.idLike, &p.text, &p.multiWord, &p.clock, &p.lowerWord, &p.direction, &p.company, &p.honorific, &p.localPhone} {
			*x /= n
		}
		p.distinct = float64(len(seen)) / n
		// The drift profiler knows more number, date and phone formats
		// (grouped money, day-first dates, textual dates): take the larger
		// share of each shape.
		if st := drift.Profile(f.Samples); len(st.Patterns) > 0 {
			pats := st.Patterns
			p.numeric = max(p.numeric, pats[drift.PatternNumeric], pats[drift.PatternMoney])
			p.date = max(p.date, pats[drift.PatternDate])
			p.timestamp = max(p.timestamp, pats[drift.PatternTimestamp])
			p.epoch = max(p.epoch, pats[drift.PatternEpoch])
			if p.email == 0 && p.date+p.timestamp+p.epoch < 0.5 {
				p.phone = max(p.phone, pats[drift.PatternPhone])
			}
			if pats[drift.PatternMoney] > 0 && st.Min != nil && st.Max != nil && !p.hasNum {
				p.min, p.max, p.hasNum = *st.Min, *st.Max, true
			}
			if p.numeric > 0.5 {
				p.text = min(p.text, 1-p.numeric)
			}
		}
	} else if pats := f.Stats.Patterns; len(pats) > 0 {
		p.n = f.Stats.Count
		p.email = pats[drift.PatternEmail]
		p.phone = pats[drift.PatternPhone]
		p.url = pats[drift.PatternURL]
		p.domain = pats[drift.PatternDomain]
		p.currency = pats[drift.PatternCurrency]
		p.country = pats[drift.PatternCountry]
		p.date = pats[drift.PatternDate]
		p.timestamp = pats[drift.PatternTimestamp]
		p.epoch = pats[drift.PatternEpoch]
		p.integer = pats[drift.PatternInteger]
		p.numeric = max(pats[drift.PatternNumeric], p.integer)
		p.boolean = pats[drift.PatternBoolean]
		p.idLike = pats[drift.PatternIDLike]
		p.distinct = f.Stats.DistinctRatio
		if f.Stats.Min != nil && f.Stats.Max != nil {
			p.min, p.max, p.hasNum = *f.Stats.Min, *f.Stats.Max, true
		}
		p.text = max(0, 1-p.numeric-p.email-p.date-p.timestamp)
	}
	return p
}

func unwrapArray(v string) string {
	// Multi-value fields sent as JSON objects ([{"VALUE_TYPE":"WORK",
	// "VALUE":"+7 495 ..."}], {"value": ...}): the value of the first.
	if strings.HasPrefix(v, "[{") || strings.HasPrefix(v, "{") {
		var objs []map[string]any
		if strings.HasPrefix(v, "{") {
			var one map[string]any
			if json.Unmarshal([]byte(v), &one) == nil {
				objs = append(objs, one)
			}
		} else {
			_ = json.Unmarshal([]byte(v), &objs)
		}
		if len(objs) > 0 {
			for _, key := range []string{"value", "email", "address", "number", "phone", "url", "name"} {
				for k, x := range objs[0] {
					if s, ok := x.(string); ok && strings.EqualFold(k, key) {
						return strings.TrimSpace(s)
					}
				}
			}
		}
	}
	if v == "[]" || v == "{}" {
		return ""
	}
	if strings.HasPrefix(v, "[") && strings.HasSuffix(v, "]") {
		v = strings.TrimSpace(v[1 : len(v)-1])
		if i := strings.IndexByte(v, ','); i >= 0 {
			v = v[:i]
		}
		v = strings.Trim(strings.TrimSpace(v), `"'`)
	}
	return v
}

func isAlpha(s string) bool {
	for _, r := range s {
		if !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z') {
			return false
		}
	}
	return s != ""
}

func hasLetter(s string) bool {
	for _, r := range s {
		if r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r > 127 {
			return true
		}
	}
	return false
}

func looksEmail(v string) bool {
	at := strings.IndexByte(v, '@')
	return at > 0 && at < len(v)-3 && strings.Contains(v[at:], ".") && !strings.ContainsAny(v, " ,;<>")
}

func looksPhone(v string) bool {
	digits, other := 0, 0
	sep := false
	for i, r := range v {
		switch {
		case r >= '0' && r <= '9':
			digits++
		case r == '+' && i == 0:
			sep = true
		case r == ' ' || r == '-' || r == '(' || r == ')' || r == '.' || r == '/':
			sep = true
		case r == 'x' || r == 'X':
			other++
		default:
			return false
		}
	}
	if digits < 7 || digits > 16 || other > 1 {
		return false
	}
	// A bare run of digits is a phone only when it is long enough not to be
	// an id or an amount.
	// Zero-padded keys ("0000100234") are not phones.
	return sep || digits >= 10 && v[0] == '0' && v[1] != '0'
}

func looksURL(lv string) (bool, bool) {
	rest := ""
	switch {
	case strings.HasPrefix(lv, "http://"):
		rest = lv[7:]
	case strings.HasPrefix(lv, "https://"):
		rest = lv[8:]
	case strings.HasPrefix(lv, "www."):
		rest = lv
	default:
		return false, false
	}
	host, path, _ := strings.Cut(rest, "/")
	if !looksDomain(host) {
		return false, false
	}
	path = strings.Trim(path, "/")
	return true, strings.Count(path, "/") >= 1 || strings.Contains(path, ".")
}

func looksDomain(lv string) bool {
	lv = strings.TrimSuffix(lv, "/")
	if strings.ContainsAny(lv, " @/:") || !strings.Contains(lv, ".") || len(lv) < 4 {
		return false
	}
	labels := strings.Split(lv, ".")
	tld := labels[len(labels)-1]
	if len(tld) < 2 || len(tld) > 12 || !isAlpha(tld) {
		return false
	}
	for _, l := range labels {
		if l == "" {
			return false
		}
	}
	return true
}

var countryNames = map[string]bool{}

func init() {
	for _, n := range strings.Split("united states,usa,united states of america,america,germany,deutschland,allemagne,alemania,"+
		"france,frankreich,francia,united kingdom,uk,great britain,england,spain,espana,espagne,spanien,italy,italia,"+
		"italie,italien,netherlands,nederland,the netherlands,holland,pays-bas,belgium,belgique,belgie,belgien,"+
		"switzerland,schweiz,suisse,svizzera,suiza,austria,osterreich,oesterreich,autriche,canada,kanada,mexico,"+
		"brazil,brasil,bresil,argentina,chile,colombia,peru,japan,japon,china,india,inde,indien,australia,australien,"+
		"new zealand,ireland,irland,sweden,sverige,schweden,norway,norge,denmark,danmark,finland,suomi,poland,polska,"+
		"polen,portugal,czech republic,czechia,hungary,romania,greece,turkey,russia,ukraine,israel,south africa,"+
		"nigeria,kenya,egypt,singapore,hong kong,south korea,korea,taiwan,vietnam,thailand,indonesia,malaysia,"+
		"philippines,united arab emirates,uae,saudi arabia,luxembourg,luxemburg,iceland,estonia,latvia,lithuania", ",") {
		countryNames[n] = true
	}
}

func looksCountry(v string) bool {
	f := fold(strings.TrimSpace(v))
	if countryNames[f] {
		return true
	}
	if (len(v) == 2 || len(v) == 3) && isAlpha(v) && strings.ToUpper(v) == v {
		if r, err := language.ParseRegion(v); err == nil && r.IsCountry() {
			return true
		}
	}
	return false
}

var dateLayouts = []string{"2006-01-02", "01/02/2006", "02.01.2006", "2/1/2006", "02/01/2006", "2006/01/02", "Jan 2, 2006", "02-01-2006", "20060102"}
var tsLayouts = []string{time.RFC3339, time.RFC3339Nano, "2006-01-02T15:04:05.000-0700", "2006-01-02T15:04:05-0700",
	"2006-01-02 15:04:05", "2006-01-02T15:04:05", "2006-01-02 15:04", "01/02/2006 15:04", "02.01.2006 15:04",
	"2006-01-02 15:04:05.000", "2006-01-02T15:04:05.000Z", "01/02/2006 03:04 PM"}

var namedMonthDates = []string{"Jan 2, 2006", "January 2, 2006", "Mon, Jan 2, 2006", "Monday, January 2, 2006"}
var namedMonthTimes = []string{"January 2, 2006 3:04 PM", "Jan 2, 2006 3:04 PM", "January 2, 2006 15:04", "Jan 2, 2006 15:04",
	"Jan 2, 2006, 3:04:05 PM", "January 2, 2006 at 3:04 PM"}

func looksTemporal(v string) (date, ts bool) {
	if len(v) < 6 || len(v) > 40 {
		return false, false
	}
	if isDigits(v) && len(v) != 8 {
		return false, false
	}
	if v[0] < '0' || v[0] > '9' {
		// Month names first, as spreadsheets and Notion export them.
		for _, l := range namedMonthDates {
			if _, err := time.Parse(l, v); err == nil {
				return true, false
			}
		}
		for _, l := range namedMonthTimes {
			if _, err := time.Parse(l, v); err == nil {
				return false, true
			}
		}
		return false, false
	}
	if len(v) > 10 && strings.IndexByte(v, ':') > 0 {
		for _, l := range tsLayouts {
			if _, err := time.Parse(l, v); err == nil {
				return false, true
			}
		}
	}
	if len(v) > 12 || !strings.ContainsAny(v, "-/.") && !(len(v) == 8 && isDigits(v)) {
		return false, false
	}
	for _, l := range dateLayouts {
		if len(l) == len(v) || strings.ContainsAny(l, "/.") {
			if _, err := time.Parse(l, v); err == nil {
				return true, false
			}
		}
	}
	return false, false
}

func isTemporal(v string) bool {
	d, ts := looksTemporal(v)
	return d || ts
}

var legalForms = map[string]bool{
	"gmbh": true, "ag": true, "kg": true, "inc": true, "corp": true, "corporation": true, "ltd": true, "llc": true,
	"plc": true, "sa": true, "sas": true, "sarl": true, "sl": true, "srl": true, "spa": true, "bv": true, "nv": true,
	"oy": true, "ab": true, "limited": true, "gesellschaft": true, "pty": true, "kk": true, "ltda": true, "se": true,
	"industries": true, "holding": true, "group": true, "company": true, "co": true, "consulting": true,
}

// hasLegalForm reports a company name: one of its words is a legal form
// or a word companies name themselves with.
func hasLegalForm(lv string) bool {
	if !strings.Contains(lv, " ") {
		return false
	}
	for _, w := range strings.FieldsFunc(lv, func(r rune) bool { return r == ' ' || r == ',' || r == '.' || r == '&' }) {
		if legalForms[w] {
			return true
		}
	}
	return false
}

// looksClock reports an h:mm or h:mm:ss value.
func looksClock(v string) bool {
	parts := strings.Split(v, ":")
	if len(parts) < 2 || len(parts) > 3 {
		return false
	}
	for i, p := range parts {
		if p == "" || len(p) > 2 && i > 0 || !isDigits(p) {
			return false
		}
	}
	return true
}

// looksIDLike reports a value that reads as a key: one token of letters,
// digits and a few separators, with at least one digit or of a fixed
// machine shape.
func looksIDLike(v string) bool {
	if len(v) == 0 || len(v) > 256 { // opaque keys (Graph, base64) run long
		return false
	}
	digits, letters := 0, 0
	for _, r := range v {
		switch {
		case r >= '0' && r <= '9':
			digits++
		case r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z':
			letters++
		case r == '-' || r == '_' || r == ':' || r == '.' || r == '/' || r == '=' || r == '+':
		default:
			return false
		}
	}
	if looksEmail(v) {
		return false
	}
	// Paths are keys only in URI form without a host ("gid://shopify/Company/1").
	if strings.Contains(v, "/") && (strings.Contains(v, ".") || digits == 0) {
		return false
	}
	// Logins such as "jsmith" and initials or codes such as "JS01" or
	// "MM" count: a person's or a record's key in another system.
	return digits > 0 || letters >= 3 && letters <= 12 && strings.ToLower(v) == v ||
		letters >= 2 && letters <= 6 && strings.ToUpper(v) == v
}

// valueFit scores how well a field's declared type and samples fit a
// target of the given type and name: a factor around 1 (0.2 strongly
// against, 1.15 strongly for), with a short piece of evidence.
func valueFit(ft drift.FieldType, p valueProfile, target canonical.Field) (float64, valueNote) {
	isRef := target.Name == "id" || strings.HasSuffix(target.Name, "_id")
	// Declared types that rule a target out.
	switch ft {
	case drift.TypeBoolean:
		if target.Type != canonical.TypeBoolean {
			return 0.25, note("declared boolean")
		}
	case drift.TypeDate, drift.TypeTimestamp:
		if target.Type != canonical.TypeDate && target.Type != canonical.TypeTimestamp {
			return 0.3, note("declared " + string(ft))
		}
	case drift.TypeNumber:
		switch target.Type {
		case canonical.TypeEmail, canonical.TypePhone, canonical.TypeDomain, canonical.TypeCurrency, canonical.TypeCountry, canonical.TypeBoolean:
			return 0.3, note("declared number")
		case canonical.TypeString:
			if isRef {
				return 0.6, note("declared number")
			}
			return 0.5, note("declared number")
		}
	case drift.TypeInteger:
		switch target.Type {
		case canonical.TypeEmail, canonical.TypeDomain, canonical.TypeCurrency, canonical.TypeCountry:
			return 0.3, note("declared integer")
		case canonical.TypeBoolean:
			if p.boolean < 1 {
				return 0.4, note("declared integer")
			}
		}
	}
	if p.n == 0 {
		return 0.95, note("no samples")
	}
	lin := func(share, lo, hi float64) float64 { return lo + (hi-lo)*share }
	switch target.Type {
	case canonical.TypeEmail:
		return lin(p.email, 0.3, 1.15), pct("e-mail", p.email)
	case canonical.TypePhone:
		if p.localPhone > 0 {
			// Numbers without area code or separators ("5556789") are
			// phones only by the name's word; they count less.
			s := p.phone + 0.8*p.localPhone
			return lin(s, 0.4, 1.1), pct("phone (some local numbers)", s)
		}
		return lin(p.phone, 0.4, 1.1), pct("phone", p.phone)
	case canonical.TypeDomain:
		s := p.url + p.domain - p.deepURL
		return lin(max(0, s), 0.35, 1.15), pct("web address", s)
	case canonical.TypeCurrency:
		return lin(p.currency, 0.35, 1.15), pct("ISO currency", p.currency)
	case canonical.TypeCountry:
		return lin(p.country, 0.4, 1.1), pct("country", p.country)
	case canonical.TypeDate, canonical.TypeTimestamp:
		if ft == drift.TypeDate || ft == drift.TypeTimestamp {
			return 1.1, note("declared " + string(ft))
		}
		s := p.date + p.timestamp + p.epoch
		return lin(min(1, s), 0.3, 1.1), pct("date/time", min(1, s))
	case canonical.TypeBoolean:
		if ft == drift.TypeBoolean {
			return 1.15, note("declared boolean")
		}
		return lin(p.boolean, 0.3, 1.05), pct("boolean", p.boolean)
	case canonical.TypeInteger, canonical.TypeDecimal:
		if p.date+p.timestamp > 0.5 {
			return 0.3, note("dates, not numbers")
		}
		if strings.HasPrefix(target.Name, "duration") && p.clock > 0.5 {
			return 1, pct("h:mm durations", p.clock)
		}
		return lin(p.numeric, 0.3, 1.05), pct("numeric", p.numeric)
	case canonical.TypePercent:
		if !p.hasNum {
			return lin(p.numeric, 0.3, 1), pct("numeric", p.numeric)
		}
		if p.min >= 0 && p.max <= 100 {
			if p.max <= 1 {
				return 1.1, note("numbers in 0..1")
			}
			return 1.05, note("numbers in 0..100")
		}
		return 0.4, note("numbers outside 0..100")
	}
	// Strings.
	if isRef {
		f := lin(p.idLike, 0.45, 1.1)
		// People are often keyed by their e-mail address.
		if target.Name == "owner_id" && p.email > 0.5 {
			return 1, pct("e-mail (a user key)", p.email)
		}
		if p.email > 0.5 || p.date+p.timestamp > 0.5 {
			f = 0.3
		}
		if p.multiWord > 0.5 {
			// A person's name stands in for a user key in many exports; a
			// company's name for a record key much less often.
			if target.Name == "owner_id" {
				f = 0.68
			} else {
				f = min(f, 0.45)
			}
		}
		return f, pct("id-like", p.idLike)
	}
	if p.email > 0.5 || p.url+p.domain > 0.5 || p.date+p.timestamp > 0.5 {
		return 0.4, note("values are not free text")
	}
	f := lin(p.text, 0.55, 1.05)
	// Y/N, true/false: a flag, not a category or a name.
	if p.boolean > 0.9 && p.n >= 2 {
		return 0.5, note("values are flags")
	}
	switch target.Name {
	case "stage", "status", "type", "industry", "source":
		// Categories often come as codes of a lookup table.
		if p.numeric > 0.5 {
			return 0.85, note("coded category")
		}
		// A call's direction is not the kind of activity.
		if target.Name == "type" && p.direction > 0.5 {
			return f * 0.5, note("values are call directions")
		}
	case "number":
		// Human document numbers are often digits only.
		if p.numeric+p.idLike > 0.5 {
			return 1, note("document numbers")
		}
	case "title":
		// Honorifics (Dr., Frau, Mr) are a salutation, not a job title.
		if p.honorific > 0.5 {
			return f * 0.5, note("values are honorifics")
		}
		// A job title is free text; an enum of lower-case tokens ("user",
		// "end-user", "admin") is a role in the system, not a title.
		if p.lowerWord > 0.5 {
			return f * 0.7, note("values are lower-case codes")
		}
	case "first_name", "last_name":
		if p.multiWord > 0.6 {
			f *= 0.6
			return f, note("values hold several words")
		}
	case "name", "company", "subject":
		if p.text < 0.5 && ft != drift.TypeString {
			f *= 0.8
		}
	}
	return f, pct("text", p.text)
}

// valueNote is the value evidence of a pairing, formatted only when shown.
type valueNote struct {
	what  string
	share float64 // < 0: no share
}

func note(s string) valueNote { return valueNote{what: s, share: -1} }

func pct(what string, share float64) valueNote { return valueNote{what: what, share: share} }

func (v valueNote) String() string {
	if v.share < 0 {
		return v.what
	}
	return strconv.Itoa(int(v.share*100+0.5)) + "% " + v.what
}
