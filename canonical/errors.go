package canonical

import (
	"errors"
	"strconv"
	"strings"
)

var (
	// ErrUnknownTarget is returned when an "entity.field" target names
	// nothing in the ontology.
	ErrUnknownTarget = errors.New("canonical: unknown target")
	// ErrInvalidOntology is returned when a registered entity or field is
	// malformed or conflicts with the existing ontology.
	ErrInvalidOntology = errors.New("canonical: invalid ontology")
	// ErrUnknownEntity is returned when an entity name names nothing in
	// the ontology.
	ErrUnknownEntity = errors.New("canonical: unknown entity")
	// ErrNoValue is wrapped by the typed value normalizers
	// ([NormalizeDate] and the others) when the input is null: nil, an
	// empty or blank string, or the text "null". [NormalizeValue] and the
	// [Normalizer] turn such input into a null field instead.
	ErrNoValue = errors.New("canonical: no value")
	// ErrInvalidValue is wrapped by a [*ValueError] for input that is not
	// a value of the expected type.
	ErrInvalidValue = errors.New("canonical: invalid value")
	// ErrAmbiguousValue is wrapped by a [*ValueError] for input that has
	// more than one reading (a day/month order, a "$" sign, a percentage
	// of 1) and nothing that says which one is meant. Declaring a [Locale]
	// or a [PercentScale] settles it.
	ErrAmbiguousValue = errors.New("canonical: ambiguous value")
	// ErrMissingKey is wrapped by a [*MissingKeyError] for a record that
	// has no source key.
	ErrMissingKey = errors.New("canonical: record has no key")
	// ErrInvalidMapping is returned by [NewNormalizer] for a mapping that
	// cannot be compiled.
	ErrInvalidMapping = errors.New("canonical: invalid mapping")
	// ErrInvalidConfig is returned by [NewNormalizer] for a [Config] whose
	// settings cannot work (a decimal separator other than '.' or ',', an
	// unknown phone region).
	ErrInvalidConfig = errors.New("canonical: invalid config")
	// ErrInvalidEvent is wrapped by a [*ValidationError] for an event that
	// does not match its entity's JSON Schema.
	ErrInvalidEvent = errors.New("canonical: invalid event")
)

// ValueError reports a value that cannot be normalized to its type.
type ValueError struct {
	// Type is the value type the input was read as.
	Type ValueType
	// Raw is the input rendered as text (cut to 64 bytes).
	Raw string
	// Reason says what is wrong, in a few words.
	Reason string
	// Err is [ErrInvalidValue], [ErrAmbiguousValue] or [ErrNoValue].
	Err error
}

func (e *ValueError) Error() string {
	return "canonical: " + string(e.Type) + " " + strconv.Quote(e.Raw) + ": " + e.Reason
}

// Unwrap returns the sentinel the error belongs to.
func (e *ValueError) Unwrap() error { return e.Err }

// MissingKeyError reports a record from which no source key could be
// read: neither the field mapped to the entity's id nor the declared key
// fields hold a value.
type MissingKeyError struct {
	// Record names the record: the reference the caller gave
	// ([Record.Ref]), else "record".
	Record string
	// Object is the source object ("Opportunity").
	Object string
	// Entity is the ontology entity the event was for.
	Entity string
	// Fields are the source fields the key was looked for in.
	Fields []string
}

func (e *MissingKeyError) Error() string {
	return "canonical: " + e.Object + " " + e.Record + ": no " + e.Entity +
		" key in " + strings.Join(e.Fields, ", ")
}

// Unwrap returns [ErrMissingKey].
func (e *MissingKeyError) Unwrap() error { return ErrMissingKey }

// Violation is one way in which an event breaks its schema.
type Violation struct {
	// Field is the path of the offending value, dotted: "data.amount",
	// "source_key", or "" for the event as a whole.
	Field string
	// Message says what is wrong.
	Message string
}

// ValidationError reports an event that does not match the JSON Schema of
// its entity.
type ValidationError struct {
	// Entity is the event's entity.
	Entity string
	// EventID is the event's id.
	EventID string
	// Violations lists what is wrong, each naming its field.
	Violations []Violation
}

func (e *ValidationError) Error() string {
	var b strings.Builder
	b.WriteString("canonical: event ")
	b.WriteString(e.EventID)
	b.WriteString(" does not match the ")
	b.WriteString(e.Entity)
	b.WriteString(" schema")
	for i, v := range e.Violations {
		if i == 3 {
			b.WriteString("; and ")
			b.WriteString(strconv.Itoa(len(e.Violations) - 3))
			b.WriteString(" more")
			break
		}
		b.WriteString("; ")
		if v.Field != "" {
			b.WriteString(v.Field)
			b.WriteString(": ")
		}
		b.WriteString(v.Message)
	}
	return b.String()
}

// Unwrap returns [ErrInvalidEvent].
func (e *ValidationError) Unwrap() error { return ErrInvalidEvent }
