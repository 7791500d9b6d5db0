package main

import (
	"encoding"
	"encoding/json"
	"net/http"
	"reflect"
	"regexp"
	"strconv"
	"strings"

	"github.com/google/uuid"
	"github.com/invopop/jsonschema"
	"github.com/shopspring/decimal"

	"github.com/autonomos/autonomos/aam/mesh"
	"github.com/autonomos/autonomos/tenancy"
)

// schemaOf reflects v's Go type into an inline JSON Schema (2020-12, the
// dialect of OpenAPI 3.1), or a plain object schema when v is nil.
func schemaOf(v any) any {
	if v == nil {
		return map[string]any{"type": "object"}
	}
	r := &jsonschema.Reflector{
		Anonymous:                 true,
		DoNotReference:            true,
		AllowAdditionalProperties: true,
		Mapper: func(t reflect.Type) *jsonschema.Schema {
			switch t {
			case reflect.TypeFor[tenancy.ID](), reflect.TypeFor[uuid.UUID]():
				return &jsonschema.Schema{Type: "string", Format: "uuid"}
			case reflect.TypeFor[decimal.Decimal]():
				// shopspring's MarshalJSON writes a quoted decimal.
				return &jsonschema.Schema{Type: "string", Pattern: `^-?[0-9]+(\.[0-9]+)?$`, Description: "an exact decimal"}
			case reflect.TypeFor[json.RawMessage](), reflect.TypeFor[mesh.SourceConfig]():
				return &jsonschema.Schema{Type: "object", Description: "connector configuration; secrets are masked in responses"}
			}
			// encoding/json writes a non-struct TextMarshaler (an enum
			// such as drift.Severity) as a string.
			if t.Kind() != reflect.Struct && t.Implements(reflect.TypeFor[encoding.TextMarshaler]()) {
				return &jsonschema.Schema{Type: "string"}
			}
			return nil
		},
	}
	b, err := json.Marshal(r.Reflect(v))
	if err != nil {
		return map[string]any{"type": "object"}
	}
	var m map[string]any
	if err := json.Unmarshal(b, &m); err != nil {
		return map[string]any{"type": "object"}
	}
	delete(m, "$schema")
	delete(m, "$id")
	return m
}

var pathParam = regexp.MustCompile(`\{([a-zA-Z_][a-zA-Z0-9_]*)\}`)

// openAPI builds the OpenAPI 3.1 document from the route table, the same
// table the mux is built from.
func openAPI(routes []route) map[string]any {
	paths := map[string]any{}
	for _, rt := range routes {
		item, _ := paths[rt.path].(map[string]any)
		if item == nil {
			item = map[string]any{}
			paths[rt.path] = item
		}
		op := map[string]any{
			"operationId": operationID(rt),
			"summary":     rt.summary,
			"tags":        []string{rt.tag},
		}
		var params []any
		for _, m := range pathParam.FindAllStringSubmatch(rt.path, -1) {
			params = append(params, map[string]any{
				"name": m[1], "in": "path", "required": true, "schema": map[string]any{"type": "string"},
			})
		}
		if params != nil {
			op["parameters"] = params
		}
		if rt.body != "" {
			op["requestBody"] = map[string]any{
				"description": rt.body,
				"required":    !strings.HasPrefix(rt.body, "optional"),
				"content":     map[string]any{"application/json": map[string]any{"schema": schemaOf(rt.in)}},
			}
		}
		success := map[string]any{"description": http.StatusText(rt.ok)}
		switch {
		case rt.ok == http.StatusSwitchingProtocols || rt.ok == http.StatusNoContent:
		case rt.produces != "":
			success["content"] = map[string]any{rt.produces: map[string]any{"schema": map[string]any{"type": "string"}}}
		default:
			success["content"] = map[string]any{"application/json": map[string]any{"schema": schemaOf(rt.out)}}
		}
		responses := map[string]any{strconv.Itoa(rt.ok): success}
		errs := append([]int(nil), rt.errors...)
		if rt.auth {
			op["security"] = []any{map[string]any{"bearer": []string{}}}
			errs = append(errs, http.StatusUnauthorized, http.StatusTooManyRequests)
		}
		for _, code := range errs {
			responses[strconv.Itoa(code)] = map[string]any{"$ref": "#/components/responses/Problem"}
		}
		op["responses"] = responses
		item[strings.ToLower(rt.method)] = op
	}
	return map[string]any{
		"openapi": "3.1.0",
		"info": map[string]any{
			"title":   "AutonomOS hostd API",
			"version": "v1",
			"description": "The reference multi-tenant server of AutonomOS. Errors are RFC 9457 problem details; " +
				"a resource of another tenant answers 404.",
		},
		"paths": paths,
		"components": map[string]any{
			"securitySchemes": map[string]any{
				"bearer": map[string]any{"type": "http", "scheme": "bearer", "bearerFormat": "JWT"},
			},
			"schemas": map[string]any{
				"Problem": map[string]any{
					"type":     "object",
					"required": []string{"type", "title", "status"},
					"properties": map[string]any{
						"type":       map[string]any{"type": "string"},
						"title":      map[string]any{"type": "string"},
						"status":     map[string]any{"type": "integer"},
						"detail":     map[string]any{"type": "string"},
						"instance":   map[string]any{"type": "string"},
						"request_id": map[string]any{"type": "string"},
					},
				},
			},
			"responses": map[string]any{
				"Problem": map[string]any{
					"description": "An RFC 9457 problem details body.",
					"content": map[string]any{
						"application/problem+json": map[string]any{"schema": map[string]any{"$ref": "#/components/schemas/Problem"}},
					},
				},
			},
		},
	}
}

// operationID is a stable id such as "getApiV1MappingsConnectionObject".
func operationID(rt route) string {
	var b strings.Builder
	b.WriteString(strings.ToLower(rt.method))
	for _, part := range strings.FieldsFunc(rt.path, func(r rune) bool { return r == '/' || r == '{' || r == '}' || r == '.' || r == '_' }) {
		b.WriteString(strings.ToUpper(part[:1]) + part[1:])
	}
	return b.String()
}

func (a *app) openAPIJSON(w http.ResponseWriter, _ *http.Request) error {
	return writeJSON(w, http.StatusOK, openAPI(a.routes))
}
