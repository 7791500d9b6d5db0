package memstore

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"sync"

	"github.com/autonomos/autonomos/canonical"
	"github.com/autonomos/autonomos/repair"
	"github.com/autonomos/autonomos/tenancy"
)

// Store is an in-memory [repair.Driver]. The zero value is not usable;
// call New. A Store is safe for concurrent use.
type Store struct {
	mu      sync.Mutex
	tenants map[tenancy.ID]*state
	closed  bool
	path    string // "" for memory only
}

var _ repair.Driver = (*Store)(nil)

// New returns an empty store.
func New() *Store { return &Store{tenants: map[tenancy.ID]*state{}} }

// state is one tenant's data.
type state struct {
	versions    map[repair.MappingKey][]repair.MappingVersion
	connections map[string]repair.ConnectionSettings
	reviews     []repair.ReviewItem // insertion order
	audit       []repair.AuditEntry // append order
}

func newState() *state {
	return &state{versions: map[repair.MappingKey][]repair.MappingVersion{}, connections: map[string]repair.ConnectionSettings{}}
}

func (s *state) clone() *state {
	c := newState()
	for k, vs := range s.versions {
		c.versions[k] = slices.Clone(vs)
	}
	for k, v := range s.connections {
		c.connections[k] = v
	}
	c.reviews = slices.Clone(s.reviews)
	c.audit = slices.Clone(s.audit)
	return c
}

// InTx implements [repair.Driver].
func (s *Store) InTx(ctx context.Context, tenant tenancy.ID, fn func(ctx context.Context, tx repair.DriverTx) error) error {
	if err := tenant.Validate(); err != nil {
		return err
	}
	if err := ctx.Err(); err != nil {
		return err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed {
		return repair.ErrClosed
	}
	cur := s.tenants[tenant]
	if cur == nil {
		cur = newState()
	}
	t := &tx{st: cur}
	err := fn(ctx, t)
	t.done = true
	if err != nil {
		return err
	}
	if err := ctx.Err(); err != nil {
		return err
	}
	if t.copied {
		prev := s.tenants[tenant]
		s.tenants[tenant] = t.st
		if s.path != "" {
			if err := s.persist(); err != nil {
				// Keep memory and file in step: the write did not happen.
				if prev == nil {
					delete(s.tenants, tenant)
				} else {
					s.tenants[tenant] = prev
				}
				return err
			}
		}
	}
	return nil
}

// Close implements [repair.Driver]. Later transactions fail with
// [repair.ErrClosed].
func (s *Store) Close() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.closed = true
	return nil
}

// tx reads the tenant's committed state and copies it on the first
// write (copy on write), so read-only transactions cost no copy.
type tx struct {
	st     *state
	copied bool
	done   bool
}

func (t *tx) write() error {
	if err := t.check(); err != nil {
		return err
	}
	if !t.copied {
		t.st, t.copied = t.st.clone(), true
	}
	return nil
}

var _ repair.DriverTx = (*tx)(nil)

func (t *tx) check() error {
	if t.done {
		return fmt.Errorf("memstore: transaction used after it ended: %w", repair.ErrInvalidInput)
	}
	return nil
}

func (t *tx) LatestVersion(_ context.Context, key repair.MappingKey) (int, error) {
	if err := t.check(); err != nil {
		return 0, err
	}
	return len(t.st.versions[key]), nil
}

func (t *tx) InsertVersion(_ context.Context, v repair.MappingVersion) error {
	if err := t.write(); err != nil {
		return err
	}
	vs := t.st.versions[v.Key]
	if v.Version != len(vs)+1 {
		return fmt.Errorf("memstore: insert version %d of %s: %w", v.Version, v.Key, repair.ErrVersionConflict)
	}
	v.Mapping = cloneMapping(v.Mapping)
	t.st.versions[v.Key] = append(vs, v)
	return nil
}

func (t *tx) GetVersion(_ context.Context, key repair.MappingKey, version int) (repair.MappingVersion, error) {
	if err := t.check(); err != nil {
		return repair.MappingVersion{}, err
	}
	vs := t.st.versions[key]
	if version < 1 || version > len(vs) {
		return repair.MappingVersion{}, fmt.Errorf("memstore: mapping %s version %d: %w", key, version, repair.ErrNotFound)
	}
	v := vs[version-1]
	v.Mapping = cloneMapping(v.Mapping)
	return v, nil
}

func (t *tx) ListVersions(_ context.Context, key repair.MappingKey) ([]repair.MappingVersion, error) {
	if err := t.check(); err != nil {
		return nil, err
	}
	out := make([]repair.MappingVersion, 0, len(t.st.versions[key]))
	for _, v := range t.st.versions[key] {
		v.Mapping = cloneMapping(v.Mapping)
		out = append(out, v)
	}
	return out, nil
}

func (t *tx) ListKeys(_ context.Context, connection string) ([]repair.MappingKey, error) {
	if err := t.check(); err != nil {
		return nil, err
	}
	out := []repair.MappingKey{}
	for k := range t.st.versions {
		if connection == "" || k.Connection == connection {
			out = append(out, k)
		}
	}
	slices.SortFunc(out, func(a, b repair.MappingKey) int {
		if c := strings.Compare(a.Connection, b.Connection); c != 0 {
			return c
		}
		return strings.Compare(a.Object, b.Object)
	})
	return out, nil
}

func (t *tx) GetConnection(_ context.Context, connection string) (repair.ConnectionSettings, error) {
	if err := t.check(); err != nil {
		return repair.ConnectionSettings{}, err
	}
	c, ok := t.st.connections[connection]
	if !ok {
		return repair.ConnectionSettings{}, fmt.Errorf("memstore: connection %q: %w", connection, repair.ErrNotFound)
	}
	return c, nil
}

func (t *tx) PutConnection(_ context.Context, c repair.ConnectionSettings) error {
	if err := t.write(); err != nil {
		return err
	}
	t.st.connections[c.Connection] = c
	return nil
}

func (t *tx) InsertReview(_ context.Context, it repair.ReviewItem) error {
	if err := t.write(); err != nil {
		return err
	}
	for _, x := range t.st.reviews {
		if x.ID == it.ID {
			return fmt.Errorf("memstore: review %s exists: %w", it.ID, repair.ErrInvalidInput)
		}
	}
	t.st.reviews = append(t.st.reviews, cloneReview(it))
	return nil
}

func (t *tx) GetReview(_ context.Context, id string) (repair.ReviewItem, error) {
	if err := t.check(); err != nil {
		return repair.ReviewItem{}, err
	}
	for _, x := range t.st.reviews {
		if x.ID == id {
			return cloneReview(x), nil
		}
	}
	return repair.ReviewItem{}, fmt.Errorf("memstore: review %q: %w", id, repair.ErrNotFound)
}

func (t *tx) UpdateReview(_ context.Context, it repair.ReviewItem) error {
	if err := t.write(); err != nil {
		return err
	}
	for i, x := range t.st.reviews {
		if x.ID == it.ID {
			t.st.reviews[i] = cloneReview(it)
			return nil
		}
	}
	return fmt.Errorf("memstore: review %q: %w", it.ID, repair.ErrNotFound)
}

func (t *tx) ListReviews(_ context.Context, f repair.ReviewFilter) ([]repair.ReviewItem, error) {
	if err := t.check(); err != nil {
		return nil, err
	}
	out := []repair.ReviewItem{}
	for _, x := range t.st.reviews {
		if (f.Status == "" || x.Status == f.Status) &&
			(f.Connection == "" || x.Key.Connection == f.Connection) &&
			(f.Object == "" || x.Key.Object == f.Object) {
			out = append(out, cloneReview(x))
			if f.Limit > 0 && len(out) == f.Limit {
				break
			}
		}
	}
	return out, nil
}

func (t *tx) InsertAudit(_ context.Context, e repair.AuditEntry) error {
	if err := t.write(); err != nil {
		return err
	}
	t.st.audit = append(t.st.audit, e)
	return nil
}

func (t *tx) ListAudit(_ context.Context, f repair.AuditFilter) ([]repair.AuditEntry, error) {
	if err := t.check(); err != nil {
		return nil, err
	}
	out := []repair.AuditEntry{}
	for _, e := range t.st.audit {
		if (f.Connection == "" || e.Key.Connection == f.Connection) &&
			(f.Object == "" || e.Key.Object == f.Object) &&
			(f.Action == "" || e.Action == f.Action) {
			out = append(out, e)
		}
	}
	if f.Limit > 0 && len(out) > f.Limit {
		out = out[len(out)-f.Limit:]
	}
	return out, nil
}

func cloneMapping(m canonical.Mapping) canonical.Mapping {
	m.Fields = slices.Clone(m.Fields)
	return m
}

func cloneReview(it repair.ReviewItem) repair.ReviewItem {
	it.Samples = slices.Clone(it.Samples)
	it.Repair.Evidence = slices.Clone(it.Repair.Evidence)
	it.Repair.Candidates = slices.Clone(it.Repair.Candidates)
	return it
}
