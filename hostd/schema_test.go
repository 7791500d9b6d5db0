package main

import (
	"bytes"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"sync"
	"testing"

	"github.com/santhosh-tekuri/jsonschema/v6"
)

var compiledSchemas sync.Map // "pattern status" -> *jsonschema.Schema

// checkDocumented validates a successful JSON response against the schema
// the OpenAPI document gives for its route and status, so that the
// document describes what the routes really return. do calls it for every
// response of every test.
func checkDocumented(t *testing.T, a *app, method, path string, code int, contentType string, body []byte) {
	t.Helper()
	if code < 200 || code > 299 {
		return
	}
	if !strings.HasPrefix(contentType, "application/json") {
		checkMediaType(t, a, method, path, code, contentType)
		return
	}
	_, pattern := a.buildMux().Handler(httptest.NewRequest(method, path, nil))
	if pattern == "" {
		t.Fatalf("%s %s answered %d but matches no route", method, path, code)
	}
	key := pattern + " " + strconv.Itoa(code)
	var sch *jsonschema.Schema
	if v, ok := compiledSchemas.Load(key); ok {
		sch = v.(*jsonschema.Schema)
	} else {
		var rt *route
		for i := range a.routes {
			if a.routes[i].method+" "+a.routes[i].path == pattern {
				rt = &a.routes[i]
			}
		}
		if rt == nil {
			t.Fatalf("pattern %q is not in the route table", pattern)
		}
		if code != rt.ok {
			t.Fatalf("%s answered %d, documented success is %d", pattern, code, rt.ok)
		}
		raw, err := json.Marshal(schemaOf(rt.out))
		if err != nil {
			t.Fatal(err)
		}
		doc, err := jsonschema.UnmarshalJSON(bytes.NewReader(raw))
		if err != nil {
			t.Fatal(err)
		}
		c := jsonschema.NewCompiler()
		if err := c.AddResource("mem:///schema.json", doc); err != nil {
			t.Fatal(err)
		}
		if sch, err = c.Compile("mem:///schema.json"); err != nil {
			t.Fatalf("schema of %s: %v", pattern, err)
		}
		compiledSchemas.Store(key, sch)
	}
	inst, err := jsonschema.UnmarshalJSON(bytes.NewReader(body))
	if err != nil {
		t.Fatalf("%s %s: body is not JSON: %v", method, path, err)
	}
	if err := sch.Validate(inst); err != nil {
		t.Errorf("%s %s: response does not match its documented schema: %v", method, path, err)
	}
}

// checkMediaType checks that a success response that is not JSON has the
// media type its route documents (the console's files: any text type).
func checkMediaType(t *testing.T, a *app, method, path string, code int, contentType string) {
	t.Helper()
	_, pattern := a.buildMux().Handler(httptest.NewRequest(method, path, nil))
	for _, rt := range a.routes {
		if rt.method+" "+rt.path != pattern {
			continue
		}
		if code == http.StatusNoContent || code == http.StatusNotModified || code == http.StatusSwitchingProtocols {
			return
		}
		want := rt.produces
		if want == "" {
			t.Errorf("%s %s answered %q; its route documents application/json", method, path, contentType)
			return
		}
		if strings.HasPrefix(want, "text/") && rt.path == "/console/{file}" {
			want = "text/"
		}
		if !strings.HasPrefix(contentType, want) {
			t.Errorf("%s %s answered %q; its route documents %s", method, path, contentType, rt.produces)
		}
		return
	}
}
