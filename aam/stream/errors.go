package stream

import (
	"errors"
	"fmt"
	"unicode/utf8"
)

var (
	// ErrClosed is returned by the methods of a [Publisher] or
	// [Subscriber] that has been closed.
	ErrClosed = errors.New("stream: closed")
	// ErrInvalidEvent is matched (with errors.Is) by every
	// [*InvalidEventError].
	ErrInvalidEvent = errors.New("stream: invalid event")
	// ErrRunning is returned by [Subscriber.Run] while another Run of the
	// same subscriber is in progress.
	ErrRunning = errors.New("stream: subscriber already running")
	// ErrInvalidConfig is returned by constructors given a configuration
	// they cannot use; the error names the field.
	ErrInvalidConfig = errors.New("stream: invalid config")
	// ErrInvalidID is returned for a dead-letter ID that the driver
	// could never have issued.
	ErrInvalidID = errors.New("stream: invalid id")
)

// InvalidEventError reports an event that [Publisher.Publish] refused
// before anything was sent. It matches [ErrInvalidEvent].
type InvalidEventError struct {
	// Index is the position of the event in the Publish call.
	Index int
	// EventID is the event's ID, possibly empty.
	EventID string
	// Reason says what is wrong.
	Reason string
}

func (e *InvalidEventError) Error() string {
	return fmt.Sprintf("stream: invalid event %d (id %q): %s", e.Index, e.EventID, e.Reason)
}

// Is reports whether target is [ErrInvalidEvent].
func (e *InvalidEventError) Is(target error) bool { return target == ErrInvalidEvent }

// PublishError reports a Publish that failed after some of its events
// were stored. The first Published events (in call order) are in the
// stream; the rest may or may not be, so a caller that retries must
// retry from Published and rely on consumers dropping replays by event
// ID.
type PublishError struct {
	// Published is how many leading events are known to be stored.
	Published int
	// Total is how many events the call had.
	Total int
	// Err is the cause; context errors are kept as they are.
	Err error
}

func (e *PublishError) Error() string {
	return fmt.Sprintf("stream: published %d of %d events: %v", e.Published, e.Total, e.Err)
}

// Unwrap returns the cause.
func (e *PublishError) Unwrap() error { return e.Err }

// BatchError is returned by a [Handler] that handled some events of its
// batch and failed on others. Errs has one entry per event of the batch,
// in order: nil where the event was handled, the failure otherwise. The
// [Subscriber] acknowledges the handled events and leaves the others to
// be delivered again. A BatchError whose Errs does not match the batch
// length fails the whole batch.
type BatchError struct {
	Errs []error
}

func (e *BatchError) Error() string {
	n := 0
	var first error
	for _, err := range e.Errs {
		if err != nil {
			if first == nil {
				first = err
			}
			n++
		}
	}
	if first == nil {
		return fmt.Sprintf("stream: 0 of %d events failed", len(e.Errs))
	}
	return fmt.Sprintf("stream: %d of %d events failed; first: %v", n, len(e.Errs), first)
}

// Unwrap returns the non-nil errors, for errors.Is and errors.As.
func (e *BatchError) Unwrap() []error {
	var out []error
	for _, err := range e.Errs {
		if err != nil {
			out = append(out, err)
		}
	}
	return out
}

// truncate shortens s to at most n bytes on a rune boundary.
func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	for n > 0 && !utf8.RuneStart(s[n]) {
		n--
	}
	return s[:n] + "..."
}
