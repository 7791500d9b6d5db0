package aam

import (
	"encoding/json"
	"log/slog"
)

// Secret is a connector configuration value that must never be shown
// (a password, token or private key): it prints, logs and marshals as
// "[redacted]", and unmarshals from JSON as a plain string. Connectors
// use it for their credentials so that a configuration shown back never
// carries them. Convert with string(s) only where the value is sent to
// the source.
type Secret string

// Redacted is what a [Secret] shows instead of its value; connectors also
// put it in place of secrets they scrub from a source's error texts.
const Redacted = "[redacted]"

// String returns "[redacted]" (or "" for the empty secret).
func (s Secret) String() string {
	if s == "" {
		return ""
	}
	return Redacted
}

// GoString returns the same as String, so %#v hides the value too.
func (s Secret) GoString() string { return `"` + s.String() + `"` }

// LogValue hides the value from log/slog.
func (s Secret) LogValue() slog.Value { return slog.StringValue(s.String()) }

// MarshalJSON writes "[redacted]".
func (s Secret) MarshalJSON() ([]byte, error) { return json.Marshal(s.String()) }
