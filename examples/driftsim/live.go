package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/autonomos/autonomos/tenancy"
)

// This file is the live mode: the same drift played against a running
// hostd through its HTTP API, so that a person watches it in the console.
// It speaks the API with net/http and encoding/json only, as any client
// of hostd would.

// passwordEnv names the environment variable that holds the password. It
// is never a flag: flags show in process lists.
const passwordEnv = "AOS_PASSWORD"

// pollEvery is how often the sync job is polled; tests shorten it.
var pollEvery = 500 * time.Millisecond

// liveConfig is what the live mode needs; run fills it from the flags.
type liveConfig struct {
	// BaseURL is hostd's address ("http://127.0.0.1:5000"), without a
	// trailing slash.
	BaseURL string
	// Email and Password log in; Password comes from AOS_PASSWORD.
	Email, Password string
	// DataDir is hostd's data directory: the demo tenant's sources are
	// under DataDir/sources/<tenant>/.
	DataDir string
	// SafeMode, when set, switches the crm connection's Safe Mode before
	// the sync; nil leaves it as it is.
	SafeMode *bool
	// Restore puts the original export back instead of drifting it.
	Restore bool
	// Timeout bounds the whole run, the sync job included.
	Timeout time.Duration
	// Client is the HTTP client; nil is a client without its own timeout
	// (the context bounds every request).
	Client *http.Client
}

// optBool is a boolean flag that remembers whether it was given, so that
// Safe Mode is left alone unless -safe-mode is on the command line.
type optBool struct{ set, on bool }

func (o *optBool) String() string {
	if o == nil || !o.set {
		return ""
	}
	return strconv.FormatBool(o.on)
}

func (o *optBool) Set(s string) error {
	v, err := strconv.ParseBool(s)
	if err != nil {
		return fmt.Errorf("%q is not true or false", s)
	}
	o.set, o.on = true, v
	return nil
}

// IsBoolFlag lets "-safe-mode" alone mean true.
func (o *optBool) IsBoolFlag() bool { return true }

// liveFlags are the flags of the live mode.
type liveFlags struct {
	hostd, email, dataDir string
	safeMode              optBool
	restore               bool
	timeout               time.Duration
}

func (lf *liveFlags) config() (liveConfig, error) {
	u, err := url.Parse(lf.hostd)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return liveConfig{}, fmt.Errorf("-hostd %q: want hostd's address, such as http://127.0.0.1:5000", lf.hostd)
	}
	pw := os.Getenv(passwordEnv)
	if pw == "" {
		return liveConfig{}, fmt.Errorf("%s is not set: put the password of %s in it (hostd prints the demo password on the start that creates the demo tenant)", passwordEnv, lf.email)
	}
	if lf.email == "" {
		return liveConfig{}, errors.New("-email is empty")
	}
	if lf.dataDir == "" {
		return liveConfig{}, errors.New("-data-dir is empty: give hostd's data directory")
	}
	if lf.timeout <= 0 {
		return liveConfig{}, fmt.Errorf("-timeout %s: must be positive", lf.timeout)
	}
	cfg := liveConfig{
		BaseURL:  strings.TrimRight(lf.hostd, "/"),
		Email:    lf.email,
		Password: pw,
		DataDir:  lf.dataDir,
		Restore:  lf.restore,
		Timeout:  lf.timeout,
	}
	if lf.safeMode.set {
		on := lf.safeMode.on
		cfg.SafeMode = &on
	}
	return cfg, nil
}

// demoConnection is the demo source whose export drifts, and demoFile its
// file under the source's directory.
const (
	demoConnection = "crm"
	demoFile       = "accounts.csv"
)

// runLive plays the drift against hostd: log in, rewrite the tenant's
// accounts export with the drifted one (or put the original back), switch
// Safe Mode if asked, sync, and print what hostd did.
func runLive(ctx context.Context, w io.Writer, cfg liveConfig) error {
	ctx, cancel := context.WithTimeout(ctx, cfg.Timeout)
	defer cancel()
	c := &hostdClient{base: cfg.BaseURL, http: cfg.Client}
	if c.http == nil {
		c.http = &http.Client{}
	}
	if err := c.login(ctx, cfg.Email, cfg.Password); err != nil {
		return err
	}
	tenant, err := c.tenant(ctx)
	if err != nil {
		return err
	}
	// The tenant id becomes part of a path: only a well-formed id does.
	if _, err := tenancy.Parse(tenant); err != nil {
		return fmt.Errorf("GET /api/v1/auth/me: tenant id %q: %w", tenant, err)
	}
	fmt.Fprintf(w, "logged in to %s as %s (tenant %s)\n", cfg.BaseURL, cfg.Email, tenant)
	path := filepath.Join(cfg.DataDir, "sources", tenant, demoConnection, demoFile)

	if cfg.Restore {
		restored, err := restoreExport(path)
		if err != nil {
			return err
		}
		if !restored {
			fmt.Fprintf(w, "nothing to restore: %s has no %s\n", filepath.Dir(path), filepath.Base(origPath(path)))
			return nil
		}
		fmt.Fprintf(w, "restored the original %s; the next sync of %s sees the columns change back, which is drift too: sync it in the console and decide the reviews it queues before drifting again\n", path, demoConnection)
		return nil
	}

	if err := driftExport(path); err != nil {
		return err
	}
	fmt.Fprintf(w, "rewrote %s: renamed %s; retyped AnnualRevenue as text (\"USD 1,250,000,000\"); the original is kept as %s (undo with -restore)\n",
		path, renameList(), filepath.Base(origPath(path)))

	if cfg.SafeMode != nil {
		var out struct {
			On bool `json:"on"`
		}
		if err := c.do(ctx, http.MethodPut, "/api/v1/connections/"+demoConnection+"/safe-mode", map[string]bool{"on": *cfg.SafeMode}, &out); err != nil {
			return err
		}
		fmt.Fprintf(w, "Safe Mode of %s switched %s\n", demoConnection, onOff(out.On))
	}

	var job jobJSON
	if err := c.do(ctx, http.MethodPost, "/api/v1/connections/"+demoConnection+"/sync", nil, &job); err != nil {
		return err
	}
	fmt.Fprintf(w, "sync job %s started; watch it in the console: %s/\n", job.ID, cfg.BaseURL)
	done, err := c.waitJob(ctx, job.ID)
	if err != nil {
		return err
	}
	if done.Status == "failed" {
		return fmt.Errorf("sync job %s failed: %s", done.ID, done.Error)
	}
	var st syncStatsJSON
	if len(done.Result) > 0 {
		if err := json.Unmarshal(done.Result, &st); err != nil {
			return fmt.Errorf("sync job %s: result: %w", done.ID, err)
		}
	}
	fmt.Fprintf(w, "sync done: drift events %d, repairs applied %d, queued %d, rows read %d, events published %d, normalize errors %d\n",
		st.DriftEvents, st.RepairsApplied, st.RepairsQueued, st.RowsRead, st.EventsPublished, st.NormalizeErrors)
	for _, wt := range st.Waiting {
		fmt.Fprintf(w, "object %s waits: %s\n", wt.Object, wt.Reason)
	}

	var evs struct {
		Events []driftRecordJSON `json:"events"`
	}
	if err := c.do(ctx, http.MethodGet, "/api/v1/drift/events?connection="+demoConnection, nil, &evs); err != nil {
		return err
	}
	// Only this sync's drift: hostd keeps the history of every earlier
	// one. Both times are hostd's clock, so no skew between the machines.
	n := 0
	for _, ev := range evs.Events {
		if ev.DetectedAt.Before(job.CreatedAt) {
			continue
		}
		n++
		printDrift(w, ev)
	}
	if n == 0 {
		fmt.Fprintf(w, "no drift recorded by this sync: was %s already the drifted export? Run with -restore, sync %s in the console, then run again\n", demoFile, demoConnection)
	}

	var revs struct {
		Items []reviewJSON `json:"items"`
	}
	if err := c.do(ctx, http.MethodGet, "/api/v1/reviews?status=pending&connection="+demoConnection, nil, &revs); err != nil {
		return err
	}
	// Every pending review is listed, since the object waits until none
	// does; those an earlier sync queued are marked as such.
	for _, it := range revs.Items {
		earlier := ""
		if !it.CreatedAt.IsZero() && it.CreatedAt.Before(job.CreatedAt) {
			earlier = " [queued by an earlier sync]"
		}
		fmt.Fprintf(w, "review %s: %s (%s) -> %s, confidence %.2f: %s%s\n", it.ID, it.Repair.Field, it.Repair.Target,
			orGone(it.Repair.To), it.Repair.Confidence, it.Reason, earlier)
	}
	if len(revs.Items) > 0 {
		fmt.Fprintf(w, "%d review(s) wait for a person: approve or reject them in the console's review queue at %s/ (the object syncs again once none waits)\n", len(revs.Items), cfg.BaseURL)
	} else {
		fmt.Fprintln(w, "no review waits")
	}
	return nil
}

func printDrift(w io.Writer, ev driftRecordJSON) {
	fmt.Fprintf(w, "drift in %s (schema version %d -> %d, %s), %d change(s):\n", ev.Object, ev.FromVersion, ev.ToVersion, ev.Severity, len(ev.Changes))
	for _, ch := range ev.Changes {
		types := ch.OldType
		if ch.NewType != "" {
			if types != "" {
				types += " -> "
			}
			types += ch.NewType
		}
		fmt.Fprintf(w, "  %-19s %-17s %-18s %s\n", ch.Kind, ch.Field, types, ch.Reason)
	}
	// A repair applied on its own comes from the audit trail ("to" holds
	// "new field -> target", "reason" the confidence); a queued one from
	// the review queue, with target, confidence and review id: print what
	// each has.
	for _, r := range ev.Repairs {
		line := fmt.Sprintf("  repair %s: %s -> %s", r.Status, r.Field, orGone(r.To))
		if r.Target != "" {
			line += " (" + r.Target + ")"
		}
		if r.Confidence > 0 {
			line += fmt.Sprintf(", confidence %.2f", r.Confidence)
		}
		if r.ReviewID != "" {
			line += ", review " + r.ReviewID
		}
		if r.Actor != "" {
			line += ", by " + r.Actor
		}
		if r.Reason != "" {
			line += ": " + r.Reason
		}
		fmt.Fprintln(w, line)
	}
}

func onOff(on bool) string {
	if on {
		return "on"
	}
	return "off"
}

// renameList says which columns the drift renames, in the header's order
// of the demo export.
func renameList() string {
	var parts []string
	for _, from := range []string{"Website", "NumberOfEmployees", "BillingCountry", "Phone"} {
		parts = append(parts, from+" -> "+renames[from])
	}
	return strings.Join(parts, ", ")
}

func origPath(path string) string { return path + ".orig" }

// driftExport rewrites the export at path with the drifted one. The
// original is copied to path.orig the first time only, and the drift is
// always made from that copy, so running twice does not drift the drifted
// export or lose the original.
func driftExport(path string) error {
	orig := origPath(path)
	if _, err := os.Stat(orig); errors.Is(err, os.ErrNotExist) {
		b, err := os.ReadFile(path)
		if errors.Is(err, os.ErrNotExist) {
			return fmt.Errorf("no demo export at %s: is -data-dir hostd's data directory, and was the demo tenant onboarded?", path)
		}
		if err != nil {
			return err
		}
		if err := writeAtomic(orig, func(f *os.File) error { _, err := f.Write(b); return err }); err != nil {
			return fmt.Errorf("keep the original export: %w", err)
		}
	} else if err != nil {
		return err
	}
	header, rows, err := readCSV(os.DirFS(filepath.Dir(orig)), filepath.Base(orig))
	if err != nil {
		return fmt.Errorf("original export: %w", err)
	}
	dh, drows := drifted(header, rows)
	// hostd may read the file at any moment: it sees the old export or
	// the new one, never half of one.
	return writeAtomic(path, func(f *os.File) error { return writeCSVTo(f, dh, drows) })
}

// restoreExport moves path.orig back to path; false when there is no
// original to put back.
func restoreExport(path string) (bool, error) {
	orig := origPath(path)
	if _, err := os.Stat(orig); errors.Is(err, os.ErrNotExist) {
		return false, nil
	} else if err != nil {
		return false, err
	}
	if err := os.Rename(orig, path); err != nil {
		return false, fmt.Errorf("restore the original export: %w", err)
	}
	return true, nil
}

// writeAtomic writes a hidden temporary file beside path (the file
// connector skips hidden files) and renames it onto path.
func writeAtomic(path string, write func(*os.File) error) error {
	f, err := os.CreateTemp(filepath.Dir(path), "."+filepath.Base(path)+".*.tmp")
	if err != nil {
		return err
	}
	tmp := f.Name()
	if err := write(f); err != nil {
		f.Close()
		os.Remove(tmp)
		return fmt.Errorf("write %s: %w", path, err)
	}
	if err := f.Close(); err != nil {
		os.Remove(tmp)
		return fmt.Errorf("write %s: %w", path, err)
	}
	// CreateTemp makes the file 0600; the export keeps the usual mode.
	if err := os.Chmod(tmp, 0o644); err != nil {
		os.Remove(tmp)
		return err
	}
	if err := os.Rename(tmp, path); err != nil {
		os.Remove(tmp)
		return err
	}
	return nil
}

// The wire formats of the hostd routes used, as far as this client reads
// them (hostd's Job, mesh.Stats, mesh.DriftRecord, repair.ReviewItem).

type jobJSON struct {
	ID        string          `json:"id"`
	Status    string          `json:"status"`
	Result    json.RawMessage `json:"result"`
	Error     string          `json:"error"`
	CreatedAt time.Time       `json:"created_at"`
}

type syncStatsJSON struct {
	RowsRead        int `json:"rows_read"`
	EventsPublished int `json:"events_published"`
	NormalizeErrors int `json:"normalize_errors"`
	DriftEvents     int `json:"drift_events"`
	RepairsApplied  int `json:"repairs_applied"`
	RepairsQueued   int `json:"repairs_queued"`
	Waiting         []struct {
		Object string `json:"object"`
		Reason string `json:"reason"`
	} `json:"waiting"`
}

type driftRecordJSON struct {
	Object      string    `json:"object"`
	FromVersion int64     `json:"from_version"`
	ToVersion   int64     `json:"to_version"`
	DetectedAt  time.Time `json:"detected_at"`
	Severity    string    `json:"severity"`
	Changes     []struct {
		Kind    string `json:"kind"`
		Field   string `json:"field"`
		OldType string `json:"old_type"`
		NewType string `json:"new_type"`
		Reason  string `json:"reason"`
	} `json:"changes"`
	Repairs []struct {
		Status     string  `json:"status"`
		Field      string  `json:"field"`
		Target     string  `json:"target"`
		To         string  `json:"to"`
		Confidence float64 `json:"confidence"`
		ReviewID   string  `json:"review_id"`
		Actor      string  `json:"actor"`
		Reason     string  `json:"reason"`
	} `json:"repairs"`
}

type reviewJSON struct {
	ID        string    `json:"id"`
	Reason    string    `json:"reason"`
	CreatedAt time.Time `json:"created_at"`
	Repair    struct {
		Field      string  `json:"field"`
		Target     string  `json:"target"`
		To         string  `json:"to"`
		Confidence float64 `json:"confidence"`
	} `json:"repair"`
}

// apiError is a request hostd answered with an error status: the status
// and the detail of its application/problem+json body.
type apiError struct {
	Method, Path string
	Status       int
	Title        string
	Detail       string
}

func (e *apiError) Error() string {
	s := fmt.Sprintf("%s %s: HTTP %d", e.Method, e.Path, e.Status)
	if e.Title != "" {
		s += " " + e.Title
	}
	if e.Detail != "" {
		s += ": " + e.Detail
	}
	return s
}

// hostdClient calls hostd's API with the bearer token of its login.
type hostdClient struct {
	base  string
	token string
	http  *http.Client
}

func (c *hostdClient) login(ctx context.Context, email, password string) error {
	var s struct {
		Token string `json:"token"`
	}
	if err := c.do(ctx, http.MethodPost, "/api/v1/auth/login", map[string]string{"email": email, "password": password}, &s); err != nil {
		return err
	}
	if s.Token == "" {
		return errors.New("POST /api/v1/auth/login: the answer has no token")
	}
	c.token = s.Token
	return nil
}

func (c *hostdClient) tenant(ctx context.Context) (string, error) {
	var me struct {
		Tenant struct {
			ID string `json:"id"`
		} `json:"tenant"`
	}
	if err := c.do(ctx, http.MethodGet, "/api/v1/auth/me", nil, &me); err != nil {
		return "", err
	}
	return me.Tenant.ID, nil
}

// waitJob polls a job until it succeeded or failed.
func (c *hostdClient) waitJob(ctx context.Context, id string) (jobJSON, error) {
	t := time.NewTicker(pollEvery)
	defer t.Stop()
	for {
		var j jobJSON
		if err := c.do(ctx, http.MethodGet, "/api/v1/jobs/"+url.PathEscape(id), nil, &j); err != nil {
			return j, err
		}
		if j.Status == "succeeded" || j.Status == "failed" {
			return j, nil
		}
		select {
		case <-ctx.Done():
			return j, fmt.Errorf("sync job %s still %s: %w", id, j.Status, ctx.Err())
		case <-t.C:
		}
	}
}

// do sends in as JSON (when not nil) and decodes a 2xx answer into out;
// another status is an *apiError. Errors name the method and path, never
// the body sent (the login's holds the password).
func (c *hostdClient) do(ctx context.Context, method, path string, in, out any) error {
	var body io.Reader
	if in != nil {
		b, err := json.Marshal(in)
		if err != nil {
			return fmt.Errorf("%s %s: %w", method, path, err)
		}
		body = bytes.NewReader(b)
	}
	req, err := http.NewRequestWithContext(ctx, method, c.base+path, body)
	if err != nil {
		return fmt.Errorf("%s %s: %w", method, path, err)
	}
	req.Header.Set("Accept", "application/json")
	if in != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	if c.token != "" {
		req.Header.Set("Authorization", "Bearer "+c.token)
	}
	resp, err := c.http.Do(req)
	if err != nil {
		return fmt.Errorf("%s %s: %w (is hostd running at %s?)", method, path, err, c.base)
	}
	defer resp.Body.Close()
	// Answers here are small; the cap keeps a wrong server from filling
	// memory.
	b, err := io.ReadAll(io.LimitReader(resp.Body, 8<<20))
	if err != nil {
		return fmt.Errorf("%s %s: read the answer: %w", method, path, err)
	}
	if resp.StatusCode < 200 || resp.StatusCode > 299 {
		e := &apiError{Method: method, Path: path, Status: resp.StatusCode}
		var p struct {
			Title  string `json:"title"`
			Detail string `json:"detail"`
		}
		if json.Unmarshal(b, &p) == nil && (p.Title != "" || p.Detail != "") {
			e.Title, e.Detail = p.Title, p.Detail
		} else {
			e.Title = http.StatusText(resp.StatusCode)
			if s := strings.TrimSpace(string(b)); s != "" {
				e.Detail = truncate(s, 200)
			}
		}
		return e
	}
	if out == nil {
		return nil
	}
	if err := json.Unmarshal(b, out); err != nil {
		return fmt.Errorf("%s %s: the answer is not the expected JSON: %w", method, path, err)
	}
	return nil
}

func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return s[:n] + "..."
}
