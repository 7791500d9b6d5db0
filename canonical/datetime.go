package canonical

import (
	"encoding/json"
	"math"
	"strconv"
	"strings"
	"time"
)

// instant is a point in time read from a source, with what the source
// said about it: whether it had a time of day and the calendar date as
// written (before any conversion to UTC), which a date field keeps.
type instant struct {
	t       time.Time
	y, m, d int // the date as written
	hasTime bool
}

// timeFromAny reads a date or timestamp from a Go value.
func timeFromAny(raw any, loc *Locale) (instant, string) {
	switch v := raw.(type) {
	case string:
		return parseTime(v, loc)
	case time.Time:
		y, m, d := v.Date()
		return instant{t: v, y: y, m: int(m), d: d, hasTime: true}, ""
	case *time.Time:
		if v == nil {
			return instant{}, "null"
		}
		return timeFromAny(*v, loc)
	case json.Number, float64, float32, int, int64, int32, uint, uint64, uint32:
		n, reason := numberFromAny(v, '.', loc, false)
		if reason != "" {
			return instant{}, reason
		}
		return epochInstant(n)
	}
	if b, ok := basicValue(raw); ok {
		if b == nil {
			return instant{}, "null"
		}
		if _, isBool := b.(bool); !isBool {
			return timeFromAny(b, loc)
		}
	}
	if s, ok := textOf(raw); ok {
		return parseTime(s, loc)
	}
	return instant{}, kindMismatch(raw, "a date or time")
}

// epochInstant reads a unix time. The unit follows from the magnitude:
// below 1e11 seconds (to the year 5138), below 1e14 milliseconds, below
// 1e17 microseconds, else nanoseconds. An eight-digit integer that is a
// valid YYYYMMDD date between 1900 and 2199 is read as that date.
func epochInstant(n number) (instant, string) {
	if n.big != "" {
		return instant{}, "out of range"
	}
	if !n.neg && n.exp == 0 && n.coef >= 19000101 && n.coef <= 21991231 {
		c := int(n.coef)
		if in, ok := dateInstant(c/10000, c/100%100, c%100, nil); ok {
			return in, ""
		}
	}
	// Split coef·10^exp into whole and fractional units without floats.
	whole, frac := n.coef, uint64(0)
	fracDigits := int32(0)
	switch {
	case n.exp > 0:
		for e := n.exp; e > 0; e-- {
			if whole > math.MaxUint64/10 {
				return instant{}, "out of range"
			}
			whole *= 10
		}
	case n.exp < 0:
		p := uint64(1)
		for e := n.exp; e < 0; e++ {
			if p > math.MaxUint64/10 {
				return instant{}, "out of range"
			}
			p *= 10
		}
		whole, frac, fracDigits = n.coef/p, n.coef%p, -n.exp
	}
	var unitNanos uint64
	switch {
	case whole < 1e11:
		unitNanos = 1e9
	case whole < 1e14:
		unitNanos = 1e6
	case whole < 1e17:
		unitNanos = 1e3
	default:
		unitNanos = 1
	}
	// Fractional units to nanoseconds, truncated.
	fn := uint64(0)
	if frac > 0 {
		f := frac
		d := fracDigits
		for d > 0 && f > math.MaxUint64/unitNanos {
			f /= 10
			d--
		}
		fn = f * unitNanos
		for ; d > 0; d-- {
			fn /= 10
		}
	}
	var sec, nsec int64
	switch unitNanos {
	case 1e9:
		sec, nsec = int64(whole), int64(fn)
	default:
		per := 1e9 / unitNanos
		sec = int64(whole / per)
		nsec = int64(whole%per*unitNanos + fn)
	}
	if n.neg {
		sec, nsec = -sec, -nsec
	}
	t := time.Unix(sec, nsec).UTC()
	if y := t.Year(); y < 1 || y > 9999 {
		return instant{}, "out of range"
	}
	y, m, d := t.Date()
	return instant{t: t, y: y, m: int(m), d: d, hasTime: true}, ""
}

func dateInstant(y, m, d int, loc *time.Location) (instant, bool) {
	if !validDate(y, m, d) {
		return instant{}, false
	}
	if loc == nil {
		loc = time.UTC
	}
	return instant{t: time.Date(y, time.Month(m), d, 0, 0, 0, 0, loc), y: y, m: m, d: d}, true
}

// validDate reports whether y-m-d is a day of the proleptic Gregorian
// calendar between the years 1 and 9999.
func validDate(y, m, d int) bool {
	if y < 1 || y > 9999 || m < 1 || m > 12 || d < 1 {
		return false
	}
	switch m {
	case 2:
		if y%4 == 0 && (y%100 != 0 || y%400 == 0) {
			return d <= 29
		}
		return d <= 28
	case 4, 6, 9, 11:
		return d <= 30
	}
	return d <= 31
}

// parseTime reads the date and time forms seen in real sources:
// ISO 8601 / RFC 3339 with any offset (also +0530, +05 and " UTC"),
// "2025-03-04 10:15:00" (SQL), YYYYMMDD and YYYYMMDDhhmmss (SAP, where
// 00000000 means no date), unix seconds and milliseconds as text,
// /Date(ms)/ (OData), day/month dates with / . - separators (see
// [Locale.DateOrder]), with an optional time and AM/PM, and a few
// English month-name forms (RFC 1123, "Mar 4, 2025", "04-Mar-2025").
func parseTime(s string, loc *Locale) (instant, string) {
	s = strings.TrimSpace(s)
	if s == "" || strings.EqualFold(s, "null") {
		return instant{}, "null"
	}
	if strings.HasPrefix(s, "/Date(") && strings.HasSuffix(s, ")/") {
		body := s[len("/Date(") : len(s)-2]
		if body == "" {
			return instant{}, "bad /Date()/ value"
		}
		if i := strings.IndexAny(body[1:], "+-"); i >= 0 {
			body = body[:i+1] // the offset only says how to display it
		}
		ms, err := strconv.ParseInt(body, 10, 64)
		if err != nil || ms > 253402300799999 || ms < -62135596800000 {
			return instant{}, "bad /Date()/ value"
		}
		t := time.UnixMilli(ms).UTC()
		y, m, d := t.Date()
		return instant{t: t, y: y, m: int(m), d: d, hasTime: true}, ""
	}
	if allDigits(s) || (len(s) > 1 && s[0] == '-' && allDigits(s[1:])) || looksEpochFraction(s) {
		switch {
		case s == "00000000" || s == "00000000000000":
			return instant{}, "null" // SAP's empty date
		case len(s) == 8 && s[0] != '-':
			in, ok := dateInstant(atoi(s[0:4]), atoi(s[4:6]), atoi(s[6:8]), loc.location())
			if !ok {
				return instant{}, "not a valid YYYYMMDD date"
			}
			return in, ""
		case len(s) == 14 && s[0] != '-':
			return buildInstant(atoi(s[0:4]), atoi(s[4:6]), atoi(s[6:8]),
				atoi(s[8:10]), atoi(s[10:12]), atoi(s[12:14]), 0, true, nil, loc)
		}
		n, reason := parseNumber(s, '.', nil, false)
		if reason != "" {
			return instant{}, reason
		}
		return epochInstant(n)
	}
	if len(s) >= 8 && isDigit(s[0]) && isDigit(s[1]) && isDigit(s[2]) && isDigit(s[3]) &&
		(s[4] == '-' || s[4] == '/' || s[4] == '.') {
		return parseISO(s, loc)
	}
	if in, reason, ok := parseDayMonth(s, loc); ok {
		return in, reason
	}
	return parseNamed(s, loc)
}

func looksEpochFraction(s string) bool {
	i := strings.IndexByte(s, '.')
	if i < 9 || i == len(s)-1 { // at least 9 digits before the point: 1e8 s is 1973
		return false
	}
	return allDigits(s[:i]) && allDigits(s[i+1:])
}

// parseISO reads YYYY-MM-DD, optionally followed by T or a space and a
// time of day with an optional zone.
func parseISO(s string, loc *Locale) (instant, string) {
	sep := s[4]
	if len(s) < 10 || s[7] != sep || !isDigit(s[5]) || !isDigit(s[6]) || !isDigit(s[8]) || !isDigit(s[9]) {
		// 2025-3-4: single-digit parts.
		parts := strings.SplitN(s, string(sep), 3)
		if len(parts) == 3 && len(parts[1]) >= 1 && len(parts[1]) <= 2 && allDigits(parts[1]) {
			dpart, rest, _ := strings.Cut(parts[2], " ")
			if len(dpart) >= 1 && len(dpart) <= 2 && allDigits(dpart) && rest == "" {
				in, ok := dateInstant(atoi(s[:4]), atoi(parts[1]), atoi(dpart), loc.location())
				if ok {
					return in, ""
				}
			}
		}
		return instant{}, "not a date"
	}
	y, m, d := atoi(s[0:4]), atoi(s[5:7]), atoi(s[8:10])
	rest := s[10:]
	if rest == "" {
		in, ok := dateInstant(y, m, d, loc.location())
		if !ok {
			return instant{}, "no such day"
		}
		return in, ""
	}
	if rest[0] != 'T' && rest[0] != 't' && rest[0] != ' ' {
		return instant{}, "not a date"
	}
	return parseClock(y, m, d, strings.TrimLeft(rest[1:], " "), loc)
}

// parseClock reads hh:mm[:ss[.fraction]] [AM|PM] [zone] for the given date.
func parseClock(y, m, d int, s string, loc *Locale) (instant, string) {
	if len(s) < 4 {
		return instant{}, "bad time of day"
	}
	i := 0
	num := func(max int) (int, bool) {
		j := i
		for j < len(s) && j-i < max && isDigit(s[j]) {
			j++
		}
		if j == i {
			return 0, false
		}
		v := atoi(s[i:j])
		i = j
		return v, true
	}
	hh, ok := num(2)
	if !ok || i >= len(s) || s[i] != ':' {
		return instant{}, "bad time of day"
	}
	i++
	mm, ok := num(2)
	if !ok {
		return instant{}, "bad time of day"
	}
	ss, nanos := 0, 0
	if i < len(s) && s[i] == ':' {
		i++
		if ss, ok = num(2); !ok {
			return instant{}, "bad time of day"
		}
		if i < len(s) && (s[i] == '.' || s[i] == ',') {
			i++
			j := i
			for j < len(s) && isDigit(s[j]) {
				j++
			}
			if j == i {
				return instant{}, "bad fraction of a second"
			}
			frac := s[i:j]
			if len(frac) > 9 {
				frac = frac[:9]
			}
			nanos = atoi(frac)
			for k := len(frac); k < 9; k++ {
				nanos *= 10
			}
			i = j
		}
	}
	rest := strings.TrimLeft(s[i:], " ")
	if len(rest) >= 2 && (rest[1] == 'M' || rest[1] == 'm') && (rest[0]|0x20 == 'a' || rest[0]|0x20 == 'p') {
		if hh < 1 || hh > 12 {
			return instant{}, "bad hour for AM/PM"
		}
		if rest[0]|0x20 == 'p' && hh != 12 {
			hh += 12
		} else if rest[0]|0x20 == 'a' && hh == 12 {
			hh = 0
		}
		rest = strings.TrimLeft(rest[2:], " ")
	}
	var zone *time.Location
	switch {
	case rest == "":
	case rest == "Z" || rest == "z" || rest == "UTC" || rest == "GMT" || rest == "+00:00" || rest == "+0000":
		zone = time.UTC
	case rest[0] == '+' || rest[0] == '-':
		off := rest[1:]
		var oh, om int
		switch {
		case len(off) == 5 && off[2] == ':' && allDigits(off[:2]) && allDigits(off[3:]):
			oh, om = atoi(off[:2]), atoi(off[3:])
		case len(off) == 4 && allDigits(off):
			oh, om = atoi(off[:2]), atoi(off[2:])
		case len(off) == 2 && allDigits(off):
			oh = atoi(off)
		default:
			return instant{}, "bad zone offset"
		}
		if oh > 23 || om > 59 {
			return instant{}, "bad zone offset"
		}
		secs := oh*3600 + om*60
		if rest[0] == '-' {
			secs = -secs
		}
		zone = fixedZone(secs)
	default:
		return instant{}, "unexpected text after the time"
	}
	return buildInstant(y, m, d, hh, mm, ss, nanos, true, zone, loc)
}

// fixedZone returns a zone at the given offset; UTC for 0.
func fixedZone(secs int) *time.Location {
	if secs == 0 {
		return time.UTC
	}
	return time.FixedZone("", secs)
}

func buildInstant(y, m, d, hh, mm, ss, nanos int, hasTime bool, zone *time.Location, loc *Locale) (instant, string) {
	if !validDate(y, m, d) {
		return instant{}, "no such day"
	}
	in := instant{y: y, m: m, d: d}
	if hh > 23 || mm > 59 || ss > 59 {
		return instant{}, "bad time of day"
	}
	if zone == nil {
		zone = loc.location()
	}
	in.t = time.Date(y, time.Month(m), d, hh, mm, ss, nanos, zone)
	in.hasTime = hasTime
	if u := in.t.UTC().Year(); u < 1 || u > 9999 {
		return instant{}, "out of range"
	}
	return in, ""
}

// parseDayMonth reads a/b/yyyy with / . or - separators and an optional
// time. ok is false when s does not have that shape.
func parseDayMonth(s string, loc *Locale) (in instant, reason string, ok bool) {
	i := 0
	for i < len(s) && isDigit(s[i]) {
		i++
	}
	if i < 1 || i > 2 || i >= len(s) {
		return instant{}, "", false
	}
	sep := s[i]
	if sep != '/' && sep != '.' && sep != '-' {
		return instant{}, "", false
	}
	j := i + 1
	for j < len(s) && isDigit(s[j]) {
		j++
	}
	if j-i-1 < 1 || j-i-1 > 2 || j >= len(s) || s[j] != sep {
		return instant{}, "", false
	}
	k := j + 1
	for k < len(s) && isDigit(s[k]) {
		k++
	}
	if k-j-1 != 4 {
		if k-j-1 == 2 {
			return instant{}, "two-digit year", true
		}
		return instant{}, "", false
	}
	a, b, y := atoi(s[:i]), atoi(s[i+1:j]), atoi(s[j+1:k])
	var day, month int
	switch {
	case a > 12 && b <= 12:
		day, month = a, b
	case b > 12 && a <= 12:
		day, month = b, a
	case a == b:
		day, month = a, b
	default:
		order := DateOrderUnknown
		if loc != nil {
			order = loc.DateOrder
		}
		switch order {
		case DayFirst:
			day, month = a, b
		case MonthFirst:
			day, month = b, a
		default:
			if a > 12 && b > 12 {
				return instant{}, "no such month", true
			}
			return instant{}, reasonAmbiguousDate, true
		}
	}
	if loc != nil && loc.DateOrder == DayFirst && a <= 12 && b > 12 {
		return instant{}, "month above 12 for a day-first locale", true
	}
	if loc != nil && loc.DateOrder == MonthFirst && a > 12 {
		return instant{}, "month above 12 for a month-first locale", true
	}
	rest := strings.TrimLeft(s[k:], " T")
	if rest == "" {
		in, ok := dateInstant(y, month, day, loc.location())
		if !ok {
			return instant{}, "no such day", true
		}
		return in, "", true
	}
	in, reason = parseClock(y, month, day, rest, loc)
	return in, reason, true
}

var namedLayouts = []string{
	time.RFC1123Z, time.RFC1123, time.RFC850, time.ANSIC, time.UnixDate, time.RubyDate,
	"Mon, 2 Jan 2006 15:04:05 -0700", "Mon, 2 Jan 2006 15:04:05 MST",
	"2 Jan 2006", "02 Jan 2006", "2 January 2006", "Jan 2, 2006", "January 2, 2006",
	"Jan 2 2006", "02-Jan-2006", "2-Jan-2006", "02-Jan-2006 15:04:05", "Mon Jan 2 2006",
	"Jan 2, 2006 3:04 PM", "Jan 2, 2006 15:04", "2 Jan 2006 15:04", "January 2, 2006 3:04 PM",
}

// parseNamed reads the English month-name forms. It is off the hot path.
func parseNamed(s string, loc *Locale) (instant, string) {
	for _, layout := range namedLayouts {
		t, err := time.ParseInLocation(layout, s, loc.location())
		if err != nil {
			continue
		}
		if y := t.UTC().Year(); y < 1 || y > 9999 {
			return instant{}, "out of range"
		}
		y, m, d := t.Date()
		return instant{t: t, y: y, m: int(m), d: d, hasTime: strings.Contains(layout, "15") || strings.Contains(layout, "3:04")}, ""
	}
	return instant{}, "not a date or time"
}

// appendDate appends YYYY-MM-DD.
func appendDate(b []byte, y, m, d int) []byte {
	b = append(b, byte('0'+y/1000), byte('0'+y/100%10), byte('0'+y/10%10), byte('0'+y%10), '-')
	b = append(b, byte('0'+m/10), byte('0'+m%10), '-')
	return append(b, byte('0'+d/10), byte('0'+d%10))
}

// appendTimestamp appends t in UTC as RFC 3339: seconds, and a fraction
// only when the source had one (trailing zeros dropped).
func appendTimestamp(b []byte, t time.Time) []byte {
	t = t.UTC()
	y, mo, d := t.Date()
	h, mi, s := t.Clock()
	b = appendDate(b, y, int(mo), d)
	b = append(b, 'T', byte('0'+h/10), byte('0'+h%10), ':', byte('0'+mi/10), byte('0'+mi%10), ':', byte('0'+s/10), byte('0'+s%10))
	if ns := t.Nanosecond(); ns != 0 {
		var f [9]byte
		for i := 8; i >= 0; i-- {
			f[i] = byte('0' + ns%10)
			ns /= 10
		}
		n := 9
		for n > 0 && f[n-1] == '0' {
			n--
		}
		b = append(b, '.')
		b = append(b, f[:n]...)
	}
	return append(b, 'Z')
}

func isDigit(c byte) bool { return c >= '0' && c <= '9' }

func allDigits(s string) bool {
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		if !isDigit(s[i]) {
			return false
		}
	}
	return true
}

// atoi reads a short run of ASCII digits; callers check them first.
func atoi(s string) int {
	n := 0
	for i := 0; i < len(s); i++ {
		n = n*10 + int(s[i]-'0')
	}
	return n
}

// fastISO reads the strict RFC 3339 form with an explicit zone
// ("2025-03-04T10:15:00.000+05:30", "+0530", "Z", a space for the T) into
// unix seconds and nanoseconds without going through time.Date. ok is
// false for anything else, which then takes the general path. It reads
// each field with digits2, which checks and converts in one step: this
// is the path of nearly every timestamp from an API.
func fastISO(s string) (sec int64, nsec int, ok bool) {
	if len(s) < 20 || s[4] != '-' || s[7] != '-' || (s[10] != 'T' && s[10] != ' ') || s[13] != ':' || s[16] != ':' {
		return 0, 0, false
	}
	yh, yl, mo, d := digits2(s[0], s[1]), digits2(s[2], s[3]), digits2(s[5], s[6]), digits2(s[8], s[9])
	hh, mi, ss := digits2(s[11], s[12]), digits2(s[14], s[15]), digits2(s[17], s[18])
	if yh|yl|mo|d|hh|mi|ss < 0 { // some byte is not a digit
		return 0, 0, false
	}
	y := yh*100 + yl
	if !validDate(y, mo, d) || hh > 23 || mi > 59 || ss > 59 {
		return 0, 0, false
	}
	z := s[19:]
	if z[0] == '.' {
		j := 1
		for j < len(z) && isDigit(z[j]) {
			nsec = nsec*10 + int(z[j]-'0')
			j++
		}
		if j == 1 || j > 10 { // no digit, or more than nanoseconds
			return 0, 0, false
		}
		for k := j; k < 10; k++ {
			nsec *= 10
		}
		z = z[j:]
	}
	off := 0
	switch {
	case len(z) == 1 && z[0] == 'Z':
	case len(z) == 6 && (z[0] == '+' || z[0] == '-') && z[3] == ':':
		oh, om := digits2(z[1], z[2]), digits2(z[4], z[5])
		if oh < 0 || om < 0 || oh > 23 || om > 59 {
			return 0, 0, false
		}
		off = oh*3600 + om*60
	case len(z) == 5 && (z[0] == '+' || z[0] == '-'):
		oh, om := digits2(z[1], z[2]), digits2(z[3], z[4])
		if oh < 0 || om < 0 || oh > 23 || om > 59 {
			return 0, 0, false
		}
		off = oh*3600 + om*60
	default:
		return 0, 0, false
	}
	if z[0] == '-' {
		off = -off
	}
	sec = daysFromCivil(y, mo, d)*86400 + int64(hh*3600+mi*60+ss) - int64(off)
	if sec < minUnix || sec > maxUnix {
		return 0, 0, false
	}
	return sec, nsec, true
}

// digits2 returns the number that the ASCII digits a and b write, or -1
// when either is not a digit.
func digits2(a, b byte) int {
	a -= '0' // a byte below '0' wraps above 9
	b -= '0'
	if a > 9 || b > 9 {
		return -1
	}
	return int(a)*10 + int(b)
}

// The unix seconds of 0001-01-01T00:00:00Z and 9999-12-31T23:59:59Z.
const (
	minUnix = -62135596800
	maxUnix = 253402300799
)

// daysFromCivil returns the days since 1970-01-01 of a proleptic
// Gregorian date (H. Hinnant's algorithm).
func daysFromCivil(y, m, d int) int64 {
	if m <= 2 {
		y--
	}
	era := y / 400
	if y < 0 && y%400 != 0 {
		era = (y - 399) / 400
	}
	yoe := y - era*400
	mp := (m + 9) % 12
	doy := (153*mp+2)/5 + d - 1
	doe := yoe*365 + yoe/4 - yoe/100 + doy
	return int64(era)*146097 + int64(doe) - 719468
}

// civilFromDays is the inverse of daysFromCivil.
func civilFromDays(z int64) (y, m, d int) {
	z += 719468
	era := z / 146097
	if z < 0 && z%146097 != 0 {
		era = (z - 146096) / 146097
	}
	doe := int(z - era*146097)
	yoe := (doe - doe/1460 + doe/36524 - doe/146096) / 365
	y = yoe + int(era)*400
	doy := doe - (365*yoe + yoe/4 - yoe/100)
	mp := (5*doy + 2) / 153
	d = doy - (153*mp+2)/5 + 1
	m = mp + 3
	if m > 12 {
		m -= 12
	}
	if m <= 2 {
		y++
	}
	return y, m, d
}

// appendUnixUTC appends unix time sec.nsec as RFC 3339 in UTC, like
// appendTimestamp.
func appendUnixUTC(b []byte, sec int64, nsec int) []byte {
	days := sec / 86400
	rem := int(sec % 86400)
	if rem < 0 {
		rem += 86400
		days--
	}
	y, m, d := civilFromDays(days)
	h, mi, s := rem/3600, rem/60%60, rem%60
	b = appendDate(b, y, m, d)
	b = append(b, 'T', byte('0'+h/10), byte('0'+h%10), ':', byte('0'+mi/10), byte('0'+mi%10), ':', byte('0'+s/10), byte('0'+s%10))
	if nsec != 0 {
		var f [9]byte
		ns := nsec
		for i := 8; i >= 0; i-- {
			f[i] = byte('0' + ns%10)
			ns /= 10
		}
		n := 9
		for n > 0 && f[n-1] == '0' {
			n--
		}
		b = append(b, '.')
		b = append(b, f[:n]...)
	}
	return append(b, 'Z')
}
