package main

import (
	"html/template"
	"net/http"
	"strings"
)

// docsPage renders the route table (the same one /openapi.json is built
// from) as a plain HTML page: no script, no CDN.
var docsPage = template.Must(template.New("docs").Parse(`<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>AutonomOS hostd API</title>
<style>
body{font-family:system-ui,sans-serif;margin:2rem;max-width:72rem}
table{border-collapse:collapse;width:100%}
td,th{border-bottom:1px solid #ddd;padding:.4rem .6rem;text-align:left;vertical-align:top}
code{font-size:.95em}
.m{font-weight:bold;font-family:monospace}
</style></head><body>
<h1>AutonomOS hostd API (v1)</h1>
<p>Machine-readable: <a href="/openapi.json">/openapi.json</a> (OpenAPI 3.1). Errors are RFC 9457 problem details
(<code>application/problem+json</code>). Routes marked "bearer" need <code>Authorization: Bearer &lt;token&gt;</code>
from <code>POST /api/v1/auth/login</code>; a resource of another tenant answers 404.</p>
<table><thead><tr><th>Method</th><th>Path</th><th>Auth</th><th>What it does</th><th>Body</th><th>Success</th></tr></thead><tbody>
{{range .}}<tr><td class="m">{{.Method}}</td><td><code>{{.Path}}</code></td><td>{{if .Auth}}bearer{{end}}</td><td>{{.Summary}}</td><td>{{.Body}}</td><td>{{.OK}}</td></tr>
{{end}}</tbody></table></body></html>
`))

type docsRow struct {
	Method, Path, Summary, Body string
	Auth                        bool
	OK                          int
}

func (a *app) docs(w http.ResponseWriter, _ *http.Request) error {
	rows := make([]docsRow, 0, len(a.routes))
	for _, rt := range a.routes {
		rows = append(rows, docsRow{Method: rt.method, Path: rt.path, Summary: rt.summary, Body: rt.body, Auth: rt.auth, OK: rt.ok})
	}
	var b strings.Builder
	if err := docsPage.Execute(&b, rows); err != nil {
		return err
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.Header().Set("Content-Security-Policy", "default-src 'none'; style-src 'unsafe-inline'")
	_, _ = w.Write([]byte(b.String()))
	return nil
}
