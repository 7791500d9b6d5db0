package canonical

import (
	"strings"
	"time"
)

// DateOrder says how to read an all-numeric date such as 03/04/2025.
type DateOrder uint8

// The date orders. Year-first dates (2025-03-04, 2025/03/04, 20250304)
// are read the same under every order.
const (
	// DateOrderUnknown reads a day/month date only when it has a single
	// reading (25/03/2025 is the 25th of March); 03/04/2025 is then an
	// ambiguous value, never a guess.
	DateOrderUnknown DateOrder = iota
	// DayFirst reads 03/04/2025 as the 3rd of April (most of the world).
	DayFirst
	// MonthFirst reads 03/04/2025 as the 4th of March (United States).
	MonthFirst
)

// Locale says how to read values whose form depends on where they were
// written. The zero Locale is usable: it reads only what has a single
// reading. A Locale is a plain value; it is safe to share once set up.
type Locale struct {
	// DateOrder says how to read all-numeric day/month dates.
	// Defaults to DateOrderUnknown.
	DateOrder DateOrder
	// DecimalSeparator is '.' or ',' and makes every amount read strictly
	// in that convention: with ',' "1.234,50" is 1234.50 and "1,234.50" is
	// an error. Defaults to 0, which reads an amount with '.' as the
	// decimal point and ',' as grouping ("1,234.50", "1,200", "1.5") when
	// that reading exists, and with ',' as the decimal point only when it
	// is the one reading the text has ("1.234,50", "€1.200,00", "12,5").
	DecimalSeparator rune
	// Region is the ISO 3166-1 alpha-2 region of phone numbers written
	// without a country code. The Normalizer uses the record's country
	// field first when the entity has one. Defaults to "": such numbers
	// keep their digits only.
	Region string
	// Location is the time zone of timestamps written without an offset.
	// Defaults to UTC.
	Location *time.Location
	// Symbols maps further currency signs or names to ISO 4217 codes, and
	// settles the ambiguous ones: {"$": "CAD"}, {"¥": "CNY"}, {"kr": "SEK"}.
	// Keys are matched case-insensitively. Defaults to none: "$", "¥" and
	// "kr" are then ambiguous currencies (amounts still read).
	Symbols map[string]string
}

// ParseLocale returns the Locale of a BCP 47 tag such as "en-US",
// "de-DE" or "fr-CH": its date order, decimal separator and region. It
// knows the conventions of the common business locales; for a language
// it does not know it returns an error. The Location and Symbols of the
// result are left at their defaults, except that "$" maps to the
// region's dollar in the United States, Canada, Australia, New Zealand,
// Singapore and Hong Kong.
func ParseLocale(tag string) (Locale, error) {
	tag = strings.ReplaceAll(strings.TrimSpace(tag), "_", "-")
	lang, region, _ := strings.Cut(tag, "-")
	lang = strings.ToLower(lang)
	region = strings.ToUpper(region)
	if i := strings.IndexByte(region, '-'); i >= 0 {
		region = region[:i]
	}
	if region != "" {
		if len(region) != 2 || countryByCode[region] != region {
			return Locale{}, &ValueError{Type: TypeCountry, Raw: tag, Reason: "unknown region in locale", Err: ErrInvalidValue}
		}
	}
	var l Locale
	switch lang {
	case "en":
		l.DecimalSeparator = '.'
		l.DateOrder = DayFirst
		if region == "" || region == "US" || region == "PH" {
			l.DateOrder = MonthFirst
		}
		if region == "ZA" {
			l.DecimalSeparator = ','
		}
	case "de", "fr", "es", "it", "nl", "pt", "da", "fi", "sv", "nb", "no", "nn", "pl", "cs", "sk",
		"hu", "ro", "bg", "hr", "sl", "sr", "el", "tr", "ru", "uk", "id", "vi", "et", "lv", "lt", "is", "ca":
		l.DecimalSeparator = ','
		l.DateOrder = DayFirst
		switch {
		case region == "CH" || region == "LI":
			l.DecimalSeparator = '.' // de-CH, fr-CH, it-CH write 1'234.50
		case lang == "es" && (region == "MX" || region == "US" || region == "PR" || region == "GT" ||
			region == "HN" || region == "NI" || region == "SV" || region == "PA" || region == "DO"):
			l.DecimalSeparator = '.'
		case lang == "fr" && region == "CA":
			l.DateOrder = DateOrderUnknown // Canada mixes both orders
		}
	case "ja", "zh", "ko", "th", "he", "ms", "hi", "ta", "te", "bn", "ur", "fil", "tl", "ar", "fa":
		l.DecimalSeparator = '.'
		l.DateOrder = DayFirst
		if lang == "ja" || lang == "zh" || lang == "ko" {
			l.DateOrder = DateOrderUnknown // year first in practice; day/month forms are not used
		}
	default:
		return Locale{}, &ValueError{Type: TypeString, Raw: tag, Reason: "unknown locale language", Err: ErrInvalidValue}
	}
	if region == "CA" && lang == "en" {
		l.DateOrder = DateOrderUnknown
	}
	l.Region = region
	switch region {
	case "US", "CA", "AU", "NZ", "SG", "HK":
		code := map[string]string{"US": "USD", "CA": "CAD", "AU": "AUD", "NZ": "NZD", "SG": "SGD", "HK": "HKD"}[region]
		l.Symbols = map[string]string{"$": code}
	case "JP":
		l.Symbols = map[string]string{"¥": "JPY"}
	case "CN":
		l.Symbols = map[string]string{"¥": "CNY"}
	case "SE":
		l.Symbols = map[string]string{"kr": "SEK"}
	case "NO":
		l.Symbols = map[string]string{"kr": "NOK"}
	case "DK":
		l.Symbols = map[string]string{"kr": "DKK"}
	}
	return l, nil
}

func (l *Locale) location() *time.Location {
	if l == nil || l.Location == nil {
		return time.UTC
	}
	return l.Location
}
