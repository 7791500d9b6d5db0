package aam

import (
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"sync"
)

// Factory opens a connector of one kind from its JSON configuration. It
// returns an error matching [ErrInvalidConfig] (a [*ConfigError]) when
// the configuration is wrong. Opening should not reach the source:
// [Connector.Check] does that.
type Factory func(cfg json.RawMessage) (Connector, error)

// Registry maps connector kinds ("file", "postgres") to their factories.
// It is safe for concurrent use; the zero value is an empty registry.
// Most programs use the package-level [Register] and [Open], which use
// [DefaultRegistry], and connector packages register themselves there
// when imported, as database/sql drivers do.
type Registry struct {
	mu    sync.RWMutex
	kinds map[string]Factory
}

// DefaultRegistry is the registry of [Register], [Open] and [Kinds].
var DefaultRegistry = &Registry{}

// Register adds a connector kind. It panics when kind is empty, f is
// nil or kind is already registered: these are programming errors met
// at init time, as with sql.Register.
func (r *Registry) Register(kind string, f Factory) {
	if kind == "" || f == nil {
		panic("aam: Register of an empty kind or a nil factory")
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	if _, dup := r.kinds[kind]; dup {
		panic("aam: Register called twice for kind " + strconv.Quote(kind))
	}
	if r.kinds == nil {
		r.kinds = make(map[string]Factory)
	}
	r.kinds[kind] = f
}

// Open opens a connector of kind with its JSON configuration. An empty
// cfg means the JSON object {}. It returns an error matching
// [ErrUnknownKind] for an unregistered kind, and [ErrInvalidConfig] for a
// configuration that is not a JSON object or that the factory rejects.
func (r *Registry) Open(kind string, cfg json.RawMessage) (Connector, error) {
	r.mu.RLock()
	f := r.kinds[kind]
	r.mu.RUnlock()
	if f == nil {
		return nil, fmt.Errorf("%w %q (registered: %v)", ErrUnknownKind, kind, r.Kinds())
	}
	if len(cfg) == 0 {
		cfg = json.RawMessage("{}")
	}
	var probe map[string]json.RawMessage
	if err := json.Unmarshal(cfg, &probe); err != nil || probe == nil {
		return nil, &ConfigError{Kind: kind, Reason: "not a JSON object", Err: err}
	}
	c, err := f(cfg)
	if err != nil {
		if !errors.Is(err, ErrInvalidConfig) {
			return nil, &ConfigError{Kind: kind, Reason: "rejected", Err: err}
		}
		return nil, err
	}
	if c == nil {
		return nil, fmt.Errorf("aam: factory of kind %q returned no connector", kind)
	}
	return c, nil
}

// Kinds returns the registered kinds, sorted.
func (r *Registry) Kinds() []string {
	r.mu.RLock()
	defer r.mu.RUnlock()
	ks := make([]string, 0, len(r.kinds))
	for k := range r.kinds {
		ks = append(ks, k)
	}
	slices.Sort(ks)
	return ks
}

// Register adds a connector kind to [DefaultRegistry]; see
// [Registry.Register].
func Register(kind string, f Factory) { DefaultRegistry.Register(kind, f) }

// Open opens a connector from [DefaultRegistry]; see [Registry.Open].
func Open(kind string, cfg json.RawMessage) (Connector, error) {
	return DefaultRegistry.Open(kind, cfg)
}

// Kinds returns the kinds of [DefaultRegistry].
func Kinds() []string { return DefaultRegistry.Kinds() }
