package slack

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"time"

	"github.com/autonomos/autonomos/repair"
)

// ErrInvalidURL is returned by New for a webhook URL that is not an
// absolute http(s) URL. The error does not repeat the URL.
var ErrInvalidURL = errors.New("slack: invalid webhook URL")

// StatusError reports a non-2xx answer from the webhook.
type StatusError struct {
	// Host is the webhook's host (the URL's path is secret).
	Host string
	// StatusCode is the HTTP status.
	StatusCode int
	// Body is the start of Slack's answer (e.g. "invalid_payload"),
	// at most 200 bytes.
	Body string
}

func (e *StatusError) Error() string {
	return fmt.Sprintf("slack: webhook at %s answered %d: %q", e.Host, e.StatusCode, e.Body)
}

// Config configures a [Notifier]. The zero value (or nil) gives the
// defaults.
type Config struct {
	// Client sends the requests. Defaults to an http.Client with Timeout.
	Client *http.Client
	// Timeout bounds one post, connection included. Defaults to 10s.
	Timeout time.Duration
	// Prefix starts every message, e.g. "[prod] ". Defaults to "".
	Prefix string
}

// Notifier posts repair notifications to a Slack incoming webhook. It is
// safe for concurrent use.
type Notifier struct {
	url    string
	host   string
	client *http.Client
	cfg    Config
}

var _ repair.Notifier = (*Notifier)(nil)

// New returns a notifier posting to webhookURL (required). cfg nil means
// defaults.
func New(webhookURL string, cfg *Config) (*Notifier, error) {
	u, err := url.Parse(webhookURL)
	if err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" {
		return nil, ErrInvalidURL
	}
	var c Config
	if cfg != nil {
		c = *cfg
	}
	if c.Timeout <= 0 {
		c.Timeout = 10 * time.Second
	}
	client := c.Client
	if client == nil {
		client = &http.Client{Timeout: c.Timeout}
	}
	return &Notifier{url: webhookURL, host: u.Host, client: client, cfg: c}, nil
}

// Notify posts n's text. It returns a [*StatusError] for a non-2xx
// answer, the context's error when ctx ends, and otherwise an error that
// names the webhook's host but not its URL.
func (s *Notifier) Notify(ctx context.Context, n repair.Notification) error {
	return s.Post(ctx, n.Text())
}

// Post posts a plain text message.
func (s *Notifier) Post(ctx context.Context, text string) error {
	body, err := json.Marshal(struct {
		Text string `json:"text"`
	}{s.cfg.Prefix + text})
	if err != nil {
		return fmt.Errorf("slack: encode message: %w", err)
	}
	ctx, cancel := context.WithTimeout(ctx, s.cfg.Timeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, s.url, bytes.NewReader(body))
	if err != nil {
		return fmt.Errorf("slack: build request for %s", s.host)
	}
	req.Header.Set("Content-Type", "application/json")
	resp, err := s.client.Do(req)
	if err != nil {
		if ctx.Err() != nil {
			return ctx.Err()
		}
		// *url.Error carries the full URL: report only its cause.
		var ue *url.Error
		if errors.As(err, &ue) {
			err = ue.Err
		}
		return fmt.Errorf("slack: post to %s: %w", s.host, err)
	}
	defer resp.Body.Close()
	snippet, _ := io.ReadAll(io.LimitReader(resp.Body, 200))
	_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, 1<<16))
	if resp.StatusCode < 200 || resp.StatusCode > 299 {
		return &StatusError{Host: s.host, StatusCode: resp.StatusCode, Body: string(snippet)}
	}
	return nil
}
