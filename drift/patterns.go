package drift

import (
	"math"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"
)

// Pattern bits, in the order of allPatterns.
const (
	bitEmail uint32 = 1 << iota
	bitPhone
	bitURL
	bitDomain
	bitDate
	bitTimestamp
	bitEpoch
	bitCurrency
	bitCountry
	bitIDLike
	bitPercent01
	bitPercent100
	bitNumeric
	bitInteger
	bitBoolean
	bitMoney
)

// allPatterns lists every pattern, indexed by bit position.
var allPatterns = [...]Pattern{
	PatternEmail, PatternPhone, PatternURL, PatternDomain, PatternDate,
	PatternTimestamp, PatternEpoch, PatternCurrency, PatternCountry,
	PatternIDLike, PatternPercent01, PatternPercent100, PatternNumeric,
	PatternInteger, PatternBoolean, PatternMoney,
}

// Patterns returns every pattern the profiler detects, in a fixed order.
func Patterns() []Pattern { return append([]Pattern(nil), allPatterns[:]...) }

// valueInfo is what classify learns about one non-null value.
type valueInfo struct {
	bits       uint32
	num        float64 // numeric value, when hasNum
	hasNum     bool
	fractional bool // the numeric value has a fractional part
	boolWord   bool // true/false/yes/no/y/n/t/f
	bool01     bool // "0" or "1"
}

// Epoch bounds: 1980-01-01 to 2100-01-01, in seconds and milliseconds.
const (
	epochMinS  = 315532800
	epochMaxS  = 4102444800
	epochMinMS = epochMinS * 1000
	epochMaxMS = epochMaxS * 1000
)

// shape counts the character classes of a value in one pass.
type shape struct {
	digits, letters, hexLetters, other                                      int
	at, dots, dashes, slashes, colons, spaces, unders, commas, plus, parens int
	ascii                                                                   bool
}

func scan(v string) shape {
	s := shape{ascii: true}
	for i := 0; i < len(v); i++ {
		c := v[i]
		switch {
		case c >= '0' && c <= '9':
			s.digits++
		case c >= 'a' && c <= 'f', c >= 'A' && c <= 'F':
			s.letters++
			s.hexLetters++
		case c >= 'a' && c <= 'z', c >= 'A' && c <= 'Z':
			s.letters++
		case c == '@':
			s.at++
		case c == '.':
			s.dots++
		case c == '-':
			s.dashes++
		case c == '/':
			s.slashes++
		case c == ':':
			s.colons++
		case c == ' ':
			s.spaces++
		case c == '_':
			s.unders++
		case c == ',':
			s.commas++
		case c == '+':
			s.plus++
		case c == '(' || c == ')':
			s.parens++
		default:
			if c >= utf8.RuneSelf {
				s.ascii = false
			}
			s.other++
		}
	}
	return s
}

// classify detects the patterns of one trimmed, non-null value.
func classify(v string) valueInfo {
	var vi valueInfo
	if v == "" {
		return vi
	}
	sh := scan(v)
	n := len(v)

	// Numbers, plain ("12", "-3.5", "1e6").
	if sh.digits > 0 && sh.other == 0 && sh.at == 0 && sh.slashes == 0 && sh.colons == 0 &&
		sh.spaces == 0 && sh.unders == 0 && sh.commas == 0 && sh.parens == 0 && sh.dots <= 1 &&
		sh.letters <= 1 && isDecimalText(v) {
		if f, err := strconv.ParseFloat(v, 64); err == nil && !math.IsInf(f, 0) && !math.IsNaN(f) {
			vi.setNum(f)
			vi.bits |= bitNumeric
			if isIntegerText(v) {
				vi.bits |= bitInteger
				if v == "0" || v == "1" {
					vi.bool01 = true
				}
			}
			if f >= 0 && (f >= epochMinS && f < epochMaxS || f >= epochMinMS && f < epochMaxMS) && sh.letters == 0 && v[0] != '0' {
				vi.bits |= bitEpoch
			}
			if f >= 0 && f <= 1 {
				vi.bits |= bitPercent01
			}
			if f >= 0 && f <= 100 {
				vi.bits |= bitPercent100
			}
			if sh.digits == n {
				if n == 8 && isCompactDate(v) {
					vi.bits |= bitDate
				}
				if (n >= 12 && vi.bits&bitEpoch == 0) || (n >= 5 && v[0] == '0') {
					vi.bits |= bitIDLike
				}
			}
			if v[0] == '+' && sh.digits >= 7 && sh.digits <= 15 && sh.dots == 0 {
				vi.bits |= bitPhone
			}
			return vi
		}
	}

	if sh.letters == n && n <= 5 && isBoolWord(v) {
		vi.boolWord = true
		vi.bits |= bitBoolean
	}

	// Percentages with a sign ("12.5%", "12.5 %").
	if v[n-1] == '%' && sh.digits > 0 {
		t := strings.TrimSpace(v[:n-1])
		if !isDecimalText(t) {
			return vi
		}
		if f, err := strconv.ParseFloat(t, 64); err == nil {
			vi.setNum(f)
			if f >= 0 && f <= 100 {
				vi.bits |= bitPercent100
			}
			return vi
		}
	}

	if sh.digits > 0 {
		if f, ok := parseMoney(v); ok {
			vi.setNum(f)
			vi.bits |= bitMoney
			return vi
		}
		if isTimestamp(v, sh) {
			vi.bits |= bitTimestamp
			return vi
		}
		if isDate(v, sh) {
			vi.bits |= bitDate
			return vi
		}
	}

	if sh.at == 1 && sh.spaces == 0 && isEmail(v) {
		vi.bits |= bitEmail
		return vi
	}
	if sh.dots > 0 && sh.spaces == 0 && sh.letters > 0 {
		if isURL(v) {
			vi.bits |= bitURL
			return vi
		}
		if isHost(v, true) {
			vi.bits |= bitDomain
			return vi
		}
	} else if sh.colons > 0 && sh.slashes >= 2 && sh.spaces == 0 && isURL(v) {
		vi.bits |= bitURL // "http://localhost:8080/x"
		return vi
	}

	if sh.digits >= 7 && isPhone(v) {
		vi.bits |= bitPhone
		return vi
	}

	if sh.letters == n && (n == 2 || n == 3) {
		if isCurrencyCode(v) {
			vi.bits |= bitCurrency
		}
		if isCountry(v) {
			vi.bits |= bitCountry
		}
		return vi
	}
	if sh.letters > 0 && sh.digits == 0 && sh.at == 0 && sh.colons == 0 && n <= 48 && isCountry(v) {
		vi.bits |= bitCountry
		return vi
	}

	if isIDLike(v, sh) {
		vi.bits |= bitIDLike
	}
	return vi
}

func (vi *valueInfo) setNum(f float64) {
	vi.num = f
	vi.hasNum = true
	vi.fractional = f != math.Trunc(f)
}

// isIntegerText reports whether v is an optional sign and digits.
func isIntegerText(v string) bool {
	if v[0] == '+' || v[0] == '-' {
		v = v[1:]
	}
	if v == "" {
		return false
	}
	for i := 0; i < len(v); i++ {
		if v[i] < '0' || v[i] > '9' {
			return false
		}
	}
	return true
}

// isDecimalText reports whether v is a decimal number: an optional sign,
// digits with at most one '.', and an optional exponent. It keeps
// ParseFloat away from "Inf", "NaN", hex forms and from the error path,
// which allocates.
func isDecimalText(v string) bool {
	i := 0
	if i < len(v) && (v[i] == '+' || v[i] == '-') {
		i++
	}
	digits, dot := 0, false
	for ; i < len(v); i++ {
		c := v[i]
		if c >= '0' && c <= '9' {
			digits++
		} else if c == '.' && !dot {
			dot = true
		} else {
			break
		}
	}
	if digits == 0 {
		return false
	}
	if i == len(v) {
		return true
	}
	if v[i] != 'e' && v[i] != 'E' {
		return false
	}
	i++
	if i < len(v) && (v[i] == '+' || v[i] == '-') {
		i++
	}
	if i == len(v) {
		return false
	}
	for ; i < len(v); i++ {
		if v[i] < '0' || v[i] > '9' {
			return false
		}
	}
	return true
}

func isBoolWord(v string) bool {
	switch len(v) {
	case 1:
		switch v[0] | 0x20 {
		case 't', 'f', 'y', 'n':
			return true
		}
	case 2:
		return strings.EqualFold(v, "no")
	case 3:
		return strings.EqualFold(v, "yes")
	case 4:
		return strings.EqualFold(v, "true")
	case 5:
		return strings.EqualFold(v, "false")
	}
	return false
}

// atoiN parses s as an unsigned decimal of at most 9 digits, or -1.
func atoiN(s string) int {
	if s == "" || len(s) > 9 {
		return -1
	}
	n := 0
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c < '0' || c > '9' {
			return -1
		}
		n = n*10 + int(c-'0')
	}
	return n
}

func validYMD(y, m, d int) bool {
	if y < 1 || m < 1 || m > 12 || d < 1 {
		return false
	}
	return d <= daysIn(y, m)
}

func daysIn(y, m int) int {
	switch m {
	case 2:
		if y%4 == 0 && (y%100 != 0 || y%400 == 0) {
			return 29
		}
		return 28
	case 4, 6, 9, 11:
		return 30
	}
	return 31
}

// isCompactDate reports whether an 8-digit string is YYYYMMDD with a year
// in 1900..2099 (SAP's date format).
func isCompactDate(v string) bool {
	y, m, d := atoiN(v[0:4]), atoiN(v[4:6]), atoiN(v[6:8])
	return y >= 1900 && y <= 2099 && validYMD(y, m, d)
}

// scanISODate reports the length of a YYYY-MM-DD (or YYYY/MM/DD) prefix of
// s, or 0.
func scanISODate(s string) int {
	if len(s) < 10 {
		return 0
	}
	sep := s[4]
	if (sep != '-' && sep != '/' && sep != '.') || s[7] != sep {
		return 0
	}
	y, m, d := atoiN(s[0:4]), atoiN(s[5:7]), atoiN(s[8:10])
	if y < 1000 || !validYMD(y, m, d) {
		return 0
	}
	return 10
}

// scanDMYDate reports the length of a d/m/y or m/d/y prefix of s
// (separators / . or -, one or two digit day and month, two or four
// digit year), or 0. Either reading being valid is enough: the profile
// says "date", deciding the order is the normalizer's job.
func scanDMYDate(s string) int {
	i := 0
	a := 0
	for i < len(s) && i < 2 && s[i] >= '0' && s[i] <= '9' {
		a = a*10 + int(s[i]-'0')
		i++
	}
	if i == 0 || i >= len(s) {
		return 0
	}
	sep := s[i]
	if sep != '/' && sep != '.' && sep != '-' {
		return 0
	}
	i++
	j := i
	b := 0
	for i < len(s) && i-j < 2 && s[i] >= '0' && s[i] <= '9' {
		b = b*10 + int(s[i]-'0')
		i++
	}
	if i == j || i >= len(s) || s[i] != sep {
		return 0
	}
	i++
	j = i
	y := 0
	for i < len(s) && i-j < 4 && s[i] >= '0' && s[i] <= '9' {
		y = y*10 + int(s[i]-'0')
		i++
	}
	switch i - j {
	case 2:
		y += 2000
	case 4:
		if y < 1000 {
			return 0
		}
	default:
		return 0
	}
	if i < len(s) && s[i] >= '0' && s[i] <= '9' {
		return 0
	}
	if validYMD(y, b, a) || validYMD(y, a, b) {
		return i
	}
	return 0
}

func isDate(v string, sh shape) bool {
	if sh.letters > 0 {
		return sh.letters >= 3 && sh.digits <= 6 && isTextualDate(v)
	}
	if n := scanISODate(v); n > 0 && n == len(v) {
		return true
	}
	if n := scanDMYDate(v); n > 0 && n == len(v) {
		return true
	}
	return false
}

var monthPrefixes = [...]string{"jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec"}

func isMonthName(w string) bool {
	if len(w) < 3 || len(w) > 9 {
		return false
	}
	for _, p := range monthPrefixes {
		if strings.EqualFold(w[:3], p) {
			return true
		}
	}
	return false
}

// isTextualDate accepts "5 March 2024", "March 5, 2024", "05-Mar-2024"
// and "Mar 5 2024".
func isTextualDate(v string) bool {
	if len(v) > 24 {
		return false
	}
	var f [3]string
	k, start := 0, -1
	for i := 0; i <= len(v); i++ {
		sep := i == len(v) || v[i] == ' ' || v[i] == ',' || v[i] == '-' || v[i] == '/'
		switch {
		case !sep && start < 0:
			start = i
		case sep && start >= 0:
			if k == 3 {
				return false
			}
			f[k] = v[start:i]
			k++
			start = -1
		}
	}
	if k != 3 {
		return false
	}
	var d, y int
	switch {
	case isMonthName(f[0]):
		d, y = atoiN(f[1]), atoiN(f[2])
	case isMonthName(f[1]):
		d, y = atoiN(f[0]), atoiN(f[2])
	default:
		return false
	}
	if len(f[2]) == 2 {
		y += 2000
	}
	return d >= 1 && d <= 31 && y >= 1000 && y <= 2999
}

// scanClock reports the length of an HH:MM[:SS[.frac]] prefix of s, or 0.
func scanClock(s string) int {
	if len(s) < 5 || s[2] != ':' {
		return 0
	}
	h, m := atoiN(s[0:2]), atoiN(s[3:5])
	if h < 0 || h > 24 || m < 0 || m > 59 {
		return 0
	}
	i := 5
	if len(s) >= 8 && s[5] == ':' {
		sec := atoiN(s[6:8])
		if sec < 0 || sec > 60 {
			return 0
		}
		i = 8
		if i < len(s) && (s[i] == '.' || s[i] == ',') {
			j := i + 1
			for j < len(s) && s[j] >= '0' && s[j] <= '9' {
				j++
			}
			if j == i+1 {
				return 0
			}
			i = j
		}
	}
	return i
}

// scanZone reports whether s is a whole time-zone suffix: Z, +HH, +HHMM,
// +HH:MM (optionally after a space), " UTC", " GMT", " AM"/" PM" with an
// optional zone after it.
func scanZone(s string) bool {
	if s == "" {
		return true
	}
	if s[0] == ' ' {
		s = s[1:]
		if len(s) >= 2 && (strings.EqualFold(s[:2], "am") || strings.EqualFold(s[:2], "pm")) {
			return scanZone(s[2:])
		}
		if strings.EqualFold(s, "utc") || strings.EqualFold(s, "gmt") {
			return true
		}
	}
	switch {
	case s == "Z" || s == "z":
		return true
	case s == "":
		return false
	case s[0] == '+' || s[0] == '-':
		t := s[1:]
		switch len(t) {
		case 2:
			return atoiN(t) >= 0 && atoiN(t) <= 14
		case 4:
			return atoiN(t[:2]) >= 0 && atoiN(t[:2]) <= 14 && atoiN(t[2:]) >= 0 && atoiN(t[2:]) <= 59
		case 5:
			return t[2] == ':' && atoiN(t[:2]) >= 0 && atoiN(t[:2]) <= 14 && atoiN(t[3:]) >= 0 && atoiN(t[3:]) <= 59
		}
	}
	return false
}

// isTimestamp accepts a date (ISO or d/m/y) followed by T or a space, a
// clock time and an optional zone, and the RFC 1123 / RFC 850 forms.
func isTimestamp(v string, sh shape) bool {
	if sh.colons == 0 {
		return false
	}
	n := scanISODate(v)
	if n == 0 {
		n = scanDMYDate(v)
	}
	if n == 0 {
		if sh.letters >= 3 && sh.commas == 1 {
			for _, layout := range [...]string{time.RFC1123Z, time.RFC1123, time.RFC850} {
				if _, err := time.Parse(layout, v); err == nil {
					return true
				}
			}
		}
		return false
	}
	if n >= len(v) || (v[n] != 'T' && v[n] != 't' && v[n] != ' ') {
		return false
	}
	rest := v[n+1:]
	c := scanClock(rest)
	if c == 0 {
		return false
	}
	return scanZone(rest[c:])
}

// isHost reports whether v is a host name with at least two labels and an
// alphabetic top-level domain. With strict, the TLD must be two letters
// (a country code) or a common generic one, so "john.smith" is no domain.
func isHost(v string, strict bool) bool {
	if len(v) < 4 || len(v) > 253 {
		return false
	}
	labels := 0
	start := 0
	for i := 0; i <= len(v); i++ {
		if i < len(v) && v[i] != '.' {
			c := v[i]
			if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '-') {
				return false
			}
			continue
		}
		l := v[start:i]
		if l == "" || len(l) > 63 || l[0] == '-' || l[len(l)-1] == '-' {
			return false
		}
		labels++
		start = i + 1
	}
	if labels < 2 {
		return false
	}
	tld := v[strings.LastIndexByte(v, '.')+1:]
	for i := 0; i < len(tld); i++ {
		c := tld[i] | 0x20
		if c < 'a' || c > 'z' {
			return false
		}
	}
	if len(tld) < 2 {
		return false
	}
	if !strict || len(tld) == 2 {
		return true
	}
	var buf [16]byte
	if len(tld) > len(buf) {
		return false
	}
	for i := 0; i < len(tld); i++ {
		buf[i] = tld[i] | 0x20
	}
	_, ok := commonTLDs[string(buf[:len(tld)])]
	return ok
}

func isEmail(v string) bool {
	at := strings.IndexByte(v, '@')
	if at < 1 || at > 64 || at == len(v)-1 {
		return false
	}
	for i := 0; i < at; i++ {
		c := v[i]
		if c <= ' ' || c == '(' || c == ')' || c == ',' || c == ';' || c == ':' || c == '<' || c == '>' || c == '"' {
			return false
		}
	}
	return isHost(v[at+1:], false)
}

// isURL accepts scheme://host..., www.host... and host/path.
func isURL(v string) bool {
	if i := strings.Index(v, "://"); i > 0 {
		for j := 0; j < i; j++ {
			c := v[j]
			if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || j > 0 && (c >= '0' && c <= '9' || c == '+' || c == '-' || c == '.')) {
				return false
			}
		}
		rest := v[i+3:]
		if rest == "" || strings.ContainsAny(rest, " \t\n") {
			return false
		}
		host := rest
		if k := strings.IndexAny(host, "/?#"); k >= 0 {
			host = host[:k]
		}
		if k := strings.LastIndexByte(host, '@'); k >= 0 {
			host = host[k+1:]
		}
		if k := strings.LastIndexByte(host, ':'); k >= 0 && !strings.Contains(host, "]") {
			host = host[:k]
		}
		return host != "" || strings.EqualFold(v[:i], "file")
	}
	host, hasPath := v, false
	if k := strings.IndexAny(v, "/?#"); k >= 0 {
		host, hasPath = v[:k], true
	}
	if k := strings.LastIndexByte(host, ':'); k >= 0 {
		if atoiN(host[k+1:]) < 0 {
			return false
		}
		host = host[:k]
	}
	if len(host) > 4 && strings.EqualFold(host[:4], "www.") {
		return isHost(host, false)
	}
	return hasPath && isHost(host, true)
}

// isPhone accepts loose international and national forms: digits with
// spaces, dashes, dots or one pair of parentheses, an optional leading +,
// an optional extension ("x12", "ext. 12"); 7 to 15 digits; a separator
// or the + is required, so bare digit strings stay ids or numbers.
func isPhone(v string) bool {
	if i := strings.LastIndexAny(v, "xX"); i > 0 {
		head, ext := v[:i], v[i+1:]
		if head[len(head)-1]|0x20 == 'e' {
			head = head[:len(head)-1]
			if ext == "" || ext[0]|0x20 != 't' {
				return false
			}
			ext = ext[1:]
		}
		ext = strings.TrimSpace(strings.TrimPrefix(strings.TrimSpace(ext), "."))
		if atoiN(ext) < 0 {
			return false
		}
		v = strings.TrimSpace(head)
	}
	if v == "" {
		return false
	}
	digits, seps, dots, open, groups := 0, 0, 0, 0, 0
	lastGroup, cur := 0, 0
	plus := v[0] == '+'
	if plus {
		v = v[1:]
	}
	if v == "" || !(v[0] >= '0' && v[0] <= '9' || v[0] == '(') {
		return false
	}
	parens := false
	for i := 0; i < len(v); i++ {
		c := v[i]
		switch {
		case c >= '0' && c <= '9':
			digits++
			cur++
			continue
		case c == ' ' || c == '-':
			seps++
		case c == '.':
			seps++
			dots++
		case c == '(':
			if parens || open != 0 {
				return false
			}
			open, parens = 1, true
			seps++
		case c == ')':
			if open != 1 {
				return false
			}
			open = 0
			seps++
		default:
			return false
		}
		if cur > 0 {
			groups++
			lastGroup = cur
		}
		cur = 0
	}
	if cur > 0 {
		groups++
		lastGroup = cur
	}
	if open != 0 || digits < 7 || digits > 15 {
		return false
	}
	if !plus && seps == 0 {
		return false
	}
	if digits == 8 && groups == 3 && (len(v) == 10 && v[4] == v[7] || len(v) == 10 && v[2] == v[5]) {
		return false // shaped like a date (NNNN-NN-NN, NN-NN-NNNN), invalid or not
	}
	if dots > 0 && dots == seps && !plus && (groups < 3 || lastGroup < 4) {
		return false // "1.234.567" or an IP address, not a phone
	}
	return true
}

// currencySymbols are prefixes and suffixes that mark a money amount.
var currencySymbols = [...]string{"US$", "R$", "C$", "A$", "$", "€", "£", "¥", "₹", "₩", "₽", "₺", "₪", "₫", "₱", "₦", "฿", "₴", "₡", "zł", "kr", "Fr."}

// parseMoney parses amounts with a currency sign or code ("$1,200",
// "€ 85.000,50", "USD 1200", "1.234,50 EUR") or with thousands grouping
// ("1,234.50", "1.234.567", "1 234,5"); accounting negatives in
// parentheses and a leading minus are accepted. A plain "1200.5" without
// a sign is not money (it is numeric).
func parseMoney(v string) (float64, bool) {
	neg := false
	if len(v) > 2 && v[0] == '(' && v[len(v)-1] == ')' {
		neg, v = true, v[1:len(v)-1]
	}
	if v != "" && v[0] == '-' {
		neg, v = !neg, v[1:]
	}
	marked := false
	if v == "" {
		return 0, false
	}
	if isDigit(v[0]) && isDigit(v[len(v)-1]) {
		// No sign or code can be attached: only grouping makes it money.
		f, grouped, ok := parseGrouped(v)
		if !ok || !grouped {
			return 0, false
		}
		if neg {
			f = -f
		}
		return f, true
	}
	for _, s := range currencySymbols {
		if strings.HasPrefix(v, s) {
			v, marked = v[len(s):], true
			break
		}
		if strings.HasSuffix(v, s) {
			v, marked = v[:len(v)-len(s)], true
			break
		}
	}
	if !marked && len(v) > 4 {
		if c := v[:3]; (v[3] == ' ' || v[3] >= '0' && v[3] <= '9') && isCurrencyCode(c) {
			v, marked = v[3:], true
		} else if c := v[len(v)-3:]; v[len(v)-4] == ' ' && isCurrencyCode(c) {
			v, marked = v[:len(v)-4], true
		}
	}
	v = strings.TrimSpace(v)
	if v != "" && v[0] == '-' {
		neg, v = !neg, v[1:]
	}
	f, grouped, ok := parseGrouped(v)
	if !ok || (!marked && !grouped) {
		return 0, false
	}
	if neg {
		f = -f
	}
	return f, true
}

// parseGrouped parses digits with an optional thousands separator (',',
// '.', ' ', '\” or a no-break space) in groups of three and an optional
// decimal part using the other of ',' and '.'.
func parseGrouped(v string) (f float64, grouped, ok bool) {
	if v == "" || v[0] < '0' || v[0] > '9' {
		return 0, false, false
	}
	var buf [64]byte
	n := 0
	var groupSep string
	var decSep byte
	groupLen := 0
	first := true
	for i := 0; i < len(v); {
		c := v[i]
		if c >= '0' && c <= '9' {
			if n >= len(buf)-1 {
				return 0, false, false
			}
			buf[n] = c
			n++
			groupLen++
			i++
			continue
		}
		sep := v[i : i+1]
		if strings.HasPrefix(v[i:], "\u00a0") || strings.HasPrefix(v[i:], "\u202f") {
			sep = v[i : i+len("\u00a0")]
			if strings.HasPrefix(v[i:], "\u202f") {
				sep = v[i : i+len("\u202f")]
			}
		}
		if decSep != 0 {
			return 0, false, false
		}
		// Is this the decimal separator? It is if it is ',' or '.',
		// differs from the group separator, and only digits follow.
		rest := v[i+len(sep):]
		if (c == '.' || c == ',') && sep != groupSep && allDigits(rest) && rest != "" &&
			(groupSep != "" || len(rest) != 3 || c == '.') {
			if groupSep != "" && groupLen != 3 {
				return 0, false, false
			}
			if first && groupSep == "" && c == ',' && len(rest) == 3 {
				return 0, false, false
			}
			decSep = c
			buf[n] = '.'
			n++
			i += len(sep)
			continue
		}
		if c != ',' && c != '.' && c != ' ' && c != '\'' && len(sep) == 1 {
			return 0, false, false
		}
		if groupSep == "" {
			if groupLen < 1 || groupLen > 3 {
				return 0, false, false
			}
			groupSep = sep
		} else if sep != groupSep || groupLen != 3 {
			return 0, false, false
		}
		first = false
		groupLen = 0
		i += len(sep)
	}
	if groupSep != "" && decSep == 0 && groupLen != 3 {
		return 0, false, false
	}
	f, err := strconv.ParseFloat(string(buf[:n]), 64)
	if err != nil {
		return 0, false, false
	}
	return f, groupSep != "", true
}

func allDigits(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return true
}

// isIDLike accepts UUIDs, 32+ hex digits, Salesforce-style and other
// mixed alphanumeric tokens of 10+ characters, and prefixed ids such as
// "cus_NffrFeUfNV2Hib", "in_1MtHb..." or "INV-00042".
func isIDLike(v string, sh shape) bool {
	n := len(v)
	if sh.spaces > 0 || sh.other > 0 || sh.at > 0 || sh.colons > 0 || sh.slashes > 0 || sh.dots > 0 || sh.commas > 0 || sh.plus > 0 || sh.parens > 0 {
		return false
	}
	if n == 36 && sh.dashes == 4 && sh.hexLetters == sh.letters && v[8] == '-' && v[13] == '-' && v[18] == '-' && v[23] == '-' {
		return true // UUID
	}
	if sh.dashes == 0 && sh.unders == 0 {
		if n >= 16 && sh.hexLetters == sh.letters && sh.letters > 0 && sh.digits > 0 {
			return true // hex: ObjectId, hashes
		}
		// Mixed alphanumerics: Salesforce 15/18, ULIDs, codes.
		return n >= 10 && sh.digits >= 2 && sh.letters >= 2
	}
	// Prefixed: letters, then _ or -, then a token with a digit.
	i := 0
	for i < n && (v[i] >= 'a' && v[i] <= 'z' || v[i] >= 'A' && v[i] <= 'Z') {
		i++
	}
	if i == 0 || i > 10 || i >= n || (v[i] != '_' && v[i] != '-') {
		return false
	}
	rest := v[i+1:]
	return len(rest) >= 4 && sh.digits >= 1 && !strings.ContainsAny(rest[:1], "_-")
}

func isDigit(c byte) bool { return c >= '0' && c <= '9' }
