package airbyte_test

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"
)

const (
	fakeToken = "eyJhbGciOiJSUzI1NiJ9.fake-airbyte-token.c2ln"
	fakeBase  = "/api/public" // a self-managed deployment's public API root
)

// fakeAirbyte is an httptest server that answers GET /v1/connections
// and GET /v1/jobs of Airbyte's public API with its documented JSON
// shapes ({"next", "previous", "data"}), over testdata/connections.json
// and testdata/jobs.json: bearer auth, limit/offset paging with next as
// a full URL, the workspaceIds, connectionId, jobType and updatedAtStart
// filters and orderBy=updatedAt|ASC (stable among equal times, in file
// order, so the client must order ties itself).
type fakeAirbyte struct {
	t   testing.TB
	srv *httptest.Server

	mu          sync.Mutex
	connections []map[string]any
	jobs        []map[string]any
	failures    []int
	requests    []string
}

func newFakeAirbyte(t testing.TB) *fakeAirbyte {
	t.Helper()
	f := &fakeAirbyte{t: t}
	for name, dst := range map[string]*[]map[string]any{"connections": &f.connections, "jobs": &f.jobs} {
		b, err := os.ReadFile("testdata/" + name + ".json")
		if err != nil {
			t.Fatal(err)
		}
		var p struct {
			Data []map[string]any `json:"data"`
		}
		dec := json.NewDecoder(bytes.NewReader(b))
		dec.UseNumber()
		if err := dec.Decode(&p); err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		*dst = p.Data
	}
	mux := http.NewServeMux()
	mux.HandleFunc("GET "+fakeBase+"/v1/connections", f.auth(f.listConnections))
	mux.HandleFunc("GET "+fakeBase+"/v1/jobs", f.auth(f.listJobs))
	f.srv = httptest.NewServer(mux)
	t.Cleanup(f.srv.Close)
	return f
}

func (f *fakeAirbyte) url() string { return f.srv.URL + fakeBase }

func problem(w http.ResponseWriter, status int, title, detail string) {
	w.Header().Set("Content-Type", "application/problem+json")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(map[string]any{
		"type": "https://reference.airbyte.com/reference/errors", "title": title, "status": status, "detail": detail,
	})
}

func (f *fakeAirbyte) auth(h func(http.ResponseWriter, *http.Request)) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		f.mu.Lock()
		f.requests = append(f.requests, r.URL.RequestURI())
		var fail int
		if len(f.failures) > 0 {
			fail, f.failures = f.failures[0], f.failures[1:]
		}
		f.mu.Unlock()
		if r.Header.Get("Authorization") != "Bearer "+fakeToken {
			problem(w, 401, "unauthorized", "The request was not authorized: "+r.Header.Get("Authorization"))
			return
		}
		if fail != 0 {
			w.Header().Set("Retry-After", "0")
			problem(w, fail, "rate-limited", "try again")
			return
		}
		h(w, r)
	}
}

func (f *fakeAirbyte) fail(statuses ...int) {
	f.mu.Lock()
	f.failures = append(f.failures, statuses...)
	f.mu.Unlock()
}

// page writes items[offset:offset+limit] with next and previous.
func (f *fakeAirbyte) page(w http.ResponseWriter, r *http.Request, items []map[string]any) {
	q := r.URL.Query()
	limit, offset := 20, 0 // the API's defaults
	if v := q.Get("limit"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 || n > 100 {
			problem(w, 400, "bad-request", "limit must be within 1..100")
			return
		}
		limit = n
	}
	if v := q.Get("offset"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 0 {
			problem(w, 400, "bad-request", "offset must not be negative")
			return
		}
		offset = n
	}
	end := min(offset+limit, len(items))
	start := min(offset, len(items))
	res := map[string]any{"data": items[start:end]}
	link := func(off int) string {
		q2 := url.Values{}
		for k, v := range q {
			q2[k] = v
		}
		q2.Set("offset", strconv.Itoa(off))
		return f.srv.URL + r.URL.Path + "?" + q2.Encode()
	}
	if end-start == limit { // Airbyte links a next page whenever a page is full
		res["next"] = link(end)
	}
	if offset > 0 {
		res["previous"] = link(max(0, offset-limit))
	}
	w.Header().Set("Content-Type", "application/json")
	_ = json.NewEncoder(w).Encode(res)
}

func (f *fakeAirbyte) listConnections(w http.ResponseWriter, r *http.Request) {
	ws := r.URL.Query().Get("workspaceIds")
	f.mu.Lock()
	var items []map[string]any
	for _, c := range f.connections {
		if ws == "" || slices.Contains(strings.Split(ws, ","), c["workspaceId"].(string)) {
			items = append(items, c)
		}
	}
	f.mu.Unlock()
	f.page(w, r, items)
}

func (f *fakeAirbyte) listJobs(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	var start time.Time
	if v := q.Get("updatedAtStart"); v != "" {
		var err error
		if start, err = time.Parse(time.RFC3339, v); err != nil {
			problem(w, 400, "bad-request", "updatedAtStart is not a date-time")
			return
		}
	}
	switch q.Get("orderBy") {
	case "", "updatedAt|ASC":
	default:
		problem(w, 400, "bad-request", "unsupported orderBy in this fake")
		return
	}
	f.mu.Lock()
	var items []map[string]any
	for _, j := range f.jobs {
		upd, err := time.Parse(time.RFC3339, j["lastUpdatedAt"].(string))
		if err != nil {
			f.t.Errorf("fake: %v", err)
		}
		switch {
		case q.Get("jobType") != "" && j["jobType"] != q.Get("jobType"):
		case q.Get("connectionId") != "" && j["connectionId"] != q.Get("connectionId"):
		case !start.IsZero() && upd.Before(start):
		default:
			items = append(items, j)
		}
	}
	f.mu.Unlock()
	slices.SortStableFunc(items, func(a, b map[string]any) int {
		return strings.Compare(a["lastUpdatedAt"].(string), b["lastUpdatedAt"].(string))
	})
	f.page(w, r, items)
}

// addConnections adds n connections created after all the others.
func (f *fakeAirbyte) addConnections(n int) {
	f.mu.Lock()
	defer f.mu.Unlock()
	for range n {
		k := len(f.connections)
		f.connections = append(f.connections, map[string]any{
			"connectionId": fmt.Sprintf("%08x-2222-4222-8333-%012x", k, k), "name": fmt.Sprintf("New connection %d", k),
			"sourceId": "00000000-0000-4000-8000-000000000001", "destinationId": "00000000-0000-4000-8000-000000000002",
			"workspaceId": "9f1d2c3b-4a5e-4f60-8a7b-1c2d3e4f5a6b", "status": "active",
			"schedule": map[string]any{"scheduleType": "manual"}, "createdAt": json.Number(strconv.Itoa(1800000000 + k)),
		})
	}
}

// updateJob changes a job's status and last update time, as a running
// job that finishes.
func (f *fakeAirbyte) updateJob(id int64, status, updated string) {
	f.mu.Lock()
	defer f.mu.Unlock()
	for _, j := range f.jobs {
		if j["jobId"] == json.Number(strconv.FormatInt(id, 10)) {
			j["status"], j["lastUpdatedAt"] = status, updated
			return
		}
	}
	f.t.Fatalf("fake: no job %d", id)
}

func (f *fakeAirbyte) requestLog() []string {
	f.mu.Lock()
	defer f.mu.Unlock()
	return slices.Clone(f.requests)
}
