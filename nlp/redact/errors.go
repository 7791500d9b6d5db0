package redact

import "errors"

// ErrInvalidConfig is returned by [New] when a [Config] field is out of
// range; the error names the field.
var ErrInvalidConfig = errors.New("redact: invalid config")
