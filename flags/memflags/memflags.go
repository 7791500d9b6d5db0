// Package memflags is the in-memory [flags.Store], optionally kept in a
// JSON file so that the embedded default keeps its flags across
// restarts. It is also the test double of the Redis driver.
//
// The file ({"<tenant>": {"<FLAG>": true}}) is rewritten whole, atomically
// (a temporary file, fsync, rename; mode 0600), on each Set; a Set whose
// write fails is undone and returns the error. Settings of flags no
// longer in the catalog are kept in the file but not reported.
package memflags

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"sync"

	"github.com/autonomos/autonomos/flags"
	"github.com/autonomos/autonomos/internal/atomicfile"
	"github.com/autonomos/autonomos/tenancy"
)

// Store is an in-memory flags.Store. It is safe for concurrent use.
type Store struct {
	cat  *flags.Catalog
	path string

	mu     sync.RWMutex
	values map[tenancy.ID]map[string]bool
	closed bool
}

var _ flags.Store = (*Store)(nil)

// New returns a Store held in memory only.
func New(cat *flags.Catalog) *Store {
	return &Store{cat: cat, values: map[tenancy.ID]map[string]bool{}}
}

// Open returns a Store kept in the file at path, reading it when it
// exists. A file that does not parse is an error naming it (it is left
// as it is).
func Open(cat *flags.Catalog, path string) (*Store, error) {
	s := New(cat)
	s.path = path
	b, err := os.ReadFile(path)
	if errors.Is(err, os.ErrNotExist) {
		return s, nil
	}
	if err != nil {
		return nil, fmt.Errorf("memflags: read %s: %w", path, err)
	}
	var raw map[string]map[string]bool
	if err := json.Unmarshal(b, &raw); err != nil {
		return nil, fmt.Errorf("memflags: %s is not a flags file: %w", path, err)
	}
	for k, v := range raw {
		id, err := tenancy.Parse(k)
		if err != nil {
			return nil, fmt.Errorf("memflags: %s: key %q: %w", path, k, err)
		}
		s.values[id] = v
	}
	return s, nil
}

// Catalog implements flags.Store.
func (s *Store) Catalog() *flags.Catalog { return s.cat }

// Enabled implements flags.Store.
func (s *Store) Enabled(_ context.Context, tenant tenancy.ID, name string) (bool, error) {
	f, err := s.cat.Lookup(name)
	if err != nil {
		return false, err
	}
	if err := tenant.Validate(); err != nil {
		return false, err
	}
	s.mu.RLock()
	defer s.mu.RUnlock()
	if s.closed {
		return false, flags.ErrClosed
	}
	if v, ok := s.values[tenant][name]; ok {
		return v, nil
	}
	return f.Default, nil
}

// List implements flags.Store.
func (s *Store) List(_ context.Context, tenant tenancy.ID) ([]flags.State, error) {
	if err := tenant.Validate(); err != nil {
		return nil, err
	}
	s.mu.RLock()
	defer s.mu.RUnlock()
	if s.closed {
		return nil, flags.ErrClosed
	}
	return s.cat.States(s.values[tenant]), nil
}

// Set implements flags.Store.
func (s *Store) Set(_ context.Context, tenant tenancy.ID, name string, on bool) error {
	if _, err := s.cat.Lookup(name); err != nil {
		return err
	}
	if err := tenant.Validate(); err != nil {
		return err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed {
		return flags.ErrClosed
	}
	m := s.values[tenant]
	if m == nil {
		m = map[string]bool{}
		s.values[tenant] = m
	}
	old, had := m[name]
	m[name] = on
	if err := s.save(); err != nil {
		if had {
			m[name] = old
		} else {
			delete(m, name)
		}
		return err
	}
	return nil
}

// save writes the file, when there is one. The caller holds s.mu.
func (s *Store) save() error {
	if s.path == "" {
		return nil
	}
	raw := make(map[string]map[string]bool, len(s.values))
	for id, v := range s.values {
		raw[id.String()] = v
	}
	b, err := json.MarshalIndent(raw, "", "  ")
	if err != nil {
		return fmt.Errorf("memflags: encode: %w", err)
	}
	if err := atomicfile.Write(s.path, append(b, '\n')); err != nil {
		return fmt.Errorf("memflags: %w", err)
	}
	return nil
}

// Close implements flags.Store.
func (s *Store) Close() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.closed = true
	return nil
}
