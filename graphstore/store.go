package graphstore

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"time"

	"github.com/autonomos/autonomos/tenancy"
)

// Driver is what a backend implements; [Store] is what users program
// against. The Store validates arguments, checks tenants, copies graphs
// and tracks the closed state, so a driver only moves graphs.
//
// A driver must be safe for concurrent use. Tenants are always valid when
// the Store calls a driver.
type Driver interface {
	// Load returns the tenant's graph, which the caller then owns (the
	// driver keeps no reference to it), or an error wrapping ErrNotFound.
	Load(ctx context.Context, tenant tenancy.ID) (*Graph, error)

	// Save stores g, whose Version field is the new version, if and only
	// if the stored version is expected (0: no graph is stored, or a
	// stored graph carries version 0). The check and the write are one
	// atomic step. On a mismatch it returns a *VersionConflictError with
	// the stored version as Actual and stores nothing. The driver owns g
	// after the call.
	Save(ctx context.Context, tenant tenancy.ID, g *Graph, expected int64) error

	// Delete removes the tenant's graph, or returns an error wrapping
	// ErrNotFound when there is none.
	Delete(ctx context.Context, tenant tenancy.ID) error

	// Close releases the driver's resources. It is called once.
	Close() error
}

// SharedLoader is an optional capability of a [Driver] that keeps graphs
// in this process: LoadShared returns the stored graph itself, without a
// copy, for callers that only read it ([Store.LoadShared]). A driver that
// implements it must never change a graph once stored (a save replaces the
// stored pointer, it does not edit the graph), so that a graph handed out
// stays a consistent snapshot however long a reader holds it.
type SharedLoader interface {
	LoadShared(ctx context.Context, tenant tenancy.ID) (*Graph, error)
}

// Pinger is an optional capability of a [Driver]: Ping checks that the
// backend answers. The fallback driver uses it to notice that its primary
// is back.
type Pinger interface {
	Ping(ctx context.Context) error
}

// Config configures a [Store]. The zero value is ready to use.
type Config struct {
	// Clock gives the time stamped into UpdatedAt on save. Defaults to
	// time.Now.
	Clock func() time.Time
	// Logger receives debug messages. Defaults to slog.Default().
	Logger *slog.Logger
	// MaxNodes caps the nodes of a saved graph. Defaults to 100000.
	MaxNodes int
	// MaxEdges caps the edges of a saved graph. Defaults to 500000.
	MaxEdges int
	// MaxUpdateAttempts caps how often [Store.Update] and seeding retry
	// after a version conflict. Defaults to 10.
	MaxUpdateAttempts int
}

// WithDefaults returns a copy of c (which may be nil) with every zero
// field set to its default.
func (c *Config) WithDefaults() Config {
	var out Config
	if c != nil {
		out = *c
	}
	if out.Clock == nil {
		out.Clock = time.Now
	}
	if out.Logger == nil {
		out.Logger = slog.Default()
	}
	if out.MaxNodes == 0 {
		out.MaxNodes = 100000
	}
	if out.MaxEdges == 0 {
		out.MaxEdges = 500000
	}
	if out.MaxUpdateAttempts == 0 {
		out.MaxUpdateAttempts = 10
	}
	return out
}

func (c *Config) validate() error {
	switch {
	case c.MaxNodes < 0:
		return fmt.Errorf("graphstore: Config.MaxNodes is negative (%d)", c.MaxNodes)
	case c.MaxEdges < 0:
		return fmt.Errorf("graphstore: Config.MaxEdges is negative (%d)", c.MaxEdges)
	case c.MaxUpdateAttempts < 0:
		return fmt.Errorf("graphstore: Config.MaxUpdateAttempts is negative (%d)", c.MaxUpdateAttempts)
	}
	return nil
}

// Store keeps one graph per tenant on top of a [Driver]. It is safe for
// concurrent use. The Store owns its driver: Close closes it.
type Store struct {
	d   Driver
	cfg Config

	mu     sync.RWMutex // held for reading by calls in flight, for writing by Close
	closed bool
}

// New returns a Store over d. A nil cfg means defaults. It returns an
// error for a nil driver or an invalid configuration.
func New(d Driver, cfg *Config) (*Store, error) {
	if d == nil {
		return nil, errors.New("graphstore: New: driver is nil")
	}
	c := cfg.WithDefaults()
	if err := c.validate(); err != nil {
		return nil, err
	}
	return &Store{d: d, cfg: c}, nil
}

// begin checks the common preconditions of a call and, on success,
// returns with s.mu held for reading; the caller must call s.mu.RUnlock.
func (s *Store) begin(ctx context.Context, op string, tenant tenancy.ID) error {
	if err := tenant.Validate(); err != nil {
		return fmt.Errorf("graphstore: %s: %w", op, err)
	}
	if err := ctx.Err(); err != nil {
		return err
	}
	s.mu.RLock()
	if s.closed {
		s.mu.RUnlock()
		return ErrClosed
	}
	return nil
}

// Load returns the tenant's graph. The result is the caller's to change.
// It returns an error wrapping [ErrNotFound] when the tenant has none.
func (s *Store) Load(ctx context.Context, tenant tenancy.ID) (*Graph, error) {
	if err := s.begin(ctx, "load", tenant); err != nil {
		return nil, err
	}
	defer s.mu.RUnlock()
	g, err := s.d.Load(ctx, tenant)
	if err != nil {
		return nil, s.wrap("load", tenant, err)
	}
	if g == nil {
		return nil, fmt.Errorf("graphstore: load %s: driver returned no graph and no error", tenant)
	}
	return g, nil
}

// LoadShared returns the tenant's graph for reading only, without copying
// it when the driver is a [SharedLoader] (the in-memory driver), as Load
// otherwise. The result may be shared with other callers and with the
// driver: the caller must not change it or anything it reaches (nodes,
// edges, attribute maps); to change a graph, use [Store.Load] or
// [Store.Update]. It is a snapshot: later saves do not change it. Errors
// are those of Load.
//
// It is for hot read paths such as serving the graph over HTTP, where the
// copy Load makes is most of the cost.
func (s *Store) LoadShared(ctx context.Context, tenant tenancy.ID) (*Graph, error) {
	sl, ok := s.d.(SharedLoader)
	if !ok {
		return s.Load(ctx, tenant)
	}
	if err := s.begin(ctx, "load", tenant); err != nil {
		return nil, err
	}
	defer s.mu.RUnlock()
	g, err := sl.LoadShared(ctx, tenant)
	if err != nil {
		return nil, s.wrap("load", tenant, err)
	}
	if g == nil {
		return nil, fmt.Errorf("graphstore: load %s: driver returned no graph and no error", tenant)
	}
	return g, nil
}

// Save stores g as the tenant's graph and returns the stored copy, whose
// Version is g.Version+1 and whose UpdatedAt is now. g itself is not
// changed and not retained.
//
// g.Version must be the version the graph was loaded at, 0 for a tenant
// that has no graph yet. When another save came first, Save stores
// nothing and returns a [*VersionConflictError]. An invalid graph is
// refused with an [*InvalidGraphError].
func (s *Store) Save(ctx context.Context, tenant tenancy.ID, g *Graph) (*Graph, error) {
	if err := s.begin(ctx, "save", tenant); err != nil {
		return nil, err
	}
	defer s.mu.RUnlock()
	return s.save(ctx, tenant, g)
}

func (s *Store) save(ctx context.Context, tenant tenancy.ID, g *Graph) (*Graph, error) {
	if err := s.check(g); err != nil {
		return nil, fmt.Errorf("graphstore: save %s: %w", tenant, err)
	}
	c := g.Clone()
	expected := c.Version
	c.Version = expected + 1
	c.UpdatedAt = s.cfg.Clock()
	c.normalize()
	out := c.Clone() // the driver owns c
	if err := s.d.Save(ctx, tenant, c, expected); err != nil {
		return nil, s.wrap("save", tenant, err)
	}
	return out, nil
}

func (s *Store) check(g *Graph) error {
	if g == nil {
		return &InvalidGraphError{Path: "graph", Reason: "is nil"}
	}
	if len(g.Nodes) > s.cfg.MaxNodes {
		return &InvalidGraphError{Path: "nodes", Reason: fmt.Sprintf("has %d nodes, the limit is %d", len(g.Nodes), s.cfg.MaxNodes)}
	}
	if len(g.Edges) > s.cfg.MaxEdges {
		return &InvalidGraphError{Path: "edges", Reason: fmt.Sprintf("has %d edges, the limit is %d", len(g.Edges), s.cfg.MaxEdges)}
	}
	return g.Validate()
}

// Update loads the tenant's graph, calls fn on it and saves the result,
// retrying from a fresh load when another save came first (at most
// Config.MaxUpdateAttempts times). When the tenant has no graph, fn gets
// an empty one at version 0. fn may be called more than once and must
// only change the graph it is given; if it returns an error, Update
// returns that error and saves nothing.
func (s *Store) Update(ctx context.Context, tenant tenancy.ID, fn func(*Graph) error) (*Graph, error) {
	if fn == nil {
		return nil, errors.New("graphstore: update: fn is nil")
	}
	if err := s.begin(ctx, "update", tenant); err != nil {
		return nil, err
	}
	defer s.mu.RUnlock()
	var lastErr error
	for range s.cfg.MaxUpdateAttempts {
		g, err := s.d.Load(ctx, tenant)
		switch {
		case errors.Is(err, ErrNotFound):
			g = &Graph{Nodes: []Node{}, Edges: []Edge{}}
		case err != nil:
			return nil, s.wrap("update", tenant, err)
		}
		version := g.Version
		if err := fn(g); err != nil {
			return nil, err
		}
		g.Version = version // fn cannot move the version it was read at
		out, err := s.save(ctx, tenant, g)
		if errors.Is(err, ErrVersionConflict) {
			lastErr = err
			continue
		}
		return out, err
	}
	return nil, lastErr
}

// Delete removes the tenant's graph. It returns an error wrapping
// [ErrNotFound] when there is none.
func (s *Store) Delete(ctx context.Context, tenant tenancy.ID) error {
	if err := s.begin(ctx, "delete", tenant); err != nil {
		return err
	}
	defer s.mu.RUnlock()
	if err := s.d.Delete(ctx, tenant); err != nil {
		return s.wrap("delete", tenant, err)
	}
	return nil
}

// Close closes the driver. Calls in flight finish first; later calls,
// and a second Close, return [ErrClosed].
func (s *Store) Close() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed {
		return ErrClosed
	}
	s.closed = true
	if err := s.d.Close(); err != nil {
		return fmt.Errorf("graphstore: close: %w", err)
	}
	return nil
}

// wrap adds the operation and tenant to a driver error, once. Context
// errors and typed conflicts come back as they are.
func (s *Store) wrap(op string, tenant tenancy.ID, err error) error {
	var vc *VersionConflictError
	switch {
	case errors.Is(err, context.Canceled), errors.Is(err, context.DeadlineExceeded):
		return err
	case errors.As(err, &vc):
		return err
	}
	return fmt.Errorf("graphstore: %s %s: %w", op, tenant, err)
}
