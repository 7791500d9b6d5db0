package redact

import (
	"net/netip"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/nyaruka/phonenumbers"
)

// Byte classes for the hand-written scanners.
const (
	cDigit  = 1 << iota // 0-9
	cUpper              // A-Z
	cLower              // a-z
	cHex                // 0-9 a-f A-F
	cLocal              // e-mail local part: alnum . _ % + -
	cDomain             // e-mail domain: alnum . -
	cSep                // number separators inside a run: space - . ( )
)

var class [256]uint8

func init() {
	for c := 0; c < 256; c++ {
		var k uint8
		switch {
		case c >= '0' && c <= '9':
			k |= cDigit | cHex | cLocal | cDomain
		case c >= 'A' && c <= 'Z':
			k |= cUpper | cLocal | cDomain
			if c <= 'F' {
				k |= cHex
			}
		case c >= 'a' && c <= 'z':
			k |= cLower | cLocal | cDomain
			if c <= 'f' {
				k |= cHex
			}
		}
		switch c {
		case '.', '-':
			k |= cLocal | cDomain
		case '_', '%', '+':
			k |= cLocal
		}
		switch c {
		case ' ', '-', '.', '(', ')':
			k |= cSep
		}
		class[c] = k
	}
}

func isDigit(c byte) bool { return class[c]&cDigit != 0 }
func isAlnum(c byte) bool { return class[c]&(cDigit|cUpper|cLower) != 0 }
func isWord(c byte) bool  { return isAlnum(c) || c == '_' }

// findEmails appends e-mail spans: every '@' is expanded to a local part
// on its left and a dotted domain with an alphabetic TLD on its right.
func findEmails(s string, out []Span) []Span {
	i := 0
	for i < len(s) {
		k := strings.IndexByte(s[i:], '@')
		if k < 0 {
			break
		}
		at := i + k
		i = at + 1
		l := at
		for l > 0 && at-l <= 64 {
			if class[s[l-1]]&cLocal != 0 {
				l--
				continue
			}
			if s[l-1] < utf8.RuneSelf {
				break
			}
			// Internationalized addresses (RFC 6531): letters and digits
			// beyond ASCII, not punctuation such as curly quotes.
			r, size := utf8.DecodeLastRuneInString(s[:l])
			if !unicode.IsLetter(r) && !unicode.IsDigit(r) {
				break
			}
			l -= size
		}
		if at-l > 64 {
			continue // local part too long (RFC 5321): not an address
		}
		for l < at && (s[l] == '.' || s[l] == '-' || s[l] == '+') {
			l++
		}
		if l == at || s[at-1] == '.' || strings.Contains(s[l:at], "..") {
			continue
		}
		e := at + 1
		for e < len(s) && e-at <= 254 {
			if class[s[e]]&cDomain != 0 {
				e++
				continue
			}
			if s[e] < utf8.RuneSelf {
				break
			}
			r, size := utf8.DecodeRuneInString(s[e:])
			if !unicode.IsLetter(r) && !unicode.IsDigit(r) {
				break
			}
			e += size
		}
		if e < len(s) && e-at > 254 || e < len(s) && s[e] == '@' {
			continue // domain too long, or a second '@'
		}
		for e > at+1 && (s[e-1] == '.' || s[e-1] == '-') {
			e--
		}
		if !validDomain(s[at+1 : e]) {
			continue
		}
		out = append(out, Span{Type: Email, Start: l, End: e, norm: strings.ToLower(s[l:e])})
		i = e
	}
	return out
}

// validDomain reports whether d is at least two dot-separated labels of
// 1-63 letters, digits and inner hyphens, ending in an alphabetic TLD.
func validDomain(d string) bool {
	if len(d) < 4 || len(d) > 253 {
		return false
	}
	labels := 0
	start := 0
	for i := 0; i <= len(d); i++ {
		if i < len(d) && d[i] != '.' {
			continue
		}
		lab := d[start:i]
		if len(lab) == 0 || len(lab) > 63 || lab[0] == '-' || lab[len(lab)-1] == '-' {
			return false
		}
		labels++
		start = i + 1
	}
	if labels < 2 {
		return false
	}
	tld := d[strings.LastIndexByte(d, '.')+1:]
	if len(tld) < 2 {
		return false
	}
	for i := 0; i < len(tld); i++ {
		if class[tld[i]]&(cUpper|cLower) == 0 {
			return false
		}
	}
	return true
}

// findIPv6 appends IPv6 spans: around each ':' the longest run of hex
// digits, colons and dots is cut out and validated with net/netip.
func findIPv6(s string, out []Span) []Span {
	const maxLen = 45 // "ffff:ffff:ffff:ffff:ffff:ffff:255.255.255.255"
	i := 0
	for i < len(s) {
		k := strings.IndexByte(s[i:], ':')
		if k < 0 {
			break
		}
		at := i + k
		i = at + 1
		l := at
		for l > 0 && at-l < maxLen && (class[s[l-1]]&cHex != 0 || s[l-1] == ':' || s[l-1] == '.') {
			l--
		}
		r := at + 1
		for r < len(s) && r-l <= maxLen && (class[s[r]]&cHex != 0 || s[r] == ':' || s[r] == '.') {
			r++
		}
		if r-l > maxLen || (l > 0 && at-l >= maxLen) {
			i = r
			continue
		}
		// A single leading or trailing colon belongs to the prose
		// ("IP:2001:db8::1", "at 2001:db8::1: done"); dots too.
		for l < at && s[l] == '.' {
			l++
		}
		if l+1 < r && s[l] == ':' && s[l+1] != ':' {
			l++
		}
		for r > l && s[r-1] == '.' {
			r--
		}
		if r-1 > l && s[r-1] == ':' && s[r-2] != ':' {
			r--
		}
		// A placeholder's brackets are no boundary: "]::0" is what is left
		// of "0.0.0.0::0" once the IPv4 is masked.
		if (l > 0 && (isWord(s[l-1]) || s[l-1] == '.' || s[l-1] == ':' || s[l-1] == ']')) || (r < len(s) && (isWord(s[r]) || s[r] == ':' || s[r] == '@' || s[r] == '[')) {
			i = max(i, r)
			continue
		}
		cand := s[l:r]
		if strings.Count(cand, ":") < 2 || !strings.ContainsAny(cand, "0123456789") {
			i = max(i, r)
			continue
		}
		a, err := netip.ParseAddr(cand)
		if err != nil || !a.Is6() {
			i = max(i, r)
			continue
		}
		out = append(out, Span{Type: IPv6, Start: l, End: r, norm: a.String()})
		i = max(i, r)
	}
	return out
}

// blockedLeft reports whether a number starting at i continues a word or
// an identifier ("ORD-2026", "INV#12", "v1.2", "$1200").
func blockedLeft(s string, i int) bool {
	if i == 0 {
		return false
	}
	p := s[i-1]
	if isWord(p) || p == '$' || p == '@' || p == '+' || p == '/' || p == '\\' || p == '#' || p == '&' || p == '=' {
		return true
	}
	if (p == '-' || p == '.' || p == ',') && i >= 2 && isWord(s[i-2]) {
		return true
	}
	return false
}

// blockedRight reports whether a number ending at e continues into a word,
// a unit or a longer figure ("12kg", "1,200", "45%", "11/22").
func blockedRight(s string, e int) bool {
	if e >= len(s) {
		return false
	}
	c := s[e]
	if isWord(c) || c == '/' || c == '%' || c == '@' || c == '\\' || c == '+' {
		return true
	}
	if (c == ',' || c == '.' || c == '-') && e+1 < len(s) && isWord(s[e+1]) {
		return true
	}
	return false
}

// numeric scans digit runs (numbers, cards, SSNs, phones, IPv4) and IBANs
// in one pass over s.
func (r *Redactor) findNumeric(s string, out []Span) []Span {
	n := len(s)
	i := 0
	for i < n {
		c := s[i]
		k := class[c]
		if k&(cDigit|cUpper|cLower) == 0 && c != '+' && c != '(' {
			i++
			continue
		}
		if k&(cUpper|cLower) != 0 {
			// A word: try an IBAN at its start, then skip it (digits glued
			// to letters are no candidates anyway).
			if r.want[IBAN] && i+4 <= n && class[s[i+1]]&(cUpper|cLower) != 0 && isDigit(s[i+2]) && isDigit(s[i+3]) && (i == 0 || !isWord(s[i-1])) {
				e, norm, ok := matchIBAN(s, i)
				if ok {
					out = append(out, Span{Type: IBAN, Start: i, End: e, norm: norm})
				}
				if e > i {
					// Valid or IBAN-shaped with a bad checksum: either
					// way its digits are no card or phone.
					i = e
					continue
				}
			}
			i++
			for i < n && isWord(s[i]) {
				i++
			}
			continue
		}
		if c == '+' || c == '(' {
			if i+1 >= n || !isDigit(s[i+1]) || (c == '+' && i > 0 && isWord(s[i-1])) {
				i++
				continue
			}
		}
		if c != '+' && blockedLeft(s, i) {
			// Skip the rest of this word so each digit is not retried.
			i++
			for i < n && isWord(s[i]) {
				i++
			}
			continue
		}
		e := runEnd(s, i)
		if blockedRight(s, e) {
			i = e
			for i < n && isWord(s[i]) {
				i++
			}
			continue
		}
		if sp, ok := r.classify(s, i, e); ok {
			out = append(out, sp)
		} else if strings.IndexByte(s[i:e], ' ') >= 0 {
			out = r.splitRun(s, i, e, out)
		}
		i = e
	}
	return out
}

// runEnd returns the end of the number run starting at i: digits joined
// by at most two separators (space - . ( )) that are followed by a digit.
func runEnd(s string, i int) int {
	n := len(s)
	j := i
	if s[j] == '+' || s[j] == '(' {
		j++
	}
	for j < n {
		if isDigit(s[j]) {
			j++
			continue
		}
		k := j
		for k < n && k-j < 2 && class[s[k]]&cSep != 0 {
			k++
		}
		if k == j || k >= n || !isDigit(s[k]) {
			break
		}
		if k-j == 2 && s[j] == s[j+1] {
			break // "  " or "--" ends the run
		}
		j = k
	}
	// A closing parenthesis right after the digits ("(555)") is kept
	// only if the run opened one.
	return j
}

// splitRun retries a run that is not one entity as whitespace-separated
// tokens: the longest window of up to 8 tokens that classifies wins.
func (r *Redactor) splitRun(s string, a, b int, out []Span) []Span {
	var sbuf, ebuf [32]int
	starts, ends := sbuf[:0], ebuf[:0]
	for p := a; p < b; {
		q := p
		for q < b && s[q] != ' ' {
			q++
		}
		starts, ends = append(starts, p), append(ends, q)
		p = q + 1
	}
	nt := len(starts)
	// A card may not start right after digits that are left in the text
	// ("AT49 8122 5117 9225 3987": 12 trailing digits pass Luhn one time
	// in ten); after a detected value, the text restarts as after a word.
	fresh := true
	for t := 0; t < nt; {
		found := false
		for u := min(nt-1, t+7); u >= t; u-- {
			if u == t && ends[t]-starts[t] < 3 {
				break
			}
			if sp, ok := r.classify(s, starts[t], ends[u]); ok && (sp.Type != Card || fresh) {
				out = append(out, sp)
				t = u + 1
				found = true
				break
			}
		}
		fresh = found
		if !found {
			t++
		}
	}
	return out
}

// shape describes a number run: its digits, the length of each group and
// which separators occur.
type shape struct {
	digits  [40]byte
	nd      int
	groups  [24]uint8
	ng      int
	plus    bool
	paren   bool
	space   bool
	dash    bool
	dot     bool
	tooLong bool
}

func shapeOf(t string) shape {
	var sh shape
	inGroup := false
	for j := 0; j < len(t); j++ {
		c := t[j]
		if isDigit(c) {
			if sh.nd == len(sh.digits) {
				sh.tooLong = true
				return sh
			}
			sh.digits[sh.nd] = c
			sh.nd++
			if !inGroup {
				if sh.ng == len(sh.groups) {
					sh.tooLong = true
					return sh
				}
				sh.ng++
				inGroup = true
			}
			sh.groups[sh.ng-1]++
			continue
		}
		inGroup = false
		switch c {
		case '+':
			sh.plus = true
		case '(', ')':
			sh.paren = true
		case ' ':
			sh.space = true
		case '-':
			sh.dash = true
		case '.':
			sh.dot = true
		}
	}
	return sh
}

func (sh *shape) groupsAre(g ...uint8) bool {
	if sh.ng != len(g) {
		return false
	}
	for i := range g {
		if sh.groups[i] != g[i] {
			return false
		}
	}
	return true
}

// classify decides what s[a:b] is, if anything: IPv4, SSN, card or phone.
func (r *Redactor) classify(s string, a, b int) (Span, bool) {
	if s[a] == '(' && strings.IndexByte(s[a:b], ')') < 0 {
		a++ // "(4111...)": the parenthesis belongs to the prose
	}
	t := s[a:b]
	if t[len(t)-1] == ')' || t[len(t)-1] == '(' {
		return Span{}, false
	}
	sh := shapeOf(t)
	if sh.tooLong || sh.nd < 7 && !(sh.dot && sh.ng == 4) {
		return Span{}, false
	}
	d := sh.digits[:sh.nd]
	if sh.plus {
		if r.want[Phone] {
			if norm, ok := r.phone(t, nil, &sh); ok {
				return Span{Type: Phone, Start: a, End: b, norm: norm}, true
			}
		}
		return Span{}, false
	}
	if sh.dot && !sh.space && !sh.dash && !sh.paren && sh.ng == 4 {
		if r.want[IPv4] && sh.groups[0] <= 3 && sh.groups[1] <= 3 && sh.groups[2] <= 3 && sh.groups[3] <= 3 {
			if ip, err := netip.ParseAddr(t); err == nil && ip.Is4() {
				return Span{Type: IPv4, Start: a, End: b, norm: ip.String()}, true
			}
		}
		return Span{}, false
	}
	if r.want[SSN] && sh.nd == 9 && !sh.paren && !sh.dot {
		if (sh.groupsAre(3, 2, 4) && sh.dash != sh.space) || (sh.ng == 1 && contextBefore(s, a, ssnWords)) {
			if validSSN(d) {
				return Span{Type: SSN, Start: a, End: b, norm: string(d)}, true
			}
			return Span{}, false
		}
	}
	if r.want[Card] && sh.nd >= 12 && sh.nd <= 19 && !sh.paren && !sh.dot && !(sh.space && sh.dash) && cardGroups(&sh) {
		if cardPrefix(d) && luhn(d) {
			return Span{Type: Card, Start: a, End: b, norm: string(d)}, true
		}
	}
	if r.want[Phone] && sh.nd >= 7 && sh.nd <= 15 {
		if norm, ok := r.phone(t, d, &sh); ok {
			if sh.ng > 1 || sh.paren || contextBefore(s, a, phoneWords) {
				return Span{Type: Phone, Start: a, End: b, norm: norm}, true
			}
		}
	}
	return Span{}, false
}

// cardGroups accepts a contiguous number or the printed groupings of
// card numbers (4-4-4-4, 4-6-5, 4-4-4-4-3, ...): groups of 4 to 6 digits,
// the last one 1 to 6.
func cardGroups(sh *shape) bool {
	if sh.ng == 1 {
		return true
	}
	for i := 0; i < sh.ng-1; i++ {
		if sh.groups[i] < 4 || sh.groups[i] > 6 {
			return false
		}
	}
	return sh.groups[sh.ng-1] >= 1 && sh.groups[sh.ng-1] <= 6
}

// cardPrefix accepts the issuer ranges of the payment networks (2221-2720
// and 51-55 Mastercard, 3x Amex/Diners/JCB, 4 Visa, 5x/6x Maestro,
// Discover, UnionPay).
func cardPrefix(d []byte) bool {
	switch d[0] {
	case '3', '4', '5', '6':
		return true
	case '2':
		p := ((int(d[0]-'0')*10+int(d[1]-'0'))*10+int(d[2]-'0'))*10 + int(d[3]-'0')
		return p >= 2221 && p <= 2720
	}
	return false
}

// phone validates a phone candidate with libphonenumber. International
// numbers (leading + or 00) are validated as such; national numbers need a
// grouping typical of the configured regions. The common cases build the
// number from the digits already scanned and only ask libphonenumber
// whether it is valid (its string parser is the slow part).
func (r *Redactor) phone(t string, d []byte, sh *shape) (string, bool) {
	if sh.plus || len(d) > 1 && d[0] == '0' && d[1] == '0' {
		if sh.nd < 8 {
			return "", false
		}
		intl := string(sh.digits[:sh.nd])
		if !sh.plus {
			intl = intl[2:]
		}
		if norm, ok, decided := validIntl(intl); decided {
			return norm, ok
		}
		num := t
		if !sh.plus {
			num = "+" + intl
		}
		return parsePhone(num, "ZZ")
	}
	if d[0] == '1' && sh.nd == 11 || d[0] != '0' && sh.nd == 10 {
		// North American plan: 3-3-4, (3) 3-4, 1-3-3-4 or contiguous.
		ok := sh.ng == 1 || sh.groupsAre(3, 3, 4) || sh.groupsAre(1, 3, 3, 4) || sh.groupsAre(3, 7) || sh.groupsAre(1, 3, 7)
		if ok && r.nanp {
			if validNational(1, d[len(d)-10:], r.nanpRegion) {
				return "+1" + string(d[len(d)-10:]), true
			}
		}
	}
	if d[0] == '0' && len(r.otherRegions) > 0 && (sh.ng > 1 || sh.paren) {
		for _, reg := range r.otherRegions {
			if norm, ok := parsePhone(t, reg); ok {
				return norm, true
			}
		}
	}
	return "", false
}

// validIntl validates digits that follow a + as country code and national
// number. decided is false when the national number starts with 0 (a
// trunk prefix or an Italian leading zero), which parsePhone handles.
func validIntl(digits string) (norm string, ok, decided bool) {
	for n := 1; n <= 3 && n < len(digits); n++ {
		cc := 0
		for _, c := range digits[:n] {
			cc = cc*10 + int(c-'0')
		}
		region := phonenumbers.GetRegionCodeForCountryCode(cc)
		if region == phonenumbers.UNKNOWN_REGION {
			continue
		}
		national := digits[n:]
		if national[0] == '0' {
			return "", false, false
		}
		if len(national) > 14 {
			return "", false, true
		}
		if cc == 1 {
			region = ""
		}
		return "+" + digits, validNational(cc, []byte(national), region), true
	}
	return "", false, true
}

// validNational reports whether national is a valid number for the
// country code: for region first when given, then for every region that
// shares the code (what libphonenumber's IsValidNumber does).
func validNational(cc int, national []byte, region string) bool {
	nsn := string(national)
	if region != "" {
		if v := validatorFor(region); v != nil && v.valid(nsn) {
			return true
		}
	}
	for _, reg := range phonenumbers.GetRegionCodesForCountryCode(cc) {
		if reg == region {
			continue
		}
		v := validatorFor(reg)
		if v == nil {
			// Non-geographic codes: ask the library.
			var nn uint64
			for i := 0; i < len(national); i++ {
				nn = nn*10 + uint64(national[i]-'0')
			}
			cc32 := int32(cc)
			if phonenumbers.IsValidNumber(&phonenumbers.PhoneNumber{CountryCode: &cc32, NationalNumber: &nn}) {
				return true
			}
			continue
		}
		if v.valid(nsn) {
			return true
		}
	}
	return false
}

func parsePhone(t, region string) (string, bool) {
	var pn phonenumbers.PhoneNumber
	if err := phonenumbers.ParseToNumber(t, region, &pn); err != nil {
		return "", false
	}
	if !phonenumbers.IsValidNumber(&pn) {
		return "", false
	}
	return phonenumbers.Format(&pn, phonenumbers.E164), true
}

var (
	ssnWords   = []string{"ssn", "social security", "soc sec", "taxpayer"}
	phoneWords = []string{"phone", "tel", "call", "mobile", "cell", "fax", "text me", "whatsapp", "sms"}
)

// contextBefore reports whether one of words occurs (case-insensitively)
// in the 32 bytes before a, after any placeholder.
func contextBefore(s string, a int, words []string) bool {
	var buf [32]byte
	lo := max(0, a-len(buf))
	if k := strings.LastIndexByte(s[lo:a], ']'); k >= 0 {
		lo += k + 1 // a placeholder ("[PHONE_1]") is no context
	}
	w := buf[:a-lo]
	for i := range w {
		c := s[lo+i]
		if c >= 'A' && c <= 'Z' {
			c += 'a' - 'A'
		}
		w[i] = c
	}
	for _, word := range words {
		if strings.Contains(string(w), word) {
			return true
		}
	}
	return false
}
