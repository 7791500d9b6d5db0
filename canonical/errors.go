package canonical

import "errors"

var (
	// ErrUnknownTarget is returned when an "entity.field" target names
	// nothing in the ontology.
	ErrUnknownTarget = errors.New("canonical: unknown target")
	// ErrInvalidOntology is returned when a registered entity or field is
	// malformed or conflicts with the existing ontology.
	ErrInvalidOntology = errors.New("canonical: invalid ontology")
)
