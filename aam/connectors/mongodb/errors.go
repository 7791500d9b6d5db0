package mongodb

import "errors"

// ErrFieldCollision means a document has a literal dotted field name
// ("a.b") and a nested document giving the same path ({"a": {"b": ..}}),
// so that it cannot be flattened without losing a value.
var ErrFieldCollision = errors.New("mongodb: dotted field name collides with a nested path")

// redactedError carries a driver error whose text has had the URI and
// password removed. It unwraps only to the context's errors, never to
// the driver's error, whose text might hold them.
type redactedError struct {
	msg   string
	cause error // context.Canceled, context.DeadlineExceeded or nil
}

func (e *redactedError) Error() string { return e.msg }
func (e *redactedError) Unwrap() error { return e.cause }
