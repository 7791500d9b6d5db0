package stream

import (
	"encoding/json"
	"fmt"

	"github.com/autonomos/autonomos/canonical"
	"github.com/autonomos/autonomos/tenancy"
)

// Encode returns the wire form of e: its JSON encoding as defined by
// [canonical.Event] (what json.Marshal writes for it).
// It is what the drivers store as a message body.
func Encode(e *canonical.Event) ([]byte, error) {
	b, err := appendEncoded(nil, e)
	if err != nil {
		return nil, fmt.Errorf("stream: encode event %q: %w", e.ID, err)
	}
	return b, nil
}

// appendEncoded appends the wire form of e to b. On error b is returned
// unchanged in length.
func appendEncoded(b []byte, e *canonical.Event) ([]byte, error) {
	n := len(b)
	if fastEventOK {
		out, err := appendEvent(b, e)
		if err != nil {
			return out[:n], err
		}
		return out, nil
	}
	out, err := appendFallback(b, e)
	if err != nil {
		return b[:n], err
	}
	return out, nil
}

// Decode parses a message body written by [Encode] and checks that it is
// an event of tenant with a non-empty ID.
func Decode(tenant tenancy.ID, body []byte) (canonical.Event, error) {
	e, ok := canonical.Event{}, false
	if fastDecodeOK {
		e, ok = decodeFast(body)
	}
	if !ok {
		e = canonical.Event{}
		if err := json.Unmarshal(body, &e); err != nil {
			return canonical.Event{}, fmt.Errorf("not a JSON event: %v", err)
		}
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
	buf []byte
}

func newEncoder() *encoder { return &encoder{} }

// encode appends ev to the buffer and returns its offsets. The bytes stay
// valid until reset; take slices only after the last encode of a batch,
// since the buffer may move while it grows.
func (e *encoder) encode(ev *canonical.Event) (start, end int, err error) {
	start = len(e.buf)
	e.buf, err = appendEncoded(e.buf, ev)
	if err != nil {
		return 0, 0, err
	}
	return start, len(e.buf), nil
}

func (e *encoder) bytes() []byte { return e.buf }

func (e *encoder) reset() { e.buf = e.buf[:0] }
