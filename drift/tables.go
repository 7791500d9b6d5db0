package drift

import (
	"strings"
	"sync"

	"golang.org/x/text/currency"
	"golang.org/x/text/language"
	"golang.org/x/text/language/display"
)

// The code tables come from golang.org/x/text (CLDR data): ISO 3166
// regions that are countries, their English names, and ISO 4217 currency
// codes. They are built once, on first use, into plain maps so the hot
// loop does a single map lookup per value.
var (
	tablesOnce sync.Once
	countries  map[string]struct{} // lower-case alpha-2, alpha-3 and English names
	currencies map[string]struct{} // upper-case ISO 4217 codes
)

// countryAliases are English names in common use that CLDR does not list
// as the display name.
var countryAliases = []string{
	"usa", "u.s.", "u.s.a.", "united states of america", "america",
	"uk", "u.k.", "great britain", "britain", "england", "scotland", "wales",
	"northern ireland", "holland", "the netherlands", "korea",
	"republic of korea", "russian federation", "czech republic",
	"ivory coast", "turkey", "burma", "swaziland", "macedonia",
	"vatican", "vatican city", "uae", "viet nam", "hong kong sar",
}

func buildTables() {
	countries = make(map[string]struct{}, 900)
	names := display.English.Regions()
	var b [3]byte
	for x := byte('A'); x <= 'Z'; x++ {
		for y := byte('A'); y <= 'Z'; y++ {
			b[0], b[1] = x, y
			r, err := language.ParseRegion(string(b[:2]))
			if err != nil || !r.IsCountry() {
				continue
			}
			countries[strings.ToLower(r.String())] = struct{}{}
			if iso3 := r.ISO3(); len(iso3) == 3 {
				countries[strings.ToLower(iso3)] = struct{}{}
			}
			if n := names.Name(r); n != "" {
				countries[strings.ToLower(n)] = struct{}{}
			}
		}
	}
	for _, a := range countryAliases {
		countries[a] = struct{}{}
	}
	currencies = make(map[string]struct{}, 300)
	for x := byte('A'); x <= 'Z'; x++ {
		for y := byte('A'); y <= 'Z'; y++ {
			for z := byte('A'); z <= 'Z'; z++ {
				b[0], b[1], b[2] = x, y, z
				if u, err := currency.ParseISO(string(b[:])); err == nil && u.String() == string(b[:]) {
					currencies[string(b[:])] = struct{}{}
				}
			}
		}
	}
}

// isCountry reports whether v is an ISO 3166 alpha-2 or alpha-3 code in
// upper case or an English country name (any case). Lower-case codes
// are not accepted: "no", "in", "it" and "and" are words far more often
// than Norway, India, Italy and Andorra.
func isCountry(v string) bool {
	tablesOnce.Do(buildTables)
	if len(v) < 2 || len(v) > 48 {
		return false
	}
	if len(v) <= 3 {
		for i := 0; i < len(v); i++ {
			if v[i] < 'A' || v[i] > 'Z' {
				return false
			}
		}
	}
	var buf [48]byte
	n := 0
	for i := 0; i < len(v); i++ {
		c := v[i]
		if c >= 'A' && c <= 'Z' {
			c += 'a' - 'A'
		}
		buf[n] = c
		n++
	}
	_, ok := countries[string(buf[:n])]
	return ok
}

// isCurrencyCode reports whether v is an ISO 4217 code, all upper case
// ("USD") or all lower case ("usd", as Stripe writes them).
func isCurrencyCode(v string) bool {
	if len(v) != 3 {
		return false
	}
	tablesOnce.Do(buildTables)
	var buf [3]byte
	lower := v[0] >= 'a' && v[0] <= 'z'
	for i := 0; i < 3; i++ {
		c := v[i]
		switch {
		case c >= 'A' && c <= 'Z' && !lower:
			buf[i] = c
		case c >= 'a' && c <= 'z' && lower:
			buf[i] = c - ('a' - 'A')
		default:
			return false
		}
	}
	_, ok := currencies[string(buf[:])]
	return ok
}

// commonTLDs are generic top-level domains accepted for bare domain
// names; every two-letter TLD (a country code) is accepted too.
var commonTLDs = map[string]struct{}{
	"com": {}, "org": {}, "net": {}, "edu": {}, "gov": {}, "mil": {}, "int": {},
	"info": {}, "biz": {}, "app": {}, "dev": {}, "tech": {}, "online": {},
	"site": {}, "store": {}, "shop": {}, "cloud": {}, "xyz": {}, "blog": {},
	"news": {}, "media": {}, "agency": {}, "company": {}, "solutions": {},
	"services": {}, "digital": {}, "global": {}, "group": {}, "health": {},
	"finance": {}, "capital": {}, "systems": {}, "software": {}, "network": {},
	"email": {}, "live": {}, "life": {}, "world": {}, "team": {}, "works": {},
	"studio": {}, "design": {}, "consulting": {}, "partners": {}, "ventures": {},
	"legal": {}, "bank": {}, "insurance": {}, "energy": {}, "education": {},
	"academy": {}, "travel": {}, "pro": {}, "mobi": {}, "name": {}, "coop": {},
	"aero": {}, "museum": {}, "jobs": {}, "asia": {}, "eu": {}, "ai": {},
}
