package main

import (
	"encoding/json"
	"fmt"
	"net/http"
	"slices"
	"strconv"
	"sync"
	"time"
)

// fakeAPI is a stand-in for a SaaS CRM's REST API ("Pipewise"), served
// in-process so that the example needs no network. It lists its objects
// at GET /v1/objects and pages through one at
// GET /v1/objects/{object}/records?after=N&limit=M, where records carry
// a sequence number ("seq") that only grows, like an autoincrement id or
// an event offset. Every request needs "Authorization: Bearer <token>".
//
// A fakeAPI is safe for concurrent use.
type fakeAPI struct {
	token string
	mux   *http.ServeMux
	mu    sync.RWMutex
	data  map[string][]map[string]any
}

// newFakeAPI returns an API holding the demo companies and deals.
func newFakeAPI(token string) *fakeAPI {
	a := &fakeAPI{token: token, mux: http.NewServeMux(), data: map[string][]map[string]any{}}
	a.mux.HandleFunc("GET /v1/objects", a.objects)
	a.mux.HandleFunc("GET /v1/objects/{object}/records", a.records)
	a.addCompanies(12)
	a.addDeals(20)
	return a
}

var (
	demoCompanies = []struct{ name, domain, country string }{
		{"Acme Corporation", "acme.com", "US"}, {"Globex", "globex.com", "US"},
		{"Initech", "initech.io", "US"}, {"Umbrella Health", "umbrella-health.de", "DE"},
		{"Stark Logistics", "starklogistics.co.uk", "GB"}, {"Hooli", "hooli.com", "US"},
		{"Tyrell Robotics", "tyrell.ai", "JP"}, {"Soylent Foods", "soylentfoods.fr", "FR"},
		{"Pied Piper", "piedpiper.com", "US"}, {"Zorg Industries", "zorg.fr", "FR"},
		{"Monarch Solutions", "monarch-solutions.nl", "NL"}, {"Blue Sun Energy", "bluesun.energy", "CA"},
	}
	demoStages = []string{"discovery", "demo", "proposal", "negotiation", "won", "lost"}
)

// addCompanies appends n companies, cycling through the demo names.
func (a *fakeAPI) addCompanies(n int) {
	a.mu.Lock()
	defer a.mu.Unlock()
	for range n {
		seq := len(a.data["companies"]) + 1
		c := demoCompanies[(seq-1)%len(demoCompanies)]
		name, domain := c.name, c.domain
		if seq > len(demoCompanies) { // later pages: new companies
			name, domain = fmt.Sprintf("%s %d", c.name, seq), fmt.Sprintf("%d.%s", seq, c.domain)
		}
		a.data["companies"] = append(a.data["companies"], map[string]any{
			"seq": seq, "company_id": fmt.Sprintf("cmp_%04d", seq), "company_name": name,
			"website": "https://" + domain, "country_code": c.country,
			"headcount": 40 * seq, "updated": time.Date(2025, 6, 1, 8, seq%60, 0, 0, time.UTC).Format(time.RFC3339),
		})
	}
}

// addDeals appends n deals on the companies.
func (a *fakeAPI) addDeals(n int) {
	a.mu.Lock()
	defer a.mu.Unlock()
	for range n {
		seq := len(a.data["deals"]) + 1
		a.data["deals"] = append(a.data["deals"], map[string]any{
			"seq": seq, "deal_id": fmt.Sprintf("deal_%04d", seq),
			"company_id": fmt.Sprintf("cmp_%04d", (seq-1)%len(demoCompanies)+1),
			"deal_name":  fmt.Sprintf("Deal %d", seq), "stage": demoStages[seq%len(demoStages)],
			"value": fmt.Sprintf("%d.00", 5000*seq), "currency": "USD",
			"expected_close": time.Date(2025, time.Month(seq%12+1), 15, 0, 0, 0, 0, time.UTC).Format("2006-01-02"),
		})
	}
}

// add appends n records to object.
func (a *fakeAPI) add(object string, n int) {
	switch object {
	case "companies":
		a.addCompanies(n)
	case "deals":
		a.addDeals(n)
	}
}

// ServeHTTP answers the API's two routes.
func (a *fakeAPI) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if r.Header.Get("Authorization") != "Bearer "+a.token {
		writeJSON(w, http.StatusUnauthorized, map[string]string{"error": "invalid token"})
		return
	}
	a.mux.ServeHTTP(w, r)
}

func (a *fakeAPI) objects(w http.ResponseWriter, _ *http.Request) {
	a.mu.RLock()
	defer a.mu.RUnlock()
	var names []string
	for n := range a.data {
		names = append(names, n)
	}
	slices.Sort(names)
	writeJSON(w, http.StatusOK, map[string]any{"objects": names})
}

func (a *fakeAPI) records(w http.ResponseWriter, r *http.Request) {
	after, err1 := strconv.Atoi(r.URL.Query().Get("after"))
	limit, err2 := strconv.Atoi(r.URL.Query().Get("limit"))
	if err1 != nil || err2 != nil || after < 0 || limit < 1 || limit > 500 {
		writeJSON(w, http.StatusBadRequest, map[string]string{"error": "after must be >= 0 and limit in 1..500"})
		return
	}
	a.mu.RLock()
	defer a.mu.RUnlock()
	recs, ok := a.data[r.PathValue("object")]
	if !ok {
		writeJSON(w, http.StatusNotFound, map[string]string{"error": "no such object"})
		return
	}
	page := []map[string]any{}
	for _, rec := range recs { // ordered by seq
		if rec["seq"].(int) > after && len(page) < limit {
			page = append(page, rec)
		}
	}
	writeJSON(w, http.StatusOK, map[string]any{"records": page})
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(v)
}
