package main

import (
	"bytes"
	"compress/gzip"
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"testing"

	"github.com/autonomos/autonomos/graphstore"
)

// getGraphWith sends GET /api/v1/graph with extra headers.
func getGraphWith(t *testing.T, a *app, token string, hdr map[string]string) *httptest.ResponseRecorder {
	t.Helper()
	req := httptest.NewRequest("GET", "/api/v1/graph", nil)
	req.Header.Set("Authorization", "Bearer "+token)
	for k, v := range hdr {
		req.Header.Set(k, v)
	}
	rec := httptest.NewRecorder()
	a.handler.ServeHTTP(rec, req)
	return rec
}

// TestGraphRepresentations: the graph comes gzipped to clients that take
// gzip and plain to the others, the same JSON either way, each with its
// own ETag and a Content-Length; each ETag revalidates its own
// representation, and a save gives both new ones.
func TestGraphRepresentations(t *testing.T) {
	a := newTestApp(t, nil)
	token := login(t, a, DemoEmail, a.demoPassword)

	plain := getGraphWith(t, a, token, nil)
	if plain.Code != http.StatusOK || plain.Header().Get("Content-Encoding") != "" {
		t.Fatalf("plain GET: %d, Content-Encoding %q", plain.Code, plain.Header().Get("Content-Encoding"))
	}
	if cl := plain.Header().Get("Content-Length"); cl != strconv.Itoa(plain.Body.Len()) {
		t.Errorf("plain Content-Length %q, body %d bytes", cl, plain.Body.Len())
	}
	zipped := getGraphWith(t, a, token, map[string]string{"Accept-Encoding": "br;q=1.0, gzip;q=0.8"})
	if zipped.Code != http.StatusOK || zipped.Header().Get("Content-Encoding") != "gzip" {
		t.Fatalf("gzip GET: %d, Content-Encoding %q", zipped.Code, zipped.Header().Get("Content-Encoding"))
	}
	if cl := zipped.Header().Get("Content-Length"); cl != strconv.Itoa(zipped.Body.Len()) {
		t.Errorf("gzip Content-Length %q, body %d bytes", cl, zipped.Body.Len())
	}
	if zipped.Body.Len() >= plain.Body.Len() {
		t.Errorf("gzip body %d bytes, plain %d", zipped.Body.Len(), plain.Body.Len())
	}
	zr, err := gzip.NewReader(bytes.NewReader(zipped.Body.Bytes()))
	if err != nil {
		t.Fatal(err)
	}
	unzipped, err := io.ReadAll(zr)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(unzipped, plain.Body.Bytes()) {
		t.Fatalf("gzip body decompresses to %.200s, want %.200s", unzipped, plain.Body.Bytes())
	}
	for _, r := range []*httptest.ResponseRecorder{plain, zipped} {
		if r.Header().Get("Vary") != "Accept-Encoding" || r.Header().Get("Content-Type") != "application/json" {
			t.Errorf("Vary %q, Content-Type %q", r.Header().Get("Vary"), r.Header().Get("Content-Type"))
		}
	}
	pTag, zTag := plain.Header().Get("ETag"), zipped.Header().Get("ETag")
	if pTag == "" || zTag == "" || pTag == zTag {
		t.Fatalf("ETags %q (plain) and %q (gzip): want two different ones", pTag, zTag)
	}

	for _, tc := range []struct {
		name string
		hdr  map[string]string
		want int
	}{
		{"plain tag, plain", map[string]string{"If-None-Match": pTag}, http.StatusNotModified},
		{"weak plain tag in a list", map[string]string{"If-None-Match": `"other", W/` + pTag}, http.StatusNotModified},
		{"gzip tag, gzip", map[string]string{"If-None-Match": zTag, "Accept-Encoding": "gzip"}, http.StatusNotModified},
		{"gzip tag, plain", map[string]string{"If-None-Match": zTag}, http.StatusOK},
		{"plain tag, gzip", map[string]string{"If-None-Match": pTag, "Accept-Encoding": "gzip"}, http.StatusOK},
		{"star", map[string]string{"If-None-Match": "*"}, http.StatusNotModified},
	} {
		if r := getGraphWith(t, a, token, tc.hdr); r.Code != tc.want {
			t.Errorf("%s: %d, want %d", tc.name, r.Code, tc.want)
		} else if r.Code == http.StatusNotModified && r.Body.Len() != 0 {
			t.Errorf("%s: 304 with a body of %d bytes", tc.name, r.Body.Len())
		}
	}

	if _, err := a.graphs.Update(context.Background(), a.demoTenant, func(g *graphstore.Graph) error {
		g.Nodes[0].Label = "Renamed for the cache test"
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	after := getGraphWith(t, a, token, map[string]string{"If-None-Match": zTag, "Accept-Encoding": "gzip"})
	if after.Code != http.StatusOK || after.Header().Get("ETag") == zTag {
		t.Fatalf("after a save: %d, ETag %q (was %q)", after.Code, after.Header().Get("ETag"), zTag)
	}
	zr, err = gzip.NewReader(bytes.NewReader(after.Body.Bytes()))
	if err != nil {
		t.Fatal(err)
	}
	if b, err := io.ReadAll(zr); err != nil || !strings.Contains(string(b), "Renamed for the cache test") {
		t.Fatalf("gzip body after a save lacks the change (%v)", err)
	}
}

func TestAcceptsGzip(t *testing.T) {
	for _, tc := range []struct {
		in   []string
		want bool
	}{
		{nil, false},
		{[]string{""}, false},
		{[]string{"gzip"}, true},
		{[]string{"GZIP"}, true},
		{[]string{"deflate, gzip;q=0.5"}, true},
		{[]string{"br", "gzip"}, true},
		{[]string{"*"}, true},
		{[]string{"gzip;q=0"}, false},
		{[]string{"gzip; q=0.000"}, false},
		{[]string{"gzip;q=bad"}, false},
		{[]string{"identity"}, false},
		{[]string{"x-gzip-not"}, false},
	} {
		if got := acceptsGzip(tc.in); got != tc.want {
			t.Errorf("acceptsGzip(%q) = %v, want %v", tc.in, got, tc.want)
		}
	}
}
