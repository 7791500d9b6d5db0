package mesh

import (
	"bytes"
	"encoding/json"
	"fmt"
	"log/slog"
	"regexp"
	"strings"
	"time"

	"github.com/autonomos/autonomos/canonical"
	"github.com/autonomos/autonomos/tenancy"
)

// Mask replaces every secret value in redacted views.
const Mask = "***"

// Connection is a tenant's configured link to one source: which
// connector kind reads it, with which configuration, and how its syncs
// fare. A Connection is a plain value; stores keep copies.
//
// Its configuration holds secrets (passwords, tokens, keys): they are
// never shown back. [Connection.String], [Connection.LogValue] (for
// log/slog) and [Connection.MarshalJSON] all mask them; only
// [SourceConfig.Raw] gives the real configuration, for opening the
// connector.
type Connection struct {
	// Tenant owns the connection. Required.
	Tenant tenancy.ID `json:"tenant_id"`
	// ID identifies the connection within its tenant: letters, digits,
	// '-', '_' and '.', at most 128 bytes. Required.
	ID string `json:"id"`
	// Name is a label for people. Defaults to ID.
	Name string `json:"name"`
	// Kind is the connector kind ("file", "postgres"). Required.
	Kind string `json:"kind"`
	// Config is the connector's JSON configuration, secrets included.
	// Defaults to {}.
	Config SourceConfig `json:"config"`
	// SafeMode mirrors the repair registry's Safe Mode for the
	// connection, as of the last sync: on for a new connection until a
	// person approves its first mapping. The registry is the truth; set
	// it with [Mesh.SetSafeMode].
	SafeMode bool `json:"safe_mode"`
	// State says whether the connection is syncing or waiting.
	State State `json:"state"`
	// Health is how the connection's last syncs went.
	Health Health `json:"health"`
	// Pending holds the mapping proposals for new objects that wait for
	// a person's approval, by object, sorted by object.
	Pending []Proposal `json:"pending,omitempty"`
	// CreatedAt and UpdatedAt are set by the Mesh.
	CreatedAt time.Time `json:"created_at,omitzero"`
	UpdatedAt time.Time `json:"updated_at,omitzero"`
}

// State is the lifecycle state of a connection.
type State string

// The states of a connection.
const (
	// StateNew: created, never synced.
	StateNew State = "new"
	// StateActive: every object has a mapping and syncs.
	StateActive State = "active"
	// StateAwaitingApproval: at least one object waits for a person
	// (a proposed mapping or a queued repair); the others sync.
	StateAwaitingApproval State = "awaiting_approval"
)

// HealthStatus grades a connection's recent syncs.
type HealthStatus string

// The health statuses.
const (
	// HealthUnknown: never synced.
	HealthUnknown HealthStatus = "unknown"
	// HealthHealthy: the last sync read every object it could.
	HealthHealthy HealthStatus = "healthy"
	// HealthDegraded: the last sync read some objects and failed on
	// others after its retries.
	HealthDegraded HealthStatus = "degraded"
	// HealthFailed: the last sync could not reach the source, or failed
	// on every object, after its retries. [Mesh.Heal] resumes it.
	HealthFailed HealthStatus = "failed"
)

// Health is how a connection's syncs fare.
type Health struct {
	// Status grades the last sync.
	Status HealthStatus `json:"status"`
	// LastError is the last failure's message, secrets masked; empty
	// after a healthy sync.
	LastError string `json:"last_error,omitempty"`
	// LastErrorAt is when the last failure happened.
	LastErrorAt time.Time `json:"last_error_at,omitzero"`
	// LastSyncAt is when the last sync ended, however it ended.
	LastSyncAt time.Time `json:"last_sync_at,omitzero"`
	// LastSuccessAt is when a sync last ended healthy.
	LastSuccessAt time.Time `json:"last_success_at,omitzero"`
	// Failures counts the syncs in a row that did not end healthy.
	Failures int `json:"failures"`
}

// Proposal is the matcher's mapping for a new object, waiting for a
// person's approval ([Mesh.ApproveMapping]) because Safe Mode is on or
// the matcher was not confident enough.
type Proposal struct {
	// Object is the source object.
	Object string `json:"object"`
	// Entity is the ontology entity the matcher chose ("" for none).
	Entity string `json:"entity"`
	// Confidence is the lowest confidence among the entity choice and
	// the mapped fields.
	Confidence float64 `json:"confidence"`
	// Mapping is the proposed mapping, unmapped fields included.
	Mapping canonical.Mapping `json:"mapping"`
	// Fingerprint is the drift fingerprint of the schema it was made
	// for; a new proposal replaces it when the schema drifts.
	Fingerprint string `json:"fingerprint"`
	// Reason says why it waits ("safe mode is on", "low confidence").
	Reason string `json:"reason"`
	// CreatedAt is when it was proposed.
	CreatedAt time.Time `json:"created_at"`
}

var idPattern = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$`)

// Validate reports what is missing or malformed in c, as a
// [*ConnectionError].
func (c *Connection) Validate() error {
	switch {
	case c.Tenant == tenancy.Nil:
		return &ConnectionError{ID: c.ID, Field: "tenant", Reason: "required"}
	case !idPattern.MatchString(c.ID):
		return &ConnectionError{ID: c.ID, Field: "id", Reason: "want 1-128 letters, digits, '.', '_' or '-', starting with a letter or digit"}
	case c.Kind == "":
		return &ConnectionError{ID: c.ID, Field: "kind", Reason: "required"}
	}
	if len(c.Config.raw) > 0 {
		var probe map[string]json.RawMessage
		if err := json.Unmarshal(c.Config.raw, &probe); err != nil || probe == nil {
			return &ConnectionError{ID: c.ID, Field: "config", Reason: "not a JSON object"}
		}
	}
	return nil
}

// Redacted returns a copy of c whose configuration has its secrets
// masked; it is safe to show and log.
func (c Connection) Redacted() Connection {
	c.Config = SourceConfig{raw: c.Config.Redacted(), redacted: true}
	c.Pending = append([]Proposal(nil), c.Pending...)
	return c
}

// String describes c with its secrets masked.
func (c Connection) String() string {
	return fmt.Sprintf("connection %s/%s (%s) config=%s state=%s health=%s",
		c.Tenant, c.ID, c.Kind, c.Config.Redacted(), c.State, c.Health.Status)
}

// LogValue logs c with its secrets masked.
func (c Connection) LogValue() slog.Value {
	return slog.GroupValue(
		slog.String("tenant", c.Tenant.String()),
		slog.String("id", c.ID),
		slog.String("kind", c.Kind),
		slog.String("config", string(c.Config.Redacted())),
		slog.Bool("safe_mode", c.SafeMode),
		slog.String("state", string(c.State)),
		slog.String("health", string(c.Health.Status)),
	)
}

// SourceConfig is a connector's JSON configuration. It shows and logs
// itself with its secrets masked: fmt, log/slog and encoding/json all
// see [SourceConfig.Redacted]. [SourceConfig.Raw] returns the real
// configuration. The zero value is the empty object {}.
type SourceConfig struct {
	raw      json.RawMessage
	redacted bool
}

// NewSourceConfig returns a SourceConfig holding raw (a JSON object).
// The bytes are copied.
func NewSourceConfig(raw json.RawMessage) SourceConfig {
	return SourceConfig{raw: bytes.Clone(raw)}
}

// MustSourceConfig marshals v (a struct or map) into a SourceConfig. It
// panics when v cannot be marshalled; it is meant for tests and
// examples.
func MustSourceConfig(v any) SourceConfig {
	b, err := json.Marshal(v)
	if err != nil {
		panic("mesh: MustSourceConfig: " + err.Error())
	}
	return SourceConfig{raw: b}
}

// Raw returns the real configuration, secrets included, for opening the
// connector; {} for the zero value. The caller must not log it.
func (s SourceConfig) Raw() json.RawMessage {
	if len(s.raw) == 0 {
		return json.RawMessage("{}")
	}
	return bytes.Clone(s.raw)
}

// IsRedacted reports whether s was made by [Connection.Redacted]: its
// secrets are gone and it cannot open a connector.
func (s SourceConfig) IsRedacted() bool { return s.redacted }

// Redacted returns the configuration with the value of every key that
// names a secret (see [SecretKey]) replaced by [Mask], at any depth (an
// object under such a key is masked whole), and the secrets inside
// connection strings masked: a URL's password ("postgres://user:pw@host"),
// and query parameters or key=value settings named like secrets
// ("?sslpassword=...", "host=db password=..."). Configuration that is not
// JSON is masked whole.
func (s SourceConfig) Redacted() json.RawMessage {
	if len(s.raw) == 0 {
		return json.RawMessage("{}")
	}
	if s.redacted {
		return bytes.Clone(s.raw)
	}
	var v any
	dec := json.NewDecoder(bytes.NewReader(s.raw))
	dec.UseNumber()
	if err := dec.Decode(&v); err != nil {
		return json.RawMessage(`"` + Mask + `"`)
	}
	b, err := json.Marshal(redact(v))
	if err != nil {
		return json.RawMessage(`"` + Mask + `"`)
	}
	return b
}

// Secrets returns the secret values of s (strings under secret keys), so
// that error messages can be scrubbed of them.
func (s SourceConfig) Secrets() []string {
	var v any
	if json.Unmarshal(s.raw, &v) != nil {
		return nil
	}
	var out []string
	var walk func(v any, secret bool)
	walk = func(v any, secret bool) {
		switch t := v.(type) {
		case map[string]any:
			for k, x := range t {
				walk(x, secret || SecretKey(k))
			}
		case []any:
			for _, x := range t {
				walk(x, secret)
			}
		case string:
			if secret && len(t) >= 4 {
				out = append(out, t)
				return
			}
			if u := urlPassword(t); u != "" {
				out = append(out, u)
			}
			for _, kv := range stringSettings(t) {
				if SecretKey(kv.key) && len(strings.Trim(kv.value, "'")) >= 4 {
					out = append(out, strings.Trim(kv.value, "'"), kv.value)
				}
			}
		}
	}
	walk(v, false)
	return out
}

// MarshalJSON writes the redacted configuration.
func (s SourceConfig) MarshalJSON() ([]byte, error) { return s.Redacted(), nil }

// UnmarshalJSON reads a configuration as given (an API request).
func (s *SourceConfig) UnmarshalJSON(b []byte) error {
	if bytes.Equal(bytes.TrimSpace(b), []byte("null")) {
		*s = SourceConfig{}
		return nil
	}
	*s = SourceConfig{raw: bytes.Clone(b)}
	return nil
}

// String returns the redacted configuration.
func (s SourceConfig) String() string { return string(s.Redacted()) }

// GoString returns the redacted configuration, for %#v.
func (s SourceConfig) GoString() string { return "mesh.SourceConfig(" + string(s.Redacted()) + ")" }

// LogValue logs the redacted configuration.
func (s SourceConfig) LogValue() slog.Value { return slog.StringValue(string(s.Redacted())) }

var secretWords = []string{"pass", "pwd", "secret", "token", "key", "private", "credential", "auth", "dsn", "cert", "signature", "session", "cookie"}

// SecretKey reports whether a configuration key names a secret: it
// holds one of pass, pwd, secret, token, key, private, credential, auth,
// dsn, cert, signature, session or cookie (any case). Over-masking (a
// "primary_key" setting) is the price of never leaking.
func SecretKey(k string) bool {
	k = strings.ToLower(k)
	for _, w := range secretWords {
		if strings.Contains(k, w) {
			return true
		}
	}
	return false
}

func redact(v any) any {
	switch t := v.(type) {
	case map[string]any:
		out := make(map[string]any, len(t))
		for k, x := range t {
			if SecretKey(k) {
				out[k] = Mask
				continue
			}
			out[k] = redact(x)
		}
		return out
	case []any:
		out := make([]any, len(t))
		for i, x := range t {
			out[i] = redact(x)
		}
		return out
	case string:
		return redactString(t)
	}
	return v
}

// redactString masks the secrets a connection string carries: a URL's
// password ("postgres://user:pw@host"), URL query parameters and
// key=value settings named like secrets ("?sslpassword=...",
// "host=db password=..."). Other text is returned as is.
func redactString(s string) string {
	if p := urlPassword(s); p != "" {
		s = strings.Replace(s, ":"+p+"@", ":"+Mask+"@", 1)
	}
	for _, kv := range stringSettings(s) {
		if SecretKey(kv.key) && kv.value != "" && kv.value != Mask {
			s = s[:kv.start] + Mask + s[kv.end:]
			return redactString(s) // positions moved: look again
		}
	}
	return s
}

// setting is a key=value pair inside a string; start:end is its value.
type setting struct {
	key, value string
	start, end int
}

// stringSettings finds the key=value pairs of a URL's query
// ("...?a=1&b=2") or of a libpq-style connection string ("a=1 b='x y'").
func stringSettings(s string) []setting {
	var out []setting
	if i := strings.Index(s, "://"); i >= 0 {
		q := strings.IndexByte(s, '?')
		if q < 0 {
			return nil
		}
		pos := q + 1
		for _, part := range strings.Split(s[q+1:], "&") {
			if k, v, ok := strings.Cut(part, "="); ok {
				if j := strings.IndexByte(v, '#'); j >= 0 {
					v = v[:j]
				}
				out = append(out, setting{key: k, value: v, start: pos + len(k) + 1, end: pos + len(k) + 1 + len(v)})
			}
			pos += len(part) + 1
		}
		return out
	}
	// libpq key=value: keys are words, values bare or single-quoted.
	i := 0
	for i < len(s) {
		for i < len(s) && s[i] == ' ' {
			i++
		}
		k := i
		for i < len(s) && s[i] != '=' && s[i] != ' ' {
			i++
		}
		if i >= len(s) || s[i] != '=' || i == k {
			for i < len(s) && s[i] != ' ' {
				i++
			}
			continue
		}
		key := strings.TrimSpace(s[k:i])
		i++ // '='
		start := i
		if i < len(s) && s[i] == '\'' {
			i++
			for i < len(s) && s[i] != '\'' {
				if s[i] == '\\' {
					i++
				}
				i++
			}
			end := min(i+1, len(s))
			out = append(out, setting{key: key, value: s[start:end], start: start, end: end})
			i = end
			continue
		}
		for i < len(s) && s[i] != ' ' {
			i++
		}
		out = append(out, setting{key: key, value: s[start:i], start: start, end: i})
	}
	return out
}

// urlPassword returns the password of a URL-like string
// ("postgres://user:pw@host"), or "".
func urlPassword(s string) string {
	i := strings.Index(s, "://")
	if i < 0 {
		return ""
	}
	rest := s[i+3:]
	at := strings.LastIndex(rest, "@")
	if at < 0 {
		return ""
	}
	if slash := strings.IndexByte(rest, '/'); slash >= 0 && slash < at {
		return ""
	}
	userinfo := rest[:at]
	c := strings.IndexByte(userinfo, ':')
	if c < 0 || c == len(userinfo)-1 {
		return ""
	}
	return userinfo[c+1:]
}

// scrub removes secrets from a message.
func scrub(msg string, secrets []string) string {
	for _, s := range secrets {
		msg = strings.ReplaceAll(msg, s, Mask)
	}
	return msg
}
