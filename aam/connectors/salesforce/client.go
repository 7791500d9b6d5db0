package salesforce

import (
	"bytes"

	"context"
	"crypto/rsa"
	"encoding/json"
	"errors"
	"fmt"
	"github.com/autonomos/autonomos/aam"
	"io"
	"log/slog"
	"math/rand/v2"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/golang-jwt/jwt/v5"
)

// maxBody bounds one response body read into memory.
const maxBody = 256 << 20

// token is an access token and the instance it is good for.
type token struct {
	access   string
	instance string // scheme://host, no trailing slash
}

// client speaks Salesforce's REST API: it gets and caches an access
// token, refreshes it once on INVALID_SESSION_ID, backs off on request
// limits and 503s, and turns error bodies into typed errors. It is safe
// for concurrent use.
type client struct {
	cfg Config
	key *rsa.PrivateKey
	log *slog.Logger

	mu  sync.Mutex // held while a token is fetched, so one fetch serves all
	tok *token

	issuedMu sync.Mutex
	issued   []string // access tokens issued, the last few, to scrub from texts
}

// scrub removes every configured secret and issued token from s, as a
// second line of defence: a server may quote what it was sent.
func (c *client) scrub(s string) string {
	for _, sec := range []string{string(c.cfg.ClientSecret), string(c.cfg.RefreshToken), string(c.cfg.PrivateKey)} {
		if len(sec) >= 4 {
			s = strings.ReplaceAll(s, sec, aam.Redacted)
		}
	}
	c.issuedMu.Lock()
	issued := c.issued
	c.issuedMu.Unlock()
	for _, t := range issued {
		if len(t) >= 4 {
			s = strings.ReplaceAll(s, t, aam.Redacted)
		}
	}
	return s
}

// token returns the cached token, fetching one when there is none.
func (c *client) token(ctx context.Context) (*token, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.tok != nil {
		return c.tok, nil
	}
	t, err := c.fetchToken(ctx)
	if err != nil {
		return nil, err
	}
	c.tok = t
	c.issuedMu.Lock()
	c.issued = append(c.issued, t.access)
	if len(c.issued) > 8 {
		c.issued = c.issued[len(c.issued)-8:]
	}
	c.issuedMu.Unlock()
	return t, nil
}

// invalidate drops t from the cache, unless another request already
// replaced it.
func (c *client) invalidate(t *token) {
	c.mu.Lock()
	if c.tok == t {
		c.tok = nil
	}
	c.mu.Unlock()
}

// assertion returns a signed JWT bearer assertion.
func (c *client) assertion() (string, error) {
	now := c.cfg.Now()
	claims := jwt.MapClaims{
		"iss": c.cfg.ClientID,
		"sub": c.cfg.Username,
		"aud": c.cfg.LoginURL, // a string, as Salesforce documents it
		"exp": now.Add(c.cfg.AssertionTTL).Unix(),
	}
	s, err := jwt.NewWithClaims(jwt.SigningMethodRS256, claims).SignedString(c.key)
	if err != nil {
		return "", fmt.Errorf("salesforce: sign JWT bearer assertion: %w", err)
	}
	return s, nil
}

// fetchToken asks the token endpoint for an access token.
func (c *client) fetchToken(ctx context.Context) (*token, error) {
	form := url.Values{}
	switch c.cfg.Flow {
	case FlowClientCredentials:
		form.Set("grant_type", "client_credentials")
		form.Set("client_id", c.cfg.ClientID)
		form.Set("client_secret", string(c.cfg.ClientSecret))
	case FlowRefreshToken:
		form.Set("grant_type", "refresh_token")
		form.Set("client_id", c.cfg.ClientID)
		if c.cfg.ClientSecret != "" {
			form.Set("client_secret", string(c.cfg.ClientSecret))
		}
		form.Set("refresh_token", string(c.cfg.RefreshToken))
	case FlowJWTBearer:
		a, err := c.assertion()
		if err != nil {
			return nil, err
		}
		form.Set("grant_type", "urn:ietf:params:oauth:grant-type:jwt-bearer")
		form.Set("assertion", a)
	}
	endpoint := strings.TrimRight(c.cfg.LoginURL, "/") + "/services/oauth2/token"
	body := form.Encode()
	resp, err := c.send(ctx, func() (*http.Request, error) {
		req, err := http.NewRequestWithContext(ctx, http.MethodPost, endpoint, strings.NewReader(body))
		if err != nil {
			return nil, err
		}
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		req.Header.Set("Accept", "application/json")
		return req, nil
	}, "/services/oauth2/token")
	if err != nil {
		return nil, err
	}
	if resp.status != http.StatusOK {
		var e struct {
			Error       string `json:"error"`
			Description string `json:"error_description"`
		}
		_ = json.Unmarshal(resp.body, &e) // an unreadable body leaves the code empty
		return nil, &TokenError{Flow: c.cfg.Flow, Status: resp.status, Code: c.scrub(e.Error), Description: c.scrub(e.Description)}
	}
	var tr struct {
		AccessToken string `json:"access_token"`
		InstanceURL string `json:"instance_url"`
		TokenType   string `json:"token_type"`
	}
	if err := json.Unmarshal(resp.body, &tr); err != nil || tr.AccessToken == "" {
		return nil, &TokenError{Flow: c.cfg.Flow, Status: resp.status, Description: "token response without an access_token"}
	}
	u, err := url.Parse(tr.InstanceURL)
	if err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" {
		return nil, &TokenError{Flow: c.cfg.Flow, Status: resp.status, Description: "token response without a valid instance_url"}
	}
	c.log.DebugContext(ctx, "salesforce: got access token", "flow", string(c.cfg.Flow), "instance", u.Host)
	return &token{access: tr.AccessToken, instance: u.Scheme + "://" + u.Host}, nil
}

// response is a read HTTP response.
type response struct {
	status int
	body   []byte
}

// sfError is one element of Salesforce's error body.
type sfError struct {
	Message   string   `json:"message"`
	ErrorCode string   `json:"errorCode"`
	Fields    []string `json:"fields"`
}

// errorCode returns the first errorCode of a Salesforce error body.
func errorCode(body []byte) (sfError, bool) {
	var es []sfError
	if err := json.Unmarshal(body, &es); err != nil || len(es) == 0 {
		// Some endpoints answer with one object instead of a list.
		var e sfError
		if json.Unmarshal(body, &e) != nil || e.ErrorCode == "" {
			return sfError{}, false
		}
		return e, true
	}
	return es[0], true
}

// retryable reports whether a response should be retried after a wait.
func retryable(status int, body []byte) bool {
	if status == http.StatusServiceUnavailable {
		return true
	}
	if status == http.StatusForbidden {
		e, ok := errorCode(body)
		return ok && e.ErrorCode == "REQUEST_LIMIT_EXCEEDED"
	}
	return false
}

// send does a request, retrying with backoff and jitter while the
// answer is a request limit or a 503. The last answer comes back
// whatever its status; err is a transport failure or ctx's error. path
// names the request in logs and errors.
func (c *client) send(ctx context.Context, newReq func() (*http.Request, error), path string) (*response, error) {
	for attempt := 0; ; attempt++ {
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		req, err := newReq()
		if err != nil {
			return nil, fmt.Errorf("salesforce: %s: %w", path, err)
		}
		hres, err := c.cfg.HTTPClient.Do(req)
		if err != nil {
			if cerr := ctx.Err(); cerr != nil {
				return nil, cerr
			}
			// A *url.Error quotes the URL; keep only its cause.
			var ue *url.Error
			if errors.As(err, &ue) {
				err = ue.Err
			}
			return nil, fmt.Errorf("salesforce: %s %s: %s", req.Method, path, c.scrub(err.Error()))
		}
		body, err := io.ReadAll(io.LimitReader(hres.Body, maxBody+1))
		hres.Body.Close()
		if err != nil {
			if cerr := ctx.Err(); cerr != nil {
				return nil, cerr
			}
			return nil, fmt.Errorf("salesforce: %s %s: read response: %s", req.Method, path, c.scrub(err.Error()))
		}
		if len(body) > maxBody {
			return nil, fmt.Errorf("salesforce: %s %s: response larger than %d bytes", req.Method, path, maxBody)
		}
		c.log.DebugContext(ctx, "salesforce: request", "method", req.Method, "path", path, "status", hres.StatusCode, "attempt", attempt+1)
		if !retryable(hres.StatusCode, body) || attempt >= c.cfg.MaxRetries {
			return &response{status: hres.StatusCode, body: body}, nil
		}
		wait := c.backoff(attempt, hres.Header.Get("Retry-After"))
		c.log.WarnContext(ctx, "salesforce: request refused, retrying", "method", req.Method, "path", path, "status", hres.StatusCode, "attempt", attempt+1, "wait", wait)
		t := time.NewTimer(wait)
		select {
		case <-ctx.Done():
			t.Stop()
			return nil, ctx.Err()
		case <-t.C:
		}
	}
}

// backoff returns the wait before retry attempt+1: drawn at random
// below base*2^attempt (capped), or Retry-After when that is longer.
func (c *client) backoff(attempt int, retryAfter string) time.Duration {
	ceil := c.cfg.RetryBaseDelay << min(attempt, 30)
	if ceil <= 0 || ceil > c.cfg.RetryMaxDelay {
		ceil = c.cfg.RetryMaxDelay
	}
	wait := time.Duration(0)
	if ceil > 0 {
		wait = time.Duration(rand.Int64N(int64(ceil) + 1))
	}
	if s, err := strconv.Atoi(strings.TrimSpace(retryAfter)); err == nil && s > 0 {
		if ra := min(time.Duration(s)*time.Second, c.cfg.RetryMaxDelay); ra > wait {
			wait = ra
		}
	}
	return wait
}

// get GETs a path of the instance (or a path with a query string, as
// nextRecordsUrl is) and returns the body of a 2xx answer. A 401
// INVALID_SESSION_ID drops the token and tries once more with a new
// one; other error answers become [*APIError] values.
func (c *client) get(ctx context.Context, pathAndQuery string, header http.Header) ([]byte, error) {
	name := pathAndQuery
	if i := strings.IndexByte(name, '?'); i >= 0 {
		name = name[:i]
	}
	refreshed := false
	for {
		tok, err := c.token(ctx)
		if err != nil {
			return nil, err
		}
		resp, err := c.send(ctx, func() (*http.Request, error) {
			req, err := http.NewRequestWithContext(ctx, http.MethodGet, tok.instance+pathAndQuery, nil)
			if err != nil {
				return nil, err
			}
			for k, v := range header {
				req.Header[k] = v
			}
			req.Header.Set("Authorization", "Bearer "+tok.access)
			req.Header.Set("Accept", "application/json")
			return req, nil
		}, name)
		if err != nil {
			return nil, err
		}
		if resp.status >= 200 && resp.status < 300 {
			return resp.body, nil
		}
		e, _ := errorCode(resp.body)
		if resp.status == http.StatusUnauthorized && !refreshed {
			c.log.InfoContext(ctx, "salesforce: session expired, getting a new token", "path", name, "code", e.ErrorCode)
			c.invalidate(tok)
			refreshed = true
			continue
		}
		return nil, &APIError{
			Method: http.MethodGet, Path: name, Status: resp.status,
			Code: e.ErrorCode, Message: c.scrub(e.Message), Fields: e.Fields,
		}
	}
}

// getJSON GETs and decodes into v, numbers as json.Number.
func (c *client) getJSON(ctx context.Context, pathAndQuery string, header http.Header, v any) error {
	body, err := c.get(ctx, pathAndQuery, header)
	if err != nil {
		return err
	}
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.UseNumber()
	if err := dec.Decode(v); err != nil {
		name, _, _ := strings.Cut(pathAndQuery, "?")
		return fmt.Errorf("salesforce: GET %s: unreadable response: %w", name, err)
	}
	return nil
}
