package memstore

import (
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"

	"github.com/autonomos/autonomos/internal/atomicfile"
	"github.com/autonomos/autonomos/repair"
	"github.com/autonomos/autonomos/tenancy"
)

// fileFormat is the JSON layout of the file of [Open].
type fileFormat struct {
	Format  int          `json:"format"`
	Tenants []fileTenant `json:"tenants"`
}

type fileTenant struct {
	Tenant      tenancy.ID                  `json:"tenant_id"`
	Versions    []repair.MappingVersion     `json:"versions"`
	Connections []repair.ConnectionSettings `json:"connections"`
	Reviews     []repair.ReviewItem         `json:"reviews"`
	Audit       []repair.AuditEntry         `json:"audit"`
}

const fileFormatVersion = 1

// Open returns a store kept in memory and in the JSON file at path, which
// is read when it exists and created on the first write otherwise. Only
// one Store may use a file at a time. The file holds every tenant's
// mappings, reviews and audit trail: keep it private (it is written with
// mode 0600).
func Open(path string) (*Store, error) {
	s := New()
	s.path = path
	b, err := os.ReadFile(path)
	if errors.Is(err, fs.ErrNotExist) {
		return s, nil
	}
	if err != nil {
		return nil, fmt.Errorf("memstore: read %s: %w", path, err)
	}
	var ff fileFormat
	if err := json.Unmarshal(b, &ff); err != nil {
		return nil, fmt.Errorf("memstore: decode %s: %w", path, err)
	}
	if ff.Format != fileFormatVersion {
		return nil, fmt.Errorf("memstore: %s has format %d, want %d", path, ff.Format, fileFormatVersion)
	}
	for _, ft := range ff.Tenants {
		if err := ft.Tenant.Validate(); err != nil {
			return nil, fmt.Errorf("memstore: %s: %w", path, err)
		}
		st := newState()
		for _, v := range ft.Versions {
			if v.Version != len(st.versions[v.Key])+1 {
				return nil, fmt.Errorf("memstore: %s: mapping %s: version %d out of order", path, v.Key, v.Version)
			}
			v.Tenant = ft.Tenant
			st.versions[v.Key] = append(st.versions[v.Key], v)
		}
		for _, c := range ft.Connections {
			st.connections[c.Connection] = c
		}
		for _, it := range ft.Reviews {
			it.Tenant = ft.Tenant
			st.reviews = append(st.reviews, it)
		}
		for _, e := range ft.Audit {
			e.Tenant = ft.Tenant
			st.audit = append(st.audit, e)
		}
		s.tenants[ft.Tenant] = st
	}
	return s, nil
}

// persist writes every tenant's state to s.path. The caller holds s.mu.
func (s *Store) persist() error {
	ff := fileFormat{Format: fileFormatVersion}
	for id, st := range s.tenants {
		ft := fileTenant{Tenant: id, Reviews: st.reviews, Audit: st.audit}
		for _, vs := range st.versions {
			ft.Versions = append(ft.Versions, vs...)
		}
		for _, c := range st.connections {
			ft.Connections = append(ft.Connections, c)
		}
		ff.Tenants = append(ff.Tenants, ft)
	}
	b, err := json.Marshal(ff)
	if err != nil {
		return fmt.Errorf("memstore: encode state: %w", err)
	}
	if err := atomicfile.Write(s.path, b); err != nil {
		return fmt.Errorf("memstore: %w", err)
	}
	return nil
}
