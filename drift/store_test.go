package drift_test

import (
	"bytes"
	"context"
	"errors"
	"log/slog"
	"strings"
	"testing"
	"time"

	"github.com/autonomos/autonomos/drift"
	"github.com/autonomos/autonomos/drift/memstore"
	"github.com/autonomos/autonomos/tenancy"
)

var tenant = tenancy.MustParse("00000000-0000-4000-8000-000000000001")

func TestStoreValidation(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	st := drift.NewStore(memstore.New(), nil)
	good := drift.Key{Tenant: tenant, ConnectionID: "c", Object: "o"}
	for _, k := range []drift.Key{{ConnectionID: "c", Object: "o"}, {Tenant: tenant, Object: "o"}, {Tenant: tenant, ConnectionID: "c"}} {
		if _, err := st.Latest(ctx, k); !errors.Is(err, drift.ErrInvalidKey) {
			t.Errorf("Latest(%+v) = %v, want ErrInvalidKey", k, err)
		}
		if _, err := st.History(ctx, k, 0); !errors.Is(err, drift.ErrInvalidKey) {
			t.Errorf("History(%+v) = %v, want ErrInvalidKey", k, err)
		}
	}
	if _, err := st.Get(ctx, good, 0); !errors.Is(err, drift.ErrNotFound) {
		t.Errorf("Get(0) = %v, want ErrNotFound", err)
	}
	if _, err := st.Objects(ctx, tenancy.Nil); !errors.Is(err, drift.ErrInvalidKey) {
		t.Errorf("Objects(nil tenant) = %v", err)
	}
	_, err := st.Record(ctx, tenant, &drift.Schema{ConnectionID: "c", Object: "o", Fields: []drift.Field{{Name: "a"}}})
	var se *drift.SchemaError
	if !errors.As(err, &se) || se.Field != `"a"` || !errors.Is(err, drift.ErrInvalidSchema) {
		t.Errorf("Record(untyped field) = %v", err)
	}
	_, err = st.Latest(ctx, good)
	if !errors.Is(err, drift.ErrNotFound) || !strings.Contains(err.Error(), good.String()) {
		t.Errorf("Latest on empty = %v, want ErrNotFound naming the key", err)
	}
}

func TestStoreRecordClockAndCopies(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	at := time.Date(2026, 5, 6, 7, 8, 9, 0, time.FixedZone("X", 3600))
	st := drift.NewStore(memstore.New(), &drift.StoreConfig{Clock: func() time.Time { return at }})
	s := &drift.Schema{ConnectionID: "c", Object: "o", Fields: []drift.Field{{Name: "a", Type: drift.TypeString}}}
	v, err := st.Record(ctx, tenant, s)
	if err != nil {
		t.Fatal(err)
	}
	if v.Number != 1 || !v.RecordedAt.Equal(at) || v.RecordedAt.Location() != time.UTC || v.Fingerprint != drift.Fingerprint(s) {
		t.Errorf("version = %+v", v)
	}
	v2, err := st.Record(ctx, tenant, s)
	if err != nil || v2.Number != 2 {
		t.Errorf("second Record = %+v, %v (Record always appends)", v2, err)
	}
	got, err := st.Get(ctx, drift.KeyOf(tenant, s), 1)
	if err != nil || got.Schema == s {
		t.Errorf("Get shares the caller's schema: %v", err)
	}
}

// conflictDriver loses every append race.
type conflictDriver struct{ drift.Driver }

func (conflictDriver) Append(context.Context, drift.Key, int64, drift.Version) error {
	return drift.ErrConflict
}

func TestRetriesExhausted(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	d := conflictDriver{memstore.New()}
	s := &drift.Schema{ConnectionID: "c", Object: "o"}
	if _, err := drift.NewStore(d, &drift.StoreConfig{MaxAttempts: 3}).Record(ctx, tenant, s); !errors.Is(err, drift.ErrConflict) ||
		!strings.Contains(err.Error(), "after 3 attempts") {
		t.Errorf("Record = %v", err)
	}
	det := drift.NewDetector(drift.NewStore(d, nil), &drift.DetectorConfig{MaxAttempts: 2})
	if _, err := det.Observe(ctx, tenant, s); !errors.Is(err, drift.ErrConflict) {
		t.Errorf("Observe = %v", err)
	}
}

func TestDetectorLogsWithoutSamples(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	var buf bytes.Buffer
	det := drift.NewDetector(drift.NewStore(memstore.New(), nil), &drift.DetectorConfig{Logger: slog.New(slog.NewTextHandler(&buf, nil))})
	s := &drift.Schema{ConnectionID: "c", Object: "o", Fields: []drift.Field{{Name: "ssn", Type: drift.TypeString, Samples: []string{"078-05-1120"}}}}
	if _, err := det.Observe(ctx, tenant, s); err != nil {
		t.Fatal(err)
	}
	s2 := s.Clone()
	s2.Fields = nil
	ev, err := det.Observe(ctx, tenant, s2)
	if err != nil || ev == nil {
		t.Fatal(ev, err)
	}
	out := buf.String()
	if !strings.Contains(out, "level=WARN") || !strings.Contains(out, "severity=breaking") {
		t.Errorf("log = %s", out)
	}
	if strings.Contains(out, "078-05-1120") {
		t.Errorf("sample values leaked into the log: %s", out)
	}
}

// BenchmarkObserveUnchanged is the steady state of a sync: the schema is
// the one recorded, so Observe reads, diffs and records nothing.
func BenchmarkObserveUnchanged(b *testing.B) {
	ctx := context.Background()
	det := drift.NewDetector(drift.NewStore(memstore.New(), nil), nil)
	s := &drift.Schema{ConnectionID: "c", Object: "o"}
	for i := range 50 {
		s.Fields = append(s.Fields, drift.Field{Name: "Field_" + strings.Repeat("x", i%7) + string(rune('a'+i%26)) + string(rune('a'+i/26)), Type: drift.TypeString})
	}
	if _, err := det.Observe(ctx, tenant, s); err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	b.ResetTimer()
	for b.Loop() {
		if ev, err := det.Observe(ctx, tenant, s); err != nil || ev != nil {
			b.Fatal(ev, err)
		}
	}
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "observes/s")
}
