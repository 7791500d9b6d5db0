package main

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"time"

	"github.com/coder/websocket"
	"github.com/google/uuid"
	"github.com/redis/go-redis/v9"

	"github.com/autonomos/autonomos/authn"
	"github.com/autonomos/autonomos/live"
	"github.com/autonomos/autonomos/live/memlive"
	"github.com/autonomos/autonomos/live/redislive"
	"github.com/autonomos/autonomos/tenancy"
)

// Live-event stream limits.
const (
	// streamKeepAlive is how often an idle stream sends a keep-alive (an
	// SSE comment, a WebSocket ping), so proxies do not cut it and a dead
	// client is noticed.
	streamKeepAlive = 15 * time.Second
	// streamWriteTimeout bounds each write to a stream's client.
	streamWriteTimeout = 10 * time.Second
	// wsReadLimit caps a message a WebSocket client may send (it has
	// nothing to say but control frames); a larger one closes the
	// connection with 1009.
	wsReadLimit = 4 << 10
	// ticketTTL is the lifetime of a WebSocket ticket.
	ticketTTL = 30 * time.Second
	// maxMemTickets bounds the embedded mode's unredeemed tickets.
	maxMemTickets = 100000
)

// livePart fans live events out to each tenant's SSE and WebSocket
// clients.
type livePart struct {
	hub     live.Hub
	tickets ticketStore
	streams streamCounter
	// streamsStop is closed when the server shuts down: open streams
	// end, so that shutdown does not wait for them.
	streamsStop chan struct{}
	stopOnce    sync.Once
	// keepAlive is streamKeepAlive; tests shorten it.
	keepAlive time.Duration
}

// openLive starts the live event hub: Redis streams in server mode (every
// replica's clients see every event, ids resume on any replica), an
// in-process ring otherwise.
func (a *app) openLive(context.Context) error {
	a.streamsStop = make(chan struct{})
	a.keepAlive = streamKeepAlive
	a.streams = streamCounter{max: a.cfg.MaxStreamsPerUser, open: map[uuid.UUID]int{}}
	if a.rdb != nil {
		hub, err := redislive.New(a.rdb, &redislive.Config{Logger: a.log})
		if err != nil {
			return fmt.Errorf("live events: %w", err)
		}
		a.hub = hub
		a.tickets = &redisTickets{rdb: a.rdb}
		return nil
	}
	a.hub = memlive.New(nil)
	a.tickets = &memTickets{m: map[string]memTicket{}}
	return nil
}

// stopStreams ends every open stream (called when shutdown starts).
func (a *app) stopStreams() {
	if a.streamsStop != nil {
		a.stopOnce.Do(func() { close(a.streamsStop) })
	}
}

// closeLive stops the hub and closes the clients' streams.
func (a *app) closeLive() {
	a.stopStreams()
	if a.hub != nil {
		if err := a.hub.Close(); err != nil {
			a.log.Warn("close live events", "err", err)
		}
	}
}

// liveRoutes are the event stream routes (SSE, WebSocket).
func (a *app) liveRoutes() []route {
	return []route{
		{method: "GET", path: "/api/v1/events", tag: "events", stream: true, produces: "text/event-stream", auth: true, ok: 200, errors: []int{400, 503},
			summary: "The tenant's live events as Server-Sent Events (text/event-stream): `id:`, `event:` (the type) and `data:` (the event as JSON) per event; `event: reset` when events were missed (reload); a keep-alive comment every 15 s. Resume with the Last-Event-ID header (or ?last_event_id=). At most HOSTD_MAX_STREAMS_PER_USER streams per user (429).",
			out:     live.Event{}, handler: a.handle(a.streamSSE)},
		{method: "POST", path: "/api/v1/events/ticket", tag: "events", auth: true, ok: 201, out: ticketJSON{},
			summary: "A single-use ticket, valid 30 s, to open the WebSocket from a browser (which cannot set headers on it): GET /api/v1/events/ws?ticket=...",
			handler: a.handle(a.issueTicket)},
		{method: "GET", path: "/api/v1/events/ws", tag: "events", stream: true, ok: 101, errors: []int{400, 401, 403, 429, 503},
			summary: "The tenant's live events over WebSocket: one JSON text message per event ({id, type, data, at}; {type: \"reset\"} when events were missed). Authenticate with ?ticket= (POST /api/v1/events/ticket) or a bearer header; the Origin must be this server or one of HOSTD_ALLOWED_ORIGINS; client messages over 4 KiB close the connection; resume with ?last_event_id=.",
			out:     live.Event{}, handler: a.handle(a.streamWS)},
	}
}

// graphChanged is the data of a "graph.changed" event.
type graphChanged struct {
	Version int64  `json:"version"`
	Reason  string `json:"reason"`
}

// emit sends a live event of type typ with data (encoded as JSON) to
// tenant's clients. It never blocks the caller for long and never fails it:
// live events are a view, not the record. (Both hubs only queue the
// event; problems are logged.)
func (a *app) emit(ctx context.Context, tenant tenancy.ID, typ string, data any) {
	if a.hub == nil {
		return
	}
	b, err := json.Marshal(data)
	if err != nil {
		a.log.WarnContext(ctx, "live event not sent: data does not encode", "type", typ, "tenant", tenant, "err", err)
		return
	}
	if err := a.hub.Publish(ctx, tenant, typ, b); err != nil && !errors.Is(err, live.ErrClosed) {
		a.log.WarnContext(ctx, "live event not sent", "type", typ, "tenant", tenant, "err", err)
	}
}

// subscribe opens the tenant's subscription for a stream, mapping the
// hub's errors onto problems.
func (a *app) subscribe(ctx context.Context, tenant tenancy.ID, last string) (live.Subscription, error) {
	sub, err := a.hub.Subscribe(ctx, tenant, last)
	switch {
	case errors.Is(err, live.ErrInvalidID):
		return nil, badRequest("Last-Event-ID %q is not an event id of this server", truncateID(last))
	case errors.Is(err, live.ErrUnavailable), errors.Is(err, live.ErrClosed):
		return nil, &httpError{Status: http.StatusServiceUnavailable, Detail: "live events are unavailable right now; retry shortly"}
	}
	return sub, err
}

func truncateID(s string) string {
	if len(s) > 64 {
		return s[:64] + "..."
	}
	return s
}

// nextEvent waits for the next event until the keep-alive is due (ok
// false, err nil), the client leaves or the server stops.
func (a *app) nextEvent(ctx context.Context, sub live.Subscription) (e live.Event, ok bool, err error) {
	ctx, cancel := context.WithTimeout(ctx, a.keepAlive)
	defer cancel()
	e, err = sub.Next(ctx)
	if errors.Is(err, context.DeadlineExceeded) && ctx.Err() != nil {
		return live.Event{}, false, nil
	}
	if err != nil {
		return live.Event{}, false, err
	}
	return e, true, nil
}

// streamContext is ctx ended also by the server's shutdown.
func (a *app) streamContext(ctx context.Context) (context.Context, context.CancelFunc) {
	ctx, cancel := context.WithCancel(ctx)
	stop := make(chan struct{})
	go func() {
		select {
		case <-a.streamsStop:
			cancel()
		case <-ctx.Done():
		case <-stop:
		}
	}()
	// The WebSocket handler ends its stream from two goroutines (the
	// reader and the writer); stopping twice must be harmless.
	var once sync.Once
	return ctx, func() { once.Do(func() { close(stop) }); cancel() }
}

// streamSSE serves GET /api/v1/events.
func (a *app) streamSSE(w http.ResponseWriter, r *http.Request) error {
	p, err := authn.PrincipalFromContext(r.Context())
	if err != nil {
		return err
	}
	release, ok := a.streams.acquire(p.UserID)
	if !ok {
		tooMany(w, r, 5*time.Second, fmt.Sprintf("this user has %d live-event streams open already (the limit)", a.streams.max))
		return nil
	}
	defer release()
	last := r.Header.Get("Last-Event-ID")
	if last == "" {
		last = r.URL.Query().Get("last_event_id")
	}
	sub, err := a.subscribe(r.Context(), p.TenantID, last)
	if err != nil {
		return err
	}
	defer sub.Close()
	ctx, cancel := a.streamContext(r.Context())
	defer cancel()

	rc := http.NewResponseController(w)
	// The server's read timeout must not end a stream that reads nothing.
	_ = rc.SetReadDeadline(time.Time{})
	h := w.Header()
	h.Set("Content-Type", "text/event-stream")
	h.Set("Cache-Control", "no-store")
	h.Set("X-Accel-Buffering", "no") // nginx: do not buffer the stream
	w.WriteHeader(http.StatusOK)
	write := func(s string) error {
		if err := rc.SetWriteDeadline(time.Now().Add(streamWriteTimeout)); err != nil && !errors.Is(err, http.ErrNotSupported) {
			return err
		}
		if _, err := w.Write([]byte(s)); err != nil {
			return err
		}
		return rc.Flush()
	}
	if err := write("retry: 3000\n: connected\n\n"); err != nil {
		return nil // the client is gone: nothing to answer
	}
	var b strings.Builder
	for {
		e, ok, err := a.nextEvent(ctx, sub)
		b.Reset()
		switch {
		case errors.Is(err, live.ErrGap):
			b.WriteString("event: reset\ndata: {}\n\n")
		case err != nil:
			return nil // client left, shutdown, hub closed: end the stream
		case !ok:
			b.WriteString(": keep-alive\n\n")
		default:
			line, err := json.Marshal(e) // compact: no newline in data
			if err != nil {
				a.log.Warn("live event does not encode", "id", e.ID, "err", err)
				continue
			}
			fmt.Fprintf(&b, "id: %s\nevent: %s\ndata: %s\n\n", e.ID, e.Type, line)
		}
		if err := write(b.String()); err != nil {
			return nil
		}
	}
}

// ticketJSON is the answer of POST /api/v1/events/ticket.
type ticketJSON struct {
	Ticket    string    `json:"ticket"`
	ExpiresAt time.Time `json:"expires_at"`
}

func (a *app) issueTicket(w http.ResponseWriter, r *http.Request) error {
	p, err := authn.PrincipalFromContext(r.Context())
	if err != nil {
		return err
	}
	exp := time.Now().Add(ticketTTL)
	if !p.ExpiresAt.IsZero() && p.ExpiresAt.Before(exp) {
		exp = p.ExpiresAt // never outlive the token it was issued on
	}
	t, err := a.tickets.issue(r.Context(), p, exp)
	if err != nil {
		return err
	}
	w.Header().Set("Cache-Control", "no-store")
	return writeJSON(w, http.StatusCreated, ticketJSON{Ticket: t, ExpiresAt: exp.UTC()})
}

// wsPrincipal authenticates a WebSocket request before the upgrade: a
// ticket, else a bearer header.
func (a *app) wsPrincipal(r *http.Request) (authn.Principal, error) {
	unauthorized := func(detail string) error {
		return &httpError{Status: http.StatusUnauthorized, Detail: detail}
	}
	if t := r.URL.Query().Get("ticket"); t != "" {
		p, err := a.tickets.redeem(r.Context(), t)
		if errors.Is(err, errBadTicket) {
			return authn.Principal{}, unauthorized("the ticket is unknown, used or expired; get a new one from POST /api/v1/events/ticket")
		}
		if err != nil {
			return authn.Principal{}, err
		}
		return p, nil
	}
	if r.Header.Get("Authorization") == "" {
		return authn.Principal{}, unauthorized("no credentials: pass ?ticket= (from POST /api/v1/events/ticket) or a bearer token")
	}
	p, err := a.authn.Authenticate(r)
	if err != nil {
		return authn.Principal{}, unauthorized("the bearer token is not valid")
	}
	return p, nil
}

// originAllowed reports whether a page of origin may open the WebSocket:
// no Origin (not a browser), the server's own host, or an allowed origin.
func (a *app) originAllowed(r *http.Request) bool {
	origin := r.Header.Get("Origin")
	if origin == "" {
		return true
	}
	u, err := url.Parse(origin)
	if err != nil || u.Host == "" {
		return false
	}
	if strings.EqualFold(u.Host, r.Host) {
		return true
	}
	for _, o := range a.cfg.AllowedOrigins {
		if strings.EqualFold(strings.TrimSuffix(o, "/"), u.Scheme+"://"+u.Host) {
			return true
		}
	}
	return false
}

// streamWS serves GET /api/v1/events/ws.
func (a *app) streamWS(w http.ResponseWriter, r *http.Request) error {
	// Everything is checked before the upgrade, so a refusal is a plain
	// problem response.
	if !a.originAllowed(r) {
		return &httpError{Status: http.StatusForbidden, Detail: "this page's origin may not open the event stream (HOSTD_ALLOWED_ORIGINS)"}
	}
	p, err := a.wsPrincipal(r)
	if err != nil {
		return err
	}
	if info, ok := r.Context().Value(requestInfoKey).(*requestInfo); ok {
		info.tenant = p.TenantID.String()
	}
	if ok, wait := a.limiter.allow(p.TenantID.String()); !ok {
		tooMany(w, r, wait, "the tenant's request rate is over its limit; retry later")
		return nil
	}
	release, ok := a.streams.acquire(p.UserID)
	if !ok {
		tooMany(w, r, 5*time.Second, fmt.Sprintf("this user has %d live-event streams open already (the limit)", a.streams.max))
		return nil
	}
	defer release()
	sub, err := a.subscribe(r.Context(), p.TenantID, r.URL.Query().Get("last_event_id"))
	if err != nil {
		return err
	}
	defer sub.Close()

	rc := http.NewResponseController(w)
	// The connection is hijacked: clear the server's deadlines, the
	// stream sets its own per write.
	_ = rc.SetReadDeadline(time.Time{})
	_ = rc.SetWriteDeadline(time.Time{})
	var patterns []string
	for _, o := range a.cfg.AllowedOrigins {
		patterns = append(patterns, strings.TrimSuffix(o, "/")) // checked above too
	}
	c, err := websocket.Accept(w, r, &websocket.AcceptOptions{OriginPatterns: patterns})
	if err != nil {
		return nil // Accept answered the client
	}
	defer c.CloseNow()
	c.SetReadLimit(wsReadLimit)

	ctx, cancel := a.streamContext(context.WithoutCancel(r.Context()))
	defer cancel()
	// Read what the client sends (control frames, nothing else is
	// expected): an error, a close or an oversized message ends it.
	go func() {
		defer cancel()
		for {
			if _, _, err := c.Read(ctx); err != nil {
				return
			}
		}
	}()
	write := func(v any) error {
		b, err := json.Marshal(v)
		if err != nil {
			return err
		}
		wctx, wcancel := context.WithTimeout(ctx, streamWriteTimeout)
		defer wcancel()
		return c.Write(wctx, websocket.MessageText, b)
	}
	for {
		e, ok, err := a.nextEvent(ctx, sub)
		switch {
		case errors.Is(err, live.ErrGap):
			err = write(map[string]string{"type": "reset"})
		case err != nil:
			select {
			case <-a.streamsStop:
				_ = c.Close(websocket.StatusGoingAway, "server shutting down")
			default:
			}
			return nil
		case !ok:
			pctx, pcancel := context.WithTimeout(ctx, streamWriteTimeout)
			err = c.Ping(pctx)
			pcancel()
		default:
			err = write(e)
		}
		if err != nil {
			return nil
		}
	}
}

// streamCounter bounds each user's open streams (on this replica).
type streamCounter struct {
	max  int
	mu   sync.Mutex
	open map[uuid.UUID]int
}

// total is the number of open streams of all users.
func (c *streamCounter) total() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	n := 0
	for _, k := range c.open {
		n += k
	}
	return n
}

func (c *streamCounter) acquire(user uuid.UUID) (release func(), ok bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.open[user] >= c.max {
		return nil, false
	}
	c.open[user]++
	var once sync.Once
	return func() {
		once.Do(func() {
			c.mu.Lock()
			defer c.mu.Unlock()
			if c.open[user]--; c.open[user] <= 0 {
				delete(c.open, user)
			}
		})
	}, true
}

// ---- WebSocket tickets ----------------------------------------------------

// errBadTicket is a ticket that is unknown, used or expired.
var errBadTicket = errors.New("bad ticket")

// ticketStore keeps single-use WebSocket tickets. Only a hash of a
// ticket is stored, so a dump of the store holds nothing usable.
type ticketStore interface {
	issue(ctx context.Context, p authn.Principal, exp time.Time) (string, error)
	redeem(ctx context.Context, ticket string) (authn.Principal, error)
}

func newTicket() (ticket, hash string, err error) {
	b := make([]byte, 32)
	if _, err := rand.Read(b); err != nil {
		return "", "", fmt.Errorf("generate ticket: %w", err)
	}
	t := base64.RawURLEncoding.EncodeToString(b)
	return t, ticketHash(t), nil
}

func ticketHash(t string) string {
	h := sha256.Sum256([]byte(t))
	return hex.EncodeToString(h[:])
}

type memTicket struct {
	p   authn.Principal
	exp time.Time
}

// memTickets is the embedded mode's ticket store.
type memTickets struct {
	mu sync.Mutex
	m  map[string]memTicket
}

func (s *memTickets) issue(_ context.Context, p authn.Principal, exp time.Time) (string, error) {
	t, h, err := newTicket()
	if err != nil {
		return "", err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if len(s.m) >= maxMemTickets {
		now := time.Now()
		for k, v := range s.m {
			if now.After(v.exp) {
				delete(s.m, k)
			}
		}
		if len(s.m) >= maxMemTickets {
			return "", &httpError{Status: http.StatusServiceUnavailable, Detail: "too many unused tickets; retry shortly"}
		}
	}
	s.m[h] = memTicket{p: p, exp: exp}
	return t, nil
}

func (s *memTickets) redeem(_ context.Context, ticket string) (authn.Principal, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	h := ticketHash(ticket)
	v, ok := s.m[h]
	delete(s.m, h)
	if !ok || time.Now().After(v.exp) {
		return authn.Principal{}, errBadTicket
	}
	return v.p, nil
}

// redisTickets is server mode's ticket store, so that a ticket issued by
// one replica opens the stream on another. GETDEL makes it single-use.
type redisTickets struct{ rdb redis.UniversalClient }

type ticketRecord struct {
	UserID    uuid.UUID  `json:"user_id"`
	TenantID  tenancy.ID `json:"tenant_id"`
	Email     string     `json:"email"`
	ExpiresAt time.Time  `json:"expires_at"`
}

func ticketKey(hash string) string { return "hostd:ws_ticket:" + hash }

func (s *redisTickets) issue(ctx context.Context, p authn.Principal, exp time.Time) (string, error) {
	t, h, err := newTicket()
	if err != nil {
		return "", err
	}
	b, err := json.Marshal(ticketRecord{UserID: p.UserID, TenantID: p.TenantID, Email: p.Email, ExpiresAt: p.ExpiresAt})
	if err != nil {
		return "", err
	}
	ttl := time.Until(exp)
	if ttl < time.Second {
		ttl = time.Second
	}
	if err := s.rdb.Set(ctx, ticketKey(h), b, ttl).Err(); err != nil {
		return "", &httpError{Status: http.StatusServiceUnavailable, Detail: "tickets are unavailable right now (Redis); retry shortly, or use a bearer header"}
	}
	return t, nil
}

func (s *redisTickets) redeem(ctx context.Context, ticket string) (authn.Principal, error) {
	b, err := s.rdb.GetDel(ctx, ticketKey(ticketHash(ticket))).Bytes()
	if errors.Is(err, redis.Nil) {
		return authn.Principal{}, errBadTicket
	}
	if err != nil {
		return authn.Principal{}, &httpError{Status: http.StatusServiceUnavailable, Detail: "tickets are unavailable right now (Redis); retry shortly"}
	}
	var rec ticketRecord
	if err := json.Unmarshal(b, &rec); err != nil {
		return authn.Principal{}, errBadTicket
	}
	return authn.Principal{UserID: rec.UserID, TenantID: rec.TenantID, Email: rec.Email, ExpiresAt: rec.ExpiresAt}, nil
}
