package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"iter"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"sync/atomic"
	"time"

	"github.com/autonomos/autonomos/aam"
	"github.com/autonomos/autonomos/drift"
)

// Kind is the connector kind the Pipewise connector registers under.
const Kind = "pipewise"

// Config is the JSON configuration of a Pipewise connection.
type Config struct {
	// BaseURL is the API's root, e.g. "https://api.pipewise.example".
	// Required.
	BaseURL string `json:"base_url"`
	// Token is the API token, sent as a bearer token. It is a secret:
	// the mesh masks it (its key names a token). Required.
	Token string `json:"token"`
	// PageSize is the number of records asked for per request, 1..500.
	// Defaults to 100.
	PageSize int `json:"page_size,omitempty"`
	// Timeout bounds each request. Defaults to 10s.
	Timeout time.Duration `json:"-"`
}

// Connector reads a Pipewise account through its REST API. Records come
// as maps (aam.Record.Fields); the cursor is the sequence number of the
// last record read, so reads resume exactly and records added later are
// read incrementally. It is safe for concurrent use.
type Connector struct {
	aam.UnimplementedConnector // keeps compiling when aam adds methods
	base                       *url.URL
	token                      string
	pageSize                   int
	client                     *http.Client
	closed                     atomic.Bool
}

var _ aam.Connector = (*Connector)(nil)

// errNotFound is the API's 404.
var errNotFound = errors.New("pipewise: not found")

// cursorPrefix marks this connector's cursors; anything else is refused.
const cursorPrefix = "pipewise:v1:"

func init() {
	// Like database/sql drivers, a connector registers its kind when its
	// package is imported; the mesh then opens it from a connection's
	// stored configuration.
	aam.Register(Kind, func(raw json.RawMessage) (aam.Connector, error) {
		var cfg Config
		dec := json.NewDecoder(bytes.NewReader(raw))
		dec.DisallowUnknownFields()
		if err := dec.Decode(&cfg); err != nil {
			return nil, &aam.ConfigError{Kind: Kind, Reason: "cannot decode", Err: err}
		}
		return New(cfg)
	})
}

// New returns a connector for cfg, or an *aam.ConfigError naming the
// field at fault (never its value).
func New(cfg Config) (*Connector, error) {
	u, err := url.Parse(cfg.BaseURL)
	switch {
	case cfg.BaseURL == "":
		return nil, &aam.ConfigError{Kind: Kind, Field: "base_url", Reason: "required"}
	case err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" || u.User != nil:
		return nil, &aam.ConfigError{Kind: Kind, Field: "base_url", Reason: "must be an http(s) URL without credentials"}
	case cfg.Token == "":
		return nil, &aam.ConfigError{Kind: Kind, Field: "token", Reason: "required"}
	case cfg.PageSize < 0 || cfg.PageSize > 500:
		return nil, &aam.ConfigError{Kind: Kind, Field: "page_size", Reason: "must be within 1..500"}
	}
	if cfg.PageSize == 0 {
		cfg.PageSize = 100
	}
	if cfg.Timeout == 0 {
		cfg.Timeout = 10 * time.Second
	}
	return &Connector{base: u, token: cfg.Token, pageSize: cfg.PageSize,
		client: &http.Client{Timeout: cfg.Timeout}}, nil
}

// get fetches path?query into out.
func (c *Connector) get(ctx context.Context, path string, query url.Values, out any) error {
	if c.closed.Load() {
		return aam.ErrClosed
	}
	u := c.base.JoinPath(path)
	u.RawQuery = query.Encode()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u.String(), nil)
	if err != nil {
		return err
	}
	req.Header.Set("Authorization", "Bearer "+c.token)
	req.Header.Set("Accept", "application/json")
	resp, err := c.client.Do(req)
	if err != nil {
		if ctx.Err() != nil {
			return ctx.Err() // context errors come back as they are
		}
		return &aam.UnavailableError{Kind: Kind, Target: c.base.Host, Reason: "request failed", Err: err}
	}
	defer resp.Body.Close()
	switch {
	case resp.StatusCode == http.StatusUnauthorized || resp.StatusCode == http.StatusForbidden:
		return &aam.UnavailableError{Kind: Kind, Target: c.base.Host, Reason: "token refused"}
	case resp.StatusCode == http.StatusNotFound:
		return errNotFound
	case resp.StatusCode >= 500:
		return &aam.UnavailableError{Kind: Kind, Target: c.base.Host, Reason: "server error " + strconv.Itoa(resp.StatusCode)}
	case resp.StatusCode != http.StatusOK:
		return fmt.Errorf("pipewise: GET %s: status %d", path, resp.StatusCode)
	}
	dec := json.NewDecoder(io.LimitReader(resp.Body, 32<<20))
	dec.UseNumber() // amounts keep their digits
	if err := dec.Decode(out); err != nil {
		return fmt.Errorf("pipewise: GET %s: malformed answer: %w", path, err)
	}
	return nil
}

// Check lists the objects: it fails when the API is down or refuses the
// token.
func (c *Connector) Check(ctx context.Context) error {
	var resp struct{ Objects []string }
	return c.get(ctx, "/v1/objects", nil, &resp)
}

// Discover lists the objects, each with a schema inferred from its first
// page of records (the API declares none).
func (c *Connector) Discover(ctx context.Context) ([]aam.ObjectInfo, error) {
	var resp struct{ Objects []string }
	if err := c.get(ctx, "/v1/objects", nil, &resp); err != nil {
		return nil, err
	}
	out := make([]aam.ObjectInfo, 0, len(resp.Objects))
	for _, name := range resp.Objects {
		recs, err := c.page(ctx, name, 0)
		if err != nil {
			return nil, err
		}
		out = append(out, aam.ObjectInfo{Name: name, Inferred: true,
			Schema: drift.InferRecords(Kind, name, recs, nil)})
	}
	return out, nil
}

// page fetches the records of object after sequence number after.
func (c *Connector) page(ctx context.Context, object string, after int64) ([]map[string]any, error) {
	var resp struct {
		Records []map[string]any `json:"records"`
	}
	q := url.Values{"after": {strconv.FormatInt(after, 10)}, "limit": {strconv.Itoa(c.pageSize)}}
	err := c.get(ctx, "/v1/objects/"+url.PathEscape(object)+"/records", q, &resp)
	if errors.Is(err, errNotFound) {
		return nil, fmt.Errorf("%w: %q", aam.ErrUnknownObject, object)
	}
	return resp.Records, err
}

// Read yields object's records after cursor, one page per batch.
func (c *Connector) Read(ctx context.Context, object string, cursor aam.Cursor) iter.Seq2[*aam.Batch, error] {
	return func(yield func(*aam.Batch, error) bool) {
		var after int64
		if cursor != "" {
			s, ok := strings.CutPrefix(string(cursor), cursorPrefix)
			n, err := strconv.ParseInt(s, 10, 64)
			if !ok || err != nil || n < 0 {
				yield(nil, fmt.Errorf("%w: not a %s cursor", aam.ErrInvalidCursor, Kind))
				return
			}
			after = n
		}
		for {
			if err := ctx.Err(); err != nil {
				yield(nil, err)
				return
			}
			recs, err := c.page(ctx, object, after)
			if err != nil {
				yield(nil, err)
				return
			}
			if len(recs) == 0 {
				return
			}
			b := &aam.Batch{Object: object, Records: make([]aam.Record, 0, len(recs))}
			for _, r := range recs {
				seq, err := seqOf(r)
				if err != nil {
					b.Errors = append(b.Errors, &aam.RowError{File: object, Offset: -1,
						Err: fmt.Errorf("%w: %v", aam.ErrMalformedRecord, err)})
					continue
				}
				after = max(after, seq)
				b.Records = append(b.Records, aam.Record{Fields: r})
			}
			b.Cursor = aam.Cursor(cursorPrefix + strconv.FormatInt(after, 10))
			if !yield(b, nil) {
				return
			}
			if len(recs) < c.pageSize {
				return // the last page
			}
		}
	}
}

// seqOf reads a record's sequence number.
func seqOf(r map[string]any) (int64, error) {
	n, ok := r["seq"].(json.Number)
	if !ok {
		return 0, errors.New("record has no seq")
	}
	return n.Int64()
}

// Close makes the connector refuse further calls. It is idempotent.
func (c *Connector) Close() error {
	c.closed.Store(true)
	c.client.CloseIdleConnections()
	return nil
}
