package graphstore

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"maps"
	"math"
	"slices"
	"strings"
	"time"
	"unicode/utf8"
)

// NodeKind is the kind of a [Node]. The kinds below are the ones the DCL
// builds; other non-empty kinds are stored as they are.
type NodeKind string

// The node kinds of the DCL graph.
const (
	// KindSource is a source connection (Salesforce, a CSV directory, ...).
	KindSource NodeKind = "source"
	// KindObject is an object, table or file of a source.
	KindObject NodeKind = "object"
	// KindEntity is an entity of the canonical ontology.
	KindEntity NodeKind = "entity"
	// KindView is a unified view of one entity across sources.
	KindView NodeKind = "view"
	// KindAgent is a configured consumer of views (RevOps, FinOps).
	KindAgent NodeKind = "agent"
)

// EdgeKind is the kind of an [Edge]. The kinds below are the ones the DCL
// builds; other non-empty kinds are stored as they are.
type EdgeKind string

// The edge kinds of the DCL graph.
const (
	// EdgeContains links a source to one of its objects.
	EdgeContains EdgeKind = "contains"
	// EdgeMapsTo links an object to the entity it is mapped onto; it
	// carries the mapping confidence.
	EdgeMapsTo EdgeKind = "maps_to"
	// EdgeUnifiedIn links an entity to its unified view.
	EdgeUnifiedIn EdgeKind = "unified_in"
	// EdgeFeeds links a view to an agent that reads it.
	EdgeFeeds EdgeKind = "feeds"
	// EdgeReferences links an entity to one it refers to
	// (contact.account_id -> account).
	EdgeReferences EdgeKind = "references"
)

// Graph is the state of one tenant's graph of sources, objects, entities,
// views and agents.
//
// Version is managed by the [Store]: it is 0 for a graph never saved, and
// each successful save stores Version+1. Save a graph with the Version you
// loaded it at; a stale Version fails with a [*VersionConflictError].
//
// A Graph is a plain value. A Store never keeps or hands out a pointer
// that the caller also holds: Save copies its argument and Load returns a
// fresh copy. A Graph is not safe for concurrent mutation.
type Graph struct {
	// Version counts the saves of this tenant's graph; 0 when never saved.
	Version int64 `json:"version"`
	// DemoVersion is the version of the demo layout the graph was seeded
	// from, or 0 when it is not a demo graph.
	DemoVersion int `json:"demo_version"`
	// DemoDigest is the [Graph.Digest] of the demo as it was seeded. When
	// the content no longer has this digest, a user changed the graph and
	// seeding never overwrites it. Empty for graphs that are not demos.
	DemoDigest string `json:"demo_digest,omitempty"`
	// UpdatedAt is when the graph was last saved, in UTC; set by the Store.
	UpdatedAt time.Time `json:"updated_at"`
	// Nodes are the graph's nodes; IDs are unique.
	Nodes []Node `json:"nodes"`
	// Edges are the graph's edges; both ends name nodes of the graph and
	// (From, To, Kind) is unique.
	Edges []Edge `json:"edges"`
}

// Node is a vertex of a [Graph].
type Node struct {
	// ID is unique within the graph, e.g. "source:salesforce".
	ID string `json:"id"`
	// Kind says what the node stands for.
	Kind NodeKind `json:"kind"`
	// Label is the name shown to people.
	Label string `json:"label"`
	// Attributes hold extra facts as text (system, row counts, ...).
	Attributes map[string]string `json:"attributes,omitempty"`
}

// Edge is a directed link of a [Graph].
type Edge struct {
	// From is the ID of the node the edge leaves.
	From string `json:"from"`
	// To is the ID of the node the edge reaches.
	To string `json:"to"`
	// Kind says what the link means.
	Kind EdgeKind `json:"kind"`
	// Confidence is the mapping confidence in [0, 1]; 0 when it does not
	// apply.
	Confidence float64 `json:"confidence"`
	// RowCount is the number of rows that flow along the edge; 0 when
	// unknown.
	RowCount int64 `json:"row_count"`
	// Attributes hold extra facts as text.
	Attributes map[string]string `json:"attributes,omitempty"`
}

// Limits on the parts of a graph, checked by [Graph.Validate].
const (
	MaxIDLength    = 256
	MaxKindLength  = 64
	MaxLabelLength = 1024
	MaxAttrKey     = 256
	MaxAttrValue   = 8192
)

// Clone returns a deep copy of g. Clone of nil is nil.
func (g *Graph) Clone() *Graph {
	if g == nil {
		return nil
	}
	c := *g
	c.Nodes = make([]Node, len(g.Nodes))
	for i, n := range g.Nodes {
		n.Attributes = cloneAttrs(n.Attributes)
		c.Nodes[i] = n
	}
	c.Edges = make([]Edge, len(g.Edges))
	for i, e := range g.Edges {
		e.Attributes = cloneAttrs(e.Attributes)
		c.Edges[i] = e
	}
	return &c
}

func cloneAttrs(m map[string]string) map[string]string {
	if len(m) == 0 {
		return nil
	}
	return maps.Clone(m)
}

// Node returns the node with the given id and whether it exists.
func (g *Graph) Node(id string) (Node, bool) {
	for _, n := range g.Nodes {
		if n.ID == id {
			return n, true
		}
	}
	return Node{}, false
}

// CountKind returns how many nodes of kind k the graph has.
func (g *Graph) CountKind(k NodeKind) int {
	c := 0
	for _, n := range g.Nodes {
		if n.Kind == k {
			c++
		}
	}
	return c
}

// Validate checks g's structure and returns an [*InvalidGraphError]
// naming the first problem found, or nil. It does not look at Version,
// DemoVersion or UpdatedAt beyond rejecting negative numbers.
func (g *Graph) Validate() error {
	if g == nil {
		return &InvalidGraphError{Path: "graph", Reason: "is nil"}
	}
	if g.Version < 0 {
		return &InvalidGraphError{Path: "version", Reason: fmt.Sprintf("is negative (%d)", g.Version)}
	}
	if g.DemoVersion < 0 {
		return &InvalidGraphError{Path: "demo_version", Reason: fmt.Sprintf("is negative (%d)", g.DemoVersion)}
	}
	ids := make(map[string]struct{}, len(g.Nodes))
	for i, n := range g.Nodes {
		p := loc{"nodes", i}.path // formatted only when there is something to report
		if r := checkText(n.ID, MaxIDLength, true); r != "" {
			return &InvalidGraphError{Path: p(".id"), Reason: r}
		}
		if _, dup := ids[n.ID]; dup {
			return &InvalidGraphError{Path: p(".id"), Reason: fmt.Sprintf("duplicate node id %q", clip(n.ID))}
		}
		ids[n.ID] = struct{}{}
		if r := checkText(string(n.Kind), MaxKindLength, true); r != "" {
			return &InvalidGraphError{Path: p(".kind"), Reason: r}
		}
		if r := checkText(n.Label, MaxLabelLength, false); r != "" {
			return &InvalidGraphError{Path: p(".label"), Reason: r}
		}
		if err := checkAttrs(p, n.Attributes); err != nil {
			return err
		}
	}
	type edgeKey struct {
		from, to string
		kind     EdgeKind
	}
	seen := make(map[edgeKey]struct{}, len(g.Edges))
	for i, e := range g.Edges {
		p := loc{"edges", i}.path
		if _, ok := ids[e.From]; !ok {
			return &InvalidGraphError{Path: p(".from"), Reason: fmt.Sprintf("names no node of the graph (%q)", clip(e.From))}
		}
		if _, ok := ids[e.To]; !ok {
			return &InvalidGraphError{Path: p(".to"), Reason: fmt.Sprintf("names no node of the graph (%q)", clip(e.To))}
		}
		if r := checkText(string(e.Kind), MaxKindLength, true); r != "" {
			return &InvalidGraphError{Path: p(".kind"), Reason: r}
		}
		k := edgeKey{e.From, e.To, e.Kind}
		if _, dup := seen[k]; dup {
			return &InvalidGraphError{Path: p(""), Reason: fmt.Sprintf("duplicate edge %s -[%s]-> %s", clip(e.From), clip(string(e.Kind)), clip(e.To))}
		}
		seen[k] = struct{}{}
		if math.IsNaN(e.Confidence) || e.Confidence < 0 || e.Confidence > 1 {
			return &InvalidGraphError{Path: p(".confidence"), Reason: fmt.Sprintf("must be in [0, 1], is %v", e.Confidence)}
		}
		if e.RowCount < 0 {
			return &InvalidGraphError{Path: p(".row_count"), Reason: fmt.Sprintf("is negative (%d)", e.RowCount)}
		}
		if err := checkAttrs(p, e.Attributes); err != nil {
			return err
		}
	}
	return nil
}

// loc locates an element of a graph's node or edge list.
type loc struct {
	list string
	i    int
}

func (l loc) path(field string) string { return fmt.Sprintf("%s[%d]%s", l.list, l.i, field) }

// checkText returns why s is not acceptable, or "".
func checkText(s string, max int, required bool) string {
	switch {
	case required && strings.TrimSpace(s) == "":
		return "is empty"
	case len(s) > max:
		return fmt.Sprintf("is %d bytes long, the limit is %d", len(s), max)
	case !utf8.ValidString(s):
		return "is not valid UTF-8"
	}
	return ""
}

// checkAttrs checks an attribute map; on a problem it reports the first
// bad key in sorted order, so the error does not depend on map order.
func checkAttrs(path func(string) string, m map[string]string) error {
	bad := false
	for k, v := range m {
		if checkText(k, MaxAttrKey, true) != "" || checkText(v, MaxAttrValue, false) != "" {
			bad = true
			break
		}
	}
	if !bad {
		return nil
	}
	for _, k := range slices.Sorted(maps.Keys(m)) {
		if r := checkText(k, MaxAttrKey, true); r != "" {
			return &InvalidGraphError{Path: path(".attributes"), Reason: fmt.Sprintf("key %q %s", clip(k), r)}
		}
		if r := checkText(m[k], MaxAttrValue, false); r != "" {
			return &InvalidGraphError{Path: path(fmt.Sprintf(".attributes[%q]", clip(k))), Reason: r}
		}
	}
	return nil
}

func clip(s string) string {
	if len(s) > 64 {
		return s[:64] + "..."
	}
	return s
}

// normalize puts g in the form a round trip through JSON gives back:
// non-nil node and edge slices, nil for empty attribute maps, UpdatedAt in
// UTC without a monotonic reading.
func (g *Graph) normalize() {
	if g.Nodes == nil {
		g.Nodes = []Node{}
	}
	if g.Edges == nil {
		g.Edges = []Edge{}
	}
	for i := range g.Nodes {
		if len(g.Nodes[i].Attributes) == 0 {
			g.Nodes[i].Attributes = nil
		}
	}
	for i := range g.Edges {
		if len(g.Edges[i].Attributes) == 0 {
			g.Edges[i].Attributes = nil
		}
	}
	g.UpdatedAt = g.UpdatedAt.Round(0).UTC()
}

// Digest returns a fingerprint of g's content: its nodes and edges, in any
// order. Version, DemoVersion, DemoDigest and UpdatedAt do not count. Two
// graphs with the same nodes and edges have the same digest.
func (g *Graph) Digest() string {
	nodes := slices.Clone(g.Nodes)
	slices.SortFunc(nodes, func(a, b Node) int { return strings.Compare(a.ID, b.ID) })
	edges := slices.Clone(g.Edges)
	slices.SortFunc(edges, func(a, b Edge) int {
		if c := strings.Compare(a.From, b.From); c != 0 {
			return c
		}
		if c := strings.Compare(a.To, b.To); c != 0 {
			return c
		}
		return strings.Compare(string(a.Kind), string(b.Kind))
	})
	for i := range nodes {
		if len(nodes[i].Attributes) == 0 {
			nodes[i].Attributes = nil
		}
	}
	for i := range edges {
		if len(edges[i].Attributes) == 0 {
			edges[i].Attributes = nil
		}
	}
	h := sha256.New()
	// encoding/json writes map keys sorted, so the encoding is canonical.
	enc := json.NewEncoder(h)
	_ = enc.Encode(nodes) // cannot fail: plain strings, numbers and maps
	_ = enc.Encode(edges)
	return "sha256:" + hex.EncodeToString(h.Sum(nil))
}

// IsPristineDemo reports whether g is a demo graph nobody has changed: it
// has a DemoVersion and its content still has the digest it was seeded
// with. A demo graph without a DemoDigest (written by another system) is
// not pristine, since nothing proves it unchanged.
func (g *Graph) IsPristineDemo() bool {
	return g.DemoVersion > 0 && g.DemoDigest != "" && g.DemoDigest == g.Digest()
}
