package stream

import (
	"encoding/json"
	"reflect"
	"strconv"
	"time"
	"unicode/utf16"
	"unicode/utf8"

	"github.com/autonomos/autonomos/canonical"
	"github.com/autonomos/autonomos/tenancy"
)

// The fast decoder reads compact JSON with the keys of the event plan (in
// any order, no white space, plain strings) and gives the same Event that
// json.Unmarshal gives (canonical's UnmarshalJSON: numbers as
// json.Number, the integers of Data as int64). Anything else it does not
// try to understand: decodeFast reports false and Decode uses
// json.Unmarshal. fastDecodeOK is checked at start-up like fastEventOK.

var fastDecodeOK = fastEventOK && decodeSelfCheck()

func decodeSelfCheck() bool {
	body, err := appendEvent(nil, checkSample())
	if err != nil {
		return false
	}
	var want canonical.Event
	if err := json.Unmarshal(body, &want); err != nil {
		return false
	}
	got, ok := decodeFast(body)
	return ok && reflect.DeepEqual(got, want)
}

type decoder struct {
	b []byte
	i int
}

// lit consumes s if the input continues with it.
func (d *decoder) lit(s string) bool {
	if len(d.b)-d.i < len(s) || string(d.b[d.i:d.i+len(s)]) != s {
		return false
	}
	d.i += len(s)
	return true
}

func decodeFast(body []byte) (e canonical.Event, ok bool) {
	d := &decoder{b: body}
	if !d.structInto(eventPlan, reflect.ValueOf(&e).Elem(), 0, true) || d.i != len(d.b) {
		return canonical.Event{}, false
	}
	return e, true
}

// structInto reads a JSON object into the struct v by plan p. It
// declines keys the plan does not know (encoding/json would match them
// case-insensitively) and values it does not read exactly as
// encoding/json would. root marks canonical.Event, whose UnmarshalJSON
// turns the integers of Data into int64.
func (d *decoder) structInto(p *plan, v reflect.Value, depth int, root bool) bool {
	if depth > maxDepth || !d.lit("{") {
		return false
	}
	if d.lit("}") {
		return true
	}
	for {
		var k string
		if !d.str(&k) || !d.lit(":") {
			return false
		}
		i, ok := p.byName[k]
		if !ok {
			return false
		}
		f := &p.fields[i]
		if !d.field(f, v.Field(f.index), depth, root && f.goName == "Data") {
			return false
		}
		if d.lit("}") {
			return true
		}
		if !d.lit(",") {
			return false
		}
	}
}

func (d *decoder) field(f *planField, v reflect.Value, depth int, intData bool) bool {
	switch f.kind {
	case kString:
		var s string
		if !d.str(&s) {
			return false
		}
		v.SetString(s)
		return true
	case kBool:
		switch {
		case d.lit("true"):
			v.SetBool(true)
		case d.lit("false"):
			v.SetBool(false)
		default:
			return false
		}
		return true
	case kInt, kUint, kFloat:
		tok, integer, ok := d.numberToken()
		if !ok {
			return false
		}
		switch f.kind {
		case kInt:
			n, err := strconv.ParseInt(tok, 10, 64)
			if !integer || err != nil || v.OverflowInt(n) {
				return false
			}
			v.SetInt(n)
		case kUint:
			n, err := strconv.ParseUint(tok, 10, 64)
			if !integer || err != nil || v.OverflowUint(n) {
				return false
			}
			v.SetUint(n)
		default:
			x, err := strconv.ParseFloat(tok, 64)
			if err != nil {
				return false
			}
			v.SetFloat(x)
		}
		return true
	case kTenant:
		var s string
		if !d.str(&s) {
			return false
		}
		t, err := tenancy.Parse(s)
		if err != nil {
			return false
		}
		*v.Addr().Interface().(*tenancy.ID) = t
		return true
	case kTime:
		return d.time(v.Addr().Interface().(*time.Time))
	case kAnyMap:
		if d.lit("null") {
			v.SetZero()
			return true
		}
		m, ok := d.object(depth+1, intData)
		if !ok {
			return false
		}
		v.Set(reflect.ValueOf(m))
		return true
	case kAny:
		x, ok := d.value(depth+1, false)
		if !ok {
			return false
		}
		if x == nil {
			v.SetZero()
		} else {
			v.Set(reflect.ValueOf(x))
		}
		return true
	case kStruct:
		return d.structInto(f.sub, v, depth+1, false)
	case kStructSlice:
		if d.lit("null") {
			v.SetZero()
			return true
		}
		if !d.lit("[") {
			return false
		}
		s := reflect.MakeSlice(f.typ, 0, 4)
		if !d.lit("]") {
			for {
				el := reflect.New(f.typ.Elem()).Elem()
				if !d.structInto(f.sub, el, depth+1, false) {
					return false
				}
				s = reflect.Append(s, el)
				if d.lit("]") {
					break
				}
				if !d.lit(",") {
					return false
				}
			}
		}
		v.Set(s)
		return true
	}
	return false
}

func (d *decoder) time(t *time.Time) bool {
	start := d.i
	var s string
	if !d.str(&s) {
		return false
	}
	return t.UnmarshalJSON(d.b[start:d.i]) == nil
}

// str reads a JSON string. It declines (false) invalid UTF-8 and
// surrogate escapes, which encoding/json repairs in its own way.
func (d *decoder) str(out *string) bool {
	if d.i >= len(d.b) || d.b[d.i] != '"' {
		return false
	}
	d.i++
	start := d.i
	ascii := true
	for d.i < len(d.b) {
		c := d.b[d.i]
		switch {
		case c == '"':
			if !ascii && !utf8.Valid(d.b[start:d.i]) {
				return false
			}
			*out = string(d.b[start:d.i])
			d.i++
			return true
		case c == '\\':
			return d.strEscaped(start, out)
		case c < 0x20:
			return false
		case c >= utf8.RuneSelf:
			ascii = false
		}
		d.i++
	}
	return false
}

func (d *decoder) strEscaped(start int, out *string) bool {
	buf := make([]byte, 0, d.i-start+16)
	buf = append(buf, d.b[start:d.i]...)
	for d.i < len(d.b) {
		c := d.b[d.i]
		switch {
		case c == '"':
			if !utf8.Valid(buf) {
				return false
			}
			*out = string(buf)
			d.i++
			return true
		case c < 0x20:
			return false
		case c != '\\':
			buf = append(buf, c)
			d.i++
			continue
		}
		if d.i+1 >= len(d.b) {
			return false
		}
		esc := d.b[d.i+1]
		d.i += 2
		switch esc {
		case '"', '\\', '/':
			buf = append(buf, esc)
		case 'b':
			buf = append(buf, '\b')
		case 'f':
			buf = append(buf, '\f')
		case 'n':
			buf = append(buf, '\n')
		case 'r':
			buf = append(buf, '\r')
		case 't':
			buf = append(buf, '\t')
		case 'u':
			if d.i+4 > len(d.b) {
				return false
			}
			r, err := strconv.ParseUint(string(d.b[d.i:d.i+4]), 16, 32)
			if err != nil || utf16.IsSurrogate(rune(r)) {
				return false
			}
			buf = utf8.AppendRune(buf, rune(r))
			d.i += 4
		default:
			return false
		}
	}
	return false
}

const maxDepth = 64

// object reads a JSON object into a map. top marks Event.Data, whose
// integers canonical turns into int64.
func (d *decoder) object(depth int, top bool) (map[string]any, bool) {
	if depth > maxDepth || !d.lit("{") {
		return nil, false
	}
	m := make(map[string]any)
	if d.lit("}") {
		return m, true
	}
	for {
		var k string
		if !d.str(&k) || !d.lit(":") {
			return nil, false
		}
		v, ok := d.value(depth, top)
		if !ok {
			return nil, false
		}
		m[k] = v
		if d.lit("}") {
			return m, true
		}
		if !d.lit(",") {
			return nil, false
		}
	}
}

func (d *decoder) value(depth int, top bool) (any, bool) {
	if d.i >= len(d.b) {
		return nil, false
	}
	switch c := d.b[d.i]; {
	case c == '"':
		var s string
		if !d.str(&s) {
			return nil, false
		}
		return s, true
	case c == '{':
		return d.object(depth+1, false)
	case c == '[':
		if depth+1 > maxDepth {
			return nil, false
		}
		d.i++
		out := []any{}
		if d.lit("]") {
			return out, true
		}
		for {
			v, ok := d.value(depth+1, false)
			if !ok {
				return nil, false
			}
			out = append(out, v)
			if d.lit("]") {
				return out, true
			}
			if !d.lit(",") {
				return nil, false
			}
		}
	case c == 't':
		return true, d.lit("true")
	case c == 'f':
		return false, d.lit("false")
	case c == 'n':
		return nil, d.lit("null")
	case c == '-' || (c >= '0' && c <= '9'):
		return d.number(top)
	}
	return nil, false
}

func (d *decoder) number(top bool) (any, bool) {
	tok, integer, ok := d.numberToken()
	if !ok {
		return nil, false
	}
	if top && integer {
		if n, err := strconv.ParseInt(tok, 10, 64); err == nil {
			return n, true
		}
	}
	return json.Number(tok), true
}

// numberToken reads a JSON number and says whether it has neither a
// fraction nor an exponent.
func (d *decoder) numberToken() (tok string, integer, ok bool) {
	start := d.i
	b := d.b
	if d.i < len(b) && b[d.i] == '-' {
		d.i++
	}
	switch {
	case d.i < len(b) && b[d.i] == '0':
		d.i++
	case d.i < len(b) && b[d.i] >= '1' && b[d.i] <= '9':
		for d.i < len(b) && b[d.i] >= '0' && b[d.i] <= '9' {
			d.i++
		}
	default:
		return "", false, false
	}
	integer = true
	if d.i < len(b) && b[d.i] == '.' {
		integer = false
		d.i++
		n := d.i
		for d.i < len(b) && b[d.i] >= '0' && b[d.i] <= '9' {
			d.i++
		}
		if d.i == n {
			return "", false, false
		}
	}
	if d.i < len(b) && (b[d.i] == 'e' || b[d.i] == 'E') {
		integer = false
		d.i++
		if d.i < len(b) && (b[d.i] == '+' || b[d.i] == '-') {
			d.i++
		}
		n := d.i
		for d.i < len(b) && b[d.i] >= '0' && b[d.i] <= '9' {
			d.i++
		}
		if d.i == n {
			return "", false, false
		}
	}
	return string(b[start:d.i]), integer, true
}
