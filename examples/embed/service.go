package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/autonomos/autonomos/aam/connectors/filesource"
	"github.com/autonomos/autonomos/aam/mesh"
	meshmem "github.com/autonomos/autonomos/aam/mesh/memstore"
	"github.com/autonomos/autonomos/aam/stream"
	"github.com/autonomos/autonomos/aam/stream/memstream"
	"github.com/autonomos/autonomos/canonical"
	"github.com/autonomos/autonomos/dcl"
	"github.com/autonomos/autonomos/dcl/duckstore"
	"github.com/autonomos/autonomos/drift"
	demodata "github.com/autonomos/autonomos/examples/data"
	"github.com/autonomos/autonomos/repair"
	repairmem "github.com/autonomos/autonomos/repair/memstore"
	"github.com/autonomos/autonomos/tenancy"
)

// demoTenant owns the demo data; this service serves one tenant.
var demoTenant = tenancy.MustParse("0b9c7d2e-5f41-4a6b-9c3d-2e1f0a9b8c7d")

// maxBody bounds request bodies.
const maxBody = 1 << 20

// service holds the SDK values the handlers use. It is safe for
// concurrent use; Close releases it.
type service struct {
	log       *slog.Logger
	matcher   *repair.Matcher
	warehouse *dcl.Warehouse
	engine    *dcl.Engine
	closers   []func() error
	stop      context.CancelFunc
	done      chan struct{}
}

// newService syncs the demo sources under dataDir into an in-memory
// warehouse and returns once every published event is materialized (or
// after 30s). The DCL consumer keeps running until Close.
func newService(ctx context.Context, dataDir string, log *slog.Logger) (_ *service, err error) {
	s := &service{log: log, done: make(chan struct{})}
	defer func() {
		if err != nil {
			s.Close()
		}
	}()
	if s.matcher, err = repair.NewMatcher(canonical.V1(), nil); err != nil {
		return nil, err
	}
	broker := memstream.New(&memstream.Config{Logger: log})
	pub, err := broker.NewPublisher(nil)
	if err != nil {
		return nil, err
	}
	s.closers = append(s.closers, pub.Close)
	reg := repair.NewRegistry(repairmem.New(), nil)
	s.closers = append(s.closers, reg.Close)
	m, err := mesh.New(meshmem.New(), reg, pub, &mesh.Config{Logger: log})
	if err != nil {
		return nil, err
	}
	published := 0
	for _, src := range demodata.Sources {
		cfg := map[string]string{"path": filepath.Join(dataDir, src.ID), "system": src.System}
		if _, err := m.AddConnection(ctx, mesh.Connection{Tenant: demoTenant, ID: src.ID, Name: src.Name,
			Kind: filesource.Kind, Config: mesh.MustSourceConfig(cfg)}); err != nil {
			return nil, err
		}
		if err := m.SetSafeMode(ctx, demoTenant, src.ID, false, "embed"); err != nil {
			return nil, err
		}
		st, err := m.Sync(ctx, demoTenant, src.ID)
		if err != nil {
			return nil, fmt.Errorf("sync %s: %w", src.ID, err)
		}
		published += st.EventsPublished
	}

	store, err := duckstore.Open("", nil)
	if err != nil {
		return nil, err
	}
	if s.warehouse, err = dcl.New(store, nil); err != nil {
		store.Close()
		return nil, err
	}
	if s.engine, err = dcl.NewEngine(s.warehouse, nil); err != nil {
		return nil, err
	}
	sub, err := broker.NewSubscriber(demoTenant, "dcl", &memstream.SubscriberConfig{Stream: stream.SubscriberConfig{Logger: log}})
	if err != nil {
		return nil, err
	}
	runCtx, stop := context.WithCancel(context.Background())
	s.stop = stop
	go func() {
		defer close(s.done)
		defer sub.Close()
		if err := s.engine.Run(runCtx, demoTenant, sub); err != nil && runCtx.Err() == nil {
			log.Error("dcl consumer stopped", "err", err)
		}
	}()
	deadline := time.Now().Add(30 * time.Second)
	for st := s.engine.Stats(); st.Written+st.Rejected < int64(published); st = s.engine.Stats() {
		if time.Now().After(deadline) {
			return nil, fmt.Errorf("materialized %d of %d events in 30s", st.Written, published)
		}
		select {
		case <-ctx.Done():
			return nil, ctx.Err()
		case <-time.After(10 * time.Millisecond):
		}
	}
	return s, nil
}

// Close stops the consumer and releases the warehouse and stream.
func (s *service) Close() error {
	if s.stop != nil {
		s.stop()
		<-s.done
	}
	var errs []error
	if s.warehouse != nil {
		errs = append(errs, s.warehouse.Close())
	}
	for i := len(s.closers) - 1; i >= 0; i-- {
		errs = append(errs, s.closers[i]())
	}
	return errors.Join(errs...)
}

// Handler returns the service's routes, the host application's own
// (here /healthz) next to the SDK-backed ones.
func (s *service) Handler() http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("GET /healthz", func(w http.ResponseWriter, _ *http.Request) {
		writeJSON(w, http.StatusOK, map[string]string{"status": "ok"})
	})
	mux.HandleFunc("POST /match", s.match)
	mux.HandleFunc("GET /accounts", s.accounts)
	return mux
}

// matchField is one field of POST /match's answer.
type matchField struct {
	Source     string   `json:"source"`
	Target     *string  `json:"target"` // null: maps to nothing
	Confidence float64  `json:"confidence"`
	Evidence   []string `json:"evidence,omitempty"`
}

// match places a posted drift.Schema ({"system", "object", "fields":
// [{"name", "type", "samples"}]}) on the ontology.
func (s *service) match(w http.ResponseWriter, r *http.Request) {
	var schema drift.Schema
	dec := json.NewDecoder(http.MaxBytesReader(w, r.Body, maxBody))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&schema); err != nil {
		var tooBig *http.MaxBytesError
		if errors.As(err, &tooBig) {
			problem(w, http.StatusRequestEntityTooLarge, "body larger than "+strconv.Itoa(maxBody)+" bytes")
			return
		}
		problem(w, http.StatusBadRequest, "body is not a schema: "+err.Error())
		return
	}
	if len(schema.Fields) == 0 {
		problem(w, http.StatusBadRequest, "schema has no fields")
		return
	}
	res, err := s.matcher.Match(r.Context(), schema)
	if errors.Is(err, repair.ErrInvalidSchema) {
		problem(w, http.StatusBadRequest, err.Error())
		return
	}
	if err != nil {
		s.log.ErrorContext(r.Context(), "match failed", "err", err)
		problem(w, http.StatusInternalServerError, "match failed")
		return
	}
	out := struct {
		Entity           string       `json:"entity"`
		EntityConfidence float64      `json:"entity_confidence"`
		Fields           []matchField `json:"fields"`
	}{Entity: res.Entity, EntityConfidence: res.EntityConfidence, Fields: []matchField{}}
	for _, f := range res.Fields {
		mf := matchField{Source: f.Source, Confidence: f.Confidence, Evidence: f.Evidence}
		if f.Target != "" {
			mf.Target = &f.Target
		}
		out.Fields = append(out.Fields, mf)
	}
	writeJSON(w, http.StatusOK, out)
}

// account is one unified account of GET /accounts.
type account struct {
	Name    string   `json:"name"`
	Domain  string   `json:"domain,omitempty"`
	Records int64    `json:"records"`
	Sources []string `json:"sources"`
}

// accounts lists the unified accounts, most merged first;
// ?min_records=N keeps those merged from at least N source records.
func (s *service) accounts(w http.ResponseWriter, r *http.Request) {
	minRecords := 1
	if v := r.URL.Query().Get("min_records"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 {
			problem(w, http.StatusBadRequest, "min_records must be a positive integer")
			return
		}
		minRecords = n
	}
	// min_records is a parsed integer: formatting it into the query is safe.
	res, err := s.warehouse.Query(r.Context(), demoTenant, fmt.Sprintf(
		`SELECT name, cluster_id, member_count, sources FROM account_unified
		 WHERE member_count >= %d ORDER BY member_count DESC, name`, minRecords))
	if err != nil {
		s.log.ErrorContext(r.Context(), "accounts query failed", "err", err)
		problem(w, http.StatusInternalServerError, "query failed")
		return
	}
	out := []account{}
	for _, row := range res.Rows {
		a := account{Name: fmt.Sprint(row[0])}
		if d, ok := strings.CutPrefix(fmt.Sprint(row[1]), "domain:"); ok {
			a.Domain = d // clusters made by name alone have none
		}
		a.Records, _ = toInt(row[2])
		a.Sources = toStrings(row[3])
		out = append(out, a)
	}
	writeJSON(w, http.StatusOK, map[string]any{"accounts": out})
}

func toInt(v any) (int64, bool) {
	switch n := v.(type) {
	case int64:
		return n, true
	case int32:
		return int64(n), true
	case int:
		return int64(n), true
	case uint64:
		return int64(n), true
	}
	i, err := strconv.ParseInt(fmt.Sprint(v), 10, 64)
	return i, err == nil
}

func toStrings(v any) []string {
	switch l := v.(type) {
	case []string:
		return l
	case []any:
		out := make([]string, len(l))
		for i, x := range l {
			out[i] = fmt.Sprint(x)
		}
		return out
	}
	return []string{fmt.Sprint(v)}
}

// problem writes an RFC 9457 problem document.
func problem(w http.ResponseWriter, status int, detail string) {
	w.Header().Set("Content-Type", "application/problem+json")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(map[string]any{"title": http.StatusText(status), "status": status, "detail": detail})
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(v)
}
