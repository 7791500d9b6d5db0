package canonical

// Provenance says where a field mapping came from.
type Provenance string

// The provenances of a field mapping.
const (
	ProvenanceHeuristic Provenance = "heuristic" // the classical matcher
	ProvenanceLLM       Provenance = "llm"       // the LLM advisor
	ProvenanceHuman     Provenance = "human"     // a person chose or approved it
	ProvenanceRepair    Provenance = "repair"    // a drift repair
	ProvenanceLearned   Provenance = "learned"   // the tenant's earlier decisions
)

// FieldMapping maps one source field onto one ontology field.
type FieldMapping struct {
	// Source is the source field's name; nested paths are dotted
	// ("CustomerRef.value").
	Source string `json:"source"`
	// Target is "entity.field", or empty when the field maps to nothing.
	Target string `json:"target,omitempty"`
	// Confidence is in [0, 1].
	Confidence float64 `json:"confidence"`
	// Provenance says who proposed the mapping.
	Provenance Provenance `json:"provenance,omitempty"`
	// ApprovedBy names the person who approved it, if anyone did.
	ApprovedBy string `json:"approved_by,omitempty"`
}

// Mapping maps the fields of one source object onto the ontology.
type Mapping struct {
	// System and Object name the source object.
	System string `json:"system"`
	Object string `json:"object"`
	// Fields holds one entry per source field, unmapped fields included.
	Fields []FieldMapping `json:"fields"`
}

// Target returns the target of the named source field, or "" when the
// field is unmapped or absent.
func (m *Mapping) Target(source string) string {
	for _, f := range m.Fields {
		if f.Source == source {
			return f.Target
		}
	}
	return ""
}
