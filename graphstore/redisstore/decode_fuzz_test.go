package redisstore

import (
	"encoding/json"
	"testing"

	"github.com/autonomos/autonomos/graphstore"
)

// FuzzDecode feeds arbitrary stored values to the decoder: it must never
// panic, and a value it accepts as a valid graph must survive a save and
// load unchanged.
func FuzzDecode(f *testing.F) {
	demo, _ := json.Marshal(graphstore.DemoGraph())
	for _, s := range []string{
		string(demo),
		`{"version":3,"nodes":[{"id":"a","kind":"source","label":"A","attributes":{"k":"v"}}],"edges":[]}`,
		`{"nodes":[{"id":"a","kind":"x"},{"id":"b","kind":"y"}],"edges":[{"from":"a","to":"b","kind":"k","confidence":0.5,"row_count":3}],"version":2}`,
		`{"nodes":[{"id":"s","label":"S","type":"source","fields":["a"]},{"id":"o","label":"O","type":"ontology"}],` +
			`"edges":[{"source":"s","target":"o","edgeType":"hierarchy","value":1}],"last_updated":"2025-11-17T00:00:00Z","demo_version":"v3.0"}`,
		`{"nodes":[{"id":1,"type":"x"}],"edges":[{"source":1,"target":1}],"demo_version":2}`,
		`null`, `[]`, `{}`, `"x"`, `{"version":"7"}`, `{"updated_at":"not a time"}`,
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		g, err := decode(b)
		if err != nil {
			return
		}
		_ = g.Digest()
		if g.Validate() != nil {
			return
		}
		out, err := json.Marshal(g)
		if err != nil {
			return // e.g. a time outside what JSON can carry
		}
		h, err := decode(out)
		if err != nil {
			t.Fatalf("re-decoding our own encoding failed: %v\n%s", err, out)
		}
		if h.Version != g.Version || h.DemoVersion != g.DemoVersion || h.Digest() != g.Digest() || !h.UpdatedAt.Equal(g.UpdatedAt) {
			t.Fatalf("round trip changed the graph:\n in: %s\nout: %s", b, out)
		}
	})
}
