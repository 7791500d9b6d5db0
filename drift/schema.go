package drift

import "fmt"

// FieldType is the type a connector's discovery reports for a field.
type FieldType string

// The declared field types.
const (
	TypeString    FieldType = "string"
	TypeInteger   FieldType = "integer"
	TypeNumber    FieldType = "number"
	TypeBoolean   FieldType = "boolean"
	TypeTimestamp FieldType = "timestamp"
	TypeDate      FieldType = "date"
	TypeObject    FieldType = "object"
	TypeArray     FieldType = "array"
)

// Pattern is a value shape detected in a field's samples.
type Pattern string

// The detected patterns.
const (
	PatternEmail      Pattern = "email"
	PatternPhone      Pattern = "phone"
	PatternURL        Pattern = "url"    // has a scheme or www., or a path
	PatternDomain     Pattern = "domain" // a bare host name
	PatternDate       Pattern = "date"
	PatternTimestamp  Pattern = "timestamp"
	PatternEpoch      Pattern = "epoch" // unix seconds or milliseconds
	PatternCurrency   Pattern = "currency_code"
	PatternCountry    Pattern = "country" // ISO code or English name
	PatternIDLike     Pattern = "id_like"
	PatternPercent01  Pattern = "percent_0_1"
	PatternPercent100 Pattern = "percent_0_100"
	PatternNumeric    Pattern = "numeric"
	PatternInteger    Pattern = "integer"
	PatternBoolean    Pattern = "boolean"
	PatternMoney      Pattern = "money" // numeric with a currency sign or grouping
)

// Stats summarizes a field's samples.
type Stats struct {
	// Count is the number of values seen, nulls and empties included.
	Count int `json:"count"`
	// NullRatio is the share of values that were null or empty.
	NullRatio float64 `json:"null_ratio"`
	// DistinctRatio is distinct non-null values over non-null values.
	DistinctRatio float64 `json:"distinct_ratio"`
	// MinLen and MaxLen bound the length in runes of non-null values.
	MinLen int `json:"min_len"`
	MaxLen int `json:"max_len"`
	// Patterns maps each detected pattern to the share of non-null values
	// that have it (0..1). Patterns no value has are absent.
	Patterns map[Pattern]float64 `json:"patterns,omitempty"`
	// Min and Max bound the numeric values, when any value is numeric.
	Min *float64 `json:"min,omitempty"`
	Max *float64 `json:"max,omitempty"`
}

// Field is one field of a source object's schema.
type Field struct {
	// Name is the field's name; nested paths are dotted.
	Name string `json:"name"`
	// Type is the declared (or inferred) type.
	Type FieldType `json:"type"`
	// Nullable reports whether the field may be null.
	Nullable bool `json:"nullable"`
	// Samples holds a bounded set of raw values as text.
	Samples []string `json:"samples,omitempty"`
	// Stats summarizes the values seen.
	Stats Stats `json:"stats"`
}

// Schema is the schema of one source object.
type Schema struct {
	// System is the kind of source ("salesforce", "csv").
	System string `json:"system"`
	// ConnectionID identifies the tenant's connection.
	ConnectionID string `json:"connection_id,omitempty"`
	// Object is the object, table or file name.
	Object string `json:"object"`
	// PrimaryKey names the key fields, when the source declares them.
	PrimaryKey []string `json:"primary_key,omitempty"`
	// Fields lists the fields in source order.
	Fields []Field `json:"fields"`
}

// Field returns the named field.
func (s *Schema) Field(name string) (Field, bool) {
	for _, f := range s.Fields {
		if f.Name == name {
			return f, true
		}
	}
	return Field{}, false
}

// Valid reports whether t is one of the declared field types.
func (t FieldType) Valid() bool {
	switch t {
	case TypeString, TypeInteger, TypeNumber, TypeBoolean, TypeTimestamp, TypeDate, TypeObject, TypeArray:
		return true
	}
	return false
}

// Validate checks that s can be stored and compared: an object name,
// and fields with non-empty, unique names and declared types. It
// returns a [*SchemaError] (matching [ErrInvalidSchema]) naming the
// first problem.
func (s *Schema) Validate() error {
	if s == nil {
		return &SchemaError{Reason: "nil schema"}
	}
	if s.Object == "" {
		return &SchemaError{Reason: "no object name"}
	}
	seen := make(map[string]struct{}, len(s.Fields))
	for i := range s.Fields {
		f := &s.Fields[i]
		if f.Name == "" {
			return &SchemaError{Object: s.Object, Field: fmt.Sprintf("#%d", i), Reason: "empty name"}
		}
		if _, dup := seen[f.Name]; dup {
			return &SchemaError{Object: s.Object, Field: fmt.Sprintf("%q", f.Name), Reason: "duplicate name"}
		}
		seen[f.Name] = struct{}{}
		if !f.Type.Valid() {
			return &SchemaError{Object: s.Object, Field: fmt.Sprintf("%q", f.Name), Reason: fmt.Sprintf("unknown type %q", f.Type)}
		}
	}
	for _, k := range s.PrimaryKey {
		if _, ok := seen[k]; !ok {
			return &SchemaError{Object: s.Object, Field: fmt.Sprintf("%q", k), Reason: "primary key names no field"}
		}
	}
	return nil
}

// Clone returns a deep copy of s.
func (s *Schema) Clone() *Schema {
	if s == nil {
		return nil
	}
	c := *s
	c.PrimaryKey = append([]string(nil), s.PrimaryKey...)
	c.Fields = make([]Field, len(s.Fields))
	for i, f := range s.Fields {
		f.Samples = append([]string(nil), f.Samples...)
		if f.Stats.Patterns != nil {
			m := make(map[Pattern]float64, len(f.Stats.Patterns))
			for k, v := range f.Stats.Patterns {
				m[k] = v
			}
			f.Stats.Patterns = m
		}
		if f.Stats.Min != nil {
			v := *f.Stats.Min
			f.Stats.Min = &v
		}
		if f.Stats.Max != nil {
			v := *f.Stats.Max
			f.Stats.Max = &v
		}
		c.Fields[i] = f
	}
	return &c
}
