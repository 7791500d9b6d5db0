package airbyte

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"net/url"
	"regexp"
	"time"

	"github.com/autonomos/autonomos/aam"
)

// Kind is the connector kind under which the package registers itself
// in [aam.DefaultRegistry].
const Kind = "airbyte"

// Secret is a configuration value that must never be shown; see
// [aam.Secret].
type Secret = aam.Secret

// Config configures a [Monitor]. A nil *Config means defaults. In the
// JSON configuration of aam.Open, fields go by their JSON names, next
// to "base_url" and "token", and durations are Go duration strings
// ("jobs_lookback": "720h").
type Config struct {
	// WorkspaceIDs limits connections and jobs to these workspaces
	// (the workspaceIds query parameter). Defaults to every workspace
	// the token can see.
	WorkspaceIDs []string `json:"workspace_ids,omitempty"`
	// ConnectionIDs limits jobs to these connections, asked for one
	// connection at a time (GET /v1/jobs?connectionId=...), and
	// connections to these. Defaults to all.
	ConnectionIDs []string `json:"connection_ids,omitempty"`
	// JobType is the jobType of the jobs read: "sync", "reset",
	// "refresh" or "clear"; "all" reads every type. Defaults to "sync".
	JobType string `json:"job_type,omitempty"`
	// JobsLookback bounds a first read of jobs (from the empty cursor)
	// to the jobs updated in this span before now, so that a deployment
	// with a long history is not read whole. Defaults to 0: every job.
	JobsLookback time.Duration `json:"-"`
	// PageSize is the limit of each list request and the size of each
	// batch. Defaults to 100.
	PageSize int `json:"page_size,omitempty"`
	// MaxRetries bounds the retries of a request answered with 429 or
	// a 5xx status. Defaults to 4.
	MaxRetries int `json:"max_retries,omitempty"`
	// RetryBaseDelay is the first retry's upper bound, doubled at each
	// retry, with full jitter; a longer Retry-After wins. Defaults to
	// 500ms.
	RetryBaseDelay time.Duration `json:"-"`
	// RetryMaxDelay caps one retry's wait. Defaults to 30s.
	RetryMaxDelay time.Duration `json:"-"`
	// HTTPClient sends the requests. Defaults to a client with a 60s
	// timeout.
	HTTPClient *http.Client `json:"-"`
	// Logger receives request and retry logs, never the token.
	// Defaults to slog.Default().
	Logger *slog.Logger `json:"-"`
	// Now is the clock of JobsLookback. Defaults to time.Now.
	Now func() time.Time `json:"-"`
}

// WithDefaults returns c with its defaults filled in.
func (c *Config) WithDefaults() Config {
	var d Config
	if c != nil {
		d = *c
	}
	if d.JobType == "" {
		d.JobType = "sync"
	}
	if d.PageSize == 0 {
		d.PageSize = 100
	}
	if d.MaxRetries == 0 {
		d.MaxRetries = 4
	}
	if d.RetryBaseDelay == 0 {
		d.RetryBaseDelay = 500 * time.Millisecond
	}
	if d.RetryMaxDelay == 0 {
		d.RetryMaxDelay = 30 * time.Second
	}
	if d.HTTPClient == nil {
		d.HTTPClient = &http.Client{Timeout: 60 * time.Second}
	}
	if d.Logger == nil {
		d.Logger = slog.Default()
	}
	if d.Now == nil {
		d.Now = time.Now
	}
	return d
}

var uuidRE = regexp.MustCompile(`^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$`)

func (c *Config) validate() error {
	bad := func(field, reason string) error {
		return &aam.ConfigError{Kind: Kind, Field: field, Reason: reason}
	}
	switch c.JobType {
	case "sync", "reset", "refresh", "clear", "all":
	default:
		return bad("job_type", fmt.Sprintf("%q is not sync, reset, refresh, clear or all", c.JobType))
	}
	for _, id := range c.WorkspaceIDs {
		if !uuidRE.MatchString(id) {
			return bad("workspace_ids", fmt.Sprintf("%q is not a UUID", id))
		}
	}
	for _, id := range c.ConnectionIDs {
		if !uuidRE.MatchString(id) {
			return bad("connection_ids", fmt.Sprintf("%q is not a UUID", id))
		}
	}
	switch {
	case c.PageSize < 0 || c.PageSize > 100:
		return bad("page_size", "must be within 1..100, the API's limit")
	case c.MaxRetries < 0:
		return bad("max_retries", "must not be negative")
	case c.RetryBaseDelay < 0 || c.RetryMaxDelay < 0:
		return bad("retry_base_delay", "delays must not be negative")
	case c.JobsLookback < 0:
		return bad("jobs_lookback", "must not be negative")
	}
	return nil
}

// validBase checks the API's base URL.
func validBase(base string) (*url.URL, error) {
	u, err := url.Parse(base)
	if err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" || u.User != nil || u.RawQuery != "" {
		return nil, &aam.ConfigError{Kind: Kind, Field: "base_url", Reason: "must be an http(s) URL with a host and no credentials or query"}
	}
	return u, nil
}

// jsonConfig is the JSON configuration of the "airbyte" kind: the base
// URL, the token, the fields of Config by their JSON names and its
// durations as Go duration strings ("1s", "24h").
type jsonConfig struct {
	BaseURL string `json:"base_url"`
	Token   Secret `json:"token"`
	Config
	RetryBaseDelay string `json:"retry_base_delay,omitempty"`
	RetryMaxDelay  string `json:"retry_max_delay,omitempty"`
	JobsLookback   string `json:"jobs_lookback,omitempty"`
}

func init() { aam.Register(Kind, Factory(nil)) }

// DialFunc dials a network address, as net.Dialer.DialContext does.
type DialFunc = func(ctx context.Context, network, address string) (net.Conn, error)

// Factory returns the [aam.Factory] of the kind: it decodes the JSON
// configuration and opens a connector whose HTTP connections, redirects
// included, go through dial, with no proxy (a proxy would dial on its
// behalf, unchecked) and a 60s timeout; a nil dial keeps the default
// client. The package registers Factory(nil); a server that guards
// egress (aam/egress) registers its own in its own [aam.Registry].
func Factory(dial DialFunc) aam.Factory {
	return func(raw json.RawMessage) (aam.Connector, error) {
		var c jsonConfig
		dec := json.NewDecoder(bytes.NewReader(raw))
		dec.DisallowUnknownFields()
		if err := dec.Decode(&c); err != nil {
			// The decoder's error may quote a value; it is not kept.
			return nil, &aam.ConfigError{Kind: Kind, Reason: "cannot decode: unknown field, wrong type or invalid JSON"}
		}
		for _, d := range []struct {
			dst         *time.Duration
			field, text string
		}{
			{&c.Config.RetryBaseDelay, "retry_base_delay", c.RetryBaseDelay},
			{&c.Config.RetryMaxDelay, "retry_max_delay", c.RetryMaxDelay},
			{&c.Config.JobsLookback, "jobs_lookback", c.JobsLookback},
		} {
			if d.text == "" {
				continue
			}
			v, err := time.ParseDuration(d.text)
			if err != nil {
				return nil, &aam.ConfigError{Kind: Kind, Field: d.field, Reason: "not a duration like \"1s\" or \"24h\""}
			}
			*d.dst = v
		}
		if dial != nil {
			c.Config.HTTPClient = clientDialing(dial)
		}
		return New(c.BaseURL, c.Token, &c.Config)
	}
}

// clientDialing returns the client of a Factory with a dial function.
func clientDialing(dial DialFunc) *http.Client {
	t := http.DefaultTransport.(*http.Transport).Clone()
	t.Proxy = nil
	t.DialContext = dial
	return &http.Client{Timeout: 60 * time.Second, Transport: t}
}
