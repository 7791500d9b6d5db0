package drift

import (
	"errors"
	"fmt"
	"slices"
	"strings"
)

// Severity grades a schema change, in the spirit of Airbyte's split
// between breaking and non-breaking changes. Severities are ordered:
// a larger value is worse.
type Severity int

// The severities.
const (
	// SeverityNone means no change.
	SeverityNone Severity = iota
	// SeverityInfo is a change nothing downstream has to react to: a
	// field that was nullable is now required.
	SeverityInfo
	// SeverityNonBreaking is a change that existing mappings absorb: an
	// added field, a widening type change (integer -> number, date ->
	// timestamp), a field that became nullable.
	SeverityNonBreaking
	// SeverityBreaking is a change that can break existing mappings: a
	// removed field, a narrowing or incompatible type change, a new
	// primary key.
	SeverityBreaking
)

var severityNames = [...]string{"none", "info", "non_breaking", "breaking"}

// String returns "none", "info", "non_breaking" or "breaking".
func (s Severity) String() string {
	if s >= 0 && int(s) < len(severityNames) {
		return severityNames[s]
	}
	return fmt.Sprintf("Severity(%d)", int(s))
}

// MarshalText implements encoding.TextMarshaler.
func (s Severity) MarshalText() ([]byte, error) {
	if s < 0 || int(s) >= len(severityNames) {
		return nil, fmt.Errorf("drift: unknown severity %d", int(s))
	}
	return []byte(severityNames[s]), nil
}

// UnmarshalText implements encoding.TextUnmarshaler.
func (s *Severity) UnmarshalText(b []byte) error {
	for i, n := range severityNames {
		if string(b) == n {
			*s = Severity(i)
			return nil
		}
	}
	return fmt.Errorf("drift: unknown severity %q", b)
}

// ChangeKind names what changed.
type ChangeKind string

// The change kinds.
const (
	ChangeFieldAdded      ChangeKind = "field_added"
	ChangeFieldRemoved    ChangeKind = "field_removed"
	ChangeTypeChanged     ChangeKind = "type_changed"
	ChangeNullability     ChangeKind = "nullability_changed"
	ChangePrimaryKey      ChangeKind = "primary_key_changed"
	primaryKeyPseudoField            = "primary_key"
)

// Change is one difference between two versions of a schema.
type Change struct {
	// Kind says what changed.
	Kind ChangeKind `json:"kind"`
	// Field is the field's name ("primary_key" for ChangePrimaryKey).
	Field string `json:"field"`
	// OldType and NewType are the field's types before and after; one is
	// empty for an added or removed field.
	OldType FieldType `json:"old_type,omitempty"`
	NewType FieldType `json:"new_type,omitempty"`
	// Severity grades the change.
	Severity Severity `json:"severity"`
	// Reason explains the severity in a sentence.
	Reason string `json:"reason"`
}

// SchemaDiff is the difference between two versions of an object's
// schema. Renames are not decided here: a renamed field shows as one
// removed and one added field, and Removed and Added carry both fields
// whole (samples and stats included) for repair to match.
type SchemaDiff struct {
	// Object is the new schema's object name.
	Object string `json:"object"`
	// Changes lists every change, sorted by field name, then kind.
	Changes []Change `json:"changes"`
	// Added and Removed hold the added and removed fields, sorted by name.
	Added   []Field `json:"added,omitempty"`
	Removed []Field `json:"removed,omitempty"`
	// Severity is the highest severity among Changes.
	Severity Severity `json:"severity"`
}

// Empty reports whether the diff has no changes.
func (d *SchemaDiff) Empty() bool { return len(d.Changes) == 0 }

// Breaking reports whether any change is breaking.
func (d *SchemaDiff) Breaking() bool { return d.Severity == SeverityBreaking }

// Err returns nil when no change is breaking and otherwise one
// [*BreakingChangeError] per breaking change, joined with [errors.Join]
// (match with [errors.As]).
func (d *SchemaDiff) Err() error {
	var errs []error
	for _, c := range d.Changes {
		if c.Severity == SeverityBreaking {
			errs = append(errs, &BreakingChangeError{Object: d.Object, Field: c.Field, Old: c.OldType, New: c.NewType})
		}
	}
	return errors.Join(errs...)
}

// TypeChangeSeverity grades a change of a field's type from old to new.
//
// The rules, from the consumer's side (our mappings read the source):
//   - integer -> number and date -> timestamp are widenings: every old
//     value is still representable, so they are non-breaking.
//   - Any other change is breaking, including the reverse narrowings and
//     anything -> string: a field that held typed values now holds free
//     text, whose values the existing mapping's normalizer may not
//     parse; string <-> number in particular is always breaking. Types
//     outside the declared set follow the same rule (only equality is
//     safe).
func TypeChangeSeverity(old, new FieldType) Severity {
	switch {
	case old == new:
		return SeverityNone
	case old == TypeInteger && new == TypeNumber, old == TypeDate && new == TypeTimestamp:
		return SeverityNonBreaking
	}
	return SeverityBreaking
}

// Diff compares two versions of one object's schema, old and new. Fields
// are matched by exact name; order does not matter. Nil old (a first
// sighting) reports every field as added. Diff does not modify its
// arguments; the returned Added and Removed share their Samples and
// Stats.Patterns with them.
func Diff(old, new *Schema) SchemaDiff {
	if old == nil {
		old = &Schema{}
	}
	if new == nil {
		new = &Schema{}
	}
	d := SchemaDiff{Object: new.Object}
	if d.Object == "" {
		d.Object = old.Object
	}
	var ob, nb [64]int32
	oi, ni := sortedIndex(old.Fields, ob[:0]), sortedIndex(new.Fields, nb[:0])
	i, j := 0, 0
	for i < len(oi) || j < len(ni) {
		var c int
		switch {
		case i == len(oi):
			c = 1
		case j == len(ni):
			c = -1
		default:
			c = strings.Compare(old.Fields[oi[i]].Name, new.Fields[ni[j]].Name)
		}
		switch {
		case c < 0:
			f := &old.Fields[oi[i]]
			d.Removed = append(d.Removed, *f)
			d.add(Change{Kind: ChangeFieldRemoved, Field: f.Name, OldType: f.Type, Severity: SeverityBreaking,
				Reason: "the field is gone; a mapping that reads it loses its source (repair checks for a rename)"})
			i++
		case c > 0:
			f := &new.Fields[ni[j]]
			d.Added = append(d.Added, *f)
			d.add(Change{Kind: ChangeFieldAdded, Field: f.Name, NewType: f.Type, Severity: SeverityNonBreaking,
				Reason: "a new field; nothing reads it yet"})
			j++
		default:
			of, nf := &old.Fields[oi[i]], &new.Fields[ni[j]]
			if of.Type != nf.Type {
				sev := TypeChangeSeverity(of.Type, nf.Type)
				reason := "a narrowing or incompatible type change"
				if sev == SeverityNonBreaking {
					reason = "a widening type change; old values still fit"
				}
				d.add(Change{Kind: ChangeTypeChanged, Field: nf.Name, OldType: of.Type, NewType: nf.Type, Severity: sev, Reason: reason})
			}
			if of.Nullable != nf.Nullable {
				ch := Change{Kind: ChangeNullability, Field: nf.Name, OldType: of.Type, NewType: nf.Type,
					Severity: SeverityNonBreaking, Reason: "the field may now be null"}
				if !nf.Nullable {
					ch.Severity, ch.Reason = SeverityInfo, "the field is no longer nullable"
				}
				d.add(ch)
			}
			i++
			j++
		}
	}
	if !equalKeys(old.PrimaryKey, new.PrimaryKey) && len(old.PrimaryKey) > 0 {
		d.add(Change{Kind: ChangePrimaryKey, Field: primaryKeyPseudoField, Severity: SeverityBreaking,
			Reason: fmt.Sprintf("the primary key changed from %v to %v; record identity changes", old.PrimaryKey, new.PrimaryKey)})
	}
	return d
}

func (d *SchemaDiff) add(c Change) {
	d.Changes = append(d.Changes, c)
	if c.Severity > d.Severity {
		d.Severity = c.Severity
	}
}

// sortedIndex returns the indexes of fs sorted by name (stable).
func sortedIndex(fs []Field, buf []int32) []int32 {
	for i := range fs {
		buf = append(buf, int32(i))
	}
	slices.SortStableFunc(buf, func(a, b int32) int { return strings.Compare(fs[a].Name, fs[b].Name) })
	return buf
}

func equalKeys(a, b []string) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}
