package canonical

import (
	"bytes"
	"encoding/json"
	"fmt"
	"strconv"

	"github.com/shopspring/decimal"
)

// fixedDecimal marshals a decimal with the scale it has ("1234.50"),
// which decimal.Decimal's own MarshalJSON trims ("1234.5").
type fixedDecimal decimal.Decimal

func (d fixedDecimal) MarshalJSON() ([]byte, error) {
	return strconv.AppendQuote(nil, DecimalString(decimal.Decimal(d))), nil
}

type plainEvent Event

// MarshalJSON writes the event with its decimal values as JSON strings
// that keep their scale ("1234.50"), so that a round trip through
// [DecodeEvent] gives back the same bytes.
func (e Event) MarshalJSON() ([]byte, error) {
	p := plainEvent(e)
	if hasDecimal(e.Data) {
		p.Data = make(map[string]any, len(e.Data))
		for k, v := range e.Data {
			if d, ok := v.(decimal.Decimal); ok {
				v = fixedDecimal(d)
			}
			p.Data[k] = v
		}
	}
	return json.Marshal(p)
}

func hasDecimal(data map[string]any) bool {
	for _, v := range data {
		if _, ok := v.(decimal.Decimal); ok {
			return true
		}
	}
	return false
}

// UnmarshalJSON reads an event as [Event.MarshalJSON] writes it. Data
// values come back as JSON gives them, except that integers are int64
// (never float64); decimal values stay strings until [Event.Retype] (or
// [DecodeEvent]) gives them their Go types.
func (e *Event) UnmarshalJSON(b []byte) error {
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.UseNumber()
	var p plainEvent
	if err := dec.Decode(&p); err != nil {
		return err
	}
	for k, v := range p.Data {
		if num, ok := v.(json.Number); ok {
			if i, err := num.Int64(); err == nil {
				p.Data[k] = i
			}
		}
	}
	*e = Event(p)
	return nil
}

// Retype converts e's Data values to the Go types of their fields in o
// (see the package documentation): decimal and percent text becomes
// decimal.Decimal with its scale kept. It returns an error naming the
// field for a value that does not fit its type.
func (e *Event) Retype(o *Ontology) error {
	ent, ok := o.Entity(e.Entity)
	if !ok {
		return fmt.Errorf("%w: %q", ErrUnknownEntity, e.Entity)
	}
	for k, v := range e.Data {
		if v == nil {
			continue
		}
		f, ok := ent.Field(k)
		if !ok {
			return fmt.Errorf("%w: %s has no field %q", ErrUnknownTarget, e.Entity, k)
		}
		switch f.Type {
		case TypeDecimal, TypePercent:
			switch x := v.(type) {
			case decimal.Decimal:
			case string:
				d, err := decimal.NewFromString(x)
				if err != nil {
					return fmt.Errorf("%w: %s.%s: %q is not a decimal", ErrInvalidEvent, e.Entity, k, x)
				}
				e.Data[k] = d
			default:
				return fmt.Errorf("%w: %s.%s: %T is not a decimal string", ErrInvalidEvent, e.Entity, k, v)
			}
		case TypeInteger:
			switch x := v.(type) {
			case int64:
			case json.Number:
				i, err := x.Int64()
				if err != nil {
					return fmt.Errorf("%w: %s.%s: %s is not an int64", ErrInvalidEvent, e.Entity, k, x)
				}
				e.Data[k] = i
			case float64:
				if x != float64(int64(x)) {
					return fmt.Errorf("%w: %s.%s: %v is not an integer", ErrInvalidEvent, e.Entity, k, x)
				}
				e.Data[k] = int64(x)
			default:
				return fmt.Errorf("%w: %s.%s: %T is not an integer", ErrInvalidEvent, e.Entity, k, v)
			}
		case TypeBoolean:
			if _, ok := v.(bool); !ok {
				return fmt.Errorf("%w: %s.%s: %T is not a boolean", ErrInvalidEvent, e.Entity, k, v)
			}
		default:
			if _, ok := v.(string); !ok {
				return fmt.Errorf("%w: %s.%s: %T is not a string", ErrInvalidEvent, e.Entity, k, v)
			}
		}
	}
	return nil
}

// DecodeEvent reads an event from JSON and gives its Data values their
// Go types in o. Marshalling the result gives back the same JSON as the
// event it was read from.
func DecodeEvent(b []byte, o *Ontology) (*Event, error) {
	var e Event
	if err := json.Unmarshal(b, &e); err != nil {
		return nil, fmt.Errorf("canonical: decode event: %w", err)
	}
	if err := e.Retype(o); err != nil {
		return nil, err
	}
	return &e, nil
}
