package main

import (
	"crypto/sha256"
	"embed"
	"encoding/hex"
	"fmt"
	"io/fs"
	"mime"
	"net/http"
	"path"
	"strings"
	"sync"
)

// consoleFiles are the web console's static files: one page, one script,
// one style sheet. They are embedded so that the binary serves them with
// nothing installed and nothing fetched from elsewhere at run time.
//
//go:embed console/index.html console/app.js console/style.css
var consoleFiles embed.FS

// consolePolicy is the Content-Security-Policy of every console response:
// only the console's own files may load and only hostd may be called, so an
// injected string can neither run script nor send the session token away.
// The page has no inline script or style; the script styles the graph
// through classes and SVG attributes only.
const consolePolicy = "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; " +
	"connect-src 'self'; object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'"

// consoleAsset is one embedded file ready to serve.
type consoleAsset struct {
	body        []byte
	contentType string
	etag        string
}

// consoleAssets returns the embedded files by name ("index.html"), read
// once.
var consoleAssets = sync.OnceValues(func() (map[string]consoleAsset, error) {
	m := map[string]consoleAsset{}
	err := fs.WalkDir(consoleFiles, "console", func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		b, err := consoleFiles.ReadFile(p)
		if err != nil {
			return err
		}
		sum := sha256.Sum256(b)
		ct := mime.TypeByExtension(path.Ext(p))
		if ct == "" {
			ct = "application/octet-stream"
		}
		m[path.Base(p)] = consoleAsset{body: b, contentType: ct, etag: `"` + hex.EncodeToString(sum[:12]) + `"`}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("embedded console files: %w", err)
	}
	return m, nil
})

// consoleRoutes serve the web console: the page at "/" and its script and
// style sheet under /console/. The page talks to the API with the bearer
// token of a login, kept in the tab's sessionStorage; it needs nothing else.
func (a *app) consoleRoutes() []route {
	return []route{
		{method: "GET", path: "/", tag: "console", produces: "text/html", summary: "The web console: graph, connections, review queue and ask box (HTML; log in on the page).", ok: 200, handler: a.handle(a.consolePage)},
		{method: "GET", path: "/console/{file}", tag: "console", produces: "text/javascript", summary: "The console's script and style sheet (app.js, style.css).", ok: 200, errors: []int{404}, handler: a.handle(a.consoleFile)},
	}
}

func (a *app) consolePage(w http.ResponseWriter, r *http.Request) error {
	assets, err := consoleAssets()
	if err != nil {
		return err
	}
	serveConsoleAsset(w, r, assets["index.html"])
	return nil
}

func (a *app) consoleFile(w http.ResponseWriter, r *http.Request) error {
	assets, err := consoleAssets()
	if err != nil {
		return err
	}
	name := r.PathValue("file")
	asset, ok := assets[name]
	if !ok || name == "index.html" {
		return &httpError{Status: http.StatusNotFound, Detail: fmt.Sprintf("the console has no file %q (it has app.js and style.css)", name)}
	}
	serveConsoleAsset(w, r, asset)
	return nil
}

// serveConsoleAsset writes f with the console's security headers. The
// files change only with the binary, so a client revalidates with the
// content's ETag and mostly gets 304.
func serveConsoleAsset(w http.ResponseWriter, r *http.Request, f consoleAsset) {
	h := w.Header()
	h.Set("Content-Security-Policy", consolePolicy)
	h.Set("X-Content-Type-Options", "nosniff")
	h.Set("X-Frame-Options", "DENY")
	h.Set("Referrer-Policy", "no-referrer")
	h.Set("Cache-Control", "no-cache")
	h.Set("ETag", f.etag)
	if inm := r.Header.Get("If-None-Match"); inm != "" && etagMatches(inm, f.etag) {
		w.WriteHeader(http.StatusNotModified)
		return
	}
	h.Set("Content-Type", f.contentType)
	_, _ = w.Write(f.body)
}

// etagMatches reports whether an If-None-Match header names etag (or is
// "*"); weak tags match too, as RFC 9110 asks for If-None-Match.
func etagMatches(header, etag string) bool {
	for _, t := range strings.Split(header, ",") {
		t = strings.TrimPrefix(strings.TrimSpace(t), "W/")
		if t == "*" || t == etag {
			return true
		}
	}
	return false
}
