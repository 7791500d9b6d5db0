package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/autonomos/autonomos/graphstore"
	"github.com/autonomos/autonomos/repair"
)

func TestConsoleServesFiles(t *testing.T) {
	a := newTestApp(t, nil)

	page := do(t, a, "GET", "/", "", nil)
	if page.code != http.StatusOK || !strings.HasPrefix(page.header.Get("Content-Type"), "text/html") {
		t.Fatalf("GET /: %d %s", page.code, page.header.Get("Content-Type"))
	}
	csp := page.header.Get("Content-Security-Policy")
	if !strings.Contains(csp, "default-src 'self'") || strings.Contains(csp, "unsafe-inline") || strings.Contains(csp, "unsafe-eval") {
		t.Fatalf("CSP %q: want default-src 'self' and nothing unsafe", csp)
	}
	for _, want := range []string{`src="/console/app.js"`, `href="/console/style.css"`, `id="login-form"`, `aria-live="polite"`} {
		if !bytes.Contains(page.body, []byte(want)) {
			t.Errorf("page lacks %s", want)
		}
	}
	// Nothing on the page or in its files points outside hostd.
	for _, f := range []string{"/", "/console/app.js", "/console/style.css"} {
		r := do(t, a, "GET", f, "", nil)
		if r.code != http.StatusOK {
			t.Fatalf("GET %s: %d", f, r.code)
		}
		// The SVG namespace is a name, not an address that is fetched.
		body := bytes.ReplaceAll(r.body, []byte(`"http://www.w3.org/2000/svg"`), nil)
		for _, bad := range []string{"http://", "https://", "//cdn", "EventSource(", "localStorage"} {
			if bytes.Contains(body, []byte(bad)) {
				t.Errorf("%s contains %q", f, bad)
			}
		}
	}
	js := do(t, a, "GET", "/console/app.js", "", nil)
	if ct := js.header.Get("Content-Type"); !strings.Contains(ct, "javascript") {
		t.Errorf("app.js Content-Type %q", ct)
	}
	if css := do(t, a, "GET", "/console/style.css", "", nil); !strings.HasPrefix(css.header.Get("Content-Type"), "text/css") {
		t.Errorf("style.css Content-Type %q", css.header.Get("Content-Type"))
	}

	// Revalidation: the same ETag is 304.
	req := httptest.NewRequest("GET", "/console/app.js", nil)
	req.Header.Set("If-None-Match", js.header.Get("ETag"))
	rec := httptest.NewRecorder()
	a.handler.ServeHTTP(rec, req)
	if js.header.Get("ETag") == "" || rec.Code != http.StatusNotModified {
		t.Errorf("app.js with its ETag %q: %d, want 304", js.header.Get("ETag"), rec.Code)
	}

	// An unknown console file is a 404 problem naming it; the page is not
	// served under another name.
	for _, p := range []string{"/console/nope.js", "/console/index.html"} {
		r := do(t, a, "GET", p, "", nil)
		if r.code != http.StatusNotFound {
			t.Fatalf("GET %s: %d, want 404", p, r.code)
		}
		if pr := r.problem(t); !strings.Contains(pr.Detail, baseName(p)) {
			t.Errorf("GET %s: detail %q does not name the file", p, pr.Detail)
		}
	}
	// "/" is the page only: other paths are still unmatched routes.
	r := do(t, a, "GET", "/no/such/page", "", nil)
	if r.code != http.StatusNotFound || !strings.Contains(r.problem(t).Detail, "no route for") {
		t.Fatalf("GET /no/such/page: %d %s, want the no-route problem", r.code, r.body)
	}
	if r := do(t, a, "GET", "/api/v1/auth/login", "", nil); r.code != http.StatusMethodNotAllowed {
		t.Fatalf("GET on a POST route: %d, want 405 (the console must not catch it)", r.code)
	}
}

func baseName(p string) string { return p[strings.LastIndex(p, "/")+1:] }

// chromiumPath finds Debian's chromium, or skips the test (fails it under
// AOS_TEST_REQUIRE_SERVICES=1, where .ci/run has installed it).
func chromiumPath(t *testing.T) string {
	t.Helper()
	for _, name := range []string{"chromium", "/usr/bin/chromium"} {
		if p, err := exec.LookPath(name); err == nil {
			return p
		}
	}
	if os.Getenv("AOS_TEST_REQUIRE_SERVICES") == "1" {
		t.Fatal("chromium is not installed (apt-get install chromium; .ci/run does it) and AOS_TEST_REQUIRE_SERVICES=1")
	}
	t.Skip("chromium is not installed; skipping the browser test")
	return ""
}

// artifactDir is where a test keeps files for people to look at:
// $AOS_TEST_ARTIFACTS (set by .ci/run), else a temporary directory.
func artifactDir(t *testing.T) string {
	t.Helper()
	if d := os.Getenv("AOS_TEST_ARTIFACTS"); d != "" {
		if err := os.MkdirAll(d, 0o755); err != nil {
			t.Fatalf("artifact directory: %v", err)
		}
		return d
	}
	return t.TempDir()
}

// newBrowser starts a headless chromium with a fresh profile. The flags
// that stop background networking matter: on a machine without internet,
// chromium otherwise waits on its update and sync services.
func newBrowser(t *testing.T, ctx context.Context) context.Context {
	t.Helper()
	exe := chromiumPath(t)
	alloc, cancelAlloc := chromedp.NewExecAllocator(ctx,
		chromedp.ExecPath(exe),
		chromedp.Headless,
		chromedp.NoSandbox,
		chromedp.DisableGPU,
		chromedp.NoFirstRun,
		chromedp.NoDefaultBrowserCheck,
		chromedp.Flag("disable-quic", true),
		chromedp.Flag("disable-background-networking", true),
		chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-sync", true),
		chromedp.Flag("disable-extensions", true),
		chromedp.UserDataDir(t.TempDir()),
		chromedp.WindowSize(1280, 800),
	)
	t.Cleanup(cancelAlloc)
	bctx, cancel := chromedp.NewContext(alloc, chromedp.WithLogf(t.Logf))
	t.Cleanup(cancel)
	return bctx
}

// consoleLog collects what the page wrote to its console. Uncaught
// exceptions and Content-Security-Policy violations fail the test.
type consoleLog struct {
	mu   sync.Mutex
	msgs []chromedp.ConsoleMessage
}

func (l *consoleLog) collect(ctx context.Context) {
	msgs := chromedp.Console(ctx)
	go func() {
		for m, err := range msgs {
			if err != nil {
				return
			}
			l.mu.Lock()
			l.msgs = append(l.msgs, m)
			l.mu.Unlock()
		}
	}()
}

func (l *consoleLog) check(t *testing.T) {
	t.Helper()
	l.mu.Lock()
	defer l.mu.Unlock()
	for _, m := range l.msgs {
		csp := strings.Contains(m.Text, "Content Security Policy") || strings.Contains(m.Text, "Content-Security-Policy")
		if m.IsException() || csp {
			t.Errorf("page console: %s (%s:%d)", m, m.URL, m.Line)
		}
	}
}

// pollPage evaluates expr (a JavaScript boolean) until it is true.
func pollPage(ctx context.Context, what, expr string, within time.Duration) error {
	ctx, cancel := context.WithTimeout(ctx, within)
	defer cancel()
	for {
		ok, err := chromedp.Run(ctx, chromedp.Evaluate[bool](expr))
		if err == nil && ok {
			return nil
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("waited %v for %s: %w", within, what, errors.Join(err, ctx.Err()))
		case <-time.After(100 * time.Millisecond):
		}
	}
}

func saveScreenshot(t *testing.T, ctx context.Context, dir, name string) {
	t.Helper()
	png, err := chromedp.Run(ctx, chromedp.FullScreenshot(100))
	if err != nil {
		t.Errorf("screenshot %s: %v", name, err)
		return
	}
	p := filepath.Join(dir, name)
	if err := os.WriteFile(p, png, 0o644); err != nil {
		t.Errorf("write screenshot: %v", err)
		return
	}
	t.Logf("screenshot: %s", p)
}

// TestConsoleApproveRepairInBrowser drives the console in headless
// chromium: log in through the form, see the graph, approve a repair that a
// drift of a real source queued, and see the graph change.
func TestConsoleApproveRepairInBrowser(t *testing.T) {
	chromiumPath(t) // skip early, before starting hostd
	a := newTestApp(t, func(c *Config) { c.OnboardDemo = true })
	srv := httptest.NewServer(a.handler) // hostd in-process on loopback
	t.Cleanup(srv.Close)
	token := login(t, a, DemoEmail, a.demoPassword)
	// The demo onboarding (its sample sources synced, the DCL run) is a
	// job started with hostd; the graph it saves must not be mistaken for
	// the change the approval makes.
	waitJobsSettled(t, a)

	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	bctx := newBrowser(t, ctx)
	var logs consoleLog
	logs.collect(bctx)
	defer logs.check(t)
	dir := artifactDir(t)

	// Log in through the form.
	err := chromedp.Do(bctx,
		chromedp.EmulateViewport(1280, 800),
		chromedp.Navigate(srv.URL+"/"),
		chromedp.WaitVisible(chromedp.CSS("#login-email")),
	)
	if err != nil {
		t.Fatalf("open the console: %v", err)
	}
	saveScreenshot(t, bctx, dir, "console-login.png")
	err = chromedp.Do(bctx,
		chromedp.SendKeys(chromedp.CSS("#login-email"), DemoEmail),
		chromedp.SendKeys(chromedp.CSS("#login-password"), a.demoPassword),
		chromedp.Click(chromedp.CSS("#login-submit")),
		chromedp.WaitVisible(chromedp.CSS("#graph svg g.node")),
	)
	if err != nil {
		saveScreenshot(t, bctx, dir, "console-login-failed.png")
		t.Fatalf("log in through the form: %v", err)
	}

	// The graph on the page is the tenant's graph.
	g := apiGraph(t, a, token)
	nodes, err := chromedp.Run(bctx, chromedp.Evaluate[int](`document.querySelectorAll("#graph g.node").length`))
	if err != nil || nodes != len(g.Nodes) || nodes == 0 {
		t.Fatalf("page shows %d nodes (%v), the graph has %d", nodes, err, len(g.Nodes))
	}
	if err := pollPage(bctx, "the graph version", fmt.Sprintf(`document.getElementById("graph-version").textContent === %q`, strconv.FormatInt(g.Version, 10)), 10*time.Second); err != nil {
		t.Fatal(err)
	}
	labels, err := chromedp.Run(bctx, chromedp.Evaluate[[]string](`[...document.querySelectorAll("#graph .edge-label")].map(e => e.textContent)`))
	if err != nil {
		t.Fatal(err)
	}
	if !hasLabel(labels, "%") || !hasLabel(labels, "rows") {
		t.Fatalf("edge labels %q lack confidences (%%) or row counts", labels)
	}

	// A column of a real source is renamed; the sync queues a repair.
	reviewID := queueRepairByDrift(t, a, token)
	waitJobsSettled(t, a)
	gBefore := apiGraph(t, a, token)
	before := gBefore.Version
	_, rowsBefore := objectRows(t, gBefore, driftConn, driftObject)
	if err := pollPage(bctx, "the page to show the graph before the approval", fmt.Sprintf(`document.getElementById("graph-version").textContent === "%d"`, before), 20*time.Second); err != nil {
		t.Fatal(err)
	}

	sel := fmt.Sprintf(`#reviews li[data-review=%q] button.approve`, reviewID)
	if err := chromedp.Do(bctx, chromedp.WaitVisible(chromedp.CSS(sel))); err != nil {
		saveScreenshot(t, bctx, dir, "console-no-review.png")
		t.Fatalf("the queued review %s does not show: %v", reviewID, err)
	}
	saveScreenshot(t, bctx, dir, "console-review-queued.png")
	if err := chromedp.Do(bctx, chromedp.Click(chromedp.CSS(sel))); err != nil {
		t.Fatalf("click approve: %v", err)
	}

	// The approval reaches hostd and the page shows the rebuilt graph.
	if err := pollPage(bctx, "the review to leave the queue", fmt.Sprintf(`!document.querySelector(%q)`, sel), 20*time.Second); err != nil {
		t.Fatal(err)
	}
	r := do(t, a, "GET", "/api/v1/reviews/"+reviewID, token, nil)
	var item repair.ReviewItem
	if err := json.Unmarshal(r.body, &item); err != nil || item.Status != repair.ReviewApproved {
		t.Fatalf("review after the click: %d %s", r.code, r.body)
	}
	err = pollPage(bctx, "the graph to change", fmt.Sprintf(`+document.getElementById("graph-version").textContent > %d`, before), 30*time.Second)
	if err != nil {
		saveScreenshot(t, bctx, dir, "console.png")
		t.Fatal(err)
	}
	// Once the rebuild is done, the page shows the graph the API has.
	waitJobsSettled(t, a)
	after := apiGraph(t, a, token)
	if err := pollPage(bctx, "the page to show the rebuilt graph", fmt.Sprintf(`document.getElementById("graph-version").textContent === "%d"`, after.Version), 20*time.Second); err != nil {
		t.Fatal(err)
	}
	nodes, err = chromedp.Run(bctx, chromedp.Evaluate[int](`document.querySelectorAll("#graph g.node").length`))
	if err != nil || nodes != len(after.Nodes) {
		t.Fatalf("after the change the page shows %d nodes (%v), the graph has %d", nodes, err, len(after.Nodes))
	}
	// The accounts that came in with the approved repair are counted on
	// the page.
	edge, rowsAfter := objectRows(t, after, driftConn, driftObject)
	if rowsAfter != rowsBefore+driftNewRows {
		t.Fatalf("%s/%s rows %d after the approval, want %d + %d", driftConn, driftObject, rowsAfter, rowsBefore, driftNewRows)
	}
	label, err := chromedp.Run(bctx, chromedp.Evaluate[string](fmt.Sprintf(`(document.querySelector('#graph [data-edge=%q]') || {}).textContent || ""`, edge.From+"->"+edge.To)))
	if err != nil || strings.ReplaceAll(label, ",", "") != fmt.Sprintf("%d rows", rowsAfter) {
		t.Fatalf("page labels the %s edge %q (%v), want %d rows", edge.To, label, err, rowsAfter)
	}
	saveScreenshot(t, bctx, dir, "console-repair-approved.png")

	// The ask box shows the persona the API routes the question to.
	const question = "Which invoices are overdue and how much cash do we expect this quarter?"
	err = chromedp.Do(bctx,
		chromedp.SendKeys(chromedp.CSS("#ask-question"), question),
		chromedp.Click(chromedp.CSS("#ask-submit")),
		chromedp.WaitVisible(chromedp.CSS("#answer .persona")),
	)
	if err != nil {
		t.Fatalf("ask: %v", err)
	}
	persona, err := chromedp.Run(bctx, chromedp.Text(chromedp.CSS("#answer .persona")))
	r = do(t, a, "POST", "/api/v1/nlp/ask", token, map[string]string{"question": question})
	var ans struct {
		Persona string `json:"persona"`
	}
	if err != nil || json.Unmarshal(r.body, &ans) != nil || ans.Persona == "" || persona != ans.Persona {
		t.Fatalf("page shows persona %q (%v); the API answers %d %s", persona, err, r.code, r.body)
	}

	// A new source: its first mapping waits for a person (Safe Mode is on
	// for a new connection), who approves it in the page; its object then
	// appears in the graph.
	dir2 := filepath.Join(a.sourcesDir(a.demoTenant), "partners")
	if err := os.MkdirAll(dir2, 0o700); err != nil {
		t.Fatal(err)
	}
	csv := "account_id,account_name,website,industry\nP-1,Partner One AG,https://partner-one.example,Logistics\nP-2,Partner Two BV,https://partner-two.example,Retail\n"
	if err := os.WriteFile(filepath.Join(dir2, "partners.csv"), []byte(csv), 0o600); err != nil {
		t.Fatal(err)
	}
	if r := do(t, a, "POST", "/api/v1/connections", token, map[string]any{"id": "partners", "kind": "file", "config": map[string]string{"path": "partners"}}); r.code != http.StatusCreated {
		t.Fatalf("create connection: %d %s", r.code, r.body)
	}
	syncStats(t, a, token, "partners")
	approveSel := `#proposals li[data-proposal="partners/partners"] button.approve`
	if err := chromedp.Do(bctx, chromedp.WaitVisible(chromedp.CSS(approveSel)), chromedp.Click(chromedp.CSS(approveSel))); err != nil {
		saveScreenshot(t, bctx, dir, "console-no-proposal.png")
		t.Fatalf("approve the new object's mapping in the page: %v", err)
	}
	if err := pollPage(bctx, "the proposal to leave the list", fmt.Sprintf(`!document.querySelector(%q)`, approveSel), 20*time.Second); err != nil {
		t.Fatal(err)
	}
	if r := do(t, a, "GET", "/api/v1/mappings/partners/partners", token, nil); r.code != http.StatusOK {
		t.Fatalf("mapping after the approval in the page: %d %s", r.code, r.body)
	}
	err = pollPage(bctx, "the new object in the graph", `[...document.querySelectorAll("#graph g.node")].some(n => n.dataset.id.endsWith("/partners/partners"))`, 30*time.Second)
	saveScreenshot(t, bctx, dir, "console.png")
	if err != nil {
		t.Fatal(err)
	}
}

// waitJobsSettled waits until the in-process job runner has no queued or
// running job.
func waitJobsSettled(t *testing.T, a *app) {
	t.Helper()
	jr, ok := a.jobs.(*jobRunner)
	if !ok {
		t.Fatalf("job queue is %T, want the in-process runner", a.jobs)
	}
	deadline := time.Now().Add(2 * time.Minute)
	for {
		busy := 0
		jr.mu.Lock()
		for _, j := range jr.jobs {
			if j.Status == JobQueued || j.Status == JobRunning {
				busy++
			}
		}
		jr.mu.Unlock()
		if busy == 0 {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("%d jobs still queued or running after 2 minutes", busy)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// objectRows finds the contains edge of a connection's object in g and
// returns it with its row count.
func objectRows(t *testing.T, g graphstore.Graph, conn, object string) (graphstore.Edge, int64) {
	t.Helper()
	ids := map[string]bool{}
	for _, n := range g.Nodes {
		if n.Kind == graphstore.KindObject && n.Attributes["connection_id"] == conn && n.Attributes["object"] == object {
			ids[n.ID] = true
		}
	}
	for _, e := range g.Edges {
		if e.Kind == graphstore.EdgeContains && ids[e.To] {
			return e, e.RowCount
		}
	}
	t.Fatalf("graph version %d has no contains edge for %s/%s", g.Version, conn, object)
	return graphstore.Edge{}, 0
}

func hasLabel(labels []string, part string) bool {
	for _, l := range labels {
		if strings.Contains(l, part) {
			return true
		}
	}
	return false
}

func apiGraph(t *testing.T, a *app, token string) graphstore.Graph {
	t.Helper()
	r := do(t, a, "GET", "/api/v1/graph", token, nil)
	var g graphstore.Graph
	if r.code != http.StatusOK {
		t.Fatalf("GET graph: %d %s", r.code, r.body)
	}
	if err := json.Unmarshal(r.body, &g); err != nil {
		t.Fatal(err)
	}
	return g
}

// The demo CRM's accounts, which queueRepairByDrift changes.
const (
	driftConn, driftObject = "crm", "accounts"
	driftNewRows           = 2
)

// queueRepairByDrift renames the Website column of the demo CRM's
// accounts.csv in the tenant's sources directory (where the demo
// onboarding put it) and adds driftNewRows accounts, syncs the connection
// through the API with Safe Mode on (so the sure repair waits for a
// person) and returns the id of the review it queued.
func queueRepairByDrift(t *testing.T, a *app, token string) string {
	t.Helper()
	const conn, object, column, renamed = driftConn, driftObject, "Website", "CompanyWebsite"
	if r := do(t, a, "GET", "/api/v1/connections/"+conn, token, nil); r.code != http.StatusOK {
		t.Fatalf("the demo onboarding made no %s connection: %d %s", conn, r.code, r.body)
	}

	if r := do(t, a, "PUT", "/api/v1/connections/"+conn+"/safe-mode", token, map[string]bool{"on": true}); r.code != http.StatusOK {
		t.Fatalf("safe mode on: %d %s", r.code, r.body)
	}
	file := filepath.Join(a.sourcesDir(a.demoTenant), conn, object+".csv")
	b, err := os.ReadFile(file)
	if err != nil {
		t.Fatalf("the demo source: %v", err)
	}
	header, rest, ok := bytes.Cut(b, []byte("\n"))
	if !ok || !bytes.Contains(header, []byte(","+column+",")) {
		t.Fatalf("%s: header %q has no %s column", file, header, column)
	}
	header = bytes.Replace(header, []byte(","+column+","), []byte(","+renamed+","), 1)
	// New accounts in the new shape: once the repair is approved they flow
	// in, and the graph's row counts move.
	var added bytes.Buffer
	for i := range driftNewRows {
		fmt.Fprintf(&added, "001Dn00000009%02dAAA,Console Test %d Ltd,https://console-test-%d.example,Software,%d,1000000,Germany,+49 30 9000%02d,005A1,2025-06-01T09:00:00Z,2025-06-01T09:00:00Z\n", i, i, i, 10+i, i)
	}
	rest = append(bytes.TrimRight(rest, "\n"), '\n')
	if err := os.WriteFile(file, slices.Concat(header, []byte("\n"), rest, added.Bytes()), 0o644); err != nil {
		t.Fatal(err)
	}
	syncStats(t, a, token, conn)

	r := do(t, a, "GET", "/api/v1/reviews?status=pending&connection="+conn, token, nil)
	var list struct {
		Items []repair.ReviewItem `json:"items"`
	}
	if err := json.Unmarshal(r.body, &list); err != nil {
		t.Fatalf("reviews: %d %s", r.code, r.body)
	}
	for _, it := range list.Items {
		if it.Key.Object == object && it.Repair.Field == column {
			if it.Repair.To != renamed {
				t.Fatalf("queued repair %+v: want %s -> %s", it.Repair, column, renamed)
			}
			return it.ID
		}
	}
	t.Fatalf("renaming %s.%s queued no review; pending: %s", object, column, r.body)
	return ""
}

// TestConsoleLiveEvents checks the page's event stream client against a
// stand-in for GET /api/v1/events: the token goes in the Authorization
// header (never the URL), a "graph.changed" event reloads the graph while
// polling is off, and a reconnect resends the last event id.
func TestConsoleLiveEvents(t *testing.T) {
	chromiumPath(t)
	a := newTestApp(t, nil)
	waitJobsSettled(t, a)
	token := login(t, a, DemoEmail, a.demoPassword)

	type conn struct{ auth, lastID, query string }
	conns := make(chan conn, 10)
	send := make(chan string)
	mux := http.NewServeMux()
	mux.HandleFunc("GET /api/v1/events", func(w http.ResponseWriter, r *http.Request) {
		select {
		case conns <- conn{r.Header.Get("Authorization"), r.Header.Get("Last-Event-ID"), r.URL.RawQuery}:
		default: // the test has stopped reading
		}
		// A real session, as the real route would check.
		me := httptest.NewRequest("GET", "/api/v1/auth/me", nil)
		me.Header.Set("Authorization", r.Header.Get("Authorization"))
		rec := httptest.NewRecorder()
		a.handler.ServeHTTP(rec, me)
		if rec.Code != http.StatusOK {
			http.Error(w, "unauthorized", http.StatusUnauthorized)
			return
		}
		w.Header().Set("Content-Type", "text/event-stream")
		w.Header().Set("Cache-Control", "no-cache")
		fmt.Fprint(w, ": connected\n\n")
		w.(http.Flusher).Flush()
		select {
		case ev := <-send:
			fmt.Fprint(w, ev)
			w.(http.Flusher).Flush()
			// The stream ends after one event: the page must reconnect.
		case <-r.Context().Done():
		}
	})
	mux.Handle("/", a.handler)
	srv := httptest.NewServer(mux)
	t.Cleanup(srv.Close)

	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	bctx := newBrowser(t, ctx)
	var logs consoleLog
	logs.collect(bctx)
	defer logs.check(t)
	err := chromedp.Do(bctx,
		chromedp.EmulateViewport(1280, 800),
		chromedp.Navigate(srv.URL+"/"),
		chromedp.WaitVisible(chromedp.CSS("#login-email")),
		chromedp.SendKeys(chromedp.CSS("#login-email"), DemoEmail),
		chromedp.SendKeys(chromedp.CSS("#login-password"), a.demoPassword),
		chromedp.Click(chromedp.CSS("#login-submit")),
		chromedp.WaitVisible(chromedp.CSS("#graph svg g.node")),
	)
	if err != nil {
		saveScreenshot(t, bctx, artifactDir(t), "console-live-login-failed.png")
		t.Fatalf("log in: %v", err)
	}
	pageToken, err := chromedp.Run(bctx, chromedp.Evaluate[string](`sessionStorage.getItem("aos.token")`))
	if err != nil || pageToken == "" {
		t.Fatalf("the page keeps no token in sessionStorage: %q %v", pageToken, err)
	}
	first := <-conns
	if first.auth != "Bearer "+pageToken || first.query != "" || first.lastID != "" {
		t.Fatalf("first stream request: %+v; want the token in the header only and no Last-Event-ID", first)
	}
	if err := pollPage(bctx, "the live state", `document.getElementById("live-state").textContent === "live"`, 10*time.Second); err != nil {
		t.Fatal(err)
	}

	// Change the graph; with the stream up the page does not poll, so it
	// shows the change only after the event.
	g := apiGraph(t, a, token)
	g.Nodes[0].Label = "Renamed by the live test"
	if r := do(t, a, "PUT", "/api/v1/graph", token, g); r.code != http.StatusOK {
		t.Fatalf("PUT graph: %d %s", r.code, r.body)
	}
	time.Sleep(4 * time.Second) // longer than the page's polling period
	shown, err := chromedp.Run(bctx, chromedp.Text(chromedp.CSS("#graph-version")))
	if err != nil || shown != strconv.FormatInt(g.Version, 10) {
		t.Fatalf("before the event the page shows version %q (%v), want %d: it polled while the stream was up", shown, err, g.Version)
	}
	send <- fmt.Sprintf("id: 41\nevent: graph.changed\ndata: {\"version\": %d,\n\ndata: ignored\n\n: keep-alive\nid: 42\nevent: graph.changed\ndata: {\"version\": %d,\ndata: \"reason\": \"test\"}\n\n", g.Version+1, g.Version+1)
	if err := pollPage(bctx, "the graph to reload after the event", fmt.Sprintf(`document.getElementById("graph-version").textContent === "%d" && document.querySelector("#graph").textContent.includes("Renamed by the live")`, g.Version+1), 10*time.Second); err != nil {
		t.Fatal(err)
	}
	select {
	case again := <-conns:
		if again.lastID != "42" || again.auth != "Bearer "+pageToken || again.query != "" {
			t.Fatalf("reconnect: %+v, want Last-Event-ID 42 and the token in the header", again)
		}
	case <-time.After(20 * time.Second):
		t.Fatal("the page did not reconnect after the stream ended")
	}

	// Logging out forgets the token and shows the form again.
	if err := chromedp.Do(bctx, chromedp.Click(chromedp.CSS("#logout")), chromedp.WaitVisible(chromedp.CSS("#login-email"))); err != nil {
		t.Fatalf("log out: %v", err)
	}
	if err := pollPage(bctx, "the token to be gone", `sessionStorage.getItem("aos.token") === null && document.getElementById("app-view").hidden`, 5*time.Second); err != nil {
		t.Fatal(err)
	}
}
