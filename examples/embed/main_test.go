package main

import (
	"bufio"
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

var dataDir = filepath.Join("..", "data")

func newTestServer(t *testing.T) *httptest.Server {
	t.Helper()
	svc, err := newService(context.Background(), dataDir, slog.New(slog.DiscardHandler))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if err := svc.Close(); err != nil {
			t.Errorf("Close: %v", err)
		}
	})
	srv := httptest.NewServer(svc.Handler())
	t.Cleanup(srv.Close)
	return srv
}

func getJSON(t *testing.T, resp *http.Response, err error, wantStatus int, out any) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != wantStatus {
		t.Fatalf("status %d, want %d: %s", resp.StatusCode, wantStatus, body)
	}
	if err := json.Unmarshal(body, out); err != nil {
		t.Fatalf("%v: %s", err, body)
	}
}

func TestService(t *testing.T) {
	srv := newTestServer(t)

	t.Run("accounts", func(t *testing.T) {
		var all struct{ Accounts []account }
		resp, err := http.Get(srv.URL + "/accounts")
		getJSON(t, resp, err, http.StatusOK, &all)
		byDomain := map[string]account{}
		total := int64(0)
		for _, a := range all.Accounts {
			byDomain[a.Domain] = a
			total += a.Records
		}
		// 24 CRM accounts + 25 billing customers + 16 legacy customers.
		if total != 65 {
			t.Errorf("unified accounts hold %d records, want 65", total)
		}
		if a := byDomain["acme.com"]; a.Records != 2 || strings.Join(a.Sources, ",") != "crm,legacy" {
			t.Errorf("acme.com = %+v, want 2 records from crm and legacy", a)
		}
		var merged struct{ Accounts []account }
		resp, err = http.Get(srv.URL + "/accounts?min_records=3")
		getJSON(t, resp, err, http.StatusOK, &merged)
		if len(merged.Accounts) == 0 || len(merged.Accounts) >= len(all.Accounts) {
			t.Fatalf("min_records=3 kept %d of %d accounts", len(merged.Accounts), len(all.Accounts))
		}
		for _, a := range merged.Accounts {
			if a.Records < 3 || len(a.Sources) != 3 {
				t.Errorf("min_records=3 returned %+v", a)
			}
		}
		for _, bad := range []string{"0", "3%20OR%201%3D1", "x"} {
			var prob struct{ Status int }
			resp, err = http.Get(srv.URL + "/accounts?min_records=" + bad)
			getJSON(t, resp, err, http.StatusBadRequest, &prob)
		}
	})

	t.Run("match", func(t *testing.T) {
		body := `{"system":"erp","object":"kunden","fields":[
			{"name":"firma","type":"string","samples":["Acme GmbH","Globex AG"]},
			{"name":"land","type":"string","samples":["DE","FR"]},
			{"name":"interne_notiz","type":"string","samples":["call back"]}]}`
		var res struct {
			Entity string
			Fields []matchField
		}
		resp, err := http.Post(srv.URL+"/match", "application/json", strings.NewReader(body))
		getJSON(t, resp, err, http.StatusOK, &res)
		if res.Entity != "account" || len(res.Fields) != 3 {
			t.Fatalf("match = %+v", res)
		}
		want := map[string]string{"firma": "account.name", "land": "account.country", "interne_notiz": ""}
		for _, f := range res.Fields {
			got := ""
			if f.Target != nil {
				got = *f.Target
			}
			if got != want[f.Source] {
				t.Errorf("%s -> %q, want %q", f.Source, got, want[f.Source])
			}
		}
	})

	t.Run("bad input", func(t *testing.T) {
		for name, tc := range map[string]struct {
			body   string
			status int
			detail string
		}{
			"not json":    {`{"fields":`, 400, "not a schema"},
			"no fields":   {`{"object":"x","fields":[]}`, 400, "no fields"},
			"dup field":   {`{"object":"x","fields":[{"name":"a","type":"string"},{"name":"a","type":"string"}]}`, 400, "invalid schema"},
			"unknown key": {`{"object":"x","colums":[]}`, 400, "colums"},
			"too big":     {`{"object":"` + strings.Repeat("x", maxBody) + `"}`, 413, "larger"},
		} {
			t.Run(name, func(t *testing.T) {
				var p struct {
					Status int
					Detail string
				}
				resp, err := http.Post(srv.URL+"/match", "application/json", strings.NewReader(tc.body))
				getJSON(t, resp, err, tc.status, &p)
				if p.Status != tc.status || !strings.Contains(p.Detail, tc.detail) {
					t.Errorf("problem %+v, want status %d and detail with %q", p, tc.status, tc.detail)
				}
			})
		}
		resp, err := http.Get(srv.URL + "/match")
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != http.StatusMethodNotAllowed {
			t.Errorf("GET /match: status %d", resp.StatusCode)
		}
	})
}

// TestRun starts the command on a free port, asks it for the accounts
// and stops it.
func TestRun(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	pr, pw := io.Pipe()
	errc := make(chan error, 1)
	go func() {
		errc <- run(ctx, pw, []string{"-addr", "127.0.0.1:0"}) // the embedded data
		pw.Close()
	}()
	sc := bufio.NewScanner(pr)
	var url string
	for sc.Scan() {
		if rest, ok := strings.CutPrefix(sc.Text(), "listening on "); ok {
			url, _, _ = strings.Cut(rest, " ")
			break
		}
	}
	if url == "" {
		t.Fatalf("no listening line; run: %v", <-errc)
	}
	go io.Copy(io.Discard, pr)
	var out struct{ Accounts []account }
	resp, err := http.Get(url + "/accounts")
	getJSON(t, resp, err, http.StatusOK, &out)
	if len(out.Accounts) < 10 {
		t.Errorf("%d accounts", len(out.Accounts))
	}
	cancel()
	select {
	case err := <-errc:
		if err != nil {
			t.Errorf("run after cancel: %v", err)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("run did not stop after cancel")
	}
}
