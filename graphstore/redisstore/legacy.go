package redisstore

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/autonomos/autonomos/graphstore"
)

// decode reads a stored value: this package's format, or the one the
// system this replaces wrote at the same key (see the package doc).
func decode(b []byte) (*graphstore.Graph, error) {
	var g *graphstore.Graph
	err := json.Unmarshal(b, &g)
	if err == nil && g == nil {
		return nil, fmt.Errorf("%w: the value is JSON null", graphstore.ErrCorrupt)
	}
	if err == nil && !looksLegacy(g) {
		if g.Nodes == nil {
			g.Nodes = []graphstore.Node{}
		}
		if g.Edges == nil {
			g.Edges = []graphstore.Edge{}
		}
		return g, nil
	}
	lg, lerr := decodeLegacy(b)
	if lerr != nil {
		if err == nil {
			err = lerr
		}
		return nil, fmt.Errorf("%w: %v", graphstore.ErrCorrupt, err)
	}
	return lg, nil
}

// looksLegacy reports whether a value decoded as this package's format
// is in fact the old one: the old format names a node's kind "type" and an
// edge's ends "source" and "target", so those fields come out empty.
func looksLegacy(g *graphstore.Graph) bool {
	for _, n := range g.Nodes {
		if n.Kind == "" {
			return true
		}
	}
	for _, e := range g.Edges {
		if e.From == "" || e.To == "" {
			return true
		}
	}
	return false
}

// legacyKinds maps node types of the old format onto node kinds.
var legacyKinds = map[string]graphstore.NodeKind{
	"ontology": graphstore.KindEntity,
}

// decodeLegacy converts the old format: nodes {id, label, type, ...},
// edges {source, target, type|edgeType, ...}, "last_updated", and a
// "demo_version" string such as "v3.0".
func decodeLegacy(b []byte) (*graphstore.Graph, error) {
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.UseNumber()
	var raw map[string]any
	if err := dec.Decode(&raw); err != nil {
		return nil, err
	}
	if raw == nil {
		return nil, errors.New("the value is JSON null")
	}
	g := &graphstore.Graph{Nodes: []graphstore.Node{}, Edges: []graphstore.Edge{}}
	if v, ok := raw["version"].(json.Number); ok {
		if n, err := v.Int64(); err == nil && n >= 0 {
			g.Version = n
		}
	}
	g.DemoVersion = legacyDemoVersion(raw["demo_version"])
	for _, k := range []string{"updated_at", "last_updated"} {
		if s, ok := raw[k].(string); ok {
			if t, err := time.Parse(time.RFC3339Nano, s); err == nil {
				g.UpdatedAt = t.UTC()
				break
			}
		}
	}
	nodes, _ := raw["nodes"].([]any)
	for i, v := range nodes {
		m, ok := v.(map[string]any)
		if !ok {
			return nil, fmt.Errorf("nodes[%d] is not an object", i)
		}
		n := graphstore.Node{ID: text(m["id"]), Label: text(m["label"])}
		kind := text(m["kind"])
		if kind == "" {
			kind = text(m["type"])
		}
		if k, ok := legacyKinds[kind]; ok {
			n.Kind = k
		} else {
			n.Kind = graphstore.NodeKind(kind)
		}
		n.Attributes = attributes(m, "id", "label", "kind", "type")
		g.Nodes = append(g.Nodes, n)
	}
	edges, _ := raw["edges"].([]any)
	for i, v := range edges {
		m, ok := v.(map[string]any)
		if !ok {
			return nil, fmt.Errorf("edges[%d] is not an object", i)
		}
		e := graphstore.Edge{From: first(m, "from", "source"), To: first(m, "to", "target")}
		e.Kind = graphstore.EdgeKind(first(m, "kind", "edgeType", "type"))
		if e.Kind == "" {
			e.Kind = "dataflow"
		}
		if c, ok := m["confidence"].(json.Number); ok {
			if f, err := c.Float64(); err == nil && f >= 0 && f <= 1 {
				e.Confidence = f
			}
		}
		for _, k := range []string{"row_count", "rowCount"} {
			if c, ok := m[k].(json.Number); ok {
				if n, err := c.Int64(); err == nil && n >= 0 {
					e.RowCount = n
					break
				}
			}
		}
		e.Attributes = attributes(m, "from", "source", "to", "target", "kind", "edgeType", "type", "confidence", "row_count", "rowCount")
		g.Edges = append(g.Edges, e)
	}
	// The old system counted every graph with a demo_version as an
	// unchanged demo (a user-authored graph had none). Keep its rule for
	// its graphs: record the content as the demo's, so that seeding can
	// upgrade it.
	if g.DemoVersion > 0 {
		if s, ok := raw["demo_digest"].(string); ok {
			g.DemoDigest = s
		} else {
			g.DemoDigest = g.Digest()
		}
	}
	return g, nil
}

// legacyDemoVersion reads a demo version: a number, or a string such as
// "v3.0", "3.1" or "3", whose major number counts. Anything else is 0 (not
// a demo).
func legacyDemoVersion(v any) int {
	switch x := v.(type) {
	case json.Number:
		if n, err := x.Int64(); err == nil && n > 0 && n < 1<<31 {
			return int(n)
		}
	case string:
		s := strings.TrimPrefix(strings.TrimPrefix(strings.TrimSpace(x), "v"), "V")
		if i := strings.IndexByte(s, '.'); i >= 0 {
			s = s[:i]
		}
		if n, err := strconv.Atoi(s); err == nil && n > 0 {
			return n
		}
	}
	return 0
}

// first returns the text of the first of keys present in m.
func first(m map[string]any, keys ...string) string {
	for _, k := range keys {
		if s := text(m[k]); s != "" {
			return s
		}
	}
	return ""
}

// text renders a JSON scalar as text; "" for null or absent.
func text(v any) string {
	switch x := v.(type) {
	case nil:
		return ""
	case string:
		return x
	case json.Number:
		return x.String()
	case bool:
		return strconv.FormatBool(x)
	}
	b, _ := json.Marshal(v) // arrays and objects: their JSON
	return string(b)
}

// attributes gathers m's "attributes" object and every other field not in
// skip into one text map; nil when there are none.
func attributes(m map[string]any, skip ...string) map[string]string {
	out := map[string]string{}
	if a, ok := m["attributes"].(map[string]any); ok {
		for k, v := range a {
			out[k] = text(v)
		}
	}
	for _, k := range slices.Sorted(maps.Keys(m)) {
		if k == "attributes" || slices.Contains(skip, k) || m[k] == nil {
			continue
		}
		if _, taken := out[k]; !taken {
			out[k] = text(m[k])
		}
	}
	if len(out) == 0 {
		return nil
	}
	return out
}
