package main

import (
	"cmp"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"os"
	"slices"
	"sync"

	"github.com/autonomos/autonomos/aam"
	"github.com/autonomos/autonomos/aam/mesh"
	meshmem "github.com/autonomos/autonomos/aam/mesh/memstore"
	"github.com/autonomos/autonomos/internal/atomicfile"
	"github.com/autonomos/autonomos/tenancy"
)

// fileMeshStore is the embedded mode's mesh.Store: aam/mesh/memstore kept
// in a JSON file (mode 0600: connection configurations hold secrets),
// rewritten atomically after every write, so that connections, cursors
// and dead records survive a restart. A write whose file cannot be
// written is undone in memory and fails. Meant for one process and modest
// volumes: every cursor save rewrites the file.
type fileMeshStore struct {
	path string

	mu      sync.RWMutex // writers hold it exclusively
	mem     *meshmem.Store
	conns   map[meshConnKey]mesh.Connection
	cursors map[meshCursorKey]aam.Cursor
	dead    map[meshConnKey][]mesh.DeadRecord
}

var _ mesh.Store = (*fileMeshStore)(nil)

type meshConnKey struct {
	tenant tenancy.ID
	id     string
}

type meshCursorKey struct {
	tenant             tenancy.ID
	connection, object string
}

// storedConnection is mesh.Connection without its methods, so that its
// JSON form is the plain struct (the configuration is still masked by
// SourceConfig; the real one is kept beside it).
type storedConnection mesh.Connection

type meshSnapshot struct {
	Format      int              `json:"format"`
	Connections []meshConnRecord `json:"connections"`
	Cursors     []meshCursorRec  `json:"cursors"`
	Dead        []meshDeadRec    `json:"dead_records"`
}

type meshConnRecord struct {
	Connection storedConnection `json:"connection"`
	Config     json.RawMessage  `json:"config"`
}

type meshCursorRec struct {
	Tenant     tenancy.ID `json:"tenant_id"`
	Connection string     `json:"connection_id"`
	Object     string     `json:"object"`
	Cursor     aam.Cursor `json:"cursor"`
}

type meshDeadRec struct {
	Tenant  tenancy.ID        `json:"tenant_id"`
	Records []mesh.DeadRecord `json:"records"`
}

const meshSnapshotFormat = 1

func openFileMeshStore(path string) (*fileMeshStore, error) {
	s := &fileMeshStore{path: path, conns: map[meshConnKey]mesh.Connection{}, cursors: map[meshCursorKey]aam.Cursor{}, dead: map[meshConnKey][]mesh.DeadRecord{}}
	b, err := os.ReadFile(path)
	switch {
	case errors.Is(err, os.ErrNotExist):
		s.mem = meshmem.New()
		return s, nil
	case err != nil:
		return nil, fmt.Errorf("read connections file %s: %w", path, err)
	}
	var snap meshSnapshot
	if err := json.Unmarshal(b, &snap); err != nil {
		return nil, fmt.Errorf("connections file %s is corrupt: %w", path, err)
	}
	if snap.Format != meshSnapshotFormat {
		return nil, fmt.Errorf("connections file %s has format %d, want %d", path, snap.Format, meshSnapshotFormat)
	}
	for _, r := range snap.Connections {
		c := mesh.Connection(r.Connection)
		c.Config = mesh.NewSourceConfig(r.Config)
		s.conns[meshConnKey{c.Tenant, c.ID}] = c
	}
	for _, r := range snap.Cursors {
		s.cursors[meshCursorKey{r.Tenant, r.Connection, r.Object}] = r.Cursor
	}
	for _, r := range snap.Dead {
		for _, d := range r.Records {
			k := meshConnKey{r.Tenant, d.Connection}
			s.dead[k] = append(s.dead[k], d)
		}
	}
	mem, err := s.rebuild()
	if err != nil {
		return nil, fmt.Errorf("connections file %s: %w", path, err)
	}
	s.mem = mem
	return s, nil
}

// rebuild makes a memstore holding exactly the mirrored state.
func (s *fileMeshStore) rebuild() (*meshmem.Store, error) {
	ctx := context.Background()
	mem := meshmem.New()
	for _, c := range s.conns {
		if err := mem.CreateConnection(ctx, c); err != nil {
			return nil, fmt.Errorf("connection %s: %w", c.ID, err)
		}
	}
	for k, c := range s.cursors {
		if err := mem.SaveCursor(ctx, k.tenant, k.connection, k.object, c); err != nil {
			return nil, fmt.Errorf("cursor of %s/%s: %w", k.connection, k.object, err)
		}
	}
	for k, recs := range s.dead {
		if err := mem.AddDeadRecords(ctx, k.tenant, recs); err != nil {
			return nil, fmt.Errorf("dead records of %s: %w", k.id, err)
		}
	}
	return mem, nil
}

// commit writes the file; on failure it runs undo on the mirror and
// rebuilds the memstore from it. Callers hold s.mu.
func (s *fileMeshStore) commit(undo func()) error {
	err := s.writeFile()
	if err == nil {
		return nil
	}
	undo()
	if mem, rerr := s.rebuild(); rerr == nil {
		s.mem = mem
	}
	return fmt.Errorf("save connections file %s: %w", s.path, err)
}

func (s *fileMeshStore) writeFile() error {
	snap := meshSnapshot{Format: meshSnapshotFormat}
	for _, c := range s.conns {
		snap.Connections = append(snap.Connections, meshConnRecord{Connection: storedConnection(c), Config: c.Config.Raw()})
	}
	slices.SortFunc(snap.Connections, func(a, b meshConnRecord) int {
		return cmp.Or(cmp.Compare(a.Connection.Tenant.String(), b.Connection.Tenant.String()), cmp.Compare(a.Connection.ID, b.Connection.ID))
	})
	for k, c := range s.cursors {
		snap.Cursors = append(snap.Cursors, meshCursorRec{Tenant: k.tenant, Connection: k.connection, Object: k.object, Cursor: c})
	}
	slices.SortFunc(snap.Cursors, func(a, b meshCursorRec) int {
		return cmp.Or(cmp.Compare(a.Tenant.String(), b.Tenant.String()), cmp.Compare(a.Connection, b.Connection), cmp.Compare(a.Object, b.Object))
	})
	for k, recs := range s.dead {
		snap.Dead = append(snap.Dead, meshDeadRec{Tenant: k.tenant, Records: recs})
	}
	b, err := json.Marshal(snap)
	if err != nil {
		return err
	}
	return atomicfile.Write(s.path, b)
}

func (s *fileMeshStore) CreateConnection(ctx context.Context, c mesh.Connection) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if err := s.mem.CreateConnection(ctx, c); err != nil {
		return err
	}
	stored, err := s.mem.Connection(ctx, c.Tenant, c.ID)
	if err != nil {
		return err
	}
	k := meshConnKey{c.Tenant, c.ID}
	s.conns[k] = stored
	return s.commit(func() { delete(s.conns, k) })
}

func (s *fileMeshStore) UpdateConnection(ctx context.Context, c mesh.Connection) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if err := s.mem.UpdateConnection(ctx, c); err != nil {
		return err
	}
	stored, err := s.mem.Connection(ctx, c.Tenant, c.ID)
	if err != nil {
		return err
	}
	k := meshConnKey{c.Tenant, c.ID}
	prev := s.conns[k]
	s.conns[k] = stored
	return s.commit(func() { s.conns[k] = prev })
}

func (s *fileMeshStore) DeleteConnection(ctx context.Context, tenant tenancy.ID, id string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if err := s.mem.DeleteConnection(ctx, tenant, id); err != nil {
		return err
	}
	k := meshConnKey{tenant, id}
	prevConn, prevDead := s.conns[k], s.dead[k]
	prevCursors := map[meshCursorKey]aam.Cursor{}
	for ck, c := range s.cursors {
		if ck.tenant == tenant && ck.connection == id {
			prevCursors[ck] = c
			delete(s.cursors, ck)
		}
	}
	delete(s.conns, k)
	delete(s.dead, k)
	return s.commit(func() {
		s.conns[k] = prevConn
		if prevDead != nil {
			s.dead[k] = prevDead
		}
		maps.Copy(s.cursors, prevCursors)
	})
}

func (s *fileMeshStore) SaveCursor(ctx context.Context, tenant tenancy.ID, connection, object string, c aam.Cursor) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if err := s.mem.SaveCursor(ctx, tenant, connection, object, c); err != nil {
		return err
	}
	k := meshCursorKey{tenant, connection, object}
	prev, had := s.cursors[k]
	s.cursors[k] = c
	return s.commit(func() {
		if had {
			s.cursors[k] = prev
		} else {
			delete(s.cursors, k)
		}
	})
}

func (s *fileMeshStore) AddDeadRecords(ctx context.Context, tenant tenancy.ID, records []mesh.DeadRecord) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if err := s.mem.AddDeadRecords(ctx, tenant, records); err != nil {
		return err
	}
	prev := map[meshConnKey][]mesh.DeadRecord{}
	for _, r := range records {
		k := meshConnKey{tenant, r.Connection}
		if _, seen := prev[k]; seen {
			continue
		}
		prev[k] = s.dead[k]
		// The memstore decides order and replacement; mirror its answer.
		recs, err := s.mem.DeadRecords(ctx, tenant, r.Connection, 0)
		if err != nil {
			return err
		}
		s.dead[k] = recs
	}
	return s.commit(func() {
		for k, recs := range prev {
			if recs == nil {
				delete(s.dead, k)
			} else {
				s.dead[k] = recs
			}
		}
	})
}

func (s *fileMeshStore) Connection(ctx context.Context, tenant tenancy.ID, id string) (mesh.Connection, error) {
	s.mu.RLock()
	defer s.mu.RUnlock()
	return s.mem.Connection(ctx, tenant, id)
}

func (s *fileMeshStore) Connections(ctx context.Context, tenant tenancy.ID) ([]mesh.Connection, error) {
	s.mu.RLock()
	defer s.mu.RUnlock()
	return s.mem.Connections(ctx, tenant)
}

func (s *fileMeshStore) Cursor(ctx context.Context, tenant tenancy.ID, connection, object string) (aam.Cursor, error) {
	s.mu.RLock()
	defer s.mu.RUnlock()
	return s.mem.Cursor(ctx, tenant, connection, object)
}

func (s *fileMeshStore) DeadRecords(ctx context.Context, tenant tenancy.ID, connection string, limit int) ([]mesh.DeadRecord, error) {
	s.mu.RLock()
	defer s.mu.RUnlock()
	return s.mem.DeadRecords(ctx, tenant, connection, limit)
}
