package canonical

import (
	"encoding"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"reflect"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/nyaruka/phonenumbers"
	"github.com/shopspring/decimal"
)

// PercentScale says whether a percent field's source writes 35% as 0.35
// or as 35.
type PercentScale uint8

// The percent scales.
const (
	// ScaleAuto decides from the value alone: above 1 (or with a % sign)
	// it is 0..100, between 0 and 1 exclusive it is 0..1, 0 is 0, and
	// exactly 1 is ambiguous. A batch decides better: see
	// [InferPercentScale] and [Normalizer.Calibrate].
	ScaleAuto PercentScale = iota
	// ScaleFraction reads 0.35 as 35%.
	ScaleFraction
	// ScaleHundred reads 35 as 35%.
	ScaleHundred
)

// String returns "auto", "0..1" or "0..100".
func (s PercentScale) String() string {
	switch s {
	case ScaleFraction:
		return "0..1"
	case ScaleHundred:
		return "0..100"
	}
	return "auto"
}

// reasonNull is the reason the internal normalizers give for null input.
const reasonNull = "null"

// reasonAmbiguousDate is the reason for a day/month date that has two
// readings and no declared order.
const reasonAmbiguousDate = "day and month can be read either way round: declare a date order"

// normCtx carries what a normalizer needs beyond the raw value, and
// collects the canonical text of the value for the event id.
type normCtx struct {
	loc       *Locale
	region    string       // phone region for this record
	scale     PercentScale // percent scale for this field
	text      bool         // append the canonical text to buf
	buf       []byte
	t         time.Time // the instant of the last timestamp read
	wantTime  bool      // set t even on the canonical fast path
	ambiguous bool      // the failure is an ambiguity, not a bad value
}

func (c *normCtx) addString(s string) {
	if c.text {
		c.buf = append(c.buf, s...)
	}
}

// normFunc normalizes one raw value. It returns the canonical value, or
// nil and a reason ("null" for null input).
type normFunc func(raw any, c *normCtx) (any, string)

var normFuncs = map[ValueType]normFunc{
	TypeString:    normString,
	TypeInteger:   normInteger,
	TypeDecimal:   normDecimal,
	TypeBoolean:   normBoolean,
	TypeDate:      normDate,
	TypeTimestamp: normTimestamp,
	TypeEmail:     normEmail,
	TypePhone:     normPhone,
	TypeDomain:    normDomain,
	TypeCurrency:  normCurrency,
	TypeCountry:   normCountry,
	TypePercent:   normPercent,
}

// strFunc normalizes one value that the source gave as text, such as a
// CSV cell, without boxing it. boxed is s already boxed by the caller
// (a value from a map[string]any), or nil: a value that is s unchanged
// returns boxed when it is set, so that it costs no allocation. For
// every string s, strFuncs[t](s, nil, c) and normFuncs[t](s, c) give
// the same value and reason.
type strFunc func(s string, boxed any, c *normCtx) (any, string)

var strFuncs = map[ValueType]strFunc{
	TypeString:    normStringText,
	TypeInteger:   normIntegerText,
	TypeDecimal:   normDecimalText,
	TypeBoolean:   normBooleanText,
	TypeDate:      normDateText,
	TypeTimestamp: normTimestampText,
	TypeEmail:     textOnly(normEmailText),
	TypePhone:     textOnly(normPhoneText),
	TypeDomain:    textOnly(normDomainText),
	TypeCurrency:  textOnly(normCurrencyText),
	TypeCountry:   textOnly(normCountryText),
	TypePercent:   normPercentText,
}

// keep returns boxed when it is set, else s boxed.
func keep(s string, boxed any) any {
	if boxed != nil {
		return boxed
	}
	return s
}

// NormalizeValue normalizes raw to the canonical value of type t (see
// the package documentation for the Go type of each). Null input (nil,
// "", blank, "null") yields nil and no error. A value that cannot be
// normalized yields a [*ValueError]. Percentages are read with
// [ScaleAuto]; loc may be nil.
func NormalizeValue(t ValueType, raw any, loc *Locale) (any, error) {
	fn, ok := normFuncs[t]
	if !ok {
		return nil, &ValueError{Type: t, Raw: rawText(raw), Reason: "unknown value type", Err: ErrInvalidValue}
	}
	c := normCtx{loc: loc}
	if loc != nil {
		c.region = loc.Region
	}
	v, reason := fn(raw, &c)
	if reason == reasonNull {
		return nil, nil
	}
	if reason != "" {
		return nil, valueError(t, raw, reason, c.ambiguous)
	}
	return v, nil
}

func valueError(t ValueType, raw any, reason string, ambiguous bool) *ValueError {
	err := ErrInvalidValue
	switch {
	case reason == reasonNull:
		err, reason = ErrNoValue, "no value"
	case ambiguous:
		err = ErrAmbiguousValue
	}
	return &ValueError{Type: t, Raw: cut(rawText(raw), 64), Reason: reason, Err: err}
}

// typed runs fn for a typed public normalizer: null input is an error
// wrapping ErrNoValue.
func typed(t ValueType, raw any, c *normCtx) (any, error) {
	v, reason := normFuncs[t](raw, c)
	if reason != "" {
		return nil, valueError(t, raw, reason, c.ambiguous)
	}
	return v, nil
}

// NormalizeString trims raw and returns it as UTF-8 text (invalid bytes
// become U+FFFD). Numbers, booleans and times are rendered as text.
func NormalizeString(raw any) (string, error) {
	v, err := typed(TypeString, raw, &normCtx{})
	if err != nil {
		return "", err
	}
	return v.(string), nil
}

// NormalizeInteger reads an integer: Go integers, integral floats,
// json.Number and text such as "1,234" or "1234.00".
func NormalizeInteger(raw any, loc *Locale) (int64, error) {
	v, err := typed(TypeInteger, raw, &normCtx{loc: loc})
	if err != nil {
		return 0, err
	}
	return v.(int64), nil
}

// NormalizeDecimal reads an exact decimal, keeping the scale the source
// wrote ("1234.50" stays 1234.50). It reads "1,234.50", "1.234,50",
// "$1,200", "€1.200,00", "(1,200.00)" and "1200.00-" as negatives,
// e-notation, and floats through their shortest text (85000.5). See
// [Locale.DecimalSeparator] for how "1,200" and "1.200" are read.
func NormalizeDecimal(raw any, loc *Locale) (Decimal, error) {
	v, err := typed(TypeDecimal, raw, &normCtx{loc: loc})
	if err != nil {
		return Decimal{}, err
	}
	return v.(Decimal), nil
}

// NormalizeBoolean reads true/false, yes/no, y/n, t/f and 1/0 in any
// case, Go booleans and the numbers 0 and 1.
func NormalizeBoolean(raw any) (bool, error) {
	v, err := typed(TypeBoolean, raw, &normCtx{})
	if err != nil {
		return false, err
	}
	return v.(bool), nil
}

// NormalizeDate returns raw as YYYY-MM-DD. A timestamp keeps the
// calendar date it was written with (2025-03-04T23:00:00-05:00 is
// 2025-03-04); a unix time gives its UTC date.
func NormalizeDate(raw any, loc *Locale) (string, error) {
	v, err := typed(TypeDate, raw, &normCtx{loc: loc})
	if err != nil {
		return "", err
	}
	return v.(string), nil
}

// NormalizeTimestamp returns raw as RFC 3339 in UTC
// ("2025-03-04T04:45:00Z"), with a fraction of a second only when the
// source had one. Text without an offset is read in loc's Location.
func NormalizeTimestamp(raw any, loc *Locale) (string, error) {
	v, err := typed(TypeTimestamp, raw, &normCtx{loc: loc})
	if err != nil {
		return "", err
	}
	return v.(string), nil
}

// NormalizeEmail returns the lower-cased address, after removing a
// "mailto:" prefix or a display name ("Ann <ann@acme.com>"), and checks
// its form: one @, a local part of allowed characters, a host name with
// a dot.
func NormalizeEmail(raw any) (string, error) {
	v, err := typed(TypeEmail, raw, &normCtx{})
	if err != nil {
		return "", err
	}
	return v.(string), nil
}

// NormalizePhone returns raw in E.164 (+14155550100) when its country is
// known, from a leading + or 00, or from region (ISO 3166-1 alpha-2);
// otherwise its digits alone. An extension is dropped.
func NormalizePhone(raw any, region string) (string, error) {
	v, err := typed(TypePhone, raw, &normCtx{region: region})
	if err != nil {
		return "", err
	}
	return v.(string), nil
}

// NormalizeDomain returns the bare lower-case host of a URL, an e-mail
// address or a host name: no scheme, no "www.", no port, no path
// ("https://www.Acme.com/about" is "acme.com").
func NormalizeDomain(raw any) (string, error) {
	v, err := typed(TypeDomain, raw, &normCtx{})
	if err != nil {
		return "", err
	}
	return v.(string), nil
}

// NormalizeCurrency returns the ISO 4217 code of a code ("usd"), a sign
// that names one currency ("€", "£", "R$") or a name ("euro"). "$", "¥"
// and "kr" need loc.Symbols; loc may be nil.
func NormalizeCurrency(raw any, loc *Locale) (string, error) {
	v, err := typed(TypeCurrency, raw, &normCtx{loc: loc})
	if err != nil {
		return "", err
	}
	return v.(string), nil
}

// NormalizeCountry returns the ISO 3166-1 alpha-2 code of an alpha-2 or
// alpha-3 code, an English name ("Germany", "United States of America")
// or a common native name ("Deutschland", "España").
func NormalizeCountry(raw any) (string, error) {
	v, err := typed(TypeCountry, raw, &normCtx{})
	if err != nil {
		return "", err
	}
	return v.(string), nil
}

// NormalizePercent returns raw as a decimal on the 0..100 scale: 0.35
// under [ScaleFraction] is 35, "35%" is 35 under any scale.
func NormalizePercent(raw any, scale PercentScale, loc *Locale) (Decimal, error) {
	v, err := typed(TypePercent, raw, &normCtx{loc: loc, scale: scale})
	if err != nil {
		return Decimal{}, err
	}
	return v.(Decimal), nil
}

// InferPercentScale decides the scale of a percent field from a sample of
// its values: [ScaleHundred] when any value is above 1 or carries a %
// sign, [ScaleFraction] when all lie in [-1, 1] and some are not whole,
// and [ScaleAuto] when the sample cannot tell (only 0 and 1, or no
// readable value). Values that are not numbers are ignored.
func InferPercentScale(values []any) PercentScale {
	var s percentSample
	for _, v := range values {
		s.add(v, nil)
	}
	return s.scale()
}

type percentSample struct {
	hundred, fraction bool
}

func (s *percentSample) add(v any, loc *Locale) {
	n, reason := numberFromAny(v, 0, loc, true)
	if reason != "" {
		return
	}
	if n.pct || n.cmpOne() > 0 {
		s.hundred = true
	} else if !n.isInteger() {
		s.fraction = true
	}
}

func (s *percentSample) scale() PercentScale {
	switch {
	case s.hundred:
		return ScaleHundred
	case s.fraction:
		return ScaleFraction
	}
	return ScaleAuto
}

// isNullText reports whether a text value means null: blank, or "null"
// in any case.
func isNullText(s string) bool {
	return s == "" || (len(s) == 4 && strings.EqualFold(s, "null"))
}

func normStringText(v string, boxed any, c *normCtx) (any, string) {
	if plainASCII(v) { // the common case: nothing to trim or repair
		c.addString(v)
		return keep(v, boxed), ""
	}
	s := strings.TrimSpace(v)
	if s == "" {
		return nil, reasonNull
	}
	if !utf8.ValidString(s) {
		s = strings.ToValidUTF8(s, "\uFFFD")
	} else if len(s) == len(v) {
		c.addString(s)
		return keep(s, boxed), "" // unchanged: keep the caller's boxed value
	}
	c.addString(s)
	return s, ""
}

// plainASCII reports whether s is non-empty ASCII that neither starts
// nor ends with a space or control byte: such a text is valid UTF-8 that
// strings.TrimSpace leaves as it is. It reads eight bytes at a time,
// several times faster than TrimSpace and utf8.ValidString together on
// the short texts of most fields.
func plainASCII(s string) bool {
	n := len(s)
	if n == 0 || s[0] <= ' ' || s[n-1] <= ' ' {
		return false
	}
	const hi = 0x8080808080808080
	if n < 8 {
		for i := range n {
			if s[i] >= utf8.RuneSelf {
				return false
			}
		}
		return true
	}
	i := 0
	for ; i+8 <= n; i += 8 {
		if le64(s[i:])&hi != 0 {
			return false
		}
	}
	return i == n || le64(s[n-8:])&hi == 0 // the tail, overlapping
}

// le64 returns the first eight bytes of s as a little-endian word (the
// compiler makes it one load).
func le64(s string) uint64 {
	_ = s[7]
	return uint64(s[0]) | uint64(s[1])<<8 | uint64(s[2])<<16 | uint64(s[3])<<24 |
		uint64(s[4])<<32 | uint64(s[5])<<40 | uint64(s[6])<<48 | uint64(s[7])<<56
}

func normString(raw any, c *normCtx) (any, string) {
	var buf [32]byte
	var s string
	switch v := raw.(type) {
	case string:
		return normStringText(v, raw, c)
	case nil:
		return nil, reasonNull
	case json.Number:
		s = strings.TrimSpace(string(v))
		if s == "" {
			return nil, reasonNull
		}
	case float64:
		if math.IsNaN(v) || math.IsInf(v, 0) {
			return nil, "not a finite number"
		}
		s = string(strconv.AppendFloat(buf[:0], v, 'f', -1, 64))
	case int:
		s = strconv.Itoa(v)
	case int64:
		s = strconv.FormatInt(v, 10)
	case int32:
		s = strconv.FormatInt(int64(v), 10)
	case uint64:
		s = strconv.FormatUint(v, 10)
	case bool:
		s = strconv.FormatBool(v)
	case time.Time:
		s = string(appendTimestamp(buf[:0], v))
	case map[string]any:
		return nil, "an object where text was expected (map a nested field such as X.value)"
	case []any:
		return nil, "a list where text was expected"
	default:
		if b, ok := basicValue(raw); ok {
			if b == nil {
				return nil, reasonNull
			}
			if _, isString := b.(string); !isString {
				return normString(b, c)
			}
		}
		t, ok := textOf(raw)
		if !ok {
			return nil, kindMismatch(raw, "text")
		}
		if s = strings.TrimSpace(t); s == "" {
			return nil, reasonNull
		}
		if !utf8.ValidString(s) {
			s = strings.ToValidUTF8(s, "\uFFFD")
		}
	}
	c.addString(s)
	return s, ""
}

func nullNumber(raw any) bool {
	switch v := raw.(type) {
	case nil:
		return true
	case string:
		return isNullText(strings.TrimSpace(v))
	}
	return false
}

func normIntegerText(s string, _ any, c *normCtx) (any, string) {
	if isNullText(strings.TrimSpace(s)) {
		return nil, reasonNull
	}
	n, reason := parseNumber(s, 0, c.loc, false)
	if reason != "" {
		return nil, reason
	}
	return c.integer(&n)
}

func normInteger(raw any, c *normCtx) (any, string) {
	if s, ok := raw.(string); ok {
		return normIntegerText(s, raw, c)
	}
	if nullNumber(raw) {
		return nil, reasonNull
	}
	n, reason := numberFromAny(raw, 0, c.loc, false)
	if reason != "" {
		return nil, reason
	}
	return c.integer(&n)
}

func (c *normCtx) integer(n *number) (any, string) {
	if n.cur != "" {
		return nil, "an amount of money where an integer was expected"
	}
	i, reason := n.int64()
	if reason != "" {
		return nil, reason
	}
	if c.text {
		c.buf = strconv.AppendInt(c.buf, i, 10)
	}
	return i, ""
}

func normDecimalText(s string, _ any, c *normCtx) (any, string) {
	if isNullText(strings.TrimSpace(s)) {
		return nil, reasonNull
	}
	n, reason := parseNumber(s, 0, c.loc, false)
	if reason != "" {
		return nil, reason
	}
	return c.decimal(&n)
}

func normDecimal(raw any, c *normCtx) (any, string) {
	if s, ok := raw.(string); ok {
		return normDecimalText(s, raw, c)
	}
	if nullNumber(raw) {
		return nil, reasonNull
	}
	n, reason := numberFromAny(raw, 0, c.loc, false)
	if reason != "" {
		return nil, reason
	}
	return c.decimal(&n)
}

// smallDecimals holds the boxed Decimals 0 to 100 with no fraction
// digits, the common values of percent fields, so that they cost no
// allocation. A Decimal is immutable, so sharing one is safe.
var smallDecimals = func() (out [101]any) {
	for i := range out {
		out[i] = Decimal{decimal.New(int64(i), 0)}
	}
	return out
}()

func (c *normCtx) decimal(n *number) (any, string) {
	if n.big == "" && n.exp == 0 && n.coef <= 100 && (!n.neg || n.coef == 0) {
		if c.text {
			c.buf = strconv.AppendUint(c.buf, n.coef, 10)
		}
		return smallDecimals[n.coef], ""
	}
	d, ok := n.decimal()
	if !ok {
		return nil, "not a number"
	}
	if c.text {
		if n.big != "" || n.coef > math.MaxInt64 {
			c.buf = appendDecimal(c.buf, d)
		} else {
			c.buf = appendNumber(c.buf, n)
		}
	}
	return Decimal{d}, ""
}

// appendNumber appends n the way a decimal.Decimal of it marshals:
// plain digits, the scale kept, no exponent.
func appendNumber(b []byte, n *number) []byte {
	var digits [20]byte
	ds := strconv.AppendUint(digits[:0], n.coef, 10)
	if n.neg && n.coef != 0 {
		b = append(b, '-')
	}
	switch {
	case n.exp >= 0:
		b = append(b, ds...)
		if n.coef != 0 {
			for range n.exp {
				b = append(b, '0')
			}
		}
	case int(-n.exp) >= len(ds):
		b = append(b, '0', '.')
		for range int(-n.exp) - len(ds) {
			b = append(b, '0')
		}
		b = append(b, ds...)
	default:
		p := len(ds) + int(n.exp)
		b = append(b, ds[:p]...)
		b = append(b, '.')
		b = append(b, ds[p:]...)
	}
	return b
}

func normBooleanText(v string, _ any, c *normCtx) (any, string) {
	s := strings.TrimSpace(v)
	if isNullText(s) {
		return nil, reasonNull
	}
	b, ok := parseBool(s)
	if !ok {
		return nil, "not a boolean (true/false, yes/no, y/n, t/f, 1/0)"
	}
	if c.text {
		c.buf = strconv.AppendBool(c.buf, b)
	}
	return b, ""
}

func normBoolean(raw any, c *normCtx) (any, string) {
	var b bool
	switch v := raw.(type) {
	case bool:
		b = v
	case nil:
		return nil, reasonNull
	case string:
		return normBooleanText(v, raw, c)
	default:
		n, reason := numberFromAny(raw, '.', nil, false)
		if reason != "" {
			if s, ok := textOf(raw); ok {
				return normBoolean(s, c)
			}
			return nil, kindMismatch(raw, "a boolean")
		}
		switch {
		case n.isZero():
			b = false
		case n.cmpOne() == 0 && !n.neg:
			b = true
		default:
			return nil, "a number other than 0 or 1 where a boolean was expected"
		}
	}
	if c.text {
		c.buf = strconv.AppendBool(c.buf, b)
	}
	return b, ""
}

func parseBool(s string) (bool, bool) {
	switch len(s) {
	case 1:
		switch s[0] {
		case '1', 'y', 'Y', 't', 'T':
			return true, true
		case '0', 'n', 'N', 'f', 'F':
			return false, true
		}
	case 2:
		if strings.EqualFold(s, "no") {
			return false, true
		}
	case 3:
		if strings.EqualFold(s, "yes") {
			return true, true
		}
	case 4:
		if strings.EqualFold(s, "true") {
			return true, true
		}
	case 5:
		if strings.EqualFold(s, "false") {
			return false, true
		}
	}
	return false, false
}

func nullTime(raw any) bool {
	switch v := raw.(type) {
	case nil:
		return true
	case string:
		return isNullText(strings.TrimSpace(v))
	case time.Time:
		return v.IsZero()
	}
	return false
}

func normDateText(v string, boxed any, c *normCtx) (any, string) {
	if len(v) == 10 && v[4] == '-' && v[7] == '-' &&
		allDigits(v[:4]) && allDigits(v[5:7]) && allDigits(v[8:]) && validDate(atoi(v[:4]), atoi(v[5:7]), atoi(v[8:])) {
		c.addString(v) // already canonical: keep the caller's boxed value
		return keep(v, boxed), ""
	}
	s := strings.TrimSpace(v)
	if isNullText(s) {
		return nil, reasonNull
	}
	in, reason := parseTime(v, c.loc)
	if reason != "" {
		if reason == reasonAmbiguousDate {
			c.ambiguous = true
		}
		return nil, reason
	}
	if len(s) == 10 && s[4] == '-' && s[7] == '-' {
		c.addString(s) // already canonical: keep the caller's value
		if len(s) == len(v) {
			return keep(v, boxed), ""
		}
		return s, ""
	}
	return c.date(&in)
}

func normDate(raw any, c *normCtx) (any, string) {
	if s, ok := raw.(string); ok {
		return normDateText(s, raw, c)
	}
	if nullTime(raw) {
		return nil, reasonNull
	}
	in, reason := timeFromAny(raw, c.loc)
	if reason != "" {
		if reason == reasonAmbiguousDate {
			c.ambiguous = true
		}
		return nil, reason
	}
	return c.date(&in)
}

func (c *normCtx) date(in *instant) (any, string) {
	var buf [10]byte
	out := string(appendDate(buf[:0], in.y, in.m, in.d))
	c.addString(out)
	return out, ""
}

func normTimestampText(s string, boxed any, c *normCtx) (any, string) {
	if sec, nsec, ok := fastISO(s); ok {
		if c.wantTime {
			c.t = time.Unix(sec, int64(nsec)).UTC()
		}
		if len(s) == 20 && s[10] == 'T' && s[19] == 'Z' {
			// YYYY-MM-DDTHH:MM:SSZ is already canonical: keep the
			// caller's boxed value.
			c.addString(s)
			return keep(s, boxed), ""
		}
		var buf [32]byte
		out := string(appendUnixUTC(buf[:0], sec, nsec))
		c.addString(out)
		return out, ""
	}
	if isNullText(strings.TrimSpace(s)) {
		return nil, reasonNull
	}
	in, reason := parseTime(s, c.loc)
	return c.timestamp(&in, reason)
}

func normTimestamp(raw any, c *normCtx) (any, string) {
	if s, ok := raw.(string); ok {
		return normTimestampText(s, raw, c)
	}
	if nullTime(raw) {
		return nil, reasonNull
	}
	in, reason := timeFromAny(raw, c.loc)
	return c.timestamp(&in, reason)
}

func (c *normCtx) timestamp(in *instant, reason string) (any, string) {
	if reason != "" {
		if reason == reasonAmbiguousDate {
			c.ambiguous = true
		}
		return nil, reason
	}
	c.t = in.t
	var buf [32]byte
	out := string(appendTimestamp(buf[:0], in.t))
	c.addString(out)
	return out, ""
}

func normPercentText(s string, _ any, c *normCtx) (any, string) {
	if isNullText(strings.TrimSpace(s)) {
		return nil, reasonNull
	}
	n, reason := parseNumber(s, 0, c.loc, true)
	if reason != "" {
		return nil, reason
	}
	return c.percent(&n)
}

func normPercent(raw any, c *normCtx) (any, string) {
	if s, ok := raw.(string); ok {
		return normPercentText(s, raw, c)
	}
	if nullNumber(raw) {
		return nil, reasonNull
	}
	n, reason := numberFromAny(raw, 0, c.loc, true)
	if reason != "" {
		return nil, reason
	}
	return c.percent(&n)
}

func (c *normCtx) percent(n *number) (any, string) {
	if n.cur != "" {
		return nil, "an amount of money where a percentage was expected"
	}
	shift := false
	switch {
	case n.pct:
	case c.scale == ScaleFraction:
		if n.cmpOne() > 0 {
			return nil, "above 1 in a field whose values are on a 0..1 scale"
		}
		shift = true
	case c.scale == ScaleHundred:
	default:
		switch cmp := n.cmpOne(); {
		case n.isZero(), cmp > 0:
		case cmp < 0:
			shift = true
		default:
			c.ambiguous = true
			return nil, "1 may be 1% or 100%: set the field's percent scale"
		}
	}
	if shift {
		if n.big != "" {
			d, ok := n.decimal()
			if !ok {
				return nil, "not a number"
			}
			d = d.Shift(2)
			if c.text {
				c.buf = appendDecimal(c.buf, d)
			}
			return Decimal{d}, ""
		}
		n.exp += 2
	}
	return c.decimal(n)
}

// textOnly turns a normalizer of trimmed, non-null text into a strFunc.
func textOnly(fn func(s string, c *normCtx) (any, string)) strFunc {
	return func(s string, _ any, c *normCtx) (any, string) {
		s = strings.TrimSpace(s)
		if isNullText(s) {
			return nil, reasonNull
		}
		return fn(s, c)
	}
}

func textForm(raw any) (string, string) {
	switch v := raw.(type) {
	case string:
		s := strings.TrimSpace(v)
		if isNullText(s) {
			return "", reasonNull
		}
		return s, ""
	case nil:
		return "", reasonNull
	case map[string]any:
		return "", "an object where text was expected (map a nested field such as X.value)"
	}
	if s, ok := textOf(raw); ok {
		return textForm(s)
	}
	return "", kindMismatch(raw, "text")
}

func normEmail(raw any, c *normCtx) (any, string) {
	s, reason := textForm(raw)
	if reason != "" {
		return nil, reason
	}
	return normEmailText(s, c)
}

func normEmailText(s string, c *normCtx) (any, string) {
	if !utf8.ValidString(s) {
		return nil, "not valid UTF-8"
	}
	if len(s) > 7 && strings.EqualFold(s[:7], "mailto:") {
		s = s[7:]
		if i := strings.IndexByte(s, '?'); i >= 0 {
			s = s[:i]
		}
	}
	if i := strings.LastIndexByte(s, '<'); i >= 0 && strings.HasSuffix(s, ">") {
		s = strings.TrimSpace(s[i+1 : len(s)-1]) // "Ann Lee <ann@acme.com>"
	}
	at := strings.LastIndexByte(s, '@')
	if at <= 0 || at == len(s)-1 {
		return nil, "no local part and domain around an @"
	}
	local, host := s[:at], s[at+1:]
	if len(local) > 64 || len(s) > 254 {
		return nil, "too long for an e-mail address"
	}
	if local[0] == '.' || local[len(local)-1] == '.' || strings.Contains(local, "..") {
		return nil, "misplaced dot in the local part"
	}
	for i := 0; i < len(local); i++ {
		ch := local[i]
		if ch >= 0x80 {
			continue // internationalized local part
		}
		if !(ch >= 'a' && ch <= 'z' || ch >= 'A' && ch <= 'Z' || ch >= '0' && ch <= '9' || strings.IndexByte("!#$%&'*+-/=?^_`{|}~.", ch) >= 0) {
			return nil, "character " + strconv.QuoteRune(rune(ch)) + " not allowed in an e-mail address"
		}
	}
	h, reason := cleanHost(host, false)
	if reason != "" {
		return nil, reason
	}
	out := lowerASCII(local) + "@" + h
	if len(out) > 254 {
		return nil, "too long for an e-mail address"
	}
	if c.text {
		c.buf = append(c.buf, out...)
	}
	return out, ""
}

func normDomain(raw any, c *normCtx) (any, string) {
	s, reason := textForm(raw)
	if reason != "" {
		return nil, reason
	}
	return normDomainText(s, c)
}

func normDomainText(s string, c *normCtx) (any, string) {
	// Scheme, then userinfo or an e-mail's local part, then path.
	url := true
	if i := strings.Index(s, "://"); i >= 0 {
		s = s[i+3:]
	} else if strings.HasPrefix(s, "//") {
		s = s[2:]
	} else {
		if len(s) > 7 && strings.EqualFold(s[:7], "mailto:") {
			s = s[7:]
		}
		url = false
	}
	if !url {
		// An e-mail address: its local part may hold / ? and #.
		if i := strings.LastIndexByte(s, '@'); i >= 0 {
			s = s[i+1:]
		}
	}
	if i := strings.IndexAny(s, "/?#"); i >= 0 {
		s = s[:i]
	}
	if i := strings.LastIndexByte(s, '@'); i >= 0 {
		s = s[i+1:] // userinfo
	}
	if i := strings.LastIndexByte(s, ':'); i >= 0 && allDigits(s[i+1:]) {
		s = s[:i]
	}
	h, reason := cleanHost(s, true)
	if reason != "" {
		return nil, reason
	}
	if c.text {
		c.buf = append(c.buf, h...)
	}
	return h, ""
}

// cleanHost lower-cases and checks a host name; dropWWW strips a leading
// "www.". It returns h unchanged (no allocation) when it is already clean.
func cleanHost(h string, dropWWW bool) (string, string) {
	h = strings.TrimSuffix(strings.TrimSpace(h), ".")
	if h == "" {
		return "", "no host name"
	}
	if !utf8.ValidString(h) {
		return "", "not valid UTF-8"
	}
	h = lowerASCII(h)
	if dropWWW && strings.HasPrefix(h, "www.") && strings.Count(h, ".") >= 2 {
		h = h[4:]
	}
	if len(h) > 253 {
		return "", "host name too long"
	}
	labels := 0
	allNum := true
	for label := range strings.SplitSeq(h, ".") {
		labels++
		if label == "" || len(label) > 63 {
			return "", "empty or over-long label in the host name"
		}
		if label[0] == '-' || label[len(label)-1] == '-' {
			return "", "host name label starts or ends with a hyphen"
		}
		for i := 0; i < len(label); i++ {
			ch := label[i]
			switch {
			case ch >= 'a' && ch <= 'z', ch == '-', ch == '_':
				allNum = false
			case ch >= '0' && ch <= '9':
			case ch >= 0x80:
				allNum = false // an internationalized name
			default:
				return "", "character " + strconv.QuoteRune(rune(ch)) + " not allowed in a host name"
			}
		}
	}
	if labels < 2 {
		return "", "a host name needs a dot"
	}
	if allNum {
		return "", "an IP address, not a domain"
	}
	if !utf8.ValidString(h) {
		return "", "not valid UTF-8"
	}
	return h, ""
}

// upperASCII upper-cases an ASCII letter and returns other bytes as
// they are.
func upperASCII(ch byte) byte {
	if ch >= 'a' && ch <= 'z' {
		return ch - ('a' - 'A')
	}
	return ch
}

// lowerASCII lower-cases ASCII letters (and other letters through
// strings.ToLower), allocating only when something changes.
func lowerASCII(s string) string {
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c >= 0x80 {
			return strings.ToLower(s)
		}
		if c >= 'A' && c <= 'Z' {
			return strings.ToLower(s)
		}
	}
	return s
}

func normPhone(raw any, c *normCtx) (any, string) {
	var s string
	switch v := raw.(type) {
	case float64, int, int64, json.Number:
		n, reason := numberFromAny(v, '.', nil, false)
		if reason != "" || n.neg || !n.isInteger() {
			return nil, "not a phone number"
		}
		i, _ := n.int64()
		s = strconv.FormatInt(i, 10)
	default:
		var reason string
		if s, reason = textForm(raw); reason != "" {
			return nil, reason
		}
	}
	return normPhoneText(s, c)
}

func normPhoneText(s string, c *normCtx) (any, string) {
	if len(s) > 4 && strings.EqualFold(s[:4], "tel:") {
		s = s[4:]
	}
	if len(s) > 64 {
		return nil, "too long for a phone number"
	}
	digits := make([]byte, 0, 20)
	plus := false
	for i := 0; i < len(s); i++ {
		ch := s[i]
		switch {
		case ch >= '0' && ch <= '9':
			digits = append(digits, ch)
		case ch == '+' && len(digits) == 0 && !plus:
			plus = true
		case ch == ' ' || ch == '-' || ch == '.' || ch == '(' || ch == ')' || ch == '/' || ch == '\t':
		case ch == 'x' || ch == 'X' || ch == '#' || ch == ';' || ch == ',' || ch == 'e' || ch == 'E':
			i = len(s) // an extension follows: "x123", "ext. 123", "#123", ";ext=123"
		default:
			if ch >= 'A' && ch <= 'Z' || ch >= 'a' && ch <= 'z' {
				if plus || c.region != "" {
					goto parse // a vanity number: libphonenumber reads the letters
				}
			}
			return nil, "character " + strconv.QuoteRune(rune(ch)) + " not allowed in a phone number"
		}
	}
	if !plus && len(digits) > 2 && digits[0] == '0' && digits[1] == '0' && c.region == "" {
		plus, digits = true, digits[2:] // 0044 ... without a region: the international prefix
	}
	if !plus && c.region == "" {
		if len(digits) < 3 || len(digits) > 15 {
			return nil, "not a phone number: needs 3 to 15 digits"
		}
		out := string(digits)
		c.addString(out)
		return out, ""
	}
	if plus {
		s = "+" + string(digits)
	}
parse:
	num, err := phonenumbers.Parse(s, strings.ToUpper(c.region))
	if err != nil {
		return nil, "not a phone number: " + phoneReason(err)
	}
	if !phonenumbers.IsPossibleNumber(num) {
		return nil, "not a possible phone number for its country"
	}
	out := phonenumbers.Format(num, phonenumbers.E164)
	// A number whose E.164 form reads back as another number (national
	// prefixes kept by mistake, all zeros) is not one.
	if back, err := phonenumbers.Parse(out, ""); err != nil || phonenumbers.Format(back, phonenumbers.E164) != out {
		return nil, "not a valid phone number for its country"
	}
	c.addString(out)
	return out, ""
}

func phoneReason(err error) string {
	switch {
	case errors.Is(err, phonenumbers.ErrInvalidCountryCode):
		return "unknown country code"
	case errors.Is(err, phonenumbers.ErrTooShortNSN), errors.Is(err, phonenumbers.ErrTooShortAfterIDD):
		return "too short"
	case errors.Is(err, phonenumbers.ErrNumTooLong):
		return "too long"
	}
	return "unreadable"
}

// lookupCurrency resolves a currency token: the locale's symbols first,
// then ISO codes, then the signs and names that name one currency.
// ambiguous is true for "$", "¥" and "kr" when the locale does not settle
// them.
func lookupCurrency(tok string, loc *Locale) (code string, ambiguous, ok bool) {
	if loc != nil && len(loc.Symbols) > 0 {
		for k, v := range loc.Symbols {
			if strings.EqualFold(k, tok) {
				return v, false, true
			}
		}
	}
	if len(tok) == 3 {
		var up [3]byte
		for i := 0; i < 3; i++ {
			ch := tok[i]
			if ch >= 'a' && ch <= 'z' {
				ch -= 'a' - 'A'
			}
			up[i] = ch
		}
		if _, ok := currencyCodes[string(up[:])]; ok {
			return currencyCode(up), false, true
		}
	}
	switch tok {
	case "$", "¥", "￥", "kr", "Kr", "kr.", "Kr.":
		return "", true, false
	}
	if c, found := currencySymbols[tok]; found {
		return c, false, true
	}
	if c, found := currencySymbols[strings.ToLower(tok)]; found {
		return c, false, true
	}
	return "", false, false
}

// currencyCode returns the interned ISO code for up, so that the value
// does not allocate.
func currencyCode(up [3]byte) string {
	if b, ok := boxedCodes[string(up[:])]; ok {
		return b.(string)
	}
	return string(up[:])
}

func normCurrency(raw any, c *normCtx) (any, string) {
	s, reason := textForm(raw)
	if reason != "" {
		return nil, reason
	}
	return normCurrencyText(s, c)
}

func normCurrencyText(s string, c *normCtx) (any, string) {
	if len(s) == 3 && (c.loc == nil || len(c.loc.Symbols) == 0) {
		// An ISO code, the common case: one lookup of the boxed code.
		up := [3]byte{upperASCII(s[0]), upperASCII(s[1]), upperASCII(s[2])}
		if b, ok := boxedCodes[string(up[:])]; ok {
			c.addString(b.(string))
			return b, ""
		}
	}
	code, ambiguous, ok := lookupCurrency(s, c.loc)
	if !ok {
		if ambiguous {
			c.ambiguous = true
			return nil, "the sign names several currencies: set Locale.Symbols"
		}
		return nil, "not an ISO 4217 currency code or a known sign"
	}
	c.addString(code)
	if b, ok := boxedCodes[code]; ok {
		return b, ""
	}
	return code, ""
}

func normCountry(raw any, c *normCtx) (any, string) {
	s, reason := textForm(raw)
	if reason != "" {
		return nil, reason
	}
	return normCountryText(s, c)
}

func normCountryText(s string, c *normCtx) (any, string) {
	if len(s) == 2 || len(s) == 3 {
		var up [3]byte
		for i := 0; i < len(s); i++ {
			ch := s[i]
			if ch >= 'a' && ch <= 'z' {
				ch -= 'a' - 'A'
			}
			up[i] = ch
		}
		if code, ok := countryByCode[string(up[:len(s)])]; ok {
			c.addString(code)
			return boxedCodes[code], ""
		}
	}
	if len(s) > 80 {
		return nil, "not a country"
	}
	if code, ok := countryByName[foldName(s)]; ok {
		c.addString(code)
		return boxedCodes[code], ""
	}
	return nil, "not an ISO 3166 country code or a known country name"
}

// textOf returns the text of values that carry text: strings, byte
// slices, json.Number and encoding.TextMarshaler (such as a Mongo
// ObjectID).
func textOf(raw any) (string, bool) {
	switch v := raw.(type) {
	case string:
		return v, true
	case json.Number:
		return string(v), true
	case []byte:
		return string(v), true
	case *string:
		if v == nil {
			return "", true
		}
		return *v, true
	case encoding.TextMarshaler:
		b, err := v.MarshalText()
		if err != nil {
			return "", false
		}
		return string(b), true
	}
	if b, ok := basicValue(raw); ok {
		if s, ok := b.(string); ok {
			return s, true
		}
		return "", false
	}
	if v, ok := raw.(fmt.Stringer); ok {
		return v.String(), true
	}
	return "", false
}

// basicValue converts a value of a named basic type (a driver's
// DateTime int64, a type Status string) to the basic type, so that it
// reads like the plain value. It uses reflection and is off the hot path.
func basicValue(raw any) (any, bool) {
	if raw == nil {
		return nil, false
	}
	rv := reflect.ValueOf(raw)
	switch rv.Kind() {
	case reflect.String:
		return rv.String(), true
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
		return rv.Int(), true
	case reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64:
		return rv.Uint(), true
	case reflect.Float32, reflect.Float64:
		return rv.Float(), true
	case reflect.Bool:
		return rv.Bool(), true
	case reflect.Pointer:
		if rv.IsNil() {
			return nil, true
		}
		return basicValue(rv.Elem().Interface())
	}
	return nil, false
}

func kindMismatch(raw any, want string) string {
	switch raw.(type) {
	case map[string]any:
		return "an object where " + want + " was expected"
	case []any:
		return "a list where " + want + " was expected"
	case bool:
		return "a boolean where " + want + " was expected"
	case time.Time:
		return "a time where " + want + " was expected"
	}
	return "a value of an unsupported Go type where " + want + " was expected"
}

// rawText renders a raw value as text for a [Problem] or an error.
func rawText(raw any) string {
	var buf [32]byte
	switch v := raw.(type) {
	case nil:
		return ""
	case string:
		return v
	case json.Number:
		return string(v)
	case float64:
		return string(strconv.AppendFloat(buf[:0], v, 'g', -1, 64))
	case float32:
		return string(strconv.AppendFloat(buf[:0], float64(v), 'g', -1, 32))
	case int:
		return strconv.Itoa(v)
	case int64:
		return strconv.FormatInt(v, 10)
	case int32:
		return strconv.FormatInt(int64(v), 10)
	case uint64:
		return strconv.FormatUint(v, 10)
	case bool:
		return strconv.FormatBool(v)
	case time.Time:
		return v.Format(time.RFC3339Nano)
	case decimal.Decimal:
		return DecimalString(v)
	case Decimal:
		return v.String()
	}
	if s, ok := textOf(raw); ok {
		return s
	}
	b, err := json.Marshal(raw)
	if err != nil {
		return "(unprintable value)"
	}
	return string(b)
}

// cut shortens s to at most n bytes on a rune boundary.
func cut(s string, n int) string {
	if len(s) <= n {
		return s
	}
	for n > 0 && !utf8.RuneStart(s[n]) {
		n--
	}
	return s[:n] + "…"
}
