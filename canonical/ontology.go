package canonical

import (
	"fmt"
	"sort"
	"strings"
	"sync"
)

// ValueType is the type a canonical field carries after normalization.
// The canonical form of each type is described in the ontology contract.
type ValueType string

// The value types of ontology v1.
const (
	TypeString    ValueType = "string"    // UTF-8, trimmed
	TypeInteger   ValueType = "integer"   // int64
	TypeDecimal   ValueType = "decimal"   // exact decimal, JSON string "1234.50"
	TypeBoolean   ValueType = "boolean"   // true/false
	TypeDate      ValueType = "date"      // YYYY-MM-DD
	TypeTimestamp ValueType = "timestamp" // RFC 3339 in UTC
	TypeEmail     ValueType = "email"     // lower-cased address
	TypePhone     ValueType = "phone"     // E.164 where the country is known, digits otherwise
	TypeDomain    ValueType = "domain"    // bare lower-case host
	TypeCurrency  ValueType = "currency"  // ISO 4217 alpha-3
	TypeCountry   ValueType = "country"   // ISO 3166-1 alpha-2
	TypePercent   ValueType = "percent"   // decimal 0..100
)

// Field is one field of an ontology entity.
type Field struct {
	// Entity is the name of the entity the field belongs to.
	Entity string
	// Name is the field's name within its entity, e.g. "amount".
	Name string
	// Type is the canonical value type.
	Type ValueType
	// Description says what the field means, in a few words. The matcher
	// reads it as evidence.
	Description string
}

// Target returns the field's mapping target, "entity.field".
func (f Field) Target() string { return f.Entity + "." + f.Name }

// Entity is one entity of the ontology: a kind of business record.
type Entity struct {
	// Name is the entity's name, e.g. "opportunity".
	Name string
	// Description says what the entity is.
	Description string
	// Fields lists the entity's fields in contract order. The first field
	// is always "id", the record's primary key.
	Fields []Field
}

// Field returns the named field of e.
func (e Entity) Field(name string) (Field, bool) {
	for _, f := range e.Fields {
		if f.Name == name {
			return f, true
		}
	}
	return Field{}, false
}

// Ontology is a set of entities. The zero value is empty and ready to use.
// An Ontology is safe for concurrent use; registration and lookups may
// interleave.
type Ontology struct {
	mu       sync.RWMutex
	entities map[string]*Entity
	order    []string
}

// NewOntology returns an ontology holding a copy of entities.
func NewOntology(entities ...Entity) (*Ontology, error) {
	o := &Ontology{}
	for _, e := range entities {
		if err := o.Register(e); err != nil {
			return nil, err
		}
	}
	return o, nil
}

// Register adds entity e, or adds e's fields to an entity of the same name
// that already exists. Existing fields cannot be redefined: the names of
// the contract are fixed.
func (o *Ontology) Register(e Entity) error {
	if !validName(e.Name) {
		return fmt.Errorf("%w: entity name %q must be lower snake case", ErrInvalidOntology, e.Name)
	}
	o.mu.Lock()
	defer o.mu.Unlock()
	if o.entities == nil {
		o.entities = map[string]*Entity{}
	}
	cur, ok := o.entities[e.Name]
	if !ok {
		cur = &Entity{Name: e.Name, Description: e.Description}
	}
	added := make([]Field, 0, len(e.Fields))
	for _, f := range e.Fields {
		f.Entity = e.Name
		if !validName(f.Name) {
			return fmt.Errorf("%w: field name %q of %s must be lower snake case", ErrInvalidOntology, f.Name, e.Name)
		}
		if !f.Type.Valid() {
			return fmt.Errorf("%w: field %s.%s has unknown type %q", ErrInvalidOntology, e.Name, f.Name, f.Type)
		}
		if old, exists := cur.Field(f.Name); exists {
			if old.Type != f.Type {
				return fmt.Errorf("%w: field %s.%s already exists with type %s", ErrInvalidOntology, e.Name, f.Name, old.Type)
			}
			continue
		}
		for _, a := range added {
			if a.Name == f.Name {
				return fmt.Errorf("%w: field %s.%s given twice", ErrInvalidOntology, e.Name, f.Name)
			}
		}
		added = append(added, f)
	}
	if !ok {
		if len(added) == 0 || added[0].Name != "id" {
			if _, hasID := (Entity{Fields: added}).Field("id"); !hasID {
				return fmt.Errorf("%w: entity %s needs an id field", ErrInvalidOntology, e.Name)
			}
		}
		o.order = append(o.order, e.Name)
	}
	// Copy on write so that Entities callers keep a stable snapshot.
	next := &Entity{Name: cur.Name, Description: cur.Description}
	if next.Description == "" {
		next.Description = e.Description
	}
	next.Fields = append(append([]Field(nil), cur.Fields...), added...)
	o.entities[e.Name] = next
	return nil
}

// Entity returns the named entity.
func (o *Ontology) Entity(name string) (Entity, bool) {
	o.mu.RLock()
	defer o.mu.RUnlock()
	e, ok := o.entities[name]
	if !ok {
		return Entity{}, false
	}
	return *e, true
}

// Entities returns every entity in registration order.
func (o *Ontology) Entities() []Entity {
	o.mu.RLock()
	defer o.mu.RUnlock()
	out := make([]Entity, 0, len(o.order))
	for _, n := range o.order {
		out = append(out, *o.entities[n])
	}
	return out
}

// Fields returns every field of every entity, entity by entity.
func (o *Ontology) Fields() []Field {
	var out []Field
	for _, e := range o.Entities() {
		out = append(out, e.Fields...)
	}
	return out
}

// Lookup returns the field named by target, written "entity.field".
// It returns an error wrapping [ErrUnknownTarget] when there is none.
func (o *Ontology) Lookup(target string) (Field, error) {
	ent, name, ok := strings.Cut(target, ".")
	if !ok {
		return Field{}, fmt.Errorf("%w: %q is not of the form entity.field", ErrUnknownTarget, target)
	}
	e, found := o.Entity(ent)
	if !found {
		return Field{}, fmt.Errorf("%w: no entity %q in %q", ErrUnknownTarget, ent, target)
	}
	f, found := e.Field(name)
	if !found {
		return Field{}, fmt.Errorf("%w: entity %s has no field %q", ErrUnknownTarget, ent, name)
	}
	return f, nil
}

// EntityNames returns the sorted names of all entities.
func (o *Ontology) EntityNames() []string {
	o.mu.RLock()
	defer o.mu.RUnlock()
	out := append([]string(nil), o.order...)
	sort.Strings(out)
	return out
}

// Valid reports whether t is one of the value types of the ontology.
func (t ValueType) Valid() bool {
	switch t {
	case TypeString, TypeInteger, TypeDecimal, TypeBoolean, TypeDate, TypeTimestamp,
		TypeEmail, TypePhone, TypeDomain, TypeCurrency, TypeCountry, TypePercent:
		return true
	}
	return false
}

func validName(s string) bool {
	if s == "" {
		return false
	}
	for i, r := range s {
		switch {
		case r >= 'a' && r <= 'z':
		case r == '_' && i > 0:
		case r >= '0' && r <= '9' && i > 0:
		default:
			return false
		}
	}
	return true
}
