package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"math"
	"net"
	"net/http"
	"strconv"
	"sync"
	"time"

	"github.com/google/uuid"
	"github.com/prometheus/client_golang/prometheus"
	"golang.org/x/time/rate"

	"github.com/autonomos/autonomos/authn"
	"github.com/autonomos/autonomos/graphstore"
	"github.com/autonomos/autonomos/nlp"
	"github.com/autonomos/autonomos/repair"
	"github.com/autonomos/autonomos/tenancy"
)

// Problem is an RFC 9457 problem details body.
type Problem struct {
	Type      string `json:"type"`
	Title     string `json:"title"`
	Status    int    `json:"status"`
	Detail    string `json:"detail,omitempty"`
	Instance  string `json:"instance,omitempty"`
	RequestID string `json:"request_id,omitempty"`
}

// writeProblem answers with a problem+json body. detail must be safe to
// show to the client.
func writeProblem(w http.ResponseWriter, r *http.Request, status int, detail string) {
	p := Problem{
		Type:      "about:blank",
		Title:     http.StatusText(status),
		Status:    status,
		Detail:    detail,
		Instance:  r.URL.Path,
		RequestID: requestIDFrom(r.Context()),
	}
	w.Header().Set("Content-Type", "application/problem+json")
	w.Header().Set("X-Content-Type-Options", "nosniff")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(p)
}

// httpError is an error a handler returns with a status and a detail that
// is safe for the client.
type httpError struct {
	Status int
	Detail string
}

func (e *httpError) Error() string { return fmt.Sprintf("%d: %s", e.Status, e.Detail) }

func badRequest(format string, args ...any) error {
	return &httpError{Status: http.StatusBadRequest, Detail: fmt.Sprintf(format, args...)}
}

// classify maps an error from a handler onto a status and a client-safe
// detail. Anything it does not recognise is a 500 whose text is only
// logged.
func classify(err error) (status int, detail string) {
	var he *httpError
	var mbe *http.MaxBytesError
	var vce *graphstore.VersionConflictError
	var ige *graphstore.InvalidGraphError
	var rvc *repair.VersionConflictError
	if status, detail, ok := classifyMesh(err); ok {
		return status, detail
	}
	if status, detail, ok := classifyDCL(err); ok {
		return status, detail
	}
	switch {
	case errors.As(err, &he):
		return he.Status, he.Detail
	case errors.As(err, &mbe):
		return http.StatusRequestEntityTooLarge, fmt.Sprintf("request body is larger than %d bytes", mbe.Limit)
	case errors.As(err, &vce):
		return http.StatusConflict, fmt.Sprintf("graph was saved against version %d but the stored version is %d; reload and retry", vce.Expected, vce.Actual)
	case errors.As(err, &ige):
		return http.StatusUnprocessableEntity, fmt.Sprintf("invalid graph at %s: %s", ige.Path, ige.Reason)
	case errors.As(err, &rvc):
		return http.StatusConflict, "mapping version conflict; reload and retry"
	case errors.Is(err, graphstore.ErrNotFound), errors.Is(err, repair.ErrNotFound), errors.Is(err, nlp.ErrDocumentNotFound):
		return http.StatusNotFound, "no such resource"
	case errors.Is(err, repair.ErrAlreadyDecided):
		return http.StatusConflict, "the review item was decided already"
	case errors.Is(err, repair.ErrInvalidInput), errors.Is(err, repair.ErrInvalidSchema), errors.Is(err, nlp.ErrEmptyQuestion), errors.Is(err, nlp.ErrUnknownPersona),
		errors.Is(err, nlp.ErrInvalidDocument), errors.Is(err, nlp.ErrEmptyQuery):
		// These errors name the field at fault and hold no secret.
		return http.StatusBadRequest, err.Error()
	case errors.Is(err, tenancy.ErrNoTenant), errors.Is(err, authn.ErrNoPrincipal):
		return http.StatusUnauthorized, "not authenticated"
	case errors.Is(err, context.DeadlineExceeded):
		return http.StatusServiceUnavailable, "the request took too long"
	}
	return http.StatusInternalServerError, "internal error; quote the request id when reporting it"
}

// apiFunc is a handler that returns its error instead of writing it.
type apiFunc func(w http.ResponseWriter, r *http.Request) error

// handle turns an apiFunc into a handler: errors become problem details,
// internal ones are logged with the request id and never returned.
func (a *app) handle(f apiFunc) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		err := f(w, r)
		if err == nil {
			return
		}
		if errors.Is(err, context.Canceled) && r.Context().Err() != nil {
			return // the client went away
		}
		status, detail := classify(err)
		if status >= 500 {
			a.log.ErrorContext(r.Context(), "request failed", "request_id", requestIDFrom(r.Context()), "err", err)
		}
		writeProblem(w, r, status, detail)
	})
}

// decodeJSON reads one JSON value from the (size-limited) body into v.
func decodeJSON(r *http.Request, v any) error {
	dec := json.NewDecoder(r.Body)
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		var mbe *http.MaxBytesError
		if errors.As(err, &mbe) {
			return err
		}
		return badRequest("request body is not valid JSON for this route: %v", err)
	}
	if dec.More() {
		return badRequest("request body holds more than one JSON value")
	}
	return nil
}

func writeJSON(w http.ResponseWriter, status int, v any) error {
	b, err := json.Marshal(v)
	if err != nil {
		return fmt.Errorf("encode response: %w", err)
	}
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_, _ = w.Write(append(b, '\n'))
	return nil
}

// ---- request ids and logs -------------------------------------------------

type ctxKey int

const requestInfoKey ctxKey = 1

// requestInfo is the request's own value in its context (one value, not
// one per field: every context value is an allocation and a step in every
// lookup): its id, and what inner handlers fill in for the request's log
// line (the inner context, which carries the principal, is not the outer
// one).
type requestInfo struct {
	id     string
	tenant string
}

func requestIDFrom(ctx context.Context) string {
	if info, ok := ctx.Value(requestInfoKey).(*requestInfo); ok {
		return info.id
	}
	return ""
}

// validRequestID accepts a caller's X-Request-Id when it is short and
// plain, so it can go into logs unescaped.
func validRequestID(s string) bool {
	if s == "" || len(s) > 64 {
		return false
	}
	for _, c := range s {
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '-' || c == '_' || c == '.') {
			return false
		}
	}
	return true
}

type statusWriter struct {
	http.ResponseWriter
	status int
	bytes  int64
}

func (w *statusWriter) WriteHeader(code int) {
	if w.status == 0 {
		w.status = code
	}
	w.ResponseWriter.WriteHeader(code)
}

func (w *statusWriter) Write(b []byte) (int, error) {
	if w.status == 0 {
		w.status = http.StatusOK
	}
	n, err := w.ResponseWriter.Write(b)
	w.bytes += int64(n)
	return n, err
}

func (w *statusWriter) Unwrap() http.ResponseWriter { return w.ResponseWriter }

// metrics are the HTTP metrics on their own registry (not the global one,
// so that several servers in one test process do not collide).
type metrics struct {
	reg      *prometheus.Registry
	requests *prometheus.CounterVec
	latency  *prometheus.HistogramVec
	// meshEvents counts the mesh's progress events by kind, and
	// meshItems adds up their counts (events published per batch,
	// repairs applied or queued, records dead-lettered, ...).
	meshEvents *prometheus.CounterVec
	meshItems  *prometheus.CounterVec
	// llmCalls and llmTokens count LLM use by model and by what called
	// it (the ask gateway, the mapping advisor).
	llmCalls  *prometheus.CounterVec
	llmTokens *prometheus.CounterVec
	// jobRuns counts job runs by kind and outcome; jobSeconds times them.
	jobRuns    *prometheus.CounterVec
	jobSeconds *prometheus.HistogramVec
}

func newMetrics() *metrics {
	m := &metrics{
		reg: prometheus.NewRegistry(),
		requests: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "hostd_http_requests_total",
			Help: "HTTP requests by route pattern, method and status code.",
		}, []string{"route", "method", "code"}),
		latency: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name:    "hostd_http_request_duration_seconds",
			Help:    "HTTP request latency by route pattern.",
			Buckets: []float64{.0005, .001, .0025, .005, .01, .025, .05, .1, .25, .5, 1, 2.5, 5, 10},
		}, []string{"route"}),
		meshEvents: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "hostd_mesh_events_total",
			Help: "Mesh progress events (sync.started, drift.detected, repair.applied, repair.queued, ...) by kind.",
		}, []string{"kind"}),
		meshItems: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "hostd_mesh_event_items_total",
			Help: "Items the mesh's events were about, by kind (events published for batch.published, repairs for repair.applied, ...).",
		}, []string{"kind"}),
	}
	m.llmCalls = prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "hostd_llm_calls_total",
		Help: "LLM calls by model and caller (ask, mapping_advisor).",
	}, []string{"model", "caller"})
	m.llmTokens = prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "hostd_llm_tokens_total",
		Help: "LLM tokens by model, caller and kind (prompt, completion).",
	}, []string{"model", "caller", "kind"})
	m.jobRuns = prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "hostd_job_runs_total",
		Help: "Job runs (attempts) on this replica by job kind and outcome (succeeded, failed).",
	}, []string{"kind", "outcome"})
	m.jobSeconds = prometheus.NewHistogramVec(prometheus.HistogramOpts{
		Name:    "hostd_job_duration_seconds",
		Help:    "Duration of job runs by job kind.",
		Buckets: []float64{.01, .05, .1, .5, 1, 5, 10, 30, 60, 300},
	}, []string{"kind"})
	m.reg.MustRegister(m.requests, m.latency, m.meshEvents, m.meshItems, m.llmCalls, m.llmTokens, m.jobRuns, m.jobSeconds,
		prometheus.NewGoCollector(), prometheus.NewProcessCollector(prometheus.ProcessCollectorOpts{}))
	return m
}

// outer wraps the whole mux: request id, unmatched routes as problems,
// metrics by route pattern and one structured log line per request.
func (a *app) outer(mux *http.ServeMux) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		start := time.Now()
		id := r.Header.Get("X-Request-Id")
		if !validRequestID(id) {
			id = uuid.NewString()
		}
		w.Header()["X-Request-Id"] = []string{id}
		info := &requestInfo{id: id}
		r = r.WithContext(context.WithValue(r.Context(), requestInfoKey, info))
		sw := &statusWriter{ResponseWriter: w}

		h, pattern := mux.Handler(r)
		if pattern == "" {
			// No route: the mux would answer 404 or 405 in plain text;
			// run it against a recorder for the status and Allow header,
			// and answer with a problem instead.
			rec := &headerRecorder{h: http.Header{}}
			h.ServeHTTP(rec, r)
			if allow := rec.h.Get("Allow"); allow != "" {
				sw.Header().Set("Allow", allow)
			}
			writeProblem(sw, r, rec.code, "no route for "+r.Method+" "+r.URL.Path)
			pattern = "unmatched"
		} else {
			mux.ServeHTTP(sw, r)
			if _, known := a.patterns[pattern]; !known {
				// A redirect (path cleaning, trailing slash): its
				// "pattern" is the client's path, which must not
				// become a metric label.
				pattern = "redirect"
			}
		}
		if sw.status == 0 {
			sw.status = http.StatusOK
		}
		d := time.Since(start)
		method := metricMethod(r.Method)
		a.metrics.requests.WithLabelValues(pattern, method, strconv.Itoa(sw.status)).Inc()
		a.metrics.latency.WithLabelValues(pattern).Observe(d.Seconds())
		if !a.log.Enabled(r.Context(), slog.LevelInfo) {
			return
		}
		// Typed attributes in an array: no boxing, no slice to grow.
		attrs := [...]slog.Attr{
			slog.String("request_id", id), slog.String("method", r.Method), slog.String("route", pattern),
			slog.String("path", r.URL.Path), slog.Int("status", sw.status), slog.Int64("bytes", sw.bytes),
			slog.Duration("duration", d), slog.String("tenant", info.tenant),
		}
		n := len(attrs)
		if info.tenant == "" {
			n--
		}
		a.log.LogAttrs(r.Context(), slog.LevelInfo, "request", attrs[:n]...)
	})
}

// metricMethod is the method label of the request metrics: one of the
// standard methods or "other", so that clients cannot make up labels
// (each label set is kept in memory for good).
func metricMethod(m string) string {
	switch m {
	case http.MethodGet, http.MethodHead, http.MethodPost, http.MethodPut, http.MethodPatch,
		http.MethodDelete, http.MethodOptions, http.MethodConnect, http.MethodTrace:
		return m
	}
	return "other"
}

type headerRecorder struct {
	h    http.Header
	code int
}

func (r *headerRecorder) Header() http.Header { return r.h }
func (r *headerRecorder) WriteHeader(code int) {
	if r.code == 0 {
		r.code = code
	}
}
func (r *headerRecorder) Write(b []byte) (int, error) {
	if r.code == 0 {
		r.code = http.StatusOK
	}
	return len(b), nil
}

// ---- per-route wrappers ---------------------------------------------------

// withLimits bounds the body and the time of one request.
func withLimits(h http.Handler, maxBody int64, timeout time.Duration) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		// The server gives a request without a body http.NoBody; it
		// needs no limit.
		if r.Body != nil && r.Body != http.NoBody {
			r.Body = http.MaxBytesReader(w, r.Body, maxBody)
		}
		ctx, cancel := context.WithTimeout(r.Context(), timeout)
		defer cancel()
		h.ServeHTTP(w, r.WithContext(ctx))
	})
}

// keyLimiter holds one token bucket per key (a tenant, a client address).
// When it holds maxKeys buckets it starts over, which bounds its memory;
// a key then gets a fresh (full) bucket, which errs on the lenient side.
type keyLimiter struct {
	limit   rate.Limit
	burst   int
	maxKeys int
	now     func() time.Time

	mu       sync.Mutex
	limiters map[string]*rate.Limiter
}

func newKeyLimiter(perSecond float64, burst int) *keyLimiter {
	return &keyLimiter{limit: rate.Limit(perSecond), burst: burst, maxKeys: 100000, now: time.Now, limiters: map[string]*rate.Limiter{}}
}

// allow reports whether key may make a request now, and otherwise how
// long it must wait.
func (l *keyLimiter) allow(key string) (bool, time.Duration) {
	l.mu.Lock()
	lim, ok := l.limiters[key]
	if !ok {
		if len(l.limiters) >= l.maxKeys {
			clear(l.limiters)
		}
		lim = rate.NewLimiter(l.limit, l.burst)
		l.limiters[key] = lim
	}
	l.mu.Unlock()
	now := l.now()
	res := lim.ReserveN(now, 1)
	if !res.OK() {
		return false, time.Second
	}
	if d := res.DelayFrom(now); d > 0 {
		res.CancelAt(now)
		return false, d
	}
	return true, 0
}

func tooMany(w http.ResponseWriter, r *http.Request, wait time.Duration, detail string) {
	secs := int(math.Ceil(wait.Seconds()))
	if secs < 1 {
		secs = 1
	}
	w.Header().Set("Retry-After", strconv.Itoa(secs))
	writeProblem(w, r, http.StatusTooManyRequests, detail)
}

// clientLimited limits the unauthenticated account routes (register and
// login hash passwords, which is costly) per client address.
func (a *app) clientLimited(h http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		host, _, err := net.SplitHostPort(r.RemoteAddr)
		if err != nil {
			host = r.RemoteAddr
		}
		if ok, wait := a.clientLimiter.allow(host); !ok {
			tooMany(w, r, wait, "too many account requests from this address; retry later")
			return
		}
		h.ServeHTTP(w, r)
	})
}

// rateLimited answers 429 with Retry-After when the caller's tenant is over
// its rate. It runs after authentication.
func (a *app) rateLimited(h http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		tenant, err := tenancy.FromContext(r.Context())
		if err != nil {
			writeProblem(w, r, http.StatusUnauthorized, "not authenticated")
			return
		}
		key := tenant.String()
		if info, ok := r.Context().Value(requestInfoKey).(*requestInfo); ok {
			info.tenant = key
		}
		if ok, wait := a.limiter.allow(key); !ok {
			tooMany(w, r, wait, "the tenant's request rate is over its limit; retry later")
			return
		}
		h.ServeHTTP(w, r)
	})
}
