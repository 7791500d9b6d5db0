package dcl_test

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"reflect"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/autonomos/autonomos/aam/stream"
	"github.com/autonomos/autonomos/aam/stream/memstream"
	"github.com/autonomos/autonomos/canonical"
	"github.com/autonomos/autonomos/dcl"
	"github.com/autonomos/autonomos/dcl/duckstore"
	"github.com/autonomos/autonomos/dcl/warehousetest"
	"github.com/autonomos/autonomos/tenancy"
)

var (
	testTenant = tenancy.MustParse("5c0ffee0-1234-4abc-8def-0123456789ab")
	quiet      = slog.New(slog.DiscardHandler)
)

func newWarehouse(t *testing.T) *dcl.Warehouse {
	t.Helper()
	s, err := duckstore.Open("", &duckstore.Config{Threads: 2})
	if err != nil {
		t.Fatal(err)
	}
	w, err := dcl.New(s, &dcl.Config{Logger: quiet})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = w.Close() })
	return w
}

// streamEvents returns events with repeated records in several versions,
// out of order, and exact duplicates.
func streamEvents(n int) []canonical.Event {
	var out []canonical.Event
	for i := range n {
		key := fmt.Sprintf("op-%d", i%(n/3+1))
		version := (i * 7) % 5
		e := warehousetest.Event(testTenant, "opportunity", []string{"salesforce", "hubspot", "pipedrive"}[i%3], key, version, map[string]any{
			"id": key, "name": fmt.Sprintf("Deal %d v%d", i, version), "amount": mustDec(fmt.Sprintf("%d.25", i)),
			"stage": "Qualification", "is_won": i%2 == 0,
		})
		out = append(out, e)
		if i%10 == 0 {
			out = append(out, e) // the same event twice
		}
	}
	return out
}

func mustDec(s string) canonical.Decimal {
	d, err := canonical.NewDecimal(s)
	if err != nil {
		panic(err)
	}
	return d
}

func snapshot(t *testing.T, w *dcl.Warehouse) []string {
	t.Helper()
	res, err := w.Query(context.Background(), testTenant, "SELECT * FROM opportunity")
	if err != nil {
		t.Fatal(err)
	}
	out := make([]string, len(res.Rows))
	for i, r := range res.Rows {
		out[i] = fmt.Sprint(r...)
	}
	sort.Strings(out)
	return out
}

// consume runs a subscriber of group until every event ID in want was
// handled successfully at least once, with handle wrapping the engine.
func consume(t *testing.T, b *memstream.Broker, group string, want []canonical.Event, handle func(stream.Handler) stream.Handler, h stream.Handler) {
	t.Helper()
	pending := map[string]bool{}
	for _, e := range want {
		pending[e.ID] = true
	}
	sub, err := b.NewSubscriber(testTenant, group, &memstream.SubscriberConfig{
		MinIdle: 20 * time.Millisecond,
		Stream:  stream.SubscriberConfig{BatchSize: 64, Logger: quiet},
	})
	if err != nil {
		t.Fatal(err)
	}
	defer sub.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	var mu sync.Mutex
	inner := h
	if handle != nil {
		inner = handle(h)
	}
	err = sub.Run(ctx, func(ctx context.Context, events []canonical.Event) error {
		err := inner(ctx, events)
		if err == nil {
			mu.Lock()
			for _, e := range events {
				delete(pending, e.ID)
			}
			if len(pending) == 0 {
				cancel()
			}
			mu.Unlock()
		}
		return err
	})
	if len(pending) != 0 {
		t.Fatalf("%d events never handled (Run: %v)", len(pending), err)
	}
}

func publish(t *testing.T, b *memstream.Broker, events []canonical.Event) {
	t.Helper()
	pub, err := b.NewPublisher(nil)
	if err != nil {
		t.Fatal(err)
	}
	defer pub.Close()
	if err := pub.Publish(context.Background(), events...); err != nil {
		t.Fatal(err)
	}
}

// reference materializes events once each, in one batch, directly.
func reference(t *testing.T, events []canonical.Event) []string {
	w := newWarehouse(t)
	if err := w.Write(context.Background(), testTenant, events); err != nil {
		t.Fatal(err)
	}
	return snapshot(t, w)
}

func TestReplayWholeStreamTwiceLeavesTablesUnchanged(t *testing.T) {
	events := streamEvents(600)
	b := memstream.New(&memstream.Config{Logger: quiet})
	publish(t, b, events)
	w := newWarehouse(t)
	eng, err := dcl.NewEngine(w, &dcl.EngineConfig{Logger: quiet})
	if err != nil {
		t.Fatal(err)
	}
	consume(t, b, "warehouse", events, nil, eng.Handler(testTenant))
	first := snapshot(t, w)
	if want := reference(t, events); !reflect.DeepEqual(first, want) {
		t.Fatalf("stream materialization differs from direct one: %d rows vs %d", len(first), len(want))
	}
	// a new group reads the whole stream again from the start
	consume(t, b, "replay", events, nil, eng.Handler(testTenant))
	if again := snapshot(t, w); !reflect.DeepEqual(first, again) {
		t.Errorf("replay changed the tables: %d rows before, %d after", len(first), len(again))
	}
	if s := eng.Stats(); s.Written != int64(2*len(events)) || s.Rejected != 0 {
		t.Errorf("stats = %+v, want %d written", s, 2*len(events))
	}
}

func TestCrashBetweenCommitAndAck(t *testing.T) {
	events := streamEvents(300)
	b := memstream.New(&memstream.Config{Logger: quiet})
	publish(t, b, events)
	w := newWarehouse(t)
	eng, _ := dcl.NewEngine(w, &dcl.EngineConfig{Logger: quiet})
	errCrash := errors.New("crash after commit, before ack")
	var mu sync.Mutex
	crashes, committed := 0, 0
	// every third batch commits, then "crashes" before the ack: the
	// stream delivers it again
	crashy := func(h stream.Handler) stream.Handler {
		return func(ctx context.Context, evs []canonical.Event) error {
			if err := h(ctx, evs); err != nil {
				return err
			}
			mu.Lock()
			defer mu.Unlock()
			committed++
			if committed%3 == 1 {
				crashes++
				return errCrash
			}
			return nil
		}
	}
	consume(t, b, "warehouse", events, crashy, eng.Handler(testTenant))
	if crashes == 0 {
		t.Fatal("no crash simulated")
	}
	if got, want := snapshot(t, w), reference(t, events); !reflect.DeepEqual(got, want) {
		t.Errorf("after %d crashes: %d rows, want %d (lost or duplicated)", crashes, len(got), len(want))
	}
}

func TestHandlerRejectsInvalidEventsAndCommitsOthers(t *testing.T) {
	w := newWarehouse(t)
	eng, _ := dcl.NewEngine(w, &dcl.EngineConfig{Logger: quiet})
	good := warehousetest.Event(testTenant, "account", "csv", "1", 1, map[string]any{"id": "1", "name": "Acme"})
	bad := warehousetest.Event(testTenant, "account", "csv", "2", 1, map[string]any{"id": "2", "employee_count": "many"})
	err := eng.Handler(testTenant)(context.Background(), []canonical.Event{good, bad})
	var be *stream.BatchError
	if !errors.As(err, &be) || be.Errs[0] != nil || !errors.Is(be.Errs[1], dcl.ErrInvalidEvent) {
		t.Fatalf("handler error = %v, want a BatchError naming only event 2", err)
	}
	if !strings.Contains(be.Errs[1].Error(), "employee_count") {
		t.Errorf("error %q does not name the field", be.Errs[1])
	}
	res, err := w.Query(context.Background(), testTenant, "SELECT _source_key FROM account")
	if err != nil || len(res.Rows) != 1 || res.Rows[0][0] != "1" {
		t.Errorf("rows = %v (%v), want only the valid account", res, err)
	}
}
