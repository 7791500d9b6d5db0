package stream

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"reflect"
	"slices"
	"strconv"
	"sync"
	"time"
	"unicode/utf8"

	"github.com/shopspring/decimal"

	"github.com/autonomos/autonomos/canonical"
	"github.com/autonomos/autonomos/tenancy"
)

// The fast encoder writes exactly what json.Marshal writes for a
// canonical.Event (HTML-escaped, map keys sorted, values with a
// MarshalJSON of their own, such as canonical.Decimal, as they marshal
// themselves), several times faster: encoding is most of the client's
// cost of publishing to Redis. It follows a plan of the Event struct made
// once from its fields and tags (see fastplan.go), so fields that package
// canonical adds or renames are encoded like encoding/json does. Where
// the plan cannot promise that (a struct with its own MarshalJSON, an
// embedded field, a ",string" option) or the start-up check on a sample
// that touches every rule disagrees with json.Marshal, fastEventOK is
// false and Encode uses json.Marshal. TestFastEncoderMatchesEncodingJSON
// and FuzzEncode prove the equality.

var fastEventOK = eventPlan != nil && selfCheck()

// checkSample returns an event that exercises every rule of the encoding.
func checkSample() *canonical.Event {
	at := time.Date(2026, 3, 4, 5, 6, 7, 890123456, time.FixedZone("X", 5*3600+30*60))
	return &canonical.Event{
		ID:     "ev-<1>&",
		Tenant: tenancy.MustParse("7f8e2b1c-0d3a-4e5f-9a6b-1c2d3e4f5a6b"),
		Source: canonical.Source{System: "csv", ConnectionID: "c-1", Object: "a <&> b.csv"},
		Entity: "account", Op: canonical.OpDelete, SourceKey: "k\"1\\",
		Data: map[string]any{
			"s": "tab\there\nnew \u2028 \x01 \xff é 日本 <b>", "i": int64(-42), "n": 7, "f": 1.5e-7, "g": 1e21,
			"h": 123456.75, "z": 0.0, "b": true, "nil": nil, "t": at, "d": decimal.RequireFromString("1234.50"),
			"cd":  canonical.Decimal{Decimal: decimal.RequireFromString("99.90")},
			"m":   map[string]any{"y": []any{1.0, "x<", nil, false, decimal.RequireFromString("2.50")}},
			"num": json.Number("12.50"), "list": []string{"a", "b"}, "empty": map[string]any{},
		},
		SchemaFingerprint: "fp",
		OccurredAt:        at,
		IngestedAt:        at.UTC(),
		Problems: []canonical.Problem{
			{Field: "amount", SourceField: "Amount", Raw: "12,5", Reason: "not a number"},
			{Field: "x", Raw: "", Reason: "empty"},
		},
	}
}

// selfCheck reports whether the fast encoder writes what json.Marshal
// writes for the sample.
func selfCheck() bool {
	e := checkSample()
	want, err := json.Marshal(e)
	if err != nil {
		return false
	}
	got, err := appendEvent(nil, e)
	return err == nil && bytes.Equal(got, want)
}

var errUnsupported = errors.New("unsupported value")

// appendEvent appends the JSON encoding of e to b.
func appendEvent(b []byte, e *canonical.Event) ([]byte, error) {
	return eventPlan.append(b, reflect.ValueOf(e).Elem())
}

const hexDigits = "0123456789abcdef"

// plain marks the bytes that appendString copies as they are: printable
// ASCII other than the quote, the backslash and the HTML characters.
var plain = func() (t [256]bool) {
	for c := 0x20; c < utf8.RuneSelf; c++ {
		t[c] = c != '"' && c != '\\' && c != '<' && c != '>' && c != '&'
	}
	return t
}()

// appendUUID appends the canonical form of id, as tenancy.ID's
// MarshalText writes it.
func appendUUID(b []byte, id tenancy.ID) []byte {
	for i, c := range id {
		if i == 4 || i == 6 || i == 8 || i == 10 {
			b = append(b, '-')
		}
		b = append(b, hexDigits[c>>4], hexDigits[c&0xf])
	}
	return b
}

// appendString appends s as a JSON string, escaped as encoding/json's
// Marshal does (HTML characters included).
func appendString(b []byte, s string) []byte {
	b = append(b, '"')
	start := 0
	for i := 0; i < len(s); {
		c := s[i]
		if plain[c] {
			i++
			continue
		}
		if c < utf8.RuneSelf {
			b = append(b, s[start:i]...)
			switch c {
			case '"', '\\':
				b = append(b, '\\', c)
			case '<', '>', '&':
				b = append(b, '\\', 'u', '0', '0', hexDigits[c>>4], hexDigits[c&0xf])
			case '\b':
				b = append(b, '\\', 'b')
			case '\f':
				b = append(b, '\\', 'f')
			case '\n':
				b = append(b, '\\', 'n')
			case '\r':
				b = append(b, '\\', 'r')
			case '\t':
				b = append(b, '\\', 't')
			default:
				b = append(b, '\\', 'u', '0', '0', hexDigits[c>>4], hexDigits[c&0xf])
			}
			i++
			start = i
			continue
		}
		r, size := utf8.DecodeRuneInString(s[i:])
		if r == utf8.RuneError && size == 1 {
			b = append(b, s[start:i]...)
			b = append(b, `\ufffd`...)
			i += size
			start = i
			continue
		}
		if r == '\u2028' || r == '\u2029' {
			b = append(b, s[start:i]...)
			b = append(b, '\\', 'u', '2', '0', '2', hexDigits[r&0xf])
			i += size
			start = i
			continue
		}
		i += size
	}
	b = append(b, s[start:]...)
	return append(b, '"')
}

func appendTime(b []byte, t time.Time) ([]byte, error) {
	if y := t.Year(); y < 0 || y > 9999 {
		return b, fmt.Errorf("%w: year %d outside [0,9999]", errUnsupported, y)
	}
	if _, off := t.Zone(); off%60 != 0 {
		// encoding/json refuses sub-minute zone offsets too; let it say so.
		return appendFallback(b, t)
	}
	b = append(b, '"')
	b = t.AppendFormat(b, time.RFC3339Nano)
	return append(b, '"'), nil
}

func appendFloat(b []byte, f float64) ([]byte, error) {
	if math.IsInf(f, 0) || math.IsNaN(f) {
		return b, fmt.Errorf("%w: %v", errUnsupported, f)
	}
	format := byte('f')
	if abs := math.Abs(f); abs != 0 && (abs < 1e-6 || abs >= 1e21) {
		format = 'e'
	}
	b = strconv.AppendFloat(b, f, format, -1, 64)
	if format == 'e' { // e-09 -> e-9, as encoding/json writes it
		n := len(b)
		if n >= 4 && b[n-4] == 'e' && b[n-3] == '-' && b[n-2] == '0' {
			b[n-2] = b[n-1]
			b = b[:n-1]
		}
	}
	return b, nil
}

// keyPool holds key buffers for appendMap. Each also remembers the
// sorted keys of the last map it served: the events of one source share
// their key set, so the next map is usually encoded in that order after
// a lookup per key, without collecting and sorting its keys again.
// keyPool holds key buffers for appendMap. Each also remembers the
// sorted keys of the last map it served, and their encoded form: the
// events of one source share their key set, so the next map is usually
// encoded in that order after a lookup per key, without collecting,
// sorting and escaping its keys again.
var keyPool = sync.Pool{New: func() any { return &mapKeys{keys: make([]string, 0, 32)} }}

type mapKeys struct {
	keys []string // sorted keys of the last map encoded with this buffer
	enc  []byte   // the keys encoded, each as "key": (escaped)
	ends []int    // ends[i] is the end of keys[i]'s encoding in enc
}

// remember sets keys, sorted, as the remembered ones and encodes them.
func (mk *mapKeys) remember(keys []string) {
	mk.keys = keys
	mk.enc = mk.enc[:0]
	mk.ends = mk.ends[:0]
	for _, k := range keys {
		mk.enc = appendString(mk.enc, k)
		mk.enc = append(mk.enc, ':')
		mk.ends = append(mk.ends, len(mk.enc))
	}
}

// appendMap appends m with sorted keys.
func appendMap(b []byte, m map[string]any) ([]byte, error) {
	if m == nil {
		return append(b, "null"...), nil
	}
	mk := keyPool.Get().(*mapKeys)
	defer keyPool.Put(mk)
	if len(mk.keys) == len(m) && len(m) > 0 {
		// Same size as the last map: if every remembered key is in m, the
		// key sets are equal (the remembered keys are distinct) and the
		// remembered order is m's sorted order.
		n := len(b)
		out, hit, err := mk.appendKnown(b, m)
		if hit || err != nil {
			return out, err
		}
		b = out[:n]
	}
	keys := mk.keys[:0]
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	mk.remember(keys)
	out, _, err := mk.appendKnown(b, m)
	return out, err
}

// appendKnown appends m in the order of the remembered keys, which must
// be m's keys when there are len(m) of them. It reports hit == false,
// with b partly written, as soon as a key is missing from m.
func (mk *mapKeys) appendKnown(b []byte, m map[string]any) (_ []byte, hit bool, err error) {
	b = append(b, '{')
	start := 0
	for i, k := range mk.keys {
		v, ok := m[k]
		if !ok {
			return b, false, nil
		}
		if i > 0 {
			b = append(b, ',')
		}
		end := mk.ends[i]
		b = append(b, mk.enc[start:end]...)
		start = end
		if b, err = appendValue(b, v); err != nil {
			return b, true, err
		}
	}
	return append(b, '}'), true, nil
}

// appendSmallDecimal appends d as canonical.Decimal's MarshalJSON writes
// it (a string of plain digits keeping d's scale), without allocating,
// when d's coefficient has at most 18 digits and its exponent is in
// [-18, 0]. It reports false, with b unchanged, for other decimals.
func appendSmallDecimal(b []byte, d decimal.Decimal) ([]byte, bool) {
	e := d.Exponent()
	if e > 0 || e < -18 || d.NumDigits() > 18 {
		return b, false
	}
	c := d.CoefficientInt64()
	b = append(b, '"')
	if c < 0 {
		b = append(b, '-')
		c = -c
	}
	var tmp [20]byte
	digits := strconv.AppendInt(tmp[:0], c, 10)
	switch places := int(-e); {
	case places == 0:
		b = append(b, digits...)
	case len(digits) > places:
		b = append(b, digits[:len(digits)-places]...)
		b = append(b, '.')
		b = append(b, digits[len(digits)-places:]...)
	default:
		b = append(b, '0', '.')
		for range places - len(digits) {
			b = append(b, '0')
		}
		b = append(b, digits...)
	}
	return append(b, '"'), true
}

func appendValue(b []byte, v any) ([]byte, error) {
	switch v := v.(type) {
	case nil:
		return append(b, "null"...), nil
	case string:
		return appendString(b, v), nil
	case bool:
		return strconv.AppendBool(b, v), nil
	case int64:
		return strconv.AppendInt(b, v, 10), nil
	case int:
		return strconv.AppendInt(b, int64(v), 10), nil
	case int32:
		return strconv.AppendInt(b, int64(v), 10), nil
	case float64:
		return appendFloat(b, v)
	case time.Time:
		return appendTime(b, v)
	case canonical.Decimal:
		if out, ok := appendSmallDecimal(b, v.Decimal); ok {
			return out, nil
		}
		out, err := v.MarshalJSON()
		if err != nil {
			return b, err
		}
		return append(b, out...), nil
	case map[string]any:
		return appendMap(b, v)
	case []any:
		if v == nil {
			return append(b, "null"...), nil
		}
		b = append(b, '[')
		var err error
		for i, x := range v {
			if i > 0 {
				b = append(b, ',')
			}
			if b, err = appendValue(b, x); err != nil {
				return b, err
			}
		}
		return append(b, ']'), nil
	}
	return appendFallback(b, v)
}

// appendFallback encodes v with json.Marshal, for the value types the
// fast path does not know (nested decimals, json.Number, typed slices,
// anything with its own MarshalJSON).
func appendFallback(b []byte, v any) ([]byte, error) {
	out, err := json.Marshal(v)
	if err != nil {
		return b, err
	}
	return append(b, out...), nil
}
