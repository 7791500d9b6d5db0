package mongodb

import (
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"math"
	"strconv"
	"time"

	"go.mongodb.org/mongo-driver/v2/bson"
)

// MaxDepth is how many levels of nested documents [Flatten] turns into
// dotted paths, as drift's Inferrer does by default; a document nested
// deeper stays a map value.
const MaxDepth = 8

// Flatten converts a BSON document into a record's fields: nested
// documents become dotted paths ("address.city"), arrays stay arrays
// (their documents as maps), and values become portable Go values (see
// [Convert]). An empty nested document stays an empty map, so that its
// field is not lost.
func Flatten(doc bson.Raw) (map[string]any, error) {
	out := make(map[string]any)
	if err := flattenInto(out, "", doc, 0); err != nil {
		return nil, err
	}
	return out, nil
}

func flattenInto(out map[string]any, prefix string, doc bson.Raw, depth int) error {
	elems, err := doc.Elements()
	if err != nil {
		return err
	}
	for _, e := range elems {
		key, err := e.KeyErr()
		if err != nil {
			return err
		}
		path := key
		if prefix != "" {
			path = prefix + "." + key
		}
		v, err := e.ValueErr()
		if err != nil {
			return fmt.Errorf("field %q: %w", path, err)
		}
		if sub, ok := v.DocumentOK(); ok && depth+1 < MaxDepth {
			if n, _ := sub.Elements(); len(n) > 0 {
				if err := flattenInto(out, path, sub, depth+1); err != nil {
					return err
				}
				continue
			}
		}
		cv, err := Convert(v)
		if err != nil {
			return fmt.Errorf("field %q: %w", path, err)
		}
		if _, dup := out[path]; dup {
			return fmt.Errorf("%w: %q", ErrFieldCollision, path)
		}
		out[path] = cv
	}
	return nil
}

// Convert turns one BSON value into a portable Go value:
//
//   - ObjectID: its 24 hex digits
//   - Decimal128: its exact decimal text as json.Number (NaN and
//     ±Infinity as strings)
//   - DateTime: RFC 3339 in UTC with milliseconds; Timestamp: RFC 3339
//     of its seconds
//   - int32, int64: int64; double: float64 (NaN, ±Inf as strings)
//   - string, bool; null and undefined: nil
//   - binary: a UUID's canonical text for subtypes 3 and 4 of 16 bytes,
//     else standard base64
//   - document: map[string]any, nested (only top-level documents are
//     flattened, by [Flatten]); array: []any
//   - regex "/pattern/options"; JavaScript and symbols their text;
//     MinKey and MaxKey "MinKey" and "MaxKey"
func Convert(v bson.RawValue) (any, error) {
	switch v.Type {
	case bson.TypeNull, bson.TypeUndefined:
		return nil, nil
	case bson.TypeObjectID:
		if id, ok := v.ObjectIDOK(); ok {
			return id.Hex(), nil
		}
	case bson.TypeDecimal128:
		if d, ok := v.Decimal128OK(); ok {
			if d.IsNaN() || d.IsInf() != 0 {
				return d.String(), nil
			}
			return json.Number(d.String()), nil
		}
	case bson.TypeDateTime:
		if ms, ok := v.DateTimeOK(); ok {
			return time.UnixMilli(ms).UTC().Format("2006-01-02T15:04:05.000Z07:00"), nil
		}
	case bson.TypeTimestamp:
		if t, _, ok := v.TimestampOK(); ok {
			return time.Unix(int64(t), 0).UTC().Format(time.RFC3339), nil
		}
	case bson.TypeInt32:
		if i, ok := v.Int32OK(); ok {
			return int64(i), nil
		}
	case bson.TypeInt64:
		if i, ok := v.Int64OK(); ok {
			return i, nil
		}
	case bson.TypeDouble:
		if f, ok := v.DoubleOK(); ok {
			if math.IsNaN(f) || math.IsInf(f, 0) {
				return strconv.FormatFloat(f, 'g', -1, 64), nil
			}
			return f, nil
		}
	case bson.TypeString:
		if s, ok := v.StringValueOK(); ok {
			return s, nil
		}
	case bson.TypeBoolean:
		if b, ok := v.BooleanOK(); ok {
			return b, nil
		}
	case bson.TypeBinary:
		if sub, data, ok := v.BinaryOK(); ok {
			if (sub == 3 || sub == 4) && len(data) == 16 {
				h := hex.EncodeToString(data)
				return h[:8] + "-" + h[8:12] + "-" + h[12:16] + "-" + h[16:20] + "-" + h[20:], nil
			}
			return base64.StdEncoding.EncodeToString(data), nil
		}
	case bson.TypeEmbeddedDocument:
		if doc, ok := v.DocumentOK(); ok {
			elems, err := doc.Elements()
			if err != nil {
				return nil, err
			}
			m := make(map[string]any, len(elems))
			for _, e := range elems {
				cv, err := Convert(e.Value())
				if err != nil {
					return nil, fmt.Errorf("field %q: %w", e.Key(), err)
				}
				m[e.Key()] = cv
			}
			return m, nil
		}
	case bson.TypeArray:
		if arr, ok := v.ArrayOK(); ok {
			vals, err := arr.Values()
			if err != nil {
				return nil, err
			}
			out := make([]any, len(vals))
			for i, e := range vals {
				cv, err := Convert(e)
				if err != nil {
					return nil, fmt.Errorf("element %d: %w", i, err)
				}
				out[i] = cv
			}
			return out, nil
		}
	case bson.TypeRegex:
		if p, o, ok := v.RegexOK(); ok {
			return "/" + p + "/" + o, nil
		}
	case bson.TypeJavaScript:
		if s, ok := v.JavaScriptOK(); ok {
			return s, nil
		}
	case bson.TypeCodeWithScope:
		if s, _, ok := v.CodeWithScopeOK(); ok {
			return s, nil
		}
	case bson.TypeSymbol:
		if s, ok := v.SymbolOK(); ok {
			return s, nil
		}
	case bson.TypeDBPointer:
		if ns, id, ok := v.DBPointerOK(); ok {
			return ns + "/" + id.Hex(), nil
		}
	case bson.TypeMinKey:
		return "MinKey", nil
	case bson.TypeMaxKey:
		return "MaxKey", nil
	}
	return nil, fmt.Errorf("malformed or unknown BSON value of type %v", v.Type)
}
