package main

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/coder/websocket"

	"github.com/autonomos/autonomos/live"
	"github.com/autonomos/autonomos/tenancy"
)

// streamWait bounds every wait for a frame; frames come far sooner.
const streamWait = 10 * time.Second

func newLiveApp(t *testing.T, mod func(*Config)) (*app, *httptest.Server) {
	t.Helper()
	a := newTestApp(t, func(c *Config) {
		c.OnboardDemo = false // the sample sources are not this test's business
		if mod != nil {
			mod(c)
		}
	})
	a.keepAlive = 200 * time.Millisecond
	srv := httptest.NewServer(a.handler)
	t.Cleanup(srv.Close)
	return a, srv
}

// sseFrame is one Server-Sent Events block: an event or a comment.
type sseFrame struct {
	id, event, data, comment string
}

// sseStream is an open GET /api/v1/events.
type sseStream struct {
	resp   *http.Response
	frames chan sseFrame
	cancel context.CancelFunc
}

// openSSE opens the event stream; header is Last-Event-ID ("" for none),
// query is appended to the URL.
func openSSE(t *testing.T, base, token, lastID, query string) (*sseStream, *http.Response) {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	req, _ := http.NewRequestWithContext(ctx, "GET", base+"/api/v1/events"+query, nil)
	req.Header.Set("Authorization", "Bearer "+token)
	if lastID != "" {
		req.Header.Set("Last-Event-ID", lastID)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		cancel()
		t.Fatalf("GET /api/v1/events: %v", err)
	}
	if resp.StatusCode != http.StatusOK {
		resp.Body.Close()
		cancel()
		return nil, resp
	}
	if ct := resp.Header.Get("Content-Type"); ct != "text/event-stream" {
		t.Fatalf("Content-Type %q", ct)
	}
	s := &sseStream{resp: resp, frames: make(chan sseFrame, 100), cancel: cancel}
	go func() {
		defer close(s.frames)
		br := bufio.NewReader(resp.Body)
		var f sseFrame
		var started bool
		for {
			line, err := br.ReadString('\n')
			if err != nil {
				return
			}
			line = strings.TrimSuffix(line, "\n")
			switch {
			case line == "":
				if started {
					s.frames <- f
				}
				f, started = sseFrame{}, false
				continue
			case strings.HasPrefix(line, ":"):
				f.comment = strings.TrimSpace(line[1:])
			case strings.HasPrefix(line, "id: "):
				f.id = line[4:]
			case strings.HasPrefix(line, "event: "):
				f.event = line[7:]
			case strings.HasPrefix(line, "data: "):
				f.data = line[6:]
			case strings.HasPrefix(line, "retry: "):
				continue
			default:
				s.frames <- sseFrame{comment: "bad line " + line}
			}
			started = true
		}
	}()
	t.Cleanup(s.close)
	return s, resp
}

func (s *sseStream) close() {
	s.cancel()
	s.resp.Body.Close()
}

// next returns the next frame other than the "connected" comment.
func (s *sseStream) next(t *testing.T) sseFrame {
	t.Helper()
	for {
		select {
		case f, ok := <-s.frames:
			if !ok {
				t.Fatal("the stream ended")
			}
			if f.comment == "connected" {
				continue
			}
			return f
		case <-time.After(streamWait):
			t.Fatal("no frame within the wait")
		}
	}
}

// nextEvent skips keep-alives up to the next event.
func (s *sseStream) nextEvent(t *testing.T) sseFrame {
	t.Helper()
	for {
		if f := s.next(t); f.comment != "keep-alive" {
			return f
		}
	}
}

func emitN(a *app, tenant tenancy.ID, from, to int) {
	for n := from; n < to; n++ {
		a.emit(context.Background(), tenant, "test.n", map[string]int{"n": n})
	}
}

func frameN(t *testing.T, f sseFrame) int {
	t.Helper()
	var e live.Event
	if err := json.Unmarshal([]byte(f.data), &e); err != nil {
		t.Fatalf("frame %+v: %v", f, err)
	}
	var d struct{ N int }
	if err := json.Unmarshal(e.Data, &d); err != nil || f.event != e.Type || f.id != e.ID || f.id == "" {
		t.Fatalf("frame %+v does not match its event %+v (%v)", f, e, err)
	}
	return d.N
}

func TestSSEResumeDeliversExactlyTheMissed(t *testing.T) {
	a, srv := newLiveApp(t, nil)
	token := login(t, a, DemoEmail, a.demoPassword)
	s, _ := openSSE(t, srv.URL, token, "", "")
	emitN(a, a.demoTenant, 0, 5)
	var ids []string
	for want := range 5 {
		f := s.nextEvent(t)
		if n := frameN(t, f); n != want || f.event != "test.n" {
			t.Fatalf("event %d: %+v", want, f)
		}
		ids = append(ids, f.id)
	}
	// The stream says it is alive while nothing happens.
	if f := s.next(t); f.comment != "keep-alive" {
		t.Fatalf("idle stream sent %+v, want a keep-alive comment", f)
	}
	s.close()

	// The client saw up to #1 and comes back with Last-Event-ID: it gets
	// #2, #3, #4 and nothing else (the next frame is a keep-alive).
	r, _ := openSSE(t, srv.URL, token, ids[1], "")
	for want := 2; want < 5; want++ {
		if f := r.next(t); frameN(t, f) != want || f.id != ids[want] {
			t.Fatalf("resumed frame %+v, want #%d id %s", f, want, ids[want])
		}
	}
	if f := r.next(t); f.comment != "keep-alive" {
		t.Fatalf("after the missed events: %+v, want a keep-alive", f)
	}
	// Live events follow on the resumed stream.
	emitN(a, a.demoTenant, 5, 6)
	if f := r.nextEvent(t); frameN(t, f) != 5 {
		t.Fatalf("live after resume: %+v", f)
	}

	// The query parameter works where a header cannot be set.
	q, _ := openSSE(t, srv.URL, token, "", "?last_event_id="+ids[3])
	if f := q.next(t); frameN(t, f) != 4 {
		t.Fatalf("resume by query: %+v", f)
	}
	// An id this server never gave out: 400; one from before a restart
	// (another epoch): a reset, then the events held.
	if _, resp := openSSE(t, srv.URL, token, "garbage", ""); resp.StatusCode != http.StatusBadRequest {
		t.Fatalf("malformed Last-Event-ID: %d", resp.StatusCode)
	}
	old, _ := openSSE(t, srv.URL, token, "0badc0de-3", "")
	if f := old.next(t); f.event != "reset" {
		t.Fatalf("unknown epoch: %+v, want a reset", f)
	}
}

func TestSSEKeepsTenantsApart(t *testing.T) {
	a, srv := newLiveApp(t, nil)
	tokenA := login(t, a, DemoEmail, a.demoPassword)
	tokenB, tenantB := register(t, a, "Beta", "bob@beta.example")
	sa, _ := openSSE(t, srv.URL, tokenA, "", "")
	sb, _ := openSSE(t, srv.URL, tokenB, "", "")
	// A real change of tenant A: a flag set through the API.
	if r := do(t, a, "PUT", "/api/v1/flags/DCL_AUTO_RUN", tokenA, map[string]bool{"on": false}); r.code != http.StatusOK {
		t.Fatalf("set flag: %d %s", r.code, r.body)
	}
	emitN(a, a.demoTenant, 0, 3)
	emitN(a, tenantB, 100, 101)
	if f := sa.nextEvent(t); f.event != "flag.changed" || !strings.Contains(f.data, `"name":"DCL_AUTO_RUN"`) {
		t.Fatalf("tenant A's first event: %+v", f)
	}
	// B's first event is its own: none of A's four came before it.
	if f := sb.nextEvent(t); frameN(t, f) != 100 {
		t.Fatalf("tenant B's first event: %+v", f)
	}
	var e live.Event
	for range 3 {
		f := sa.nextEvent(t)
		_ = json.Unmarshal([]byte(f.data), &e)
		if e.Tenant != a.demoTenant {
			t.Fatalf("tenant A got %+v", e)
		}
	}
	// Resuming with another tenant's event id shows none of its events
	// (perhaps a reset, then B's own).
	r, _ := openSSE(t, srv.URL, tokenB, e.ID, "")
	emitN(a, tenantB, 101, 102)
	for {
		f := r.nextEvent(t)
		if f.event == "reset" {
			continue
		}
		if err := json.Unmarshal([]byte(f.data), &e); err != nil || e.Tenant != tenantB {
			t.Fatalf("tenant B resuming from A's id got %+v", f)
		}
		if frameN(t, f) == 101 {
			break
		}
	}
}

func TestStreamsPerUserCap(t *testing.T) {
	a, srv := newLiveApp(t, func(c *Config) { c.MaxStreamsPerUser = 2 })
	token := login(t, a, DemoEmail, a.demoPassword)
	first, _ := openSSE(t, srv.URL, token, "", "")
	first.next(t) // keep-alive: the stream is open
	ws := dialWS(t, srv.URL, "", http.Header{"Authorization": {"Bearer " + token}})
	if ws.conn == nil {
		t.Fatalf("second stream (WebSocket): %d", ws.status)
	}
	_, resp := openSSE(t, srv.URL, token, "", "")
	if resp == nil || resp.StatusCode != http.StatusTooManyRequests || resp.Header.Get("Retry-After") == "" {
		t.Fatalf("third stream: %v, want 429 with Retry-After", resp)
	}
	if r := dialWS(t, srv.URL, "", http.Header{"Authorization": {"Bearer " + token}}); r.status != http.StatusTooManyRequests {
		t.Fatalf("third stream as WebSocket: %d, want 429", r.status)
	}
	// Another user of the same tenant has a cap of their own.
	other, _ := register(t, a, "Beta", "bob@beta.example")
	if s, resp := openSSE(t, srv.URL, other, "", ""); s == nil {
		t.Fatalf("another user's stream: %d", resp.StatusCode)
	}
	// Closing one frees its place.
	first.close()
	deadline := time.Now().Add(streamWait)
	for {
		s, resp := openSSE(t, srv.URL, token, "", "")
		if s != nil {
			break
		}
		if resp.StatusCode != http.StatusTooManyRequests || time.Now().After(deadline) {
			t.Fatalf("after closing a stream: %d", resp.StatusCode)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

type wsResult struct {
	conn   *websocket.Conn
	status int
}

func dialWS(t *testing.T, base, query string, h http.Header) wsResult {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), streamWait)
	defer cancel()
	c, resp, err := websocket.Dial(ctx, "ws"+strings.TrimPrefix(base, "http")+"/api/v1/events/ws"+query, &websocket.DialOptions{HTTPHeader: h})
	if err != nil {
		if resp == nil {
			t.Fatalf("dial: %v", err)
		}
		return wsResult{status: resp.StatusCode}
	}
	t.Cleanup(func() { c.CloseNow() })
	return wsResult{conn: c, status: http.StatusSwitchingProtocols}
}

func ticket(t *testing.T, a *app, token string) string {
	t.Helper()
	r := do(t, a, "POST", "/api/v1/events/ticket", token, nil)
	var tk ticketJSON
	if r.code != http.StatusCreated || json.Unmarshal(r.body, &tk) != nil || tk.Ticket == "" {
		t.Fatalf("ticket: %d %s", r.code, r.body)
	}
	if d := time.Until(tk.ExpiresAt); d <= 0 || d > ticketTTL {
		t.Fatalf("ticket expires in %v", d)
	}
	return tk.Ticket
}

func readWS(t *testing.T, c *websocket.Conn) live.Event {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), streamWait)
	defer cancel()
	typ, b, err := c.Read(ctx)
	if err != nil || typ != websocket.MessageText {
		t.Fatalf("WebSocket read: %v (type %v)", err, typ)
	}
	var e live.Event
	if err := json.Unmarshal(b, &e); err != nil {
		t.Fatalf("WebSocket message %s: %v", b, err)
	}
	return e
}

func TestWebSocket(t *testing.T) {
	a, srv := newLiveApp(t, func(c *Config) { c.AllowedOrigins = []string{"https://console.example.com"} })
	token := login(t, a, DemoEmail, a.demoPassword)

	// No credentials, a bad ticket, a bad token: 401 before any upgrade.
	if r := dialWS(t, srv.URL, "", nil); r.status != http.StatusUnauthorized {
		t.Fatalf("no ticket: %d, want 401", r.status)
	}
	if r := dialWS(t, srv.URL, "?ticket=made-up", nil); r.status != http.StatusUnauthorized {
		t.Fatalf("made-up ticket: %d, want 401", r.status)
	}
	if r := dialWS(t, srv.URL, "", http.Header{"Authorization": {"Bearer not-a-token"}}); r.status != http.StatusUnauthorized {
		t.Fatalf("bad bearer: %d, want 401", r.status)
	}
	// A page of another origin: 403, even with a good ticket (the origin
	// is checked first, so the ticket is not spent).
	tk := ticket(t, a, token)
	if r := dialWS(t, srv.URL, "?ticket="+tk, http.Header{"Origin": {"https://evil.example"}}); r.status != http.StatusForbidden {
		t.Fatalf("bad origin: %d, want 403", r.status)
	}
	// The allowed origin with the ticket: events arrive.
	ws := dialWS(t, srv.URL, "?ticket="+tk, http.Header{"Origin": {"https://console.example.com"}})
	if ws.conn == nil {
		t.Fatalf("allowed origin with a ticket: %d", ws.status)
	}
	emitN(a, a.demoTenant, 0, 2)
	first := readWS(t, ws.conn)
	if e := first; e.Type != "test.n" || string(e.Data) != `{"n":0}` || e.Tenant != a.demoTenant {
		t.Fatalf("first WebSocket event: %+v", e)
	}
	if e := readWS(t, ws.conn); string(e.Data) != `{"n":1}` {
		t.Fatalf("second WebSocket event: %+v", e)
	}
	// The ticket was single-use.
	if r := dialWS(t, srv.URL, "?ticket="+tk, nil); r.status != http.StatusUnauthorized {
		t.Fatalf("reused ticket: %d, want 401", r.status)
	}
	// A page of the server's own host may connect; resume works by query.
	own := dialWS(t, srv.URL, "?ticket="+ticket(t, a, token)+"&last_event_id="+first.ID, http.Header{"Origin": {srv.URL}})
	if own.conn == nil {
		t.Fatalf("own origin: %d", own.status)
	}
	if e := readWS(t, own.conn); string(e.Data) != `{"n":1}` {
		t.Fatalf("resumed WebSocket event: %+v", e)
	}

	// A client message over the cap closes the connection with 1009.
	ctx, cancel := context.WithTimeout(context.Background(), streamWait)
	defer cancel()
	if err := ws.conn.Write(ctx, websocket.MessageText, make([]byte, wsReadLimit+1)); err != nil {
		t.Fatal(err)
	}
	_, _, err := ws.conn.Read(ctx)
	if got := websocket.CloseStatus(err); got != websocket.StatusMessageTooBig {
		t.Fatalf("after an oversized message: %v (close status %d), want 1009", err, got)
	}
}

// TestStreamsEndOnShutdown: an open SSE stream does not hold up a
// graceful shutdown (which would otherwise wait out its grace and fail).
func TestStreamsEndOnShutdown(t *testing.T) {
	cfg := testConfig(t, nil, func(c *Config) { c.OnboardDemo = false; c.ShutdownTimeout = 20 * time.Second })
	ctx, cancel := context.WithCancel(context.Background())
	ready := make(chan string, 1)
	done := make(chan error, 1)
	go func() { done <- run(ctx, cfg, quietLogger(), &syncBuffer{}, ready) }()
	var addr string
	select {
	case addr = <-ready:
	case err := <-done:
		t.Fatalf("run: %v", err)
	}
	// Log in over HTTP to open a stream.
	token := func() string {
		req, _ := http.NewRequest("POST", "http://"+addr+"/api/v1/auth/register", strings.NewReader(`{"tenant_name":"S","email":"s@s.example","password":"correct horse battery staple"}`))
		res, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer res.Body.Close()
		var s struct{ Token string }
		_ = json.NewDecoder(res.Body).Decode(&s)
		return s.Token
	}()
	s, resp := openSSE(t, "http://"+addr, token, "", "")
	if s == nil {
		t.Fatalf("stream: %d", resp.StatusCode)
	}
	cancel()
	if err := <-done; err != nil {
		t.Fatalf("shutdown with an open stream: %v", err)
	}
	for range s.frames { // the stream ended: the channel closes
	}
}

// TestEmitNeverFails: emit with data that does not encode, an invalid
// type or after close neither panics nor blocks.
func TestEmitNeverFails(t *testing.T) {
	a, _ := newLiveApp(t, nil)
	a.emit(context.Background(), a.demoTenant, "bad type!", 1)
	a.emit(context.Background(), a.demoTenant, "test.n", func() {})
	a.close()
	a.emit(context.Background(), a.demoTenant, "test.n", 1)
	if _, err := a.hub.Subscribe(context.Background(), a.demoTenant, ""); !errors.Is(err, live.ErrClosed) {
		t.Fatalf("hub after close: %v", err)
	}
}

// TestServerModeEventsCrossReplicas: a subscriber on replica B sees the
// events of a change made on replica A, and B's event id resumes on A.
func TestServerModeEventsCrossReplicas(t *testing.T) {
	env := serverEnv(t)
	apps := startReplicas(t, env, t.TempDir(), 2, nil)
	a, b := apps[0], apps[1]
	srvA, srvB := httptest.NewServer(a.handler), httptest.NewServer(b.handler)
	t.Cleanup(srvA.Close)
	t.Cleanup(srvB.Close)
	token, tenant := register(t, a, "Replicated", "r@replica.example")
	sb, resp := openSSE(t, srvB.URL, token, "", "")
	if sb == nil {
		t.Fatalf("stream on B: %d", resp.StatusCode)
	}
	for i, on := range []bool{false, true} {
		if r := do(t, a, "PUT", "/api/v1/flags/DCL_AUTO_RUN", token, map[string]bool{"on": on}); r.code != http.StatusOK {
			t.Fatalf("set flag on A: %d %s", r.code, r.body)
		}
		f := sb.nextEvent(t)
		if f.event != "flag.changed" || !strings.Contains(f.data, fmt.Sprintf(`"on":%v`, on)) {
			t.Fatalf("event %d on B: %+v", i, f)
		}
		if i == 0 {
			// Resume on A from B's first id: exactly the second change.
			defer func(id string) {
				ra, resp := openSSE(t, srvA.URL, token, id, "")
				if ra == nil {
					t.Fatalf("resume on A: %d", resp.StatusCode)
				}
				if f := ra.nextEvent(t); !strings.Contains(f.data, `"on":true`) {
					t.Fatalf("resumed on A: %+v", f)
				}
			}(f.id)
		}
	}
	// And a flag set on A is what B reads.
	deadline := time.Now().Add(2 * time.Second)
	for !b.flagEnabled(context.Background(), tenant, "DCL_AUTO_RUN") {
		if time.Now().After(deadline) {
			t.Fatal("replica B does not see the flag replica A set")
		}
		time.Sleep(10 * time.Millisecond)
	}
	// A ticket issued by A opens the WebSocket on B.
	tk := ticket(t, a, token)
	if ws := dialWS(t, srvB.URL, "?ticket="+tk, nil); ws.conn == nil {
		t.Fatalf("A's ticket on B: %d", ws.status)
	}
}

// TestStreamContextStopsTwice: the WebSocket handler's reader and writer
// both end the stream; the second stop used to close a closed channel and
// panic inside the handler.
func TestStreamContextStopsTwice(t *testing.T) {
	a := newTestApp(t, nil)
	ctx, stop := a.streamContext(context.Background())
	stop()
	stop()
	if ctx.Err() == nil {
		t.Fatal("the stream's context is still alive after stop")
	}
}
