package canonical

import (
	"bytes"
	"encoding/json"
	"fmt"

	"github.com/shopspring/decimal"
)

type plainEvent Event

// UnmarshalJSON reads an event as encoding/json writes it. Data values
// come back as JSON gives them, except that integers are int64 (never
// float64); decimal values stay strings until [Event.Retype] (or
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
// (see the package documentation): decimal and percent text becomes a
// [Decimal] with its scale kept. It returns an error naming the
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
			case Decimal:
			case decimal.Decimal:
				e.Data[k] = Decimal{x}
			case string:
				d, err := decimal.NewFromString(x)
				if err != nil {
					return fmt.Errorf("%w: %s.%s: %q is not a decimal", ErrInvalidEvent, e.Entity, k, cut(x, 64))
				}
				e.Data[k] = Decimal{d}
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
// event it was read from: decimals keep their scale.
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
