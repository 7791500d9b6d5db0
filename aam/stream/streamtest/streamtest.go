// Package streamtest is the conformance suite of the
// [github.com/autonomos/autonomos/aam/stream] drivers. Every driver's tests
// run [RunConformanceTests]; a user's own driver can run it too, to prove
// that it delivers like the built-in ones:
//
//	func TestConformance(t *testing.T) {
//		streamtest.RunConformanceTests(t, func(ctx context.Context, t *testing.T) (streamtest.Harness, error) {
//			return myHarness{backend: newBackend(t)}, nil
//		})
//	}
//
// The suite checks order per tenant, tenant isolation, groups and
// consumers sharing work, at-least-once delivery after a handler error,
// redelivery of what a dead consumer held, dead letters after too many
// deliveries (and after consumers kept dying), their listing, replay and
// deletion, refusal of bodies that are not the tenant's events, a
// consumer killed in the middle of a batch, and close and context
// semantics. Its tests run in parallel on fresh random tenants and wait
// for redeliveries of a 150ms idle time, so a run takes a few seconds.
package streamtest

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/autonomos/autonomos/aam/stream"
	"github.com/autonomos/autonomos/aam/stream/driver"
	"github.com/autonomos/autonomos/canonical"
	"github.com/autonomos/autonomos/tenancy"
)

// Harness makes driver values on one backend for one test.
type Harness interface {
	// MakePublisher returns a driver publisher.
	MakePublisher(ctx context.Context) (driver.Publisher, error)
	// MakeSubscription returns a subscription of consumer, in group, to
	// the tenant's stream, redelivering messages left pending for
	// minIdle. It creates the group if needed; a new group starts at the
	// oldest message of the stream. Receive should not wait longer than
	// about 100ms when there is nothing to deliver. Closing the
	// subscription must release what the consumer holds (its own
	// connection, say) as a consumer process dying would.
	MakeSubscription(ctx context.Context, tenant tenancy.ID, group, consumer string, minIdle time.Duration) (driver.Subscription, error)
	// MakeDeadLetters returns the dead-letter list of the tenant and group.
	MakeDeadLetters(ctx context.Context, tenant tenancy.ID, group string) (driver.DeadLetters, error)
	// Close releases the harness.
	Close()
}

// HarnessMaker makes a Harness for one test.
type HarnessMaker func(ctx context.Context, t *testing.T) (Harness, error)

// RunConformanceTests runs the suite against the driver that newHarness
// makes. Every test uses fresh random tenants, so harnesses may share a
// backend.
func RunConformanceTests(t *testing.T, newHarness HarnessMaker) {
	tests := []struct {
		name string
		fn   func(*testing.T, *env)
	}{
		{"PublishValidation", testPublishValidation},
		{"OrderPerTenant", testOrderPerTenant},
		{"TenantIsolation", testTenantIsolation},
		{"GroupsAndConsumers", testGroupsAndConsumers},
		{"AtLeastOnceAfterHandlerError", testAtLeastOnceAfterHandlerError},
		{"RedeliveryAfterConsumerDeath", testRedeliveryAfterConsumerDeath},
		{"DeadLetterAndReplay", testDeadLetterAndReplay},
		{"DeadLetterWhenConsumersKeepDying", testDeadLetterWhenConsumersKeepDying},
		{"UndecodableMessage", testUndecodableMessage},
		{"KillConsumerMidBatch", testKillConsumerMidBatch},
		{"PublisherClose", testPublisherClose},
		{"SubscriberClose", testSubscriberClose},
		{"Context", testContext},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
			defer cancel()
			h, err := newHarness(ctx, t)
			if err != nil {
				t.Fatalf("make harness: %v", err)
			}
			defer h.Close()
			tc.fn(t, &env{t: t, ctx: ctx, h: h})
		})
	}
}

// env bundles what a test needs.
type env struct {
	t   *testing.T
	ctx context.Context
	h   Harness
}

const (
	shortIdle = 150 * time.Millisecond
	longIdle  = time.Minute
	waitFor   = 20 * time.Second
)

func (e *env) publisher(cfg *stream.PublisherConfig) *stream.Publisher {
	e.t.Helper()
	d, err := e.h.MakePublisher(e.ctx)
	if err != nil {
		e.t.Fatalf("make publisher: %v", err)
	}
	p, err := stream.NewPublisher(d, cfg)
	if err != nil {
		e.t.Fatalf("new publisher: %v", err)
	}
	e.t.Cleanup(func() { _ = p.Close() })
	return p
}

func (e *env) sub(tenant tenancy.ID, group, consumer string, minIdle time.Duration) driver.Subscription {
	e.t.Helper()
	d, err := e.h.MakeSubscription(e.ctx, tenant, group, consumer, minIdle)
	if err != nil {
		e.t.Fatalf("make subscription: %v", err)
	}
	return d
}

func (e *env) subscriber(tenant tenancy.ID, group, consumer string, minIdle time.Duration, cfg *stream.SubscriberConfig) *stream.Subscriber {
	e.t.Helper()
	s, err := stream.NewSubscriber(e.sub(tenant, group, consumer, minIdle), quiet(cfg))
	if err != nil {
		e.t.Fatalf("new subscriber: %v", err)
	}
	e.t.Cleanup(func() { _ = s.Close() })
	return s
}

func (e *env) deadLetters(tenant tenancy.ID, group string) *stream.DeadLetters {
	e.t.Helper()
	d, err := e.h.MakeDeadLetters(e.ctx, tenant, group)
	if err != nil {
		e.t.Fatalf("make dead letters: %v", err)
	}
	q, err := stream.NewDeadLetters(d)
	if err != nil {
		e.t.Fatalf("new dead letters: %v", err)
	}
	return q
}

// quiet returns a copy of cfg that logs nowhere: the suite provokes
// warnings on purpose.
func quiet(cfg *stream.SubscriberConfig) *stream.SubscriberConfig {
	var c stream.SubscriberConfig
	if cfg != nil {
		c = *cfg
	}
	c.Logger = slog.New(slog.DiscardHandler)
	return &c
}

// run starts s.Run in the background; the returned func stops it (by
// cancelling its context) and returns Run's error.
func (e *env) run(s *stream.Subscriber, h stream.Handler) func() error {
	ctx, cancel := context.WithCancel(e.ctx)
	errc := make(chan error, 1)
	go func() { errc <- s.Run(ctx, h) }()
	return func() error {
		cancel()
		select {
		case err := <-errc:
			return err
		case <-time.After(waitFor):
			return errors.New("Run did not return after its context was cancelled")
		}
	}
}

// eventually polls cond until it holds or the wait runs out.
func (e *env) eventually(what string, cond func() bool) {
	e.t.Helper()
	deadline := time.Now().Add(waitFor)
	for !cond() {
		if time.Now().After(deadline) {
			e.t.Fatalf("timed out waiting until %s", what)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// makeEvents returns n events of tenant with IDs prefix-0000...
func makeEvents(tenant tenancy.ID, prefix string, n int) []canonical.Event {
	at := time.Date(2026, 11, 22, 12, 0, 0, 0, time.UTC)
	out := make([]canonical.Event, n)
	for i := range out {
		out[i] = canonical.Event{
			ID:         fmt.Sprintf("%s-%04d", prefix, i),
			Tenant:     tenant,
			Source:     canonical.Source{System: "csv", ConnectionID: "conn-1", Object: "accounts.csv"},
			Entity:     "account",
			Op:         canonical.OpUpsert,
			SourceKey:  fmt.Sprintf("row-%d", i),
			Data:       map[string]any{"name": fmt.Sprintf("Account %d", i), "industry": "retail"},
			OccurredAt: at,
			IngestedAt: at.Add(time.Second),
		}
	}
	return out
}

func ids(events []canonical.Event) []string {
	out := make([]string, len(events))
	for i := range events {
		out[i] = events[i].ID
	}
	return out
}

// recorder is a Handler that records the events it handled, optionally
// failing some, in a goroutine-safe way.
type recorder struct {
	mu       sync.Mutex
	handled  []canonical.Event
	attempts map[string]int
	fail     func(e canonical.Event, attempt int) error
}

func newRecorder(fail func(e canonical.Event, attempt int) error) *recorder {
	return &recorder{attempts: map[string]int{}, fail: fail}
}

func (r *recorder) handler() stream.Handler {
	return stream.Each(func(ctx context.Context, e canonical.Event) error {
		r.mu.Lock()
		defer r.mu.Unlock()
		r.attempts[e.ID]++
		if r.fail != nil {
			if err := r.fail(e, r.attempts[e.ID]); err != nil {
				return err
			}
		}
		r.handled = append(r.handled, e)
		return nil
	})
}

func (r *recorder) handledIDs() []string {
	r.mu.Lock()
	defer r.mu.Unlock()
	return ids(r.handled)
}

func (r *recorder) count() int {
	r.mu.Lock()
	defer r.mu.Unlock()
	return len(r.handled)
}

func (r *recorder) attemptsOf(id string) int {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.attempts[id]
}

func distinct(xs []string) []string {
	out := slices.Clone(xs)
	slices.Sort(out)
	return slices.Compact(out)
}

func testPublishValidation(t *testing.T, e *env) {
	tenant := tenancy.New()
	p := e.publisher(nil)
	good := makeEvents(tenant, "good", 3)

	bad := slices.Clone(good)
	bad[1].Tenant = tenancy.Nil
	err := p.Publish(e.ctx, bad...)
	var inv *stream.InvalidEventError
	if !errors.As(err, &inv) || !errors.Is(err, stream.ErrInvalidEvent) {
		t.Fatalf("Publish with a nil tenant: got %v, want an *InvalidEventError", err)
	}
	if inv.Index != 1 || inv.EventID != "good-0001" {
		t.Errorf("InvalidEventError names event %d %q, want 1 %q", inv.Index, inv.EventID, "good-0001")
	}

	bad = slices.Clone(good)
	bad[2].ID = ""
	if err := p.Publish(e.ctx, bad...); !errors.As(err, &inv) || inv.Index != 2 {
		t.Fatalf("Publish with an empty id: got %v, want an *InvalidEventError at index 2", err)
	}
	if err := p.Publish(e.ctx); err != nil {
		t.Fatalf("Publish of nothing: %v", err)
	}

	// Nothing of the refused calls was published: the first message is
	// the marker published next.
	marker := makeEvents(tenant, "marker", 1)
	if err := p.Publish(e.ctx, marker...); err != nil {
		t.Fatal(err)
	}
	sub := e.sub(tenant, "g", "c1", longIdle)
	defer sub.Close()
	var got []*driver.Message
	e.eventually("the marker arrives", func() bool {
		msgs, err := sub.Receive(e.ctx, 10)
		if err != nil {
			t.Fatalf("Receive: %v", err)
		}
		got = append(got, msgs...)
		return len(got) > 0
	})
	ev, err := stream.Decode(tenant, got[0].Body)
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 1 || ev.ID != "marker-0000" {
		t.Fatalf("stream holds %d messages starting with %q, want only the marker", len(got), ev.ID)
	}
	if got[0].Deliveries != 1 || got[0].Tenant != tenant {
		t.Errorf("first delivery: Deliveries %d, Tenant %v; want 1, %v", got[0].Deliveries, got[0].Tenant, tenant)
	}
}

func testOrderPerTenant(t *testing.T, e *env) {
	a, b := tenancy.New(), tenancy.New()
	ea, eb := makeEvents(a, "a", 130), makeEvents(b, "b", 130)
	var mixed []canonical.Event
	for i := range ea {
		mixed = append(mixed, ea[i], eb[i])
	}
	p := e.publisher(&stream.PublisherConfig{MaxBatch: 64})
	if err := p.Publish(e.ctx, mixed...); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		tenant tenancy.ID
		want   []canonical.Event
	}{{a, ea}, {b, eb}} {
		rec := newRecorder(nil)
		s := e.subscriber(tc.tenant, "ordered", "c1", longIdle, &stream.SubscriberConfig{BatchSize: 50})
		stop := e.run(s, rec.handler())
		e.eventually("all events arrive", func() bool { return rec.count() >= len(tc.want) })
		if err := stop(); !errors.Is(err, context.Canceled) {
			t.Errorf("Run after cancel: %v, want context.Canceled", err)
		}
		if got, want := rec.handledIDs(), ids(tc.want); !slices.Equal(got, want) {
			t.Fatalf("tenant %v received %d events out of order or not exactly once: first %v", tc.tenant, len(got), got[:min(5, len(got))])
		}
		rec.mu.Lock()
		if !equalEvent(rec.handled[7], tc.want[7]) {
			t.Errorf("event changed in transit:\n got %+v\nwant %+v", rec.handled[7], tc.want[7])
		}
		rec.mu.Unlock()
	}
}

func equalEvent(a, b canonical.Event) bool {
	return a.ID == b.ID && a.Tenant == b.Tenant && a.Source == b.Source && a.Entity == b.Entity &&
		a.Op == b.Op && a.SourceKey == b.SourceKey && fmt.Sprint(a.Data) == fmt.Sprint(b.Data) &&
		a.OccurredAt.Equal(b.OccurredAt) && a.IngestedAt.Equal(b.IngestedAt)
}

func testTenantIsolation(t *testing.T, e *env) {
	a, b := tenancy.New(), tenancy.New()
	p := e.publisher(nil)
	if err := p.Publish(e.ctx, makeEvents(a, "a", 20)...); err != nil {
		t.Fatal(err)
	}
	if err := p.Publish(e.ctx, makeEvents(b, "b", 5)...); err != nil {
		t.Fatal(err)
	}
	// Same group and consumer names on both tenants: still separate.
	ra, rb := newRecorder(nil), newRecorder(func(ev canonical.Event, _ int) error {
		return errors.New("tenant b always fails")
	})
	sa := e.subscriber(a, "g", "c", longIdle, nil)
	sb := e.subscriber(b, "g", "c", shortIdle, &stream.SubscriberConfig{MaxDeliveries: 1})
	stopA, stopB := e.run(sa, ra.handler()), e.run(sb, rb.handler())
	dlB := e.deadLetters(b, "g")
	e.eventually("a's events handled and b's dead-lettered", func() bool {
		l, err := dlB.List(e.ctx, "", 100)
		return err == nil && len(l) == 5 && ra.count() == 20
	})
	_, _ = stopA(), stopB()
	for _, id := range ra.handledIDs() {
		if !strings.HasPrefix(id, "a-") {
			t.Fatalf("tenant a's subscriber received %q", id)
		}
	}
	rb.mu.Lock()
	for id := range rb.attempts {
		if !strings.HasPrefix(id, "b-") {
			t.Errorf("tenant b's subscriber received %q", id)
		}
	}
	rb.mu.Unlock()
	if l, err := e.deadLetters(a, "g").List(e.ctx, "", 100); err != nil || len(l) != 0 {
		t.Errorf("tenant a's dead letters: %d, %v; want none (b's must not leak)", len(l), err)
	}
	l, _ := dlB.List(e.ctx, "", 100)
	for _, d := range l {
		if d.Tenant != b || d.Event.Tenant != b {
			t.Errorf("dead letter %s of tenant b says tenant %v / %v", d.ID, d.Tenant, d.Event.Tenant)
		}
	}
}

func testGroupsAndConsumers(t *testing.T, e *env) {
	tenant := tenancy.New()
	events := makeEvents(tenant, "e", 200)
	p := e.publisher(nil)
	if err := p.Publish(e.ctx, events...); err != nil {
		t.Fatal(err)
	}
	// Group one has two consumers that share the work; group two has one
	// consumer that sees everything.
	r1, r2, r3 := newRecorder(nil), newRecorder(nil), newRecorder(nil)
	slow := func(r *recorder) stream.Handler {
		h := r.handler()
		return func(ctx context.Context, evs []canonical.Event) error {
			time.Sleep(20 * time.Millisecond) // let the other consumer take turns
			return h(ctx, evs)
		}
	}
	cfg := &stream.SubscriberConfig{BatchSize: 10}
	s1 := e.subscriber(tenant, "one", "c1", longIdle, cfg)
	s2 := e.subscriber(tenant, "one", "c2", longIdle, cfg)
	s3 := e.subscriber(tenant, "two", "c1", longIdle, cfg)
	stops := []func() error{e.run(s1, slow(r1)), e.run(s2, slow(r2)), e.run(s3, r3.handler())}
	e.eventually("both groups receive everything", func() bool {
		return r1.count()+r2.count() >= 200 && r3.count() >= 200
	})
	for _, stop := range stops {
		_ = stop()
	}
	one := append(r1.handledIDs(), r2.handledIDs()...)
	if len(one) != 200 || len(distinct(one)) != 200 {
		t.Errorf("group one's consumers handled %d events (%d distinct), want each of 200 once", len(one), len(distinct(one)))
	}
	if r1.count() == 0 || r2.count() == 0 {
		t.Errorf("consumers of group one handled %d and %d events; want both to take part", r1.count(), r2.count())
	}
	if got := r3.handledIDs(); !slices.Equal(got, ids(events)) {
		t.Errorf("group two handled %d events, want all 200 in order", len(got))
	}
}

func testAtLeastOnceAfterHandlerError(t *testing.T, e *env) {
	tenant := tenancy.New()
	events := makeEvents(tenant, "e", 30)
	p := e.publisher(nil)
	if err := p.Publish(e.ctx, events...); err != nil {
		t.Fatal(err)
	}
	failing := map[string]bool{"e-0003": true, "e-0010": true, "e-0029": true}
	rec := newRecorder(func(ev canonical.Event, attempt int) error {
		if failing[ev.ID] && attempt == 1 {
			return errors.New("transient failure")
		}
		return nil
	})
	s := e.subscriber(tenant, "g", "c1", shortIdle, nil)
	stop := e.run(s, rec.handler())
	e.eventually("every event is handled", func() bool { return len(distinct(rec.handledIDs())) == 30 })
	_ = stop()
	for id := range failing {
		if n := rec.attemptsOf(id); n != 2 {
			t.Errorf("event %s was attempted %d times, want 2 (one failure, one redelivery)", id, n)
		}
	}
	if n := rec.attemptsOf("e-0004"); n != 1 {
		t.Errorf("event e-0004 was attempted %d times, want 1: a failure must not send back the events that succeeded", n)
	}
	if l, err := e.deadLetters(tenant, "g").List(e.ctx, "", 10); err != nil || len(l) != 0 {
		t.Errorf("dead letters: %d, %v; want none", len(l), err)
	}
}

func receiveN(e *env, sub driver.Subscription, n int) []*driver.Message {
	e.t.Helper()
	var got []*driver.Message
	e.eventually(fmt.Sprintf("%d messages are received", n), func() bool {
		msgs, err := sub.Receive(e.ctx, n-len(got))
		if err != nil {
			e.t.Fatalf("Receive: %v", err)
		}
		got = append(got, msgs...)
		return len(got) >= n
	})
	return got
}

func testRedeliveryAfterConsumerDeath(t *testing.T, e *env) {
	tenant := tenancy.New()
	p := e.publisher(nil)
	if err := p.Publish(e.ctx, makeEvents(tenant, "e", 10)...); err != nil {
		t.Fatal(err)
	}
	dying := e.sub(tenant, "g", "dying", shortIdle)
	first := receiveN(e, dying, 10)
	if err := dying.Close(); err != nil { // dies without acknowledging
		t.Fatalf("Close: %v", err)
	}
	heir := e.sub(tenant, "g", "heir", shortIdle)
	defer heir.Close()
	again := receiveN(e, heir, 10)
	for i := range first {
		if again[i].ID != first[i].ID {
			t.Fatalf("redelivery %d is message %s, want %s (same messages, same order)", i, again[i].ID, first[i].ID)
		}
		if again[i].Deliveries != 2 {
			t.Errorf("message %s redelivered with Deliveries %d, want 2", again[i].ID, again[i].Deliveries)
		}
		if string(again[i].Body) != string(first[i].Body) {
			t.Errorf("message %s body changed on redelivery", again[i].ID)
		}
	}
	// Acknowledged messages never come back.
	if err := heir.Ack(e.ctx, []string{again[0].ID, again[1].ID}); err != nil {
		t.Fatal(err)
	}
	time.Sleep(2 * shortIdle)
	third := receiveN(e, heir, 8)
	for _, m := range third {
		if m.ID == again[0].ID || m.ID == again[1].ID {
			t.Errorf("acknowledged message %s was delivered again", m.ID)
		}
		if m.Deliveries != 3 {
			t.Errorf("message %s: Deliveries %d on its third delivery", m.ID, m.Deliveries)
		}
	}
}

func testDeadLetterAndReplay(t *testing.T, e *env) {
	tenant := tenancy.New()
	events := makeEvents(tenant, "e", 12)
	p := e.publisher(nil)
	if err := p.Publish(e.ctx, events...); err != nil {
		t.Fatal(err)
	}
	var mu sync.Mutex
	fixed := false
	rec := newRecorder(func(ev canonical.Event, attempt int) error {
		mu.Lock()
		defer mu.Unlock()
		if !fixed && (ev.ID == "e-0005" || ev.ID == "e-0008") {
			return fmt.Errorf("cannot store %s: constraint violated", ev.ID)
		}
		return nil
	})
	s := e.subscriber(tenant, "sink", "c1", shortIdle, &stream.SubscriberConfig{MaxDeliveries: 3})
	stop := e.run(s, rec.handler())
	dl := e.deadLetters(tenant, "sink")
	var letters []stream.DeadLetter
	e.eventually("both poison events are dead-lettered", func() bool {
		var err error
		letters, err = dl.List(e.ctx, "", 10)
		if err != nil {
			t.Fatalf("List: %v", err)
		}
		return len(letters) == 2
	})
	if got := len(distinct(rec.handledIDs())); got != 10 {
		t.Errorf("%d distinct events handled, want the 10 good ones", got)
	}
	for i, want := range []string{"e-0005", "e-0008"} {
		d := letters[i]
		if d.Event.ID != want || d.Deliveries != 3 || d.Group != "sink" || d.Consumer != "c1" || d.Tenant != tenant {
			t.Errorf("dead letter %d: event %q deliveries %d group %q consumer %q; want %q 3 sink c1", i, d.Event.ID, d.Deliveries, d.Group, d.Consumer, want)
		}
		if !strings.Contains(d.Reason, "constraint violated") {
			t.Errorf("dead letter %d reason %q does not carry the handler's error", i, d.Reason)
		}
		if d.At.IsZero() || d.MessageID == "" || d.ID == "" {
			t.Errorf("dead letter %d lacks its time or ids: %+v", i, d)
		}
		if n := rec.attemptsOf(want); n != 3 {
			t.Errorf("%s attempted %d times before dead-lettering, want 3", want, n)
		}
	}
	// Paging.
	page, err := dl.List(e.ctx, letters[0].ID, 10)
	if err != nil || len(page) != 1 || page[0].ID != letters[1].ID {
		t.Errorf("List after the first: %d letters, %v; want the second only", len(page), err)
	}

	// A person fixes the cause and replays one, deletes the other.
	mu.Lock()
	fixed = true
	mu.Unlock()
	done, err := dl.Replay(e.ctx, letters[0].ID, "no-such-id")
	if err != nil || !slices.Equal(done, []string{letters[0].ID}) {
		t.Fatalf("Replay: %v, %v; want [%s]", done, err, letters[0].ID)
	}
	e.eventually("the replayed event is handled", func() bool { return rec.attemptsOf("e-0005") == 4 })
	n, err := dl.Delete(e.ctx, letters[1].ID, letters[1].ID)
	if err != nil || n != 1 {
		t.Errorf("Delete: %d, %v; want 1", n, err)
	}
	if err := stop(); !errors.Is(err, context.Canceled) {
		t.Errorf("Run: %v", err)
	}
	if l, err := dl.List(e.ctx, "", 10); err != nil || len(l) != 0 {
		t.Errorf("dead letters after replay and delete: %d, %v; want none", len(l), err)
	}
	if n := rec.attemptsOf("e-0008"); n != 3 {
		t.Errorf("deleted dead letter e-0008 was attempted %d times, want 3 (never again)", n)
	}
}

func testDeadLetterWhenConsumersKeepDying(t *testing.T, e *env) {
	tenant := tenancy.New()
	p := e.publisher(nil)
	if err := p.Publish(e.ctx, makeEvents(tenant, "e", 1)...); err != nil {
		t.Fatal(err)
	}
	// Three consumers receive the message and die holding it.
	for i := range 3 {
		d := e.sub(tenant, "g", fmt.Sprintf("dies-%d", i), shortIdle)
		if m := receiveN(e, d, 1); m[0].Deliveries != i+1 {
			t.Fatalf("delivery %d has Deliveries %d", i+1, m[0].Deliveries)
		}
		_ = d.Close()
	}
	// The fourth delivery exceeds MaxDeliveries: dead-lettered without
	// reaching the handler.
	rec := newRecorder(nil)
	s := e.subscriber(tenant, "g", "survivor", shortIdle, &stream.SubscriberConfig{MaxDeliveries: 3})
	stop := e.run(s, rec.handler())
	dl := e.deadLetters(tenant, "g")
	e.eventually("the message is dead-lettered", func() bool {
		l, err := dl.List(e.ctx, "", 10)
		return err == nil && len(l) == 1
	})
	_ = stop()
	l, _ := dl.List(e.ctx, "", 10)
	if l[0].Deliveries != 4 || !strings.Contains(l[0].Reason, "delivered 4 times") {
		t.Errorf("dead letter: deliveries %d, reason %q", l[0].Deliveries, l[0].Reason)
	}
	if rec.count() != 0 {
		t.Errorf("handler saw %d events, want none", rec.count())
	}
}

func testUndecodableMessage(t *testing.T, e *env) {
	tenant, other := tenancy.New(), tenancy.New()
	d, err := e.h.MakePublisher(e.ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer d.Close()
	wrongTenant, _ := stream.Encode(&makeEvents(other, "x", 1)[0])
	good, _ := stream.Encode(&makeEvents(tenant, "good", 1)[0])
	msgs := []*driver.Message{
		{Tenant: tenant, Body: []byte("{not json")},
		{Tenant: tenant, Body: wrongTenant},
		{Tenant: tenant, Body: good},
	}
	if n, err := d.Publish(e.ctx, msgs); err != nil || n != 3 {
		t.Fatalf("driver Publish: %d, %v", n, err)
	}
	rec := newRecorder(nil)
	s := e.subscriber(tenant, "g", "c", longIdle, nil)
	stop := e.run(s, rec.handler())
	dl := e.deadLetters(tenant, "g")
	e.eventually("the good event is handled and the bad ones dead-lettered", func() bool {
		l, err := dl.List(e.ctx, "", 10)
		return err == nil && len(l) == 2 && rec.count() == 1
	})
	_ = stop()
	l, _ := dl.List(e.ctx, "", 10)
	if string(l[0].Body) != "{not json" || l[0].Deliveries != 1 || !strings.Contains(l[0].Reason, "not a JSON event") {
		t.Errorf("first dead letter: body %q deliveries %d reason %q", l[0].Body, l[0].Deliveries, l[0].Reason)
	}
	if !strings.Contains(l[1].Reason, "another tenant") || l[1].Event.ID != "" {
		t.Errorf("second dead letter: reason %q, decoded event %q (must not decode as another tenant's)", l[1].Reason, l[1].Event.ID)
	}
}

// testKillConsumerMidBatch kills a consumer while it is in the middle of
// a batch: its context is cancelled and its connection closed before it
// acknowledges anything. Another consumer must then get every event at
// least once, and the poison events must end in the dead-letter list and
// come back when replayed.
func testKillConsumerMidBatch(t *testing.T, e *env) {
	tenant := tenancy.New()
	events := makeEvents(tenant, "e", 300)
	poison := map[string]bool{"e-0017": true, "e-0150": true}
	p := e.publisher(&stream.PublisherConfig{MaxBatch: 100})
	if err := p.Publish(e.ctx, events...); err != nil {
		t.Fatal(err)
	}

	var mu sync.Mutex
	handledBy := map[string][]string{} // event id -> consumers that handled it
	fixed := false
	mark := func(consumer string) func(context.Context, canonical.Event) error {
		return func(ctx context.Context, ev canonical.Event) error {
			mu.Lock()
			defer mu.Unlock()
			if poison[ev.ID] && !fixed {
				return errors.New("poison")
			}
			handledBy[ev.ID] = append(handledBy[ev.ID], consumer)
			return nil
		}
	}

	// Consumer A handles half of its first batch, then dies.
	victimDrv := e.sub(tenant, "g", "victim", shortIdle)
	victim, err := stream.NewSubscriber(victimDrv, quiet(&stream.SubscriberConfig{BatchSize: 50}))
	if err != nil {
		t.Fatal(err)
	}
	vctx, kill := context.WithCancel(e.ctx)
	each := stream.Each(mark("victim"))
	var victimSaw int
	vh := func(ctx context.Context, evs []canonical.Event) error {
		victimSaw = len(evs)
		_ = each(ctx, evs[:len(evs)/2])
		kill()                // the process dies mid-batch ...
		_ = victimDrv.Close() // ... and its connection with it
		<-ctx.Done()
		return ctx.Err()
	}
	if err := victim.Run(vctx, vh); !errors.Is(err, context.Canceled) {
		t.Fatalf("victim Run: %v, want context.Canceled", err)
	}
	mu.Lock()
	victimHandled := len(handledBy)
	mu.Unlock()
	// Half of the batch is 25 events, one of them poison.
	if victimSaw != 50 || victimHandled != 24 {
		t.Fatalf("victim saw %d events and handled %d before dying, want 50 and 24", victimSaw, victimHandled)
	}

	// Consumer B takes over, including the batch the victim held.
	heir := e.subscriber(tenant, "g", "heir", shortIdle, &stream.SubscriberConfig{BatchSize: 50, MaxDeliveries: 3})
	stop := e.run(heir, stream.Each(mark("heir")))
	dl := e.deadLetters(tenant, "g")
	e.eventually("every good event is handled and the poison dead-lettered", func() bool {
		mu.Lock()
		n := len(handledBy)
		mu.Unlock()
		l, err := dl.List(e.ctx, "", 10)
		return err == nil && len(l) == 2 && n == 298
	})
	mu.Lock()
	for _, ev := range events {
		if poison[ev.ID] {
			continue
		}
		by := handledBy[ev.ID]
		if len(by) == 0 {
			t.Errorf("event %s was never delivered", ev.ID)
		}
		if by[len(by)-1] != "heir" && len(by) < 2 {
			// Events the victim handled without acknowledging must be
			// delivered again: at least once, not at most once.
			t.Errorf("event %s handled only by %v", ev.ID, by)
		}
	}
	// The victim's handled-but-unacknowledged half came back to the heir.
	if by := handledBy["e-0000"]; !slices.Equal(by, []string{"victim", "heir"}) {
		t.Errorf("e-0000 handled by %v, want [victim heir]", by)
	}
	fixed = true
	mu.Unlock()

	letters, _ := dl.List(e.ctx, "", 10)
	for _, l := range letters {
		if !poison[l.Event.ID] || l.Deliveries != 3 || l.Consumer != "heir" {
			t.Errorf("dead letter %s: event %q deliveries %d consumer %q", l.ID, l.Event.ID, l.Deliveries, l.Consumer)
		}
	}
	if _, err := dl.Replay(e.ctx, letters[0].ID, letters[1].ID); err != nil {
		t.Fatal(err)
	}
	e.eventually("the replayed poison events are handled", func() bool {
		mu.Lock()
		defer mu.Unlock()
		return len(handledBy["e-0017"]) == 1 && len(handledBy["e-0150"]) == 1
	})
	_ = stop()
	mu.Lock()
	defer mu.Unlock()
	if len(handledBy) != 300 {
		t.Errorf("%d distinct events handled in the end, want all 300", len(handledBy))
	}
}

func testPublisherClose(t *testing.T, e *env) {
	d, err := e.h.MakePublisher(e.ctx)
	if err != nil {
		t.Fatal(err)
	}
	p, err := stream.NewPublisher(d, nil)
	if err != nil {
		t.Fatal(err)
	}
	tenant := tenancy.New()
	if err := p.Publish(e.ctx, makeEvents(tenant, "e", 2)...); err != nil {
		t.Fatal(err)
	}
	if err := p.Close(); err != nil {
		t.Fatalf("Close: %v", err)
	}
	if err := p.Publish(e.ctx, makeEvents(tenant, "late", 1)...); !errors.Is(err, stream.ErrClosed) {
		t.Errorf("Publish after Close: %v, want ErrClosed", err)
	}
	if err := p.Close(); !errors.Is(err, stream.ErrClosed) {
		t.Errorf("second Close: %v, want ErrClosed", err)
	}
}

func testSubscriberClose(t *testing.T, e *env) {
	tenant := tenancy.New()
	// Close while Run waits for messages: Run returns nil promptly.
	s := e.subscriber(tenant, "g", "c1", shortIdle, nil)
	errc := make(chan error, 1)
	go func() { errc <- s.Run(e.ctx, func(context.Context, []canonical.Event) error { return nil }) }()
	time.Sleep(50 * time.Millisecond)
	start := time.Now()
	if err := s.Close(); err != nil {
		t.Fatalf("Close: %v", err)
	}
	select {
	case err := <-errc:
		if err != nil {
			t.Errorf("Run after Close: %v, want nil", err)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("Run did not return after Close")
	}
	if d := time.Since(start); d > 3*time.Second {
		t.Errorf("Close took %s", d)
	}
	if err := s.Run(e.ctx, func(context.Context, []canonical.Event) error { return nil }); !errors.Is(err, stream.ErrClosed) {
		t.Errorf("Run on a closed subscriber: %v, want ErrClosed", err)
	}
	if err := s.Close(); !errors.Is(err, stream.ErrClosed) {
		t.Errorf("second Close: %v, want ErrClosed", err)
	}

	// Close while the handler works: the batch is finished and
	// acknowledged before Close returns, so it is never delivered again.
	p := e.publisher(nil)
	if err := p.Publish(e.ctx, makeEvents(tenant, "e", 5)...); err != nil {
		t.Fatal(err)
	}
	s2 := e.subscriber(tenant, "g2", "c1", shortIdle, nil)
	inHandler, release := make(chan struct{}), make(chan struct{})
	var once sync.Once
	go func() {
		errc <- s2.Run(e.ctx, func(ctx context.Context, evs []canonical.Event) error {
			once.Do(func() { close(inHandler) })
			<-release
			return nil
		})
	}()
	<-inHandler
	closed := make(chan error, 1)
	go func() { closed <- s2.Close() }()
	select {
	case <-closed:
		t.Fatal("Close returned while the handler was still running")
	case <-time.After(100 * time.Millisecond):
	}
	close(release)
	if err := <-closed; err != nil {
		t.Errorf("Close: %v", err)
	}
	if err := <-errc; err != nil {
		t.Errorf("Run: %v", err)
	}
	again := e.sub(tenant, "g2", "c2", shortIdle)
	defer again.Close()
	time.Sleep(3 * shortIdle)
	for range 3 {
		msgs, err := again.Receive(e.ctx, 10)
		if err != nil {
			t.Fatal(err)
		}
		if len(msgs) > 0 {
			t.Fatalf("%d messages delivered again after a clean Close, want none", len(msgs))
		}
	}

	// Only one Run at a time.
	s3 := e.subscriber(tenant, "g3", "c1", shortIdle, nil)
	stop := e.run(s3, func(context.Context, []canonical.Event) error { return nil })
	time.Sleep(50 * time.Millisecond)
	if err := s3.Run(e.ctx, func(context.Context, []canonical.Event) error { return nil }); !errors.Is(err, stream.ErrRunning) {
		t.Errorf("second Run: %v, want ErrRunning", err)
	}
	_ = stop()
}

func testContext(t *testing.T, e *env) {
	tenant := tenancy.New()
	p := e.publisher(nil)
	ctx, cancel := context.WithCancel(e.ctx)
	cancel()
	if err := p.Publish(ctx, makeEvents(tenant, "e", 1)...); err != context.Canceled {
		t.Errorf("Publish with a cancelled context: %v, want context.Canceled as it is", err)
	}
	s := e.subscriber(tenant, "g", "c", shortIdle, nil)
	if err := s.Run(ctx, func(context.Context, []canonical.Event) error { return nil }); err != context.Canceled {
		t.Errorf("Run with a cancelled context: %v, want context.Canceled as it is", err)
	}
	// A handler that fails because its context was cancelled does not
	// burn deliveries toward the dead-letter list.
	if err := p.Publish(e.ctx, makeEvents(tenant, "f", 1)...); err != nil {
		t.Fatal(err)
	}
	s2 := e.subscriber(tenant, "g2", "c", shortIdle, &stream.SubscriberConfig{MaxDeliveries: 1})
	rctx, rcancel := context.WithCancel(e.ctx)
	err := s2.Run(rctx, func(ctx context.Context, evs []canonical.Event) error {
		rcancel()
		return ctx.Err()
	})
	if !errors.Is(err, context.Canceled) {
		t.Errorf("Run: %v", err)
	}
	if l, err := e.deadLetters(tenant, "g2").List(e.ctx, "", 10); err != nil || len(l) != 0 {
		t.Errorf("dead letters after a shutdown: %d, %v; want none", len(l), err)
	}
}
