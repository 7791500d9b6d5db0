package salesforce

import (
	"bytes"
	"context"
	"crypto/rsa"
	"encoding/json"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"net/url"
	"regexp"
	"time"

	"github.com/golang-jwt/jwt/v5"

	"github.com/autonomos/autonomos/aam"
)

// Kind is the connector kind under which the package registers itself
// in [aam.DefaultRegistry].
const Kind = "salesforce"

// Flow is an OAuth 2.0 flow of Salesforce's token endpoint.
type Flow string

// The supported flows.
const (
	// FlowClientCredentials exchanges the connected app's client id and
	// secret for a token of the app's run-as user.
	FlowClientCredentials Flow = "client_credentials"
	// FlowRefreshToken exchanges a refresh token (and the client id,
	// and secret when the app has one) for an access token.
	FlowRefreshToken Flow = "refresh_token"
	// FlowJWTBearer signs a short-lived RS256 assertion (iss = client
	// id, sub = username, aud = login URL) with the connected app's
	// private key and exchanges it for an access token.
	FlowJWTBearer Flow = "jwt_bearer"
)

// Secret is a configuration value that must never be shown; see
// [aam.Secret].
type Secret = aam.Secret

// Config configures a [Source]. Fields other than the credentials have
// defaults; a nil *Config is invalid, as there is no default flow. In
// the JSON configuration of aam.Open, fields go by their JSON names and
// durations are Go duration strings ("retry_base_delay": "2s").
type Config struct {
	// LoginURL is the authorization server: the token endpoint is
	// LoginURL + "/services/oauth2/token", and it is the audience of a
	// JWT bearer assertion. Use https://test.salesforce.com for a
	// sandbox, or the org's My Domain URL. Defaults to
	// "https://login.salesforce.com".
	LoginURL string `json:"login_url,omitempty"`
	// Flow is the OAuth 2.0 flow. Required.
	Flow Flow `json:"flow"`
	// ClientID is the connected app's consumer key. Required.
	ClientID string `json:"client_id"`
	// ClientSecret is the connected app's consumer secret: required by
	// the client credentials flow, sent with the refresh token flow when
	// set. Defaults to "".
	ClientSecret Secret `json:"client_secret,omitempty"`
	// RefreshToken is the refresh token of the refresh token flow.
	// Defaults to "".
	RefreshToken Secret `json:"refresh_token,omitempty"`
	// Username is the user the JWT bearer flow acts for (the
	// assertion's sub). Defaults to "".
	Username string `json:"username,omitempty"`
	// PrivateKey is the PEM-encoded RSA private key (PKCS #1 or #8) that
	// signs the JWT bearer assertion. Defaults to "".
	PrivateKey Secret `json:"private_key,omitempty"`
	// APIVersion is the REST API version, as in /services/data/v62.0.
	// Defaults to "v62.0".
	APIVersion string `json:"api_version,omitempty"`
	// Objects lists the sObjects that Discover describes (in this
	// order) and Read accepts. Defaults to every queryable, replicable
	// sObject of the org, one describe call each.
	Objects []string `json:"objects,omitempty"`
	// Relationships adds parent relationship fields to an object's
	// query and schema, as dotted paths: {"Contact": ["Account.Name"]}.
	// They are typed as nullable strings. Defaults to none.
	Relationships map[string][]string `json:"relationships,omitempty"`
	// Fields limits an object's schema and query to the named fields,
	// {"Account": ["Name", "Industry"]}; Id and SystemModstamp are
	// always kept. Use it for objects whose query would pass the REST
	// API's 16,384-byte URI limit. Defaults to every field the describe
	// lists.
	Fields map[string][]string `json:"fields,omitempty"`
	// BatchSize is the number of records per query page (and batch),
	// asked for with the Sforce-Query-Options header; Salesforce treats
	// it as a hint between 200 and 2000. Defaults to 2000.
	BatchSize int `json:"batch_size,omitempty"`
	// MaxRetries bounds the retries of one request refused with
	// REQUEST_LIMIT_EXCEEDED or 503 Service Unavailable. Defaults to 5.
	MaxRetries int `json:"max_retries,omitempty"`
	// RetryBaseDelay is the first retry's upper bound; each retry
	// doubles it, and the wait is drawn at random below it (full
	// jitter), or is the server's Retry-After when longer. Defaults to
	// 1s.
	RetryBaseDelay time.Duration `json:"-"`
	// RetryMaxDelay caps one retry's wait. Defaults to 30s.
	RetryMaxDelay time.Duration `json:"-"`
	// AssertionTTL is the lifetime of a JWT bearer assertion (its exp
	// after now). Defaults to 3m.
	AssertionTTL time.Duration `json:"-"`
	// HTTPClient sends the requests. Defaults to a client with a 60s
	// timeout.
	HTTPClient *http.Client `json:"-"`
	// Logger receives request and retry logs, never a secret. Defaults
	// to slog.Default().
	Logger *slog.Logger `json:"-"`
	// Now is the clock of assertions. Defaults to time.Now.
	Now func() time.Time `json:"-"`
}

// WithDefaults returns c with its defaults filled in.
func (c *Config) WithDefaults() Config {
	var d Config
	if c != nil {
		d = *c
	}
	if d.LoginURL == "" {
		d.LoginURL = "https://login.salesforce.com"
	}
	if d.APIVersion == "" {
		d.APIVersion = "v62.0"
	}
	if d.BatchSize == 0 {
		d.BatchSize = 2000
	}
	if d.MaxRetries == 0 {
		d.MaxRetries = 5
	}
	if d.RetryBaseDelay == 0 {
		d.RetryBaseDelay = time.Second
	}
	if d.RetryMaxDelay == 0 {
		d.RetryMaxDelay = 30 * time.Second
	}
	if d.AssertionTTL == 0 {
		d.AssertionTTL = 3 * time.Minute
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

var (
	versionRE = regexp.MustCompile(`^v[0-9]{2,3}\.[0-9]$`)
	// nameRE matches sObject and field API names (Account, My_Obj__c,
	// ns__Obj__c); relationship paths are dotted names.
	nameRE = regexp.MustCompile(`^[A-Za-z][A-Za-z0-9_]*$`)
)

// validate checks c and parses the private key of the JWT flow.
func (c *Config) validate() (*rsa.PrivateKey, error) {
	bad := func(field, reason string) error {
		return &aam.ConfigError{Kind: Kind, Field: field, Reason: reason}
	}
	u, err := url.Parse(c.LoginURL)
	if err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" || u.User != nil || u.RawQuery != "" {
		return nil, bad("login_url", "must be an http(s) URL with a host and no credentials or query")
	}
	if c.ClientID == "" {
		return nil, bad("client_id", "required")
	}
	var key *rsa.PrivateKey
	switch c.Flow {
	case FlowClientCredentials:
		if c.ClientSecret == "" {
			return nil, bad("client_secret", "required by the client_credentials flow")
		}
	case FlowRefreshToken:
		if c.RefreshToken == "" {
			return nil, bad("refresh_token", "required by the refresh_token flow")
		}
	case FlowJWTBearer:
		if c.Username == "" {
			return nil, bad("username", "required by the jwt_bearer flow")
		}
		if c.PrivateKey == "" {
			return nil, bad("private_key", "required by the jwt_bearer flow")
		}
		// The parser's error is not kept: it might quote the key.
		k, err := jwt.ParseRSAPrivateKeyFromPEM([]byte(c.PrivateKey))
		if err != nil {
			return nil, bad("private_key", "not a PEM-encoded RSA private key")
		}
		key = k
	case "":
		return nil, bad("flow", "required: client_credentials, refresh_token or jwt_bearer")
	default:
		return nil, bad("flow", fmt.Sprintf("%q is not client_credentials, refresh_token or jwt_bearer", c.Flow))
	}
	if !versionRE.MatchString(c.APIVersion) {
		return nil, bad("api_version", fmt.Sprintf("%q is not like v62.0", c.APIVersion))
	}
	for _, o := range c.Objects {
		if !nameRE.MatchString(o) {
			return nil, bad("objects", fmt.Sprintf("%q is not an sObject API name", o))
		}
	}
	for o, paths := range c.Relationships {
		if !nameRE.MatchString(o) {
			return nil, bad("relationships", fmt.Sprintf("%q is not an sObject API name", o))
		}
		for _, p := range paths {
			if !validPath(p) {
				return nil, bad("relationships", fmt.Sprintf("%q of object %q is not a dotted relationship path like Account.Name", p, o))
			}
		}
	}
	for o, names := range c.Fields {
		if !nameRE.MatchString(o) {
			return nil, bad("fields", fmt.Sprintf("%q is not an sObject API name", o))
		}
		for _, n := range names {
			if !nameRE.MatchString(n) {
				return nil, bad("fields", fmt.Sprintf("%q of object %q is not a field API name", n, o))
			}
		}
	}
	switch {
	case c.BatchSize < 0:
		return nil, bad("batch_size", "must not be negative")
	case c.MaxRetries < 0:
		return nil, bad("max_retries", "must not be negative")
	case c.RetryBaseDelay < 0 || c.RetryMaxDelay < 0:
		return nil, bad("retry_base_delay", "delays must not be negative")
	case c.AssertionTTL < 0 || c.AssertionTTL > time.Hour:
		return nil, bad("assertion_ttl", "must be within 0..1h")
	}
	return key, nil
}

// validPath reports whether p is a relationship path: two or more API
// names joined by dots.
func validPath(p string) bool {
	parts := bytes.Split([]byte(p), []byte("."))
	if len(parts) < 2 {
		return false
	}
	for _, s := range parts {
		if !nameRE.Match(s) {
			return false
		}
	}
	return true
}

// jsonConfig is the JSON configuration of the "salesforce" kind: the
// fields of Config by their JSON names, and its durations as Go
// duration strings ("1s", "250ms").
type jsonConfig struct {
	Config
	RetryBaseDelay string `json:"retry_base_delay,omitempty"`
	RetryMaxDelay  string `json:"retry_max_delay,omitempty"`
	AssertionTTL   string `json:"assertion_ttl,omitempty"`
}

// durationField parses the duration text of a JSON field into *dst.
func durationField(dst *time.Duration, field, text string) error {
	if text == "" {
		return nil
	}
	d, err := time.ParseDuration(text)
	if err != nil {
		return &aam.ConfigError{Kind: Kind, Field: field, Reason: "not a duration like \"1s\" or \"250ms\""}
	}
	*dst = d
	return nil
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
			// The decoder's error may quote a value; say only where.
			return nil, &aam.ConfigError{Kind: Kind, Reason: "cannot decode: " + decodeWhere(err)}
		}
		for _, d := range []struct {
			dst         *time.Duration
			field, text string
		}{
			{&c.Config.RetryBaseDelay, "retry_base_delay", c.RetryBaseDelay},
			{&c.Config.RetryMaxDelay, "retry_max_delay", c.RetryMaxDelay},
			{&c.Config.AssertionTTL, "assertion_ttl", c.AssertionTTL},
		} {
			if err := durationField(d.dst, d.field, d.text); err != nil {
				return nil, err
			}
		}
		if dial != nil {
			c.Config.HTTPClient = clientDialing(dial)
		}
		return New(&c.Config)
	}
}

// clientDialing returns the client of a Factory with a dial function.
func clientDialing(dial DialFunc) *http.Client {
	t := http.DefaultTransport.(*http.Transport).Clone()
	t.Proxy = nil
	t.DialContext = dial
	return &http.Client{Timeout: 60 * time.Second, Transport: t}
}

// decodeWhere describes a JSON decoding error without quoting values.
func decodeWhere(err error) string {
	var te *json.UnmarshalTypeError
	var se *json.SyntaxError
	switch {
	case asErr(err, &te):
		return fmt.Sprintf("field %q has the wrong type (want %s)", te.Field, te.Type)
	case asErr(err, &se):
		return fmt.Sprintf("invalid JSON at offset %d", se.Offset)
	}
	return "unknown field or invalid JSON"
}
