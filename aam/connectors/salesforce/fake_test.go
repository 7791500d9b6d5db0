package salesforce_test

import (
	"bytes"
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"encoding/json"
	"encoding/pem"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"
)

// The fake org's credentials.
const (
	fakeClientID     = "3MVG9fakeClientId"
	fakeClientSecret = "sfsecret-0123456789ABCDEF"
	fakeRefreshToken = "5Aep861fakeRefreshToken0123456789"
	fakeUsername     = "integration@example.com"
	fakeVersion      = "v62.0"
)

// fakeOrg is an httptest server that speaks the parts of Salesforce's
// token endpoint and REST API the connector uses, with the documented
// JSON shapes, over data read from testdata: sobjects.json,
// describe/<Object>.json and records/<Object>.json. It parses the SOQL
// the connector writes (and refuses other SOQL with MALFORMED_QUERY),
// pages by the Sforce-Query-Options batch size with nextRecordsUrl, can
// expire its tokens and can refuse requests with REQUEST_LIMIT_EXCEEDED
// or 503.
type fakeOrg struct {
	t   testing.TB
	srv *httptest.Server
	key *rsa.PrivateKey // the connected app's key; the fake verifies with its public half
	now func() time.Time

	mu        sync.Mutex
	sobjects  []byte
	describes map[string][]byte
	fields    map[string]map[string]bool
	records   map[string][]map[string]any
	tokens    map[string]bool
	issued    int
	grants    []string // grant types asked for, in order
	failures  []fakeFailure
	locators  map[string][]map[string]any
	nextLoc   int
	queries   []string
	requests  int
	echo      bool // echo the refresh token in token errors, as a careless server might
}

type fakeFailure struct {
	status     int
	code       string
	retryAfter string
}

var fakeKey = sync.OnceValue(func() *rsa.PrivateKey {
	k, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		panic(err)
	}
	return k
})

func fakeKeyPEM() string {
	return string(pem.EncodeToMemory(&pem.Block{Type: "RSA PRIVATE KEY", Bytes: x509.MarshalPKCS1PrivateKey(fakeKey())}))
}

func newFakeOrg(t testing.TB) *fakeOrg {
	t.Helper()
	f := &fakeOrg{
		t: t, key: fakeKey(), now: time.Now,
		describes: map[string][]byte{}, fields: map[string]map[string]bool{},
		records: map[string][]map[string]any{}, tokens: map[string]bool{}, locators: map[string][]map[string]any{},
	}
	var err error
	if f.sobjects, err = os.ReadFile("testdata/sobjects.json"); err != nil {
		t.Fatal(err)
	}
	paths, _ := filepath.Glob("testdata/describe/*.json")
	for _, p := range paths {
		name := strings.TrimSuffix(filepath.Base(p), ".json")
		b, err := os.ReadFile(p)
		if err != nil {
			t.Fatal(err)
		}
		f.describes[name] = b
		var d struct {
			Fields []struct {
				Name string `json:"name"`
			} `json:"fields"`
		}
		if err := json.Unmarshal(b, &d); err != nil {
			t.Fatalf("%s: %v", p, err)
		}
		f.fields[name] = map[string]bool{}
		for _, fl := range d.Fields {
			f.fields[name][fl.Name] = true
		}
		rb, err := os.ReadFile(filepath.Join("testdata", "records", name+".json"))
		if err != nil {
			t.Fatal(err)
		}
		var rs struct {
			Records []map[string]any `json:"records"`
		}
		dec := json.NewDecoder(bytes.NewReader(rb))
		dec.UseNumber()
		if err := dec.Decode(&rs); err != nil {
			t.Fatalf("records of %s: %v", name, err)
		}
		f.records[name] = rs.Records
	}
	mux := http.NewServeMux()
	mux.HandleFunc("POST /services/oauth2/token", f.token)
	mux.HandleFunc("GET /services/data/{version}/", f.api(f.resources))
	mux.HandleFunc("GET /services/data/{version}/sobjects/", f.api(f.sobjectList))
	mux.HandleFunc("GET /services/data/{version}/sobjects/{name}/describe", f.api(f.describe))
	mux.HandleFunc("GET /services/data/{version}/query", f.api(f.query))
	mux.HandleFunc("GET /services/data/{version}/query/{locator}", f.api(f.queryMore))
	f.srv = httptest.NewServer(mux)
	t.Cleanup(f.srv.Close)
	return f
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json;charset=UTF-8")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(v)
}

func sfErr(w http.ResponseWriter, status int, code, msg string) {
	writeJSON(w, status, []map[string]any{{"message": msg, "errorCode": code}})
}

// token implements the three OAuth flows.
func (f *fakeOrg) token(w http.ResponseWriter, r *http.Request) {
	if err := r.ParseForm(); err != nil {
		writeJSON(w, 400, map[string]string{"error": "invalid_request", "error_description": "bad form"})
		return
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	grant := r.PostForm.Get("grant_type")
	f.grants = append(f.grants, grant)
	refuse := func(code, desc string) {
		writeJSON(w, 400, map[string]string{"error": code, "error_description": desc})
	}
	switch grant {
	case "client_credentials":
		if r.PostForm.Get("client_id") != fakeClientID || r.PostForm.Get("client_secret") != fakeClientSecret {
			refuse("invalid_client", "invalid client credentials")
			return
		}
	case "refresh_token":
		if r.PostForm.Get("client_id") != fakeClientID || r.PostForm.Get("refresh_token") != fakeRefreshToken {
			desc := "expired access/refresh token"
			if f.echo {
				desc += ": " + r.PostForm.Get("refresh_token")
			}
			refuse("invalid_grant", desc)
			return
		}
	case "urn:ietf:params:oauth:grant-type:jwt-bearer":
		claims := jwt.MapClaims{}
		_, err := jwt.ParseWithClaims(r.PostForm.Get("assertion"), claims, func(*jwt.Token) (any, error) {
			return &f.key.PublicKey, nil
		}, jwt.WithValidMethods([]string{"RS256"}), jwt.WithTimeFunc(f.now), jwt.WithExpirationRequired())
		if err != nil {
			refuse("invalid_grant", "invalid assertion")
			return
		}
		aud, _ := claims["aud"].(string) // Salesforce documents aud as a string
		if claims["iss"] != fakeClientID || claims["sub"] != fakeUsername || aud != f.srv.URL {
			refuse("invalid_grant", "audience, issuer or subject not accepted")
			return
		}
		exp, _ := claims.GetExpirationTime()
		if exp == nil || exp.Sub(f.now()) > 5*time.Minute {
			refuse("invalid_grant", "assertion lives too long")
			return
		}
	default:
		refuse("unsupported_grant_type", "grant type not supported")
		return
	}
	f.issued++
	tok := fmt.Sprintf("00DFAKE!AQ%04d.accessToken", f.issued)
	f.tokens[tok] = true
	writeJSON(w, 200, map[string]string{
		"access_token": tok, "instance_url": f.srv.URL,
		"id":         f.srv.URL + "/id/00DFAKE000000001/005FAKE000000001",
		"token_type": "Bearer", "issued_at": strconv.FormatInt(f.now().UnixMilli(), 10), "signature": "c2lnbmF0dXJl",
	})
}

// api checks the bearer token and the injected failures, then serves.
func (f *fakeOrg) api(h http.HandlerFunc) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		f.mu.Lock()
		f.requests++
		tok, ok := strings.CutPrefix(r.Header.Get("Authorization"), "Bearer ")
		if !ok || !f.tokens[tok] {
			f.mu.Unlock()
			sfErr(w, 401, "INVALID_SESSION_ID", "Session expired or invalid")
			return
		}
		if len(f.failures) > 0 {
			fl := f.failures[0]
			f.failures = f.failures[1:]
			f.mu.Unlock()
			if fl.retryAfter != "" {
				w.Header().Set("Retry-After", fl.retryAfter)
			}
			if fl.code == "" {
				http.Error(w, "Service Unavailable", fl.status)
				return
			}
			sfErr(w, fl.status, fl.code, "TotalRequests Limit exceeded.")
			return
		}
		f.mu.Unlock()
		if r.PathValue("version") != fakeVersion {
			sfErr(w, 404, "NOT_FOUND", "The requested resource does not exist")
			return
		}
		h(w, r)
	}
}

// expireTokens makes every issued token invalid, as a session timeout does.
func (f *fakeOrg) expireTokens() {
	f.mu.Lock()
	clear(f.tokens)
	f.mu.Unlock()
}

// expireLocators forgets every query locator, as Salesforce does after
// about 15 minutes.
func (f *fakeOrg) expireLocators() {
	f.mu.Lock()
	clear(f.locators)
	f.mu.Unlock()
}

// fail queues failures for the next API requests.
func (f *fakeOrg) fail(fs ...fakeFailure) {
	f.mu.Lock()
	f.failures = append(f.failures, fs...)
	f.mu.Unlock()
}

func (f *fakeOrg) resources(w http.ResponseWriter, r *http.Request) {
	v := "/services/data/" + fakeVersion
	writeJSON(w, 200, map[string]string{"sobjects": v + "/sobjects", "query": v + "/query", "limits": v + "/limits"})
}

func (f *fakeOrg) sobjectList(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Content-Type", "application/json;charset=UTF-8")
	_, _ = w.Write(f.sobjects)
}

func (f *fakeOrg) describe(w http.ResponseWriter, r *http.Request) {
	f.mu.Lock()
	b, ok := f.describes[r.PathValue("name")]
	f.mu.Unlock()
	if !ok {
		sfErr(w, 404, "NOT_FOUND", "The requested resource does not exist")
		return
	}
	w.Header().Set("Content-Type", "application/json;charset=UTF-8")
	_, _ = w.Write(b)
}

// soqlRE matches the SOQL the connector writes, and nothing else.
var soqlRE = regexp.MustCompile(`^SELECT ([A-Za-z0-9_., ]+) FROM ([A-Za-z0-9_]+)` +
	`(?: WHERE SystemModstamp > (\S+) OR \(SystemModstamp = (\S+) AND Id > '([A-Za-z0-9]+)'\)| WHERE Id > '([A-Za-z0-9]+)')?` +
	` ORDER BY (SystemModstamp, Id|Id)$`)

// modstamp returns a record's SystemModstamp; the zero time when it
// has none or an unreadable one (which sorts it first, as a broken
// record the connector must report).
func modstamp(r map[string]any) time.Time {
	s, _ := r["SystemModstamp"].(string)
	ts, _ := time.Parse("2006-01-02T15:04:05.000-0700", s)
	return ts
}

func (f *fakeOrg) query(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query().Get("q")
	m := soqlRE.FindStringSubmatch(q)
	if m == nil {
		sfErr(w, 400, "MALFORMED_QUERY", "unexpected token in query")
		return
	}
	obj := m[2]
	f.mu.Lock()
	defer f.mu.Unlock()
	f.queries = append(f.queries, q)
	known, ok := f.fields[obj]
	if !ok {
		sfErr(w, 400, "INVALID_TYPE", "sObject type '"+obj+"' is not supported.")
		return
	}
	fields := strings.Split(m[1], ", ")
	for _, fl := range fields {
		if head, _, _ := strings.Cut(fl, "."); !known[fl] && !known[head+"Id"] {
			writeJSON(w, 400, []map[string]any{{"message": "No such column '" + fl + "' on entity '" + obj + "'", "errorCode": "INVALID_FIELD", "fields": []string{fl}}})
			return
		}
	}
	var after time.Time
	if m[3] != "" {
		var err error
		if after, err = time.Parse("2006-01-02T15:04:05.000Z", m[3]); err != nil || m[3] != m[4] {
			sfErr(w, 400, "MALFORMED_QUERY", "invalid datetime literal")
			return
		}
	}
	afterID := m[5] + m[6]
	var rows []map[string]any
	for _, rec := range f.records[obj] {
		ts, id := modstamp(rec), rec["Id"].(string)
		switch {
		case m[3] != "" && !(ts.After(after) || ts.Equal(after) && id > afterID):
			continue
		case m[6] != "" && id <= afterID:
			continue
		}
		out := map[string]any{"attributes": rec["attributes"]}
		for _, fl := range fields {
			head, _, _ := strings.Cut(fl, ".")
			out[head] = rec[head]
		}
		rows = append(rows, out)
	}
	slices.SortFunc(rows, func(a, b map[string]any) int {
		if m[7] == "SystemModstamp, Id" {
			if c := modstamp(a).Compare(modstamp(b)); c != 0 {
				return c
			}
		}
		return strings.Compare(a["Id"].(string), b["Id"].(string))
	})
	size := 2000
	if opt, ok := strings.CutPrefix(r.Header.Get("Sforce-Query-Options"), "batchSize="); ok {
		if n, err := strconv.Atoi(opt); err == nil && n > 0 {
			size = n
		}
	}
	f.nextLoc++
	loc := fmt.Sprintf("01gFAKE%05d", f.nextLoc)
	f.locators[loc] = rows
	f.page(w, loc, 0, size)
}

// page writes the page of locator loc at offset off; f.mu is held.
func (f *fakeOrg) page(w http.ResponseWriter, loc string, off, size int) {
	rows := f.locators[loc]
	end := min(off+size, len(rows))
	res := map[string]any{"totalSize": len(rows), "done": end == len(rows), "records": rows[off:end]}
	if end < len(rows) {
		res["nextRecordsUrl"] = fmt.Sprintf("/services/data/%s/query/%s-%d", fakeVersion, loc, end)
	}
	writeJSON(w, 200, res)
}

func (f *fakeOrg) queryMore(w http.ResponseWriter, r *http.Request) {
	loc, offText, ok := strings.Cut(r.PathValue("locator"), "-")
	off, err := strconv.Atoi(offText)
	f.mu.Lock()
	defer f.mu.Unlock()
	if _, known := f.locators[loc]; !ok || err != nil || !known || off > len(f.locators[loc]) {
		sfErr(w, 400, "INVALID_QUERY_LOCATOR", "invalid query locator")
		return
	}
	size := 2000
	if opt, ok := strings.CutPrefix(r.Header.Get("Sforce-Query-Options"), "batchSize="); ok {
		if n, err := strconv.Atoi(opt); err == nil && n > 0 {
			size = n
		}
	}
	f.page(w, loc, off, size)
}

// add appends n new Account records, modified after all the others.
func (f *fakeOrg) addAccounts(n int) {
	f.mu.Lock()
	defer f.mu.Unlock()
	for i := range n {
		id := fmt.Sprintf("001Dn00000New%02dIAV", len(f.records["Account"])+i)
		f.records["Account"] = append(f.records["Account"], map[string]any{
			"attributes": map[string]any{"type": "Account", "url": "/services/data/v62.0/sobjects/Account/" + id},
			"Id":         id, "IsDeleted": false, "Name": fmt.Sprintf("New Account %d", i),
			"SystemModstamp": fmt.Sprintf("2025-06-01T00:00:0%d.000+0000", i), "NumberOfEmployees": json.Number("5"),
			"CreatedDate": "2025-06-01T00:00:00.000+0000", "OwnerId": "005Dn000001AbCdIAB",
		})
	}
}

func (f *fakeOrg) stats() (requests int, grants []string, queries []string) {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.requests, slices.Clone(f.grants), slices.Clone(f.queries)
}
