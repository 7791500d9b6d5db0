// Package memstore is the in-memory [mesh.Store]: connections, cursors
// and dead records of every tenant in one process. It is the embedded
// default and the fast test double; nothing survives the process.
//
// A Store is safe for concurrent use. It keeps copies: values passed in
// or returned belong to the caller.
package memstore

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"sync"

	"github.com/autonomos/autonomos/aam"
	"github.com/autonomos/autonomos/aam/mesh"
	"github.com/autonomos/autonomos/tenancy"
)

var _ mesh.Store = (*Store)(nil)

type connKey struct {
	tenant tenancy.ID
	id     string
}

type cursorKey struct {
	tenant tenancy.ID
	conn   string
	object string
}

// Store is the in-memory driver. The zero value is not usable; use New.
type Store struct {
	mu      sync.RWMutex
	conns   map[connKey]mesh.Connection
	cursors map[cursorKey]aam.Cursor
	dead    map[connKey][]mesh.DeadRecord
	deadIdx map[connKey]map[string]int // record id -> index in dead
}

// New returns an empty Store.
func New() *Store {
	return &Store{
		conns:   map[connKey]mesh.Connection{},
		cursors: map[cursorKey]aam.Cursor{},
		dead:    map[connKey][]mesh.DeadRecord{},
		deadIdx: map[connKey]map[string]int{},
	}
}

func clone(c mesh.Connection) mesh.Connection {
	c.Config = mesh.NewSourceConfig(c.Config.Raw())
	c.Pending = slices.Clone(c.Pending)
	for i := range c.Pending {
		c.Pending[i].Mapping.Fields = slices.Clone(c.Pending[i].Mapping.Fields)
	}
	return c
}

func check(tenant tenancy.ID, id string) error {
	if tenant == tenancy.Nil {
		return fmt.Errorf("memstore: %w", tenancy.ErrNoTenant)
	}
	if id == "" {
		return fmt.Errorf("memstore: empty connection id: %w", mesh.ErrNotFound)
	}
	return nil
}

// CreateConnection implements [mesh.ConnectionStore].
func (s *Store) CreateConnection(ctx context.Context, c mesh.Connection) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	if err := c.Validate(); err != nil {
		return err
	}
	if c.Config.IsRedacted() {
		return &mesh.ConnectionError{ID: c.ID, Field: "config", Reason: "redacted: its secrets are masked"}
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	k := connKey{c.Tenant, c.ID}
	if _, ok := s.conns[k]; ok {
		return fmt.Errorf("memstore: create %s: %w", c.ID, mesh.ErrExists)
	}
	s.conns[k] = clone(c)
	return nil
}

// Connection implements [mesh.ConnectionStore].
func (s *Store) Connection(ctx context.Context, tenant tenancy.ID, id string) (mesh.Connection, error) {
	if err := ctx.Err(); err != nil {
		return mesh.Connection{}, err
	}
	if err := check(tenant, id); err != nil {
		return mesh.Connection{}, err
	}
	s.mu.RLock()
	defer s.mu.RUnlock()
	c, ok := s.conns[connKey{tenant, id}]
	if !ok {
		return mesh.Connection{}, fmt.Errorf("memstore: connection %q: %w", id, mesh.ErrNotFound)
	}
	return clone(c), nil
}

// Connections implements [mesh.ConnectionStore].
func (s *Store) Connections(ctx context.Context, tenant tenancy.ID) ([]mesh.Connection, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	if tenant == tenancy.Nil {
		return nil, fmt.Errorf("memstore: %w", tenancy.ErrNoTenant)
	}
	s.mu.RLock()
	defer s.mu.RUnlock()
	var out []mesh.Connection
	for k, c := range s.conns {
		if k.tenant == tenant {
			out = append(out, clone(c))
		}
	}
	slices.SortFunc(out, func(a, b mesh.Connection) int { return strings.Compare(a.ID, b.ID) })
	return out, nil
}

// UpdateConnection implements [mesh.ConnectionStore].
func (s *Store) UpdateConnection(ctx context.Context, c mesh.Connection) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	if err := c.Validate(); err != nil {
		return err
	}
	if c.Config.IsRedacted() {
		return &mesh.ConnectionError{ID: c.ID, Field: "config", Reason: "redacted: its secrets are masked"}
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	k := connKey{c.Tenant, c.ID}
	if _, ok := s.conns[k]; !ok {
		return fmt.Errorf("memstore: update %s: %w", c.ID, mesh.ErrNotFound)
	}
	s.conns[k] = clone(c)
	return nil
}

// DeleteConnection implements [mesh.ConnectionStore].
func (s *Store) DeleteConnection(ctx context.Context, tenant tenancy.ID, id string) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	if err := check(tenant, id); err != nil {
		return err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	k := connKey{tenant, id}
	if _, ok := s.conns[k]; !ok {
		return fmt.Errorf("memstore: delete %s: %w", id, mesh.ErrNotFound)
	}
	delete(s.conns, k)
	delete(s.dead, k)
	delete(s.deadIdx, k)
	for ck := range s.cursors {
		if ck.tenant == tenant && ck.conn == id {
			delete(s.cursors, ck)
		}
	}
	return nil
}

// Cursor implements [mesh.CursorStore].
func (s *Store) Cursor(ctx context.Context, tenant tenancy.ID, connection, object string) (aam.Cursor, error) {
	if err := ctx.Err(); err != nil {
		return "", err
	}
	if err := check(tenant, connection); err != nil {
		return "", err
	}
	s.mu.RLock()
	defer s.mu.RUnlock()
	return s.cursors[cursorKey{tenant, connection, object}], nil
}

// SaveCursor implements [mesh.CursorStore].
func (s *Store) SaveCursor(ctx context.Context, tenant tenancy.ID, connection, object string, c aam.Cursor) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	if err := check(tenant, connection); err != nil {
		return err
	}
	if object == "" {
		return fmt.Errorf("memstore: save cursor of %s: empty object name", connection)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	s.cursors[cursorKey{tenant, connection, object}] = c
	return nil
}

// AddDeadRecords implements [mesh.DeadRecordStore].
func (s *Store) AddDeadRecords(ctx context.Context, tenant tenancy.ID, records []mesh.DeadRecord) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	if tenant == tenancy.Nil {
		return fmt.Errorf("memstore: %w", tenancy.ErrNoTenant)
	}
	for _, r := range records {
		if r.ID == "" || r.Connection == "" {
			return fmt.Errorf("memstore: dead record without id or connection (ref %q)", r.Ref)
		}
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, r := range records {
		k := connKey{tenant, r.Connection}
		idx := s.deadIdx[k]
		if idx == nil {
			idx = map[string]int{}
			s.deadIdx[k] = idx
		}
		if i, ok := idx[r.ID]; ok {
			r.At = s.dead[k][i].At
			s.dead[k][i] = r
			continue
		}
		idx[r.ID] = len(s.dead[k])
		s.dead[k] = append(s.dead[k], r)
	}
	return nil
}

// DeadRecords implements [mesh.DeadRecordStore].
func (s *Store) DeadRecords(ctx context.Context, tenant tenancy.ID, connection string, limit int) ([]mesh.DeadRecord, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	if err := check(tenant, connection); err != nil {
		return nil, err
	}
	s.mu.RLock()
	defer s.mu.RUnlock()
	list := s.dead[connKey{tenant, connection}]
	if limit > 0 && len(list) > limit {
		list = list[:limit]
	}
	return slices.Clone(list), nil
}
