package main

import (
	"bytes"
	"compress/gzip"
	"encoding/json"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/autonomos/autonomos/authn"
	"github.com/autonomos/autonomos/canonical"
	"github.com/autonomos/autonomos/drift"
	"github.com/autonomos/autonomos/graphstore"
	"github.com/autonomos/autonomos/nlp"
	"github.com/autonomos/autonomos/repair"
	"github.com/autonomos/autonomos/tenancy"
)

// route is one entry of the route table. The mux and the OpenAPI document
// are both built from the table, so they cannot disagree.
type route struct {
	method  string
	path    string
	tag     string
	summary string
	// auth puts the route behind authn.Middleware and the per-tenant
	// rate limit.
	auth bool
	// clientLimited puts an unauthenticated route behind the per-client
	// address rate limit.
	clientLimited bool
	// body describes the JSON request body; "" when there is none.
	body string
	// in and out are zero values of the request and response body types,
	// reflected into the OpenAPI schemas; nil means a plain object.
	in, out any
	// ok is the success status.
	ok int
	// produces is the media type of the success response; "" is
	// application/json. A 101 or 204 has no body.
	produces string
	// errors are the problem statuses the route documents (401 and 429
	// are added for authenticated routes).
	errors []int
	// timeout overrides Config.HandlerTimeout when positive.
	timeout time.Duration
	// stream marks a long-lived response (SSE, WebSocket): it skips
	// withLimits' time limit and bounds each write itself.
	stream  bool
	handler http.Handler
}

// routeTable is every route: the core ones here, and each area's from its
// own file.
func (a *app) routeTable() []route {
	var rts []route
	rts = append(rts, a.coreRoutes()...)
	rts = append(rts, a.connectionRoutes()...)
	rts = append(rts, a.knowledgeRoutes()...)
	rts = append(rts, a.dclRoutes()...)
	rts = append(rts, a.deadLetterRoutes()...)
	rts = append(rts, a.liveRoutes()...)
	rts = append(rts, a.flagRoutes()...)
	rts = append(rts, a.consoleRoutes()...)
	return rts
}

func (a *app) coreRoutes() []route {
	return []route{
		{method: "GET", path: "/healthz", tag: "ops", summary: "Liveness: the process answers.", ok: 200, handler: a.handle(a.healthz)},
		{method: "GET", path: "/readyz", tag: "ops", summary: "Readiness: the stores answer (PostgreSQL and Redis in server mode).", ok: 200, errors: []int{503}, handler: a.handle(a.readyz)},
		{method: "GET", path: "/metrics", tag: "ops", summary: "Prometheus metrics.", ok: 200, produces: "text/plain", handler: a.metricsHandler()},
		{method: "GET", path: "/docs", tag: "ops", summary: "This API as an HTML page, built from the same route table.", ok: 200, produces: "text/html", handler: a.handle(a.docs)},
		{method: "GET", path: "/openapi.json", tag: "ops", summary: "This OpenAPI 3.1 document.", ok: 200, handler: a.handle(a.openAPIJSON)},

		{method: "POST", path: "/api/v1/auth/register", out: authn.SessionJSON{}, tag: "auth", summary: "Register a tenant with its first user; returns a session.", clientLimited: true, body: "{tenant_name, email, password}", ok: 201, errors: []int{400, 409, 413, 429}, handler: a.auth.RegisterHandler()},
		{method: "POST", path: "/api/v1/auth/login", out: authn.SessionJSON{}, tag: "auth", summary: "Log in with email and password; returns a bearer token.", clientLimited: true, body: "{email, password}", ok: 200, errors: []int{400, 401, 413, 429}, handler: a.auth.LoginHandler()},
		{method: "GET", path: "/api/v1/auth/me", out: authn.MeJSON{}, tag: "auth", summary: "The current user and tenant.", auth: true, ok: 200, handler: a.auth.MeHandler()},

		{method: "GET", path: "/api/v1/ontology", out: []canonical.Entity{}, tag: "ontology", summary: "The canonical ontology's entities and fields.", auth: true, ok: 200, handler: a.handle(a.getOntology)},

		{method: "GET", path: "/api/v1/graph", out: graphstore.Graph{}, tag: "graph", summary: "The tenant's graph of sources, objects, entities, views and agents.", auth: true, ok: 200, errors: []int{404}, handler: a.handle(a.getGraph)},
		{method: "PUT", path: "/api/v1/graph", in: graphstore.Graph{}, out: graphstore.Graph{}, tag: "graph", summary: "Save the tenant's graph; its version must be the one it was loaded at.", auth: true, body: "a graph with the version it was loaded at", ok: 200, errors: []int{400, 409, 413, 422}, handler: a.handle(a.putGraph)},

		{method: "POST", path: "/api/v1/nlp/route", in: routeRequest{}, out: routeResponse{}, tag: "nlp", summary: "Route a question to a persona (CRO, CFO, COO, CTO).", auth: true, body: "{question, persona?}", ok: 200, errors: []int{400, 413}, handler: a.handle(a.nlpRoute)},

		{method: "POST", path: "/api/v1/nlp/ask", in: askRequest{}, out: nlp.Answer{}, tag: "nlp", summary: "Answer a question from the tenant's knowledge (LLM with citations, or extractive).", auth: true, body: "{question, persona?, all_scopes?}", ok: 200, errors: []int{400, 413}, timeout: 60 * time.Second, handler: a.handle(a.nlpAsk)},

		{method: "GET", path: "/api/v1/mappings/{connection}/{object}", out: repair.MappingVersion{}, tag: "mappings", summary: "The current mapping of a connection's object.", auth: true, ok: 200, errors: []int{404}, handler: a.handle(a.getMapping)},
		{method: "GET", path: "/api/v1/mappings/{connection}/{object}/history", out: struct {
			Versions []repair.MappingVersion `json:"versions"`
		}{}, tag: "mappings", summary: "Every version of a mapping, oldest first.", auth: true, ok: 200, errors: []int{404}, handler: a.handle(a.mappingHistory)},

		{method: "POST", path: "/api/v1/mappings/{connection}/{object}/propose", tag: "mappings", summary: "Propose a mapping for an object's schema (fields with sample values); nothing is saved.", auth: true, body: "a drift schema: {system, fields: [{name, type, samples}]}", in: drift.Schema{}, out: repair.MatchResult{}, ok: 200, errors: []int{400, 413}, handler: a.handle(a.proposeMapping)},
		{method: "POST", path: "/api/v1/mappings/{connection}/{object}/approve", out: repair.MappingVersion{}, tag: "mappings", summary: "Approve the pending proposal for a new object; it syncs from the next sync on.", auth: true, ok: 200, errors: []int{404}, handler: a.handle(a.approveMapping)},

		{method: "GET", path: "/api/v1/reviews", out: struct {
			Items []repair.ReviewItem `json:"items"`
		}{}, tag: "reviews", summary: "The review queue (filters: status, connection, object, limit).", auth: true, ok: 200, errors: []int{400}, handler: a.handle(a.listReviews)},
		{method: "GET", path: "/api/v1/reviews/{id}", out: repair.ReviewItem{}, tag: "reviews", summary: "One review item.", auth: true, ok: 200, errors: []int{404}, handler: a.handle(a.getReview)},
		{method: "POST", path: "/api/v1/reviews/{id}/approve", in: approveRequest{}, out: repair.ReviewItem{}, tag: "reviews", summary: "Approve a proposed repair, optionally edited.", auth: true, body: "optional {to, target, unmap, note}", ok: 200, errors: []int{400, 404, 409, 413}, handler: a.handle(a.approveReview)},
		{method: "POST", path: "/api/v1/reviews/{id}/reject", in: rejectRequest{}, out: repair.ReviewItem{}, tag: "reviews", summary: "Reject a proposed repair.", auth: true, body: "optional {note}", ok: 200, errors: []int{400, 404, 409, 413}, handler: a.handle(a.rejectReview)},
	}
}

func (a *app) healthz(w http.ResponseWriter, _ *http.Request) error {
	return writeJSON(w, http.StatusOK, map[string]string{"status": "ok"})
}

func (a *app) readyz(w http.ResponseWriter, r *http.Request) error {
	// Embedded mode has no service to reach; server mode pings
	// PostgreSQL and Redis (server.go).
	if a.serverMode() {
		return a.readyServer(w, r)
	}
	return writeJSON(w, http.StatusOK, map[string]string{"status": "ready", "mode": "embedded"})
}

func (a *app) getOntology(w http.ResponseWriter, _ *http.Request) error {
	return writeJSON(w, http.StatusOK, a.ontology.Entities())
}

func (a *app) getGraph(w http.ResponseWriter, r *http.Request) error {
	tenant, err := tenancy.FromContext(r.Context())
	if err != nil {
		return err
	}
	// Read only: no copy of the graph (graphstore.Store.LoadShared).
	g, err := a.graphs.LoadShared(r.Context(), tenant)
	if err != nil {
		return err
	}
	body, err := a.graphBodies.encode(tenant, g)
	if err != nil {
		return err
	}
	rep := &body.identity
	if body.gzip.body != nil && acceptsGzip(r.Header["Accept-Encoding"]) {
		rep = &body.gzip
	}
	// The header values are made once per graph version and shared by
	// every response: each is a []string of length and capacity 1, so an
	// Add elsewhere reallocates instead of writing into it.
	h := w.Header()
	h["Etag"] = rep.etag
	h["Cache-Control"] = cacheControlPrivate
	h["Vary"] = varyAcceptEncoding
	if noneMatch(r.Header.Get("If-None-Match"), rep.etag[0]) {
		w.WriteHeader(http.StatusNotModified)
		return nil
	}
	h["Content-Type"] = contentTypeJSON
	h["Content-Length"] = rep.length
	if rep.encoding != nil {
		h["Content-Encoding"] = rep.encoding
	}
	_, _ = w.Write(rep.body)
	return nil
}

var (
	cacheControlPrivate = []string{"private, no-cache"}
	varyAcceptEncoding  = []string{"Accept-Encoding"}
	contentTypeJSON     = []string{"application/json"}
	contentEncodingGzip = []string{"gzip"}
)

// acceptsGzip reports whether an Accept-Encoding header takes gzip
// (RFC 9110 12.5.3: "gzip" or "*" without q=0).
func acceptsGzip(values []string) bool {
	for _, v := range values {
		for part := range strings.SplitSeq(v, ",") {
			coding, params, _ := strings.Cut(part, ";")
			coding = strings.TrimSpace(coding)
			if !strings.EqualFold(coding, "gzip") && coding != "*" {
				continue
			}
			q := strings.ReplaceAll(strings.TrimSpace(params), " ", "")
			if qv, ok := strings.CutPrefix(strings.ToLower(q), "q="); ok {
				if f, err := strconv.ParseFloat(qv, 64); err != nil || f <= 0 {
					continue
				}
			}
			return true
		}
	}
	return false
}

// noneMatch reports whether an If-None-Match header names etag (weak
// comparison, as RFC 9110 13.1.2 asks) or is "*".
func noneMatch(header, etag string) bool {
	if header == "" {
		return false
	}
	for part := range strings.SplitSeq(header, ",") {
		part = strings.TrimSpace(part)
		if part == "*" || strings.TrimPrefix(part, "W/") == etag {
			return true
		}
	}
	return false
}

// graphBodies keeps the last JSON encoding of each tenant's graph, plain
// and gzipped: the graph only changes with its version, and encoding it
// is most of the cost of GET /api/v1/graph. Gzip (a sixth of the size for
// the demo graph) lets the response leave in one write instead of three
// and saves the console's bandwidth. Its memory is one graph per tenant.
type graphBodyCache struct {
	mu sync.Mutex
	m  map[tenancy.ID]*graphBody
}

type graphBody struct {
	version  int64
	updated  time.Time
	identity graphRep
	gzip     graphRep // body nil when not worth it
}

// graphRep is one representation of a graph body, with its header values.
type graphRep struct {
	body     []byte
	etag     []string
	length   []string
	encoding []string // nil for identity
}

// gzipMinBytes is the size under which a body is not compressed: it
// would fit in one write anyway.
const gzipMinBytes = 1024

func (c *graphBodyCache) encode(tenant tenancy.ID, g *graphstore.Graph) (*graphBody, error) {
	c.mu.Lock()
	cached, ok := c.m[tenant]
	c.mu.Unlock()
	if ok && cached.version == g.Version && cached.updated.Equal(g.UpdatedAt) {
		return cached, nil
	}
	b, err := json.Marshal(g)
	if err != nil {
		return nil, fmt.Errorf("encode graph: %w", err)
	}
	b = append(b, '\n')
	tag := fmt.Sprintf("g%d-%d", g.Version, g.UpdatedAt.UnixNano())
	out := &graphBody{version: g.Version, updated: g.UpdatedAt,
		identity: graphRep{body: b, etag: []string{`"` + tag + `"`}, length: []string{strconv.Itoa(len(b))}}}
	if len(b) >= gzipMinBytes {
		var buf bytes.Buffer
		zw := gzip.NewWriter(&buf)
		_, _ = zw.Write(b) // a bytes.Buffer does not fail
		if err := zw.Close(); err != nil {
			return nil, fmt.Errorf("compress graph: %w", err)
		}
		if buf.Len() < len(b) {
			z := buf.Bytes()
			out.gzip = graphRep{body: z, etag: []string{`"` + tag + `-gz"`}, length: []string{strconv.Itoa(len(z))}, encoding: contentEncodingGzip}
		}
	}
	c.mu.Lock()
	if c.m == nil {
		c.m = map[tenancy.ID]*graphBody{}
	}
	c.m[tenant] = out
	c.mu.Unlock()
	return out, nil
}

func (a *app) putGraph(w http.ResponseWriter, r *http.Request) error {
	tenant, err := tenancy.FromContext(r.Context())
	if err != nil {
		return err
	}
	var g graphstore.Graph
	if err := decodeJSON(r, &g); err != nil {
		return err
	}
	saved, err := a.graphs.Save(r.Context(), tenant, &g)
	if err != nil {
		return err
	}
	a.emit(r.Context(), tenant, "graph.changed", graphChanged{Version: saved.Version, Reason: "saved"})
	return writeJSON(w, http.StatusOK, saved)
}

type routeRequest struct {
	Question string `json:"question"`
	Persona  string `json:"persona,omitempty"`
}

type routeResponse struct {
	Persona    nlp.Persona              `json:"persona"`
	Confidence float64                  `json:"confidence"`
	Margin     float64                  `json:"margin"`
	Source     nlp.RouteSource          `json:"source"`
	Scores     map[nlp.Persona]float64  `json:"scores"`
	Terms      map[nlp.Persona][]string `json:"terms,omitempty"`
}

func (a *app) nlpRoute(w http.ResponseWriter, r *http.Request) error {
	var req routeRequest
	if err := decodeJSON(r, &req); err != nil {
		return err
	}
	var opts *nlp.RouteOptions
	if req.Persona != "" {
		p, err := nlp.ParsePersona(req.Persona)
		if err != nil {
			return err
		}
		opts = &nlp.RouteOptions{Override: p}
	}
	rt, err := a.router.Route(r.Context(), req.Question, opts)
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, routeResponse{Persona: rt.Persona, Confidence: rt.Confidence, Margin: rt.Margin, Source: rt.Source, Scores: rt.Scores, Terms: rt.Terms})
}

type askRequest struct {
	Question  string `json:"question"`
	Persona   string `json:"persona,omitempty"`
	AllScopes bool   `json:"all_scopes,omitempty"`
}

func (a *app) nlpAsk(w http.ResponseWriter, r *http.Request) error {
	var req askRequest
	if err := decodeJSON(r, &req); err != nil {
		return err
	}
	opts := &nlp.AskOptions{AllScopes: req.AllScopes}
	if req.Persona != "" {
		p, err := nlp.ParsePersona(req.Persona)
		if err != nil {
			return err
		}
		opts.Persona = p
	}
	ans, err := a.gateway.Ask(r.Context(), req.Question, opts)
	if err != nil {
		return err
	}
	a.recordLLMUsage(r.Context(), ans)
	return writeJSON(w, http.StatusOK, ans)
}

func mappingKey(r *http.Request) repair.MappingKey {
	return repair.MappingKey{Connection: r.PathValue("connection"), Object: r.PathValue("object")}
}

func (a *app) getMapping(w http.ResponseWriter, r *http.Request) error {
	v, err := a.registry.Current(r.Context(), mappingKey(r))
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, v)
}

func (a *app) mappingHistory(w http.ResponseWriter, r *http.Request) error {
	vs, err := a.registry.History(r.Context(), mappingKey(r))
	if err != nil {
		return err
	}
	if len(vs) == 0 {
		return repair.ErrNotFound
	}
	return writeJSON(w, http.StatusOK, map[string]any{"versions": vs})
}

func (a *app) proposeMapping(w http.ResponseWriter, r *http.Request) error {
	var sch drift.Schema
	if err := decodeJSON(r, &sch); err != nil {
		return err
	}
	sch.ConnectionID = r.PathValue("connection")
	sch.Object = r.PathValue("object")
	if len(sch.Fields) == 0 {
		return badRequest("fields: at least one field is needed")
	}
	res, err := a.matcher.Match(r.Context(), sch)
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, res)
}

func (a *app) approveMapping(w http.ResponseWriter, r *http.Request) error {
	tenant, err := tenancy.FromContext(r.Context())
	if err != nil {
		return err
	}
	who, err := actor(r)
	if err != nil {
		return err
	}
	v, err := a.mesh.ApproveMapping(r.Context(), tenant, r.PathValue("connection"), r.PathValue("object"), who)
	if err != nil {
		return err
	}
	a.onMappingChanged(r.Context(), tenant, r.PathValue("connection"), r.PathValue("object"))
	return writeJSON(w, http.StatusOK, v)
}

func (a *app) listReviews(w http.ResponseWriter, r *http.Request) error {
	q := r.URL.Query()
	f := repair.ReviewFilter{
		Status:     repair.ReviewStatus(q.Get("status")),
		Connection: q.Get("connection"),
		Object:     q.Get("object"),
	}
	limit, err := limitParam(r, 0) // 0: the registry's default
	if err != nil {
		return err
	}
	f.Limit = limit
	items, err := a.registry.Reviews(r.Context(), f)
	if err != nil {
		return err
	}
	if items == nil {
		items = []repair.ReviewItem{}
	}
	return writeJSON(w, http.StatusOK, map[string]any{"items": items})
}

func (a *app) getReview(w http.ResponseWriter, r *http.Request) error {
	item, err := a.registry.Review(r.Context(), r.PathValue("id"))
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, item)
}

type approveRequest struct {
	To     string `json:"to,omitempty"`
	Target string `json:"target,omitempty"`
	Unmap  bool   `json:"unmap,omitempty"`
	Note   string `json:"note,omitempty"`
}

type rejectRequest struct {
	Note string `json:"note,omitempty"`
}

// decodeOptional decodes a JSON body when there is one.
func decodeOptional(r *http.Request, v any) error {
	if r.ContentLength == 0 {
		return nil
	}
	return decodeJSON(r, v)
}

func actor(r *http.Request) (string, error) {
	p, err := authn.PrincipalFromContext(r.Context())
	if err != nil {
		return "", err
	}
	return p.Email, nil
}

func (a *app) approveReview(w http.ResponseWriter, r *http.Request) error {
	var req approveRequest
	if err := decodeOptional(r, &req); err != nil {
		return err
	}
	who, err := actor(r)
	if err != nil {
		return err
	}
	id := r.PathValue("id")
	var item repair.ReviewItem
	if req != (approveRequest{}) {
		item, err = a.registry.ApproveEdited(r.Context(), id, who, repair.Edit{To: req.To, Target: req.Target, Unmap: req.Unmap, Note: req.Note})
	} else {
		item, err = a.registry.Approve(r.Context(), id, who)
	}
	if err != nil {
		return err
	}
	a.emit(r.Context(), item.Tenant, "review.approved", item)
	a.onMappingChanged(r.Context(), item.Tenant, item.Key.Connection, item.Key.Object)
	return writeJSON(w, http.StatusOK, item)
}

func (a *app) rejectReview(w http.ResponseWriter, r *http.Request) error {
	var req rejectRequest
	if err := decodeOptional(r, &req); err != nil {
		return err
	}
	who, err := actor(r)
	if err != nil {
		return err
	}
	item, err := a.registry.Reject(r.Context(), r.PathValue("id"), who, req.Note)
	if err != nil {
		return err
	}
	a.emit(r.Context(), item.Tenant, "review.rejected", item)
	return writeJSON(w, http.StatusOK, item)
}
