package canonical

import (
	"encoding/json"
	"math"
	"strconv"
	"strings"

	"github.com/shopspring/decimal"
)

// Limits that keep a hostile number from costing memory: a decimal with
// an exponent of a billion is cheap to hold but not to print.
const (
	maxDigits   = 60
	maxExponent = 40
)

// number is an exact decimal read from text: coef·10^exp, with the sign
// apart. When the digits do not fit a uint64, big holds them as text for
// decimal.NewFromString.
type number struct {
	neg  bool
	coef uint64
	exp  int32
	big  string // set when the coefficient needs more than 19 digits
	pct  bool   // a trailing % sign was read
	cur  string // a currency sign or code written beside the amount
}

// decimal returns n as a decimal.Decimal. It allocates the big.Int the
// decimal holds and nothing else on the common path.
func (n *number) decimal() (decimal.Decimal, bool) {
	if n.big != "" {
		d, err := decimal.NewFromString(n.big)
		if err != nil {
			return decimal.Decimal{}, false
		}
		return d, true
	}
	if n.coef > math.MaxInt64 {
		s := strconv.FormatUint(n.coef, 10)
		if n.neg {
			s = "-" + s
		}
		d, err := decimal.NewFromString(s)
		if err != nil {
			return decimal.Decimal{}, false
		}
		return d.Shift(n.exp), true
	}
	c := int64(n.coef)
	if n.neg {
		c = -c
	}
	return decimal.New(c, n.exp), true
}

// isZero reports whether n is zero.
func (n *number) isZero() bool { return n.big == "" && n.coef == 0 }

// cmpOne compares |n| with 1: -1, 0 or 1.
func (n *number) cmpOne() int {
	if n.big != "" {
		d, ok := n.decimal()
		if !ok {
			return 1
		}
		return d.Abs().Cmp(decimal.NewFromInt(1))
	}
	// coef·10^exp against 1.
	c, e := n.coef, n.exp
	if c == 0 {
		return -1
	}
	for e < 0 && c%10 == 0 {
		c /= 10
		e++
	}
	switch {
	case e > 0:
		return 1
	case e == 0:
		if c == 1 {
			return 0
		} else if c > 1 {
			return 1
		}
		return -1
	default:
		// c·10^e with e < 0 and c not a multiple of 10: compare c with 10^-e.
		p := uint64(1)
		for i := int32(0); i < -e; i++ {
			if p > math.MaxUint64/10 {
				return -1
			}
			p *= 10
		}
		if c > p {
			return 1
		}
		return -1 // c == p is impossible: c is not a multiple of 10
	}
}

// isInteger reports whether n has no fractional part.
func (n *number) isInteger() bool {
	if n.big != "" {
		d, ok := n.decimal()
		return ok && d.IsInteger()
	}
	if n.exp >= 0 || n.coef == 0 {
		return true
	}
	c := n.coef
	for e := n.exp; e < 0; e++ {
		if c%10 != 0 {
			return false
		}
		c /= 10
	}
	return true
}

// int64 returns n as an int64 when it is an integer that fits.
func (n *number) int64() (int64, string) {
	if n.big != "" {
		d, ok := n.decimal()
		if !ok || !d.IsInteger() {
			return 0, "has a fractional part"
		}
		if d.GreaterThan(decimal.NewFromInt(math.MaxInt64)) || d.LessThan(decimal.NewFromInt(math.MinInt64)) {
			return 0, "out of the int64 range"
		}
		return d.IntPart(), ""
	}
	c, e := n.coef, n.exp
	for ; e < 0; e++ {
		if c%10 != 0 {
			return 0, "has a fractional part"
		}
		c /= 10
	}
	for ; e > 0; e-- {
		if c > math.MaxUint64/10 {
			return 0, "out of the int64 range"
		}
		c *= 10
	}
	if n.neg {
		if c > 1<<63 {
			return 0, "out of the int64 range"
		}
		return int64(-c), "" // wraps correctly for c == 1<<63
	}
	if c > math.MaxInt64 {
		return 0, "out of the int64 range"
	}
	return int64(c), ""
}

// numberFromAny reads a number from a Go value as it comes from JSON,
// Mongo, a CSV cell or a driver. Floats are read through their shortest
// exact text ("85000.5"), never by arithmetic on the float.
func numberFromAny(raw any, sep rune, loc *Locale, allowPct bool) (number, string) {
	var buf [32]byte
	switch v := raw.(type) {
	case string:
		return parseNumber(v, sep, loc, allowPct)
	case json.Number:
		return parseNumber(string(v), '.', loc, false)
	case float64:
		if math.IsNaN(v) || math.IsInf(v, 0) {
			return number{}, "not a finite number"
		}
		if v == math.Trunc(v) && v < 1e15 && v > -1e15 {
			return intNumber(int64(v)), "" // an integral float is that integer, exactly
		}
		return parseNumberBytes(strconv.AppendFloat(buf[:0], v, 'f', -1, 64))
	case float32:
		f := float64(v)
		if math.IsNaN(f) || math.IsInf(f, 0) {
			return number{}, "not a finite number"
		}
		return parseNumberBytes(strconv.AppendFloat(buf[:0], f, 'f', -1, 32))
	case int:
		return intNumber(int64(v)), ""
	case int64:
		return intNumber(v), ""
	case int32:
		return intNumber(int64(v)), ""
	case int16:
		return intNumber(int64(v)), ""
	case int8:
		return intNumber(int64(v)), ""
	case uint:
		return number{coef: uint64(v)}, ""
	case uint64:
		return number{coef: v}, ""
	case uint32:
		return number{coef: uint64(v)}, ""
	case uint16:
		return number{coef: uint64(v)}, ""
	case uint8:
		return number{coef: uint64(v)}, ""
	case decimal.Decimal:
		s := v.String()
		if e := v.Exponent(); e < 0 {
			s = v.StringFixed(-e)
		}
		return parseNumber(s, '.', loc, false)
	case Decimal:
		return numberFromAny(v.Decimal, sep, loc, allowPct)
	case *decimal.Decimal:
		if v == nil {
			return number{}, "null"
		}
		return numberFromAny(*v, sep, loc, allowPct)
	case bool:
		return number{}, "a boolean where a number was expected"
	}
	if b, ok := basicValue(raw); ok {
		if b == nil {
			return number{}, "null"
		}
		return numberFromAny(b, sep, loc, allowPct)
	}
	if s, ok := textOf(raw); ok {
		return parseNumber(s, sep, loc, allowPct)
	}
	return number{}, kindMismatch(raw, "a number")
}

func intNumber(v int64) number {
	if v < 0 {
		return number{neg: true, coef: uint64(-v)} // -MinInt64 wraps to 1<<63, which is right as uint64
	}
	return number{coef: uint64(v)}
}

// parseNumberBytes reads the output of strconv.AppendFloat without
// copying it into a string.
func parseNumberBytes(b []byte) (number, string) {
	var n number
	i := 0
	if len(b) > 0 && b[0] == '-' {
		n.neg = true
		i = 1
	}
	frac := false
	digits := 0
	for ; i < len(b); i++ {
		c := b[i]
		if c == '.' {
			frac = true
			continue
		}
		if c < '0' || c > '9' {
			return n, "not a number"
		}
		if n.coef == 0 && c == '0' {
			if frac {
				n.exp--
			}
			continue
		}
		digits++
		if digits > 19 {
			if digits > maxDigits {
				return n, "too many digits"
			}
			return parseNumber(string(b), '.', nil, false)
		}
		n.coef = n.coef*10 + uint64(c-'0')
		if frac {
			n.exp--
		}
	}
	if n.exp < -maxExponent {
		return n, "out of range"
	}
	return n, ""
}

func isGroupRune(r rune) bool {
	return r == ' ' || r == '\u00a0' || r == '\u202f' || r == '\'' || r == '’' || r == '\u2009'
}

// parseNumber reads an amount written by a person or a system: signs,
// parentheses and trailing minus for negatives, a currency sign or code
// before or after, grouping, a decimal point or comma (see
// [Locale.DecimalSeparator]), a trailing % when allowPct, and e-notation
// when the text has no grouping. A reason is returned when the text is
// not a number; it is constant text, so the good path allocates nothing.
func parseNumber(s string, sep rune, loc *Locale, allowPct bool) (number, string) {
	var n number
	s = strings.TrimSpace(s)
	if s == "" {
		return n, "null"
	}
	if sep == 0 && loc != nil {
		sep = loc.DecimalSeparator
	}
	if sep != ',' {
		if n, ok := fastDecimal(s); ok {
			return n, ""
		}
	}
	signs := 0
	// Peel signs, parentheses, currency and % from both ends.
	for range 6 {
		before := len(s)
		if len(s) >= 2 && s[0] == '(' && s[len(s)-1] == ')' {
			signs++
			s = strings.TrimSpace(s[1 : len(s)-1])
		}
		if s == "" {
			break
		}
		switch s[0] {
		case '-':
			signs++
			s = strings.TrimSpace(s[1:])
		case '+':
			s = strings.TrimSpace(s[1:])
		}
		if strings.HasPrefix(s, "−") { // U+2212 minus sign
			signs++
			s = strings.TrimSpace(s[len("−"):])
		}
		if s == "" {
			break
		}
		switch s[len(s)-1] {
		case '-':
			signs++ // SAP writes negatives as 1234.50-
			s = strings.TrimSpace(s[:len(s)-1])
		case '%':
			if !allowPct || n.pct {
				return n, "unexpected %"
			}
			n.pct = true
			s = strings.TrimSpace(s[:len(s)-1])
		}
		if s == "" {
			break
		}
		if c := s[0]; c < '0' || c > '9' {
			if c != '.' && c != ',' && c != '(' && c != '-' && c != '+' {
				end := 0
				for end < len(s) && !strings.ContainsRune("0123456789.,+-( ", rune(s[end])) {
					end++
				}
				if reason := n.setCurrency(s[:end], loc); reason != "" {
					return n, reason
				}
				s = strings.TrimSpace(s[end:])
			}
		}
		if s == "" {
			break
		}
		if c := s[len(s)-1]; c < '0' || c > '9' {
			if c != '.' && c != ',' && c != ')' && c != '-' && c != '%' {
				start := len(s)
				for start > 0 && !strings.ContainsRune("0123456789.,-)% ", rune(s[start-1])) {
					start--
				}
				if reason := n.setCurrency(s[start:], loc); reason != "" {
					return n, reason
				}
				s = strings.TrimSpace(s[:start])
			}
		}
		if len(s) == before {
			break
		}
	}
	if signs > 1 {
		return n, "more than one sign"
	}
	n.neg = signs == 1
	if s == "" {
		return n, "no digits"
	}
	switch sep {
	case '.', ',':
		return n.digits(s, byte(sep))
	default:
		m, reason := n.digits(s, '.')
		if reason == "" {
			return m, ""
		}
		if m2, reason2 := n.digits(s, ','); reason2 == "" {
			return m2, ""
		}
		return m, reason
	}
}

// fastDecimal reads the common plain forms, "-1234.50" and "1,234.50",
// in one pass over the bytes. ok is false for anything else (and for
// more than 19 digits), which then takes the general path; where both
// read a text they agree.
func fastDecimal(s string) (n number, ok bool) {
	i := 0
	if s[0] == '-' {
		n.neg = true
		i = 1
	}
	start := i
	digits, first, groupLen := 0, 0, -1
	seenDot := false
	for ; i < len(s); i++ {
		c := s[i]
		switch {
		case c >= '0' && c <= '9':
			digits++
			if digits > 19 {
				return number{}, false
			}
			n.coef = n.coef*10 + uint64(c-'0')
			switch {
			case seenDot:
				n.exp--
			case groupLen >= 0:
				groupLen++
			default:
				first++
			}
		case c == '.':
			if seenDot || groupLen >= 0 && groupLen != 3 {
				return number{}, false
			}
			seenDot = true
		case c == ',':
			if seenDot || groupLen >= 0 && groupLen != 3 || groupLen < 0 && (first == 0 || first > 3 || s[start] == '0') {
				return number{}, false
			}
			groupLen = 0
		default:
			return number{}, false
		}
	}
	if digits == 0 || groupLen >= 0 && !seenDot && groupLen != 3 {
		return number{}, false
	}
	return n, true
}

// setCurrency records a currency sign or code written beside an amount.
func (n *number) setCurrency(tok string, loc *Locale) string {
	if tok == "" {
		return "unexpected text"
	}
	if n.cur != "" {
		return "more than one currency"
	}
	if _, ambiguous, ok := lookupCurrency(tok, loc); !ok && !ambiguous {
		return "unexpected text " + strconv.Quote(cut(tok, 16))
	}
	n.cur = tok
	return ""
}

// digits reads the body of a number with dec as its decimal separator.
// The other of '.' and ',' and the spacing characters group thousands;
// every group after the first has three digits (or two, in the Indian
// 1,23,456 form), and only one kind of grouping may appear.
func (n number) digits(s string, dec byte) (number, string) {
	grp := byte(',')
	if dec == ',' {
		grp = '.'
	}
	var (
		seenDec    bool
		groupRune  rune // the grouping character in use, 0 before the first
		groupLen   = -1 // digits in the current group; -1 before the first separator
		firstGroup = 0
		twoGroups  bool // an Indian 2-digit group was seen
		sig        = 0  // significant digits
		nd         = 0  // digits of any kind
		expPart    = -1 // index where an exponent starts
	)
	for i, r := range s {
		switch {
		case r >= '0' && r <= '9':
			nd++
			if !seenDec {
				if groupLen < 0 {
					firstGroup++
				} else {
					groupLen++
				}
			}
			if n.coef == 0 && r == '0' && sig == 0 {
				if seenDec {
					n.exp--
				}
				continue
			}
			sig++
			if sig > 19 {
				if sig > maxDigits {
					return n, "too many digits"
				}
				continue // counted; rebuilt below as text
			}
			n.coef = n.coef*10 + uint64(r-'0')
			if seenDec {
				n.exp--
			}
		case r == rune(dec):
			if seenDec {
				return n, "more than one decimal separator"
			}
			if groupLen >= 0 && groupLen != 3 {
				return n, "misplaced digit grouping"
			}
			seenDec = true
		case r == rune(grp) || isGroupRune(r):
			if seenDec {
				return n, "digit grouping after the decimal separator"
			}
			if groupRune != 0 && groupRune != r {
				return n, "mixed digit grouping"
			}
			groupRune = r
			if groupLen < 0 {
				if firstGroup == 0 || firstGroup > 3 || (s[0] == '0' && firstGroup > 0) {
					return n, "misplaced digit grouping"
				}
			} else if groupLen == 2 {
				twoGroups = true
			} else if groupLen != 3 || twoGroups {
				return n, "misplaced digit grouping"
			}
			groupLen = 0
		case (r == 'e' || r == 'E') && dec == '.' && groupRune == 0 && nd > 0:
			expPart = i
		default:
			return n, "not a number"
		}
		if expPart >= 0 {
			break
		}
	}
	if expPart >= 0 {
		e, err := strconv.Atoi(s[expPart+1:])
		if err != nil || e > 1000 || e < -1000 {
			return n, "bad exponent"
		}
		n.exp += int32(e)
	}
	if nd == 0 {
		return n, "no digits"
	}
	if groupLen >= 0 && !seenDec && groupLen != 3 {
		return n, "misplaced digit grouping"
	}
	if n.exp < -maxExponent || n.exp > maxExponent {
		return n, "out of range"
	}
	if sig > 19 {
		// Rebuild the plain text and let the decimal library read it.
		var b strings.Builder
		if n.neg {
			b.WriteByte('-')
		}
		body := s
		if expPart >= 0 {
			body = s[:expPart]
		}
		for _, r := range body {
			switch {
			case r >= '0' && r <= '9':
				b.WriteRune(r)
			case r == rune(dec):
				b.WriteByte('.')
			}
		}
		if expPart >= 0 {
			b.WriteString(s[expPart:])
		}
		n.big = b.String()
		n.coef = 0
		n.exp = 0
	}
	return n, ""
}
