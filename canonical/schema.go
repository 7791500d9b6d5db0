package canonical

import (
	"bytes"
	"encoding/json"
	"fmt"
	"reflect"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/invopop/jsonschema"
	orderedmap "github.com/pb33f/ordered-map/v2"
	validate "github.com/santhosh-tekuri/jsonschema/v6"
	"github.com/shopspring/decimal"
	"golang.org/x/text/language"
	"golang.org/x/text/message"

	"github.com/autonomos/autonomos/tenancy"
)

// SchemaID is the base of the $id of every entity's event schema:
// SchemaID + "opportunity.json".
const SchemaID = "https://schemas.autonomos.dev/canonical/v1/"

// Patterns and formats of the canonical forms, as the JSON Schemas carry
// them. They are exported so that other services can check values the
// same way.
const (
	PatternDecimal   = `^-?[0-9]+(\.[0-9]+)?$`
	PatternDate      = `^[0-9]{4}-[0-9]{2}-[0-9]{2}$`
	PatternTimestamp = `^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}(\.[0-9]{1,9})?Z$`
	PatternEmail     = `^[^A-Z@\s]+@[^A-Z@\s]+\.[^A-Z@\s]+$`
	PatternPhone     = `^(\+[1-9][0-9]{1,14}|[0-9]{3,15})$`
	PatternDomain    = `^[^A-Z/:@\s]+\.[^A-Z/:@\s]+$`
	PatternCurrency  = `^[A-Z]{3}$`
	PatternCountry   = `^[A-Z]{2}$`
	PatternEventID   = `^[0-9a-f]{32}$`
)

// Schema returns the JSON Schema (draft 2020-12) of the events of entity
// in ontology v1. Other services use it to check what they receive. See
// [Ontology.Schema] for entities registered on another ontology.
func Schema(entity string) ([]byte, error) {
	return defaultValidator().o.Schema(entity)
}

// Schema returns the JSON Schema (draft 2020-12) of the events of the
// named entity: the envelope reflected from [Event], and a data object
// with one property per field, typed, formatted and patterned after its
// value type, each nullable. It returns an error wrapping
// [ErrUnknownEntity] for an entity o does not hold.
func (o *Ontology) Schema(entity string) ([]byte, error) {
	e, ok := o.Entity(entity)
	if !ok {
		return nil, fmt.Errorf("%w: %q", ErrUnknownEntity, entity)
	}
	return json.MarshalIndent(eventSchema(e), "", "  ")
}

func eventSchema(e Entity) *jsonschema.Schema {
	r := &jsonschema.Reflector{
		DoNotReference: true,
		ExpandedStruct: true,
		Mapper: func(t reflect.Type) *jsonschema.Schema {
			switch t {
			case reflect.TypeFor[tenancy.ID]():
				return &jsonschema.Schema{Type: "string", Format: "uuid"}
			case reflect.TypeFor[Op]():
				return &jsonschema.Schema{Type: "string", Enum: []any{string(OpUpsert), string(OpDelete)}}
			}
			return nil
		},
	}
	s := r.Reflect(&Event{})
	s.ID = jsonschema.ID(SchemaID + e.Name + ".json")
	s.Title = e.Name + " event"
	s.Description = "A canonical " + e.Name + " event: " + e.Description + "."
	props := s.Properties
	set := func(name string, fn func(p *jsonschema.Schema)) {
		if p, ok := props.Get(name); ok {
			fn(p)
		}
	}
	one := uint64(1)
	s.Required = slices.DeleteFunc(s.Required, func(r string) bool { return r == "occurred_at" }) // omitzero
	set("id", func(p *jsonschema.Schema) { p.Pattern = PatternEventID })
	set("entity", func(p *jsonschema.Schema) { p.Const = e.Name })
	set("source_key", func(p *jsonschema.Schema) { p.MinLength = &one })
	set("source", func(p *jsonschema.Schema) {
		if c, ok := p.Properties.Get("connection_id"); ok {
			c.MinLength = &one
		}
	})

	data := &jsonschema.Schema{
		Type:                 "object",
		Description:          "Canonical field values; null where the source had none or a problem says why.",
		Properties:           orderedmap.New[string, *jsonschema.Schema](),
		AdditionalProperties: jsonschema.FalseSchema,
	}
	for _, f := range e.Fields {
		data.Properties.Set(f.Name, fieldSchema(f))
	}
	props.Set("data", data)
	return s
}

func fieldSchema(f Field) *jsonschema.Schema {
	p := &jsonschema.Schema{Description: f.Description}
	typ := "string"
	switch f.Type {
	case TypeInteger:
		typ = "integer"
	case TypeBoolean:
		typ = "boolean"
	case TypeDecimal, TypePercent:
		p.Pattern = PatternDecimal
	case TypeDate:
		p.Format, p.Pattern = "date", PatternDate
	case TypeTimestamp:
		p.Format, p.Pattern = "date-time", PatternTimestamp
	case TypeEmail:
		p.Format, p.Pattern = "email", PatternEmail
	case TypePhone:
		p.Pattern = PatternPhone
	case TypeDomain:
		p.Format, p.Pattern = "hostname", PatternDomain
	case TypeCurrency:
		p.Pattern = PatternCurrency
	case TypeCountry:
		p.Pattern = PatternCountry
	case TypeString:
		one := uint64(1)
		p.MinLength = &one
	}
	p.Extras = map[string]any{"type": []string{typ, "null"}, "x-canonical-type": string(f.Type)}
	return p
}

// Validator checks events against the JSON Schemas of an ontology's
// entities. It compiles each entity's schema once, on first use, and
// again after the entity gains fields. A Validator is safe for
// concurrent use.
type Validator struct {
	o       *Ontology
	mu      sync.Mutex
	schemas map[string]compiled
}

type compiled struct {
	fields int // the entity's field count when compiled
	s      *validate.Schema
}

// NewValidator returns a Validator for o's entities.
func NewValidator(o *Ontology) *Validator {
	return &Validator{o: o, schemas: map[string]compiled{}}
}

var defaultValidator = sync.OnceValue(func() *Validator { return NewValidator(V1()) })

// Validate checks ev against the schema of its entity in ontology v1.
// See [Validator.Validate].
func Validate(ev *Event) error { return defaultValidator().Validate(ev) }

var printer = message.NewPrinter(language.English)

// Validate checks ev against the schema of its entity. It returns an
// error wrapping [ErrUnknownEntity] for an entity the ontology does not
// hold, and a [*ValidationError] whose violations name each offending
// field ("data.amount") when ev breaks the schema.
func (v *Validator) Validate(ev *Event) error {
	if ev == nil {
		return &ValidationError{Violations: []Violation{{Message: "nil event"}}}
	}
	s, err := v.schema(ev.Entity)
	if err != nil {
		return err
	}
	err = s.Validate(eventInstance(ev))
	if err == nil {
		return nil
	}
	ve, ok := err.(*validate.ValidationError)
	if !ok {
		return fmt.Errorf("canonical: validate %s event %s: %w", ev.Entity, ev.ID, err)
	}
	out := &ValidationError{Entity: ev.Entity, EventID: ev.ID}
	collectViolations(ve, &out.Violations)
	return out
}

func collectViolations(e *validate.ValidationError, out *[]Violation) {
	if len(e.Causes) == 0 {
		*out = append(*out, Violation{
			Field:   strings.Join(e.InstanceLocation, "."),
			Message: e.ErrorKind.LocalizedString(printer),
		})
		return
	}
	for _, c := range e.Causes {
		collectViolations(c, out)
	}
}

func (v *Validator) schema(entity string) (*validate.Schema, error) {
	e, ok := v.o.Entity(entity)
	if !ok {
		return nil, fmt.Errorf("%w: %q", ErrUnknownEntity, entity)
	}
	v.mu.Lock()
	defer v.mu.Unlock()
	if c, ok := v.schemas[entity]; ok && c.fields == len(e.Fields) {
		return c.s, nil
	}
	raw, err := json.Marshal(eventSchema(e))
	if err != nil {
		return nil, fmt.Errorf("canonical: schema of %s: %w", entity, err)
	}
	doc, err := validate.UnmarshalJSON(bytes.NewReader(raw))
	if err != nil {
		return nil, fmt.Errorf("canonical: schema of %s: %w", entity, err)
	}
	c := validate.NewCompiler()
	c.AssertFormat()
	url := SchemaID + entity + ".json"
	if err := c.AddResource(url, doc); err != nil {
		return nil, fmt.Errorf("canonical: schema of %s: %w", entity, err)
	}
	s, err := c.Compile(url)
	if err != nil {
		return nil, fmt.Errorf("canonical: compile the schema of %s: %w", entity, err)
	}
	v.schemas[entity] = compiled{fields: len(e.Fields), s: s}
	return s, nil
}

// eventInstance renders ev as the JSON value the schema describes,
// without a round trip through encoding/json.
func eventInstance(ev *Event) map[string]any {
	data := make(map[string]any, len(ev.Data))
	for k, x := range ev.Data {
		switch d := x.(type) {
		case Decimal:
			data[k] = d.String()
		case decimal.Decimal:
			data[k] = DecimalString(d)
		case time.Time:
			data[k] = d.Format(time.RFC3339Nano)
		case int:
			data[k] = int64(d)
		default:
			data[k] = x
		}
	}
	inst := map[string]any{
		"id":        ev.ID,
		"tenant_id": ev.Tenant.String(),
		"source": map[string]any{
			"system":        ev.Source.System,
			"connection_id": ev.Source.ConnectionID,
			"object":        ev.Source.Object,
		},
		"entity":      ev.Entity,
		"op":          string(ev.Op),
		"source_key":  ev.SourceKey,
		"data":        data,
		"ingested_at": ev.IngestedAt.Format(time.RFC3339Nano),
	}
	if !ev.OccurredAt.IsZero() {
		inst["occurred_at"] = ev.OccurredAt.Format(time.RFC3339Nano)
	}
	if ev.SchemaFingerprint != "" {
		inst["schema_fingerprint"] = ev.SchemaFingerprint
	}
	if len(ev.Problems) > 0 {
		ps := make([]any, len(ev.Problems))
		for i, p := range ev.Problems {
			m := map[string]any{"field": p.Field, "raw": p.Raw, "reason": p.Reason}
			if p.SourceField != "" {
				m["source_field"] = p.SourceField
			}
			ps[i] = m
		}
		inst["problems"] = ps
	}
	return inst
}
