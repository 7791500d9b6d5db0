package stream

import (
	"encoding"
	"encoding/json"
	"fmt"
	"reflect"
	"strconv"
	"strings"
	"time"

	"github.com/autonomos/autonomos/canonical"
	"github.com/autonomos/autonomos/tenancy"
)

// A plan says how to encode and decode one struct type the way
// encoding/json does, for the types that canonical.Event is made of. It is
// built once, by reflection, at start-up.
type plan struct {
	fields []planField
	byName map[string]int // JSON name -> index in fields
}

type planField struct {
	index     int    // struct field index
	goName    string // Go field name
	name      string // JSON name
	key       []byte // `"name":`, escaped as encoding/json escapes it
	omitEmpty bool
	omitZero  bool
	kind      fieldKind
	sub       *plan // kStruct, kStructSlice
	typ       reflect.Type
}

type fieldKind int

const (
	kString      fieldKind = iota // a string kind without marshal methods
	kBool                         // bool
	kInt                          // signed integers
	kUint                         // unsigned integers
	kFloat                        // float64
	kTenant                       // tenancy.ID
	kTime                         // time.Time
	kAnyMap                       // map[string]any
	kAny                          // any
	kStruct                       // a struct without marshal methods
	kStructSlice                  // a slice of such structs
	kFallback                     // anything else: json.Marshal of the value
)

var (
	typeTenant = reflect.TypeFor[tenancy.ID]()
	typeTime   = reflect.TypeFor[time.Time]()
	typeAnyMap = reflect.TypeFor[map[string]any]()
	typeAny    = reflect.TypeFor[any]()
)

// eventPlan is nil when canonical.Event has a shape the plan cannot
// promise to encode like encoding/json.
var eventPlan = buildPlan(reflect.TypeFor[canonical.Event](), 0)

func buildPlan(t reflect.Type, depth int) *plan {
	if t.Kind() != reflect.Struct || depth > 8 {
		return nil
	}
	for _, tt := range []reflect.Type{t, reflect.PointerTo(t)} {
		if tt.Implements(reflect.TypeFor[json.Marshaler]()) || tt.Implements(reflect.TypeFor[encoding.TextMarshaler]()) {
			return nil
		}
	}
	p := &plan{byName: map[string]int{}}
	for i := range t.NumField() {
		sf := t.Field(i)
		if sf.Anonymous {
			return nil // embedding has its own rules; leave it to encoding/json
		}
		if !sf.IsExported() {
			continue
		}
		tag := sf.Tag.Get("json")
		if tag == "-" {
			continue
		}
		name, opts, _ := strings.Cut(tag, ",")
		if name == "" {
			name = sf.Name
		}
		f := planField{index: i, goName: sf.Name, name: name, typ: sf.Type}
		for _, o := range strings.Split(opts, ",") {
			switch o {
			case "omitempty":
				f.omitEmpty = true
			case "omitzero":
				f.omitZero = true
			case "string":
				return nil
			}
		}
		if f.omitZero && sf.Type != typeTime && hasIsZero(sf.Type) {
			return nil
		}
		f.key = append(appendString(nil, name), ':')
		f.kind, f.sub = kindOf(sf.Type, depth)
		if _, dup := p.byName[name]; dup {
			return nil
		}
		p.byName[name] = len(p.fields)
		p.fields = append(p.fields, f)
	}
	return p
}

func hasIsZero(t reflect.Type) bool {
	type zeroer interface{ IsZero() bool }
	z := reflect.TypeFor[zeroer]()
	return t.Implements(z) || reflect.PointerTo(t).Implements(z)
}

func kindOf(t reflect.Type, depth int) (fieldKind, *plan) {
	switch t {
	case typeTenant:
		return kTenant, nil
	case typeTime:
		return kTime, nil
	case typeAnyMap:
		return kAnyMap, nil
	case typeAny:
		return kAny, nil
	}
	for _, tt := range []reflect.Type{t, reflect.PointerTo(t)} {
		if tt.Implements(reflect.TypeFor[json.Marshaler]()) || tt.Implements(reflect.TypeFor[encoding.TextMarshaler]()) ||
			tt.Implements(reflect.TypeFor[json.Unmarshaler]()) || tt.Implements(reflect.TypeFor[encoding.TextUnmarshaler]()) {
			return kFallback, nil
		}
	}
	switch t.Kind() {
	case reflect.String:
		return kString, nil
	case reflect.Bool:
		return kBool, nil
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
		return kInt, nil
	case reflect.Uint, reflect.Uint16, reflect.Uint32, reflect.Uint64:
		return kUint, nil
	case reflect.Float64:
		return kFloat, nil
	case reflect.Struct:
		if sub := buildPlan(t, depth+1); sub != nil {
			return kStruct, sub
		}
	case reflect.Slice:
		if t.Elem().Kind() == reflect.Struct {
			if sub := buildPlan(t.Elem(), depth+1); sub != nil {
				return kStructSlice, sub
			}
		}
	}
	return kFallback, nil
}

// isEmpty is encoding/json's test for omitempty.
func isEmpty(v reflect.Value) bool {
	switch v.Kind() {
	case reflect.Array, reflect.Map, reflect.Slice, reflect.String:
		return v.Len() == 0
	case reflect.Bool, reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64,
		reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64, reflect.Uintptr,
		reflect.Float32, reflect.Float64, reflect.Interface, reflect.Pointer:
		return v.IsZero()
	}
	return false
}

// append encodes the struct v (addressable) as encoding/json does.
func (p *plan) append(b []byte, v reflect.Value) ([]byte, error) {
	b = append(b, '{')
	first := true
	for i := range p.fields {
		f := &p.fields[i]
		fv := v.Field(f.index)
		if f.omitEmpty && isEmpty(fv) {
			continue
		}
		if f.omitZero {
			if f.kind == kTime {
				if fv.Addr().Interface().(*time.Time).IsZero() {
					continue
				}
			} else if fv.IsZero() {
				continue
			}
		}
		if !first {
			b = append(b, ',')
		}
		first = false
		b = append(b, f.key...)
		var err error
		if b, err = f.append(b, fv); err != nil {
			return b, fmt.Errorf("%s: %w", f.name, err)
		}
	}
	return append(b, '}'), nil
}

func (f *planField) append(b []byte, v reflect.Value) ([]byte, error) {
	switch f.kind {
	case kString:
		return appendString(b, v.String()), nil
	case kBool:
		return strconv.AppendBool(b, v.Bool()), nil
	case kInt:
		return strconv.AppendInt(b, v.Int(), 10), nil
	case kUint:
		return strconv.AppendUint(b, v.Uint(), 10), nil
	case kFloat:
		return appendFloat(b, v.Float())
	case kTenant:
		b = append(b, '"')
		b = appendUUID(b, *v.Addr().Interface().(*tenancy.ID))
		return append(b, '"'), nil
	case kTime:
		return appendTime(b, *v.Addr().Interface().(*time.Time))
	case kAnyMap:
		return appendMap(b, v.Interface().(map[string]any))
	case kAny:
		return appendValue(b, v.Interface())
	case kStruct:
		return f.sub.append(b, v)
	case kStructSlice:
		if v.IsNil() {
			return append(b, "null"...), nil
		}
		b = append(b, '[')
		for i := range v.Len() {
			if i > 0 {
				b = append(b, ',')
			}
			var err error
			if b, err = f.sub.append(b, v.Index(i)); err != nil {
				return b, err
			}
		}
		return append(b, ']'), nil
	}
	return appendFallback(b, v.Interface())
}
