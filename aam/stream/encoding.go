package stream

import (
	"bytes"
	"encoding/json"
	"fmt"

	"github.com/autonomos/autonomos/canonical"
	"github.com/autonomos/autonomos/tenancy"
)

// Encode returns the wire form of e: its JSON encoding as defined by
// [canonical.Event]. It is what the drivers store as a message body.
func Encode(e *canonical.Event) ([]byte, error) {
	b, err := json.Marshal(e)
	if err != nil {
		return nil, fmt.Errorf("stream: encode event %q: %w", e.ID, err)
	}
	return b, nil
}

// Decode parses a message body written by [Encode] and checks that it is
// an event of tenant with a non-empty ID.
func Decode(tenant tenancy.ID, body []byte) (canonical.Event, error) {
	var e canonical.Event
	dec := json.NewDecoder(bytes.NewReader(body))
	if err := dec.Decode(&e); err != nil {
		return canonical.Event{}, fmt.Errorf("not a JSON event: %v", err)
	}
	if dec.More() {
		return canonical.Event{}, fmt.Errorf("trailing data after the event")
	}
	if e.ID == "" {
		return canonical.Event{}, fmt.Errorf("event has no id")
	}
	if e.Tenant != tenant {
		return canonical.Event{}, fmt.Errorf("event %q belongs to another tenant", e.ID)
	}
	return e, nil
}

// encoder encodes many events into one growing buffer, so a batch costs a
// few allocations instead of one per event.
type encoder struct {
	buf bytes.Buffer
	enc *json.Encoder
}

func newEncoder() *encoder {
	e := &encoder{}
	e.enc = json.NewEncoder(&e.buf)
	e.enc.SetEscapeHTML(false)
	return e
}

// encode appends ev to the buffer and returns its offsets. The bytes stay
// valid until reset.
func (e *encoder) encode(ev *canonical.Event) (start, end int, err error) {
	start = e.buf.Len()
	if err := e.enc.Encode(ev); err != nil {
		e.buf.Truncate(start)
		return 0, 0, err
	}
	return start, e.buf.Len() - 1, nil // drop the newline Encode adds
}

func (e *encoder) reset() { e.buf.Reset() }
