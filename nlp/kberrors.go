package nlp

import (
	"errors"
	"fmt"
)

var (
	// ErrDocumentNotFound is returned by [KB.Delete] and [KBStore]
	// drivers for a document id the tenant does not have.
	ErrDocumentNotFound = errors.New("nlp: document not found")
	// ErrInvalidDocument is returned by [KB.Add] for a document without
	// an id or text, or with an id or tag that is too long or malformed;
	// the error names the field.
	ErrInvalidDocument = errors.New("nlp: invalid document")
	// ErrEmptyQuery is returned by [KB.Search] for a query with no words.
	ErrEmptyQuery = errors.New("nlp: empty query")
	// ErrEmbedding is wrapped by errors from an [Embedder] that returned
	// the wrong number of vectors or vectors of the wrong dimension.
	ErrEmbedding = errors.New("nlp: embedding")
	// ErrLLM is wrapped by [LLM] implementations for a failed completion;
	// [Gateway.Ask] then falls back to an extractive answer.
	ErrLLM = errors.New("nlp: llm")
)

// DimensionError reports an embedding whose dimension differs from the
// one the knowledge base was configured with.
type DimensionError struct {
	Want, Got int
}

func (e *DimensionError) Error() string {
	return fmt.Sprintf("nlp: embedding: dimension %d, want %d", e.Got, e.Want)
}

// Is makes errors.Is(err, ErrEmbedding) true.
func (e *DimensionError) Is(target error) bool { return target == ErrEmbedding }
