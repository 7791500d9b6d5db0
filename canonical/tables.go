package canonical

import "strings"

// countryAliases holds names that are not in the CLDR English table but
// turn up in real sources: long official forms, common short forms and a
// few native names. Keys are folded (see foldName).
var countryAliases = map[string]string{
	"usa": "US", "u s a": "US", "u s": "US", "united states of america": "US", "america": "US",
	"the united states": "US", "united states": "US", "vereinigte staaten": "US", "estados unidos": "US", "etats unis": "US",
	"uk": "GB", "u k": "GB", "great britain": "GB", "britain": "GB", "england": "GB", "scotland": "GB", "wales": "GB",
	"northern ireland": "GB", "united kingdom of great britain and northern ireland": "GB",
	"deutschland": "DE", "federal republic of germany": "DE", "allemagne": "DE", "alemania": "DE",
	"france": "FR", "frankreich": "FR", "francia": "FR",
	"espana": "ES", "spanien": "ES", "espagne": "ES",
	"italia": "IT", "italien": "IT", "italie": "IT",
	"nederland": "NL", "holland": "NL", "the netherlands": "NL", "niederlande": "NL", "pays bas": "NL",
	"belgie": "BE", "belgique": "BE", "belgien": "BE",
	"osterreich": "AT", "oesterreich": "AT", "autriche": "AT",
	"schweiz": "CH", "suisse": "CH", "svizzera": "CH", "swiss confederation": "CH",
	"sverige": "SE", "norge": "NO", "danmark": "DK", "suomi": "FI", "island": "IS",
	"polska": "PL", "cesko": "CZ", "czech republic": "CZ", "slovensko": "SK", "magyarorszag": "HU",
	"portugal": "PT", "eire": "IE", "republic of ireland": "IE", "ellada": "GR", "hellas": "GR",
	"turkiye": "TR", "turkey": "TR", "russian federation": "RU", "rossiya": "RU",
	"brasil": "BR", "mexico": "MX", "republica argentina": "AR", "peru": "PE",
	"nippon": "JP", "nihon": "JP", "zhongguo": "CN", "peoples republic of china": "CN", "prc": "CN",
	"republic of korea": "KR", "korea": "KR", "korea republic of": "KR", "korea south": "KR",
	"north korea": "KP", "dprk": "KP", "democratic peoples republic of korea": "KP",
	"bharat": "IN", "viet nam": "VN", "republic of china": "TW", "taiwan province of china": "TW",
	"hong kong sar": "HK", "hong kong sar china": "HK", "macao sar china": "MO", "macau": "MO",
	"uae": "AE", "u a e": "AE", "emirates": "AE", "ksa": "SA", "kingdom of saudi arabia": "SA",
	"ivory coast": "CI", "cote divoire": "CI", "cote d ivoire": "CI",
	"congo kinshasa": "CD", "democratic republic of the congo": "CD", "drc": "CD",
	"congo brazzaville": "CG", "republic of the congo": "CG",
	"burma": "MM", "swaziland": "SZ", "cape verde": "CV", "east timor": "TL", "macedonia": "MK",
	"the bahamas": "BS", "the gambia": "GM", "vatican": "VA", "vatican city": "VA", "holy see": "VA",
	"palestine": "PS", "palestinian territories": "PS", "iran islamic republic of": "IR",
	"syrian arab republic": "SY", "lao peoples democratic republic": "LA", "laos": "LA",
	"moldova republic of": "MD", "tanzania united republic of": "TZ", "bolivia plurinational state of": "BO",
	"venezuela bolivarian republic of": "VE", "brunei darussalam": "BN",
}

// currencySymbols maps signs and names that name exactly one currency.
// "$", "¥" and "kr" are not here: each names several currencies, so they
// resolve only through [Locale.Symbols].
var currencySymbols = map[string]string{
	"€": "EUR", "euro": "EUR", "euros": "EUR",
	"£": "GBP", "pound sterling": "GBP", "sterling": "GBP", "gbp£": "GBP",
	"₹": "INR", "₩": "KRW", "₽": "RUB", "₺": "TRY", "₪": "ILS", "₫": "VND", "฿": "THB",
	"₱": "PHP", "₴": "UAH", "₦": "NGN", "₡": "CRC", "₲": "PYG", "₸": "KZT", "₾": "GEL", "zł": "PLN",
	"us$": "USD", "usd$": "USD", "u.s. dollar": "USD", "us dollar": "USD", "us dollars": "USD",
	"c$": "CAD", "ca$": "CAD", "can$": "CAD", "a$": "AUD", "au$": "AUD", "nz$": "NZD", "hk$": "HKD",
	"s$": "SGD", "r$": "BRL", "mx$": "MXN", "nt$": "TWD", "rmb": "CNY", "yuan": "CNY", "renminbi": "CNY",
	"cn¥": "CNY", "jp¥": "JPY", "yen": "JPY", "chf": "CHF",
}

var (
	countryByCode map[string]string // alpha-2 and alpha-3 -> alpha-2
	countryByName map[string]string // folded English name or alias -> alpha-2
	currencyCodes map[string]struct{}
	// boxedCodes holds every country and currency code already boxed in
	// an interface, so that an event's value costs no allocation.
	boxedCodes map[string]any
)

func init() {
	countryByCode = make(map[string]string, 2*len(isoCountries))
	countryByName = make(map[string]string, len(isoCountries)+len(countryAliases)+16)
	for _, c := range isoCountries {
		countryByCode[c[0]] = c[0]
		countryByCode[c[1]] = c[0]
		countryByName[foldName(c[2])] = c[0]
		if strings.Contains(c[2], "&") {
			countryByName[foldName(strings.ReplaceAll(c[2], "&", "and"))] = c[0]
		}
	}
	for k, v := range countryAliases {
		countryByName[k] = v
	}
	currencyCodes = make(map[string]struct{}, len(isoCurrencies))
	boxedCodes = make(map[string]any, len(isoCurrencies)+len(isoCountries))
	for _, c := range isoCurrencies {
		currencyCodes[c] = struct{}{}
		boxedCodes[c] = c
	}
	for _, c := range isoCountries {
		boxedCodes[c[0]] = c[0]
	}
}

// foldName folds a country or currency name for lookup: lower case, Latin
// diacritics removed, punctuation turned into single spaces, "&" kept.
func foldName(s string) string {
	var b strings.Builder
	b.Grow(len(s))
	space := false
	for _, r := range s {
		r = foldRune(r)
		switch {
		case r >= 'a' && r <= 'z', r >= '0' && r <= '9', r == '&':
			if space && b.Len() > 0 {
				b.WriteByte(' ')
			}
			space = false
			b.WriteRune(r)
		case r == '\'' || r == '’':
			// "Côte d'Ivoire" -> "cote divoire"
		case r < 0x80:
			space = true
		default:
			if space && b.Len() > 0 {
				b.WriteByte(' ')
			}
			space = false
			b.WriteRune(r)
		}
	}
	return b.String()
}

// foldRune lower-cases r and strips the common Latin diacritics.
func foldRune(r rune) rune {
	if r >= 'A' && r <= 'Z' {
		return r + 'a' - 'A'
	}
	if r < 0x80 {
		return r
	}
	switch r {
	case 'À', 'Á', 'Â', 'Ã', 'Ä', 'Å', 'à', 'á', 'â', 'ã', 'ä', 'å':
		return 'a'
	case 'Ç', 'ç':
		return 'c'
	case 'È', 'É', 'Ê', 'Ë', 'è', 'é', 'ê', 'ë':
		return 'e'
	case 'Ì', 'Í', 'Î', 'Ï', 'ì', 'í', 'î', 'ï':
		return 'i'
	case 'Ñ', 'ñ':
		return 'n'
	case 'Ò', 'Ó', 'Ô', 'Õ', 'Ö', 'Ø', 'ò', 'ó', 'ô', 'õ', 'ö', 'ø':
		return 'o'
	case 'Ù', 'Ú', 'Û', 'Ü', 'ù', 'ú', 'û', 'ü':
		return 'u'
	case 'Ý', 'ý', 'ÿ':
		return 'y'
	case 'Š', 'š':
		return 's'
	case 'Ž', 'ž':
		return 'z'
	case 'Č', 'č', 'Ć', 'ć':
		return 'c'
	case 'Ł', 'ł':
		return 'l'
	case 'ß':
		return 's'
	}
	return r
}
