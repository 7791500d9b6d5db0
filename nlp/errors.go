package nlp

import "errors"

var (
	// ErrUnknownPersona is returned for a persona name that is not one of
	// [AllPersonas].
	ErrUnknownPersona = errors.New("nlp: unknown persona")
	// ErrEmptyQuestion is returned by [Router.Route] for a question with
	// no words.
	ErrEmptyQuestion = errors.New("nlp: empty question")
	// ErrInvalidConfig is returned by constructors for a configuration
	// field out of range; the error names the field.
	ErrInvalidConfig = errors.New("nlp: invalid config")
	// ErrNoFigures is returned by [Summarize] when no [Figures] source is
	// given.
	ErrNoFigures = errors.New("nlp: no figures source")
)
