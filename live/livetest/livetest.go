// Package livetest is the conformance suite of [live.Hub] drivers. Every
// driver's tests run it, so the in-process and the Redis driver are
// proven to behave the same; a driver of your own can prove it too:
//
//	func TestConformance(t *testing.T) {
//		livetest.Run(t, func(t *testing.T) livetest.Harness {
//			return livetest.Harness{Hub: myhub.New(...), Buffer: 16, Forget: 64}
//		})
//	}
//
// Each test uses fresh random tenants, so a harness may hand out hubs that
// share one backend. Drivers may publish asynchronously: the suite never
// expects an event before a subscriber could have received it.
package livetest

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/autonomos/autonomos/live"
	"github.com/autonomos/autonomos/tenancy"
)

// Harness is one hub under test and what the suite must know of its
// bounds.
type Harness struct {
	// Hub is the hub; the suite closes it.
	Hub live.Hub
	// Buffer is how far (in events) a subscriber may fall behind before
	// it must get live.ErrGap. Keep it small (tens): the suite publishes
	// a few times as many events.
	Buffer int
	// Forget is a number of events after which an earlier event's
	// successor is surely no longer held for resume.
	Forget int
}

// Maker returns a new harness for one test.
type Maker func(t *testing.T) Harness

// wait bounds every wait of the suite; drivers deliver far sooner.
const wait = 10 * time.Second

// Run runs the suite.
func Run(t *testing.T, newHarness Maker) {
	tests := []struct {
		name string
		f    func(*testing.T, Harness)
	}{
		{"LiveInOrder", testLiveInOrder},
		{"TenantsApart", testTenantsApart},
		{"ResumeDeliversExactlyTheMissed", testResume},
		{"ResumeFromTheLastIsLive", testResumeFromLast},
		{"ResumeTooOldIsAGap", testResumeTooOld},
		{"MalformedID", testMalformedID},
		{"SlowSubscriberGetsAGap", testSlowSubscriber},
		{"InvalidEvents", testInvalidEvents},
		{"ConcurrentPublishers", testConcurrentPublishers},
		{"Close", testClose},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			h := newHarness(t)
			t.Cleanup(func() { _ = h.Hub.Close() })
			tc.f(t, h)
		})
	}
}

type payload struct {
	N int `json:"n"`
}

func data(n int) json.RawMessage { return json.RawMessage(fmt.Sprintf(`{"n":%d}`, n)) }

func number(t *testing.T, e live.Event) int {
	t.Helper()
	var p payload
	if err := json.Unmarshal(e.Data, &p); err != nil {
		t.Fatalf("event %s data %s: %v", e.ID, e.Data, err)
	}
	return p.N
}

func publish(t *testing.T, hub live.Hub, tenant tenancy.ID, from, to int) {
	t.Helper()
	for n := from; n < to; n++ {
		if err := hub.Publish(context.Background(), tenant, "test.event", data(n)); err != nil {
			t.Fatalf("Publish %d: %v", n, err)
		}
	}
}

func subscribe(t *testing.T, hub live.Hub, tenant tenancy.ID, last string) live.Subscription {
	t.Helper()
	s, err := hub.Subscribe(context.Background(), tenant, last)
	if err != nil {
		t.Fatalf("Subscribe(%q): %v", last, err)
	}
	t.Cleanup(func() { _ = s.Close() })
	return s
}

func next(t *testing.T, s live.Subscription) live.Event {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), wait)
	defer cancel()
	e, err := s.Next(ctx)
	if err != nil {
		t.Fatalf("Next: %v", err)
	}
	return e
}

// nothing checks that no event is pending within a short while.
func nothing(t *testing.T, s live.Subscription) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 300*time.Millisecond)
	defer cancel()
	if e, err := s.Next(ctx); !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("Next = event %+v, err %v; want nothing (deadline exceeded)", e, err)
	}
}

// readUntil reads until the event numbered last, returning the numbers
// seen and how many gaps came before each (-1 marks a gap).
func readUntil(t *testing.T, s live.Subscription, last int) []int {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), wait)
	defer cancel()
	var seen []int
	for {
		e, err := s.Next(ctx)
		if errors.Is(err, live.ErrGap) {
			seen = append(seen, -1)
			continue
		}
		if err != nil {
			t.Fatalf("Next after %v: %v", tail(seen), err)
		}
		n := number(t, e)
		seen = append(seen, n)
		if n == last {
			return seen
		}
	}
}

func tail(s []int) []int {
	if len(s) > 10 {
		return s[len(s)-10:]
	}
	return s
}

func testLiveInOrder(t *testing.T, h Harness) {
	tenant := tenancy.New()
	s := subscribe(t, h.Hub, tenant, "")
	before := time.Now().Add(-time.Minute)
	publish(t, h.Hub, tenant, 0, 3)
	ids := map[string]bool{}
	for want := range 3 {
		e := next(t, s)
		if n := number(t, e); n != want || e.Type != "test.event" || e.Tenant != tenant {
			t.Fatalf("event %d = %+v (n %d)", want, e, n)
		}
		if e.ID == "" || ids[e.ID] {
			t.Fatalf("event %d has id %q (empty or repeated)", want, e.ID)
		}
		ids[e.ID] = true
		if e.At.Before(before) || e.At.After(time.Now().Add(time.Minute)) {
			t.Fatalf("event %d At = %v", want, e.At)
		}
	}
	nothing(t, s)
	// No data is published as JSON null.
	if err := h.Hub.Publish(context.Background(), tenant, "test.empty", nil); err != nil {
		t.Fatal(err)
	}
	if e := next(t, s); e.Type != "test.empty" || string(e.Data) != "null" {
		t.Fatalf("event without data = %+v", e)
	}
}

func testTenantsApart(t *testing.T, h Harness) {
	a, b := tenancy.New(), tenancy.New()
	sa := subscribe(t, h.Hub, a, "")
	sb := subscribe(t, h.Hub, b, "")
	publish(t, h.Hub, b, 100, 103)
	publish(t, h.Hub, a, 0, 1)
	if e := next(t, sa); number(t, e) != 0 || e.Tenant != a {
		t.Fatalf("tenant A's subscriber got %+v", e)
	}
	nothing(t, sa)
	for want := 100; want < 103; want++ {
		if e := next(t, sb); number(t, e) != want || e.Tenant != b {
			t.Fatalf("tenant B's subscriber got %+v, want n=%d", e, want)
		}
	}
	// Resuming from another tenant's id gives nothing of that tenant.
	s := subscribe(t, h.Hub, a, "")
	publish(t, h.Hub, b, 103, 104)
	publish(t, h.Hub, a, 1, 2)
	if e := next(t, s); e.Tenant != a || number(t, e) != 1 {
		t.Fatalf("got %+v, want tenant A's n=1", e)
	}
}

func testResume(t *testing.T, h Harness) {
	tenant := tenancy.New()
	s := subscribe(t, h.Hub, tenant, "")
	publish(t, h.Hub, tenant, 0, 5)
	var evs []live.Event
	for range 5 {
		evs = append(evs, next(t, s))
	}
	// A client saw up to #1, then its connection dropped.
	r := subscribe(t, h.Hub, tenant, evs[1].ID)
	for want := 2; want < 5; want++ {
		e := next(t, r)
		if n := number(t, e); n != want || e.ID != evs[want].ID {
			t.Fatalf("resumed event = n %d id %s, want n %d id %s", n, e.ID, want, evs[want].ID)
		}
	}
	nothing(t, r)
	publish(t, h.Hub, tenant, 5, 6)
	if e := next(t, r); number(t, e) != 5 {
		t.Fatalf("live event after resume: %+v", e)
	}
	nothing(t, r)
}

func testResumeFromLast(t *testing.T, h Harness) {
	tenant := tenancy.New()
	s := subscribe(t, h.Hub, tenant, "")
	publish(t, h.Hub, tenant, 0, 2)
	next(t, s)
	last := next(t, s)
	r := subscribe(t, h.Hub, tenant, last.ID)
	nothing(t, r)
	publish(t, h.Hub, tenant, 2, 3)
	if e := next(t, r); number(t, e) != 2 {
		t.Fatalf("got %+v, want n=2", e)
	}
}

func testResumeTooOld(t *testing.T, h Harness) {
	tenant := tenancy.New()
	s := subscribe(t, h.Hub, tenant, "")
	publish(t, h.Hub, tenant, 0, 1)
	first := next(t, s)
	publish(t, h.Hub, tenant, 1, 1+h.Forget)
	readUntil(t, s, h.Forget) // all of them are in the hub now
	r := subscribe(t, h.Hub, tenant, first.ID)
	ctx, cancel := context.WithTimeout(context.Background(), wait)
	defer cancel()
	if e, err := r.Next(ctx); !errors.Is(err, live.ErrGap) {
		t.Fatalf("resume from an id %d events back: first Next = %+v, %v; want ErrGap", h.Forget, e, err)
	}
	// The subscription goes on: live events arrive after the gap (held
	// ones may come first).
	publish(t, h.Hub, tenant, 1+h.Forget, 2+h.Forget)
	seen := readUntil(t, r, 1+h.Forget)
	for i := 1; i < len(seen); i++ {
		if seen[i] == -1 || seen[i] <= seen[i-1] {
			t.Fatalf("after the gap: %v, want increasing numbers", tail(seen))
		}
	}
}

func testMalformedID(t *testing.T, h Harness) {
	for _, id := range []string{"not an id", "-", "12-x-3", "\x00"} {
		s, err := h.Hub.Subscribe(context.Background(), tenancy.New(), id)
		if !errors.Is(err, live.ErrInvalidID) {
			if s != nil {
				_ = s.Close()
			}
			t.Errorf("Subscribe(%q): err = %v, want ErrInvalidID", id, err)
		}
	}
	if _, err := h.Hub.Subscribe(context.Background(), tenancy.Nil, ""); !errors.Is(err, tenancy.ErrInvalidID) {
		t.Errorf("Subscribe of the nil tenant: %v", err)
	}
}

func testSlowSubscriber(t *testing.T, h Harness) {
	tenant := tenancy.New()
	slow := subscribe(t, h.Hub, tenant, "")
	fast := subscribe(t, h.Hub, tenant, "")
	total := 4 * h.Buffer
	var fastSeen []int
	done := make(chan struct{})
	go func() {
		defer close(done)
		ctx, cancel := context.WithTimeout(context.Background(), wait)
		defer cancel()
		for {
			e, err := fast.Next(ctx)
			if errors.Is(err, live.ErrGap) {
				fastSeen = append(fastSeen, -1)
				continue
			}
			if err != nil {
				return
			}
			var p payload
			_ = json.Unmarshal(e.Data, &p)
			fastSeen = append(fastSeen, p.N)
			if p.N == total-1 {
				return
			}
		}
	}()
	// The publisher does not wait for the slow subscriber, which reads
	// nothing until every event went through the hub.
	publish(t, h.Hub, tenant, 0, total)
	<-done
	if len(fastSeen) == 0 || fastSeen[len(fastSeen)-1] != total-1 {
		t.Fatalf("the reading subscriber did not get the last event: %v", tail(fastSeen))
	}
	seen := readUntil(t, slow, total-1)
	gaps := 0
	for i, n := range seen {
		if n == -1 {
			gaps++
			continue
		}
		// Without a gap just before, numbers go up by one: nothing is
		// lost silently.
		if i > 0 && seen[i-1] != -1 && n != seen[i-1]+1 {
			t.Fatalf("slow subscriber went from %d to %d without a gap: %v", seen[i-1], n, seen)
		}
		if i == 0 && n != 0 {
			t.Fatalf("slow subscriber started at %d without a gap", n)
		}
	}
	if gaps == 0 {
		t.Fatalf("slow subscriber %d events behind (buffer %d) got no gap: %d events", total, h.Buffer, len(seen))
	}
	if len(seen)-gaps >= total {
		t.Fatalf("slow subscriber got all %d events and a gap", total)
	}
}

func testInvalidEvents(t *testing.T, h Harness) {
	tenant := tenancy.New()
	cases := map[string]struct {
		typ  string
		data json.RawMessage
	}{
		"empty type":   {"", data(1)},
		"spaced type":  {"graph changed", data(1)},
		"long type":    {string(make([]byte, live.MaxTypeLen+1)), data(1)},
		"invalid JSON": {"test.event", json.RawMessage(`{"n":`)},
		"huge data":    {"test.event", json.RawMessage(`"` + string(make([]byte, live.MaxDataBytes)) + `"`)},
	}
	for name, c := range cases {
		if err := h.Hub.Publish(context.Background(), tenant, c.typ, c.data); !errors.Is(err, live.ErrInvalidEvent) {
			t.Errorf("%s: Publish err = %v, want ErrInvalidEvent", name, err)
		}
	}
	if err := h.Hub.Publish(context.Background(), tenancy.Nil, "test.event", data(1)); !errors.Is(err, tenancy.ErrInvalidID) {
		t.Errorf("Publish to the nil tenant: %v", err)
	}
}

func testConcurrentPublishers(t *testing.T, h Harness) {
	tenant := tenancy.New()
	s := subscribe(t, h.Hub, tenant, "")
	const writers = 4
	each := max(h.Buffer/writers/2, 2)
	got := make(chan []int, 1)
	go func() {
		ctx, cancel := context.WithTimeout(context.Background(), wait)
		defer cancel()
		var seen []int
		for len(seen) < writers*each {
			e, err := s.Next(ctx)
			if err != nil {
				seen = append(seen, -1)
				if !errors.Is(err, live.ErrGap) {
					break
				}
				continue
			}
			var p payload
			_ = json.Unmarshal(e.Data, &p)
			seen = append(seen, p.N)
		}
		got <- seen
	}()
	var wg sync.WaitGroup
	for w := range writers {
		wg.Go(func() {
			for i := range each {
				if err := h.Hub.Publish(context.Background(), tenant, "test.event", data(w*1000+i)); err != nil {
					t.Errorf("Publish: %v", err)
				}
			}
		})
	}
	wg.Wait()
	seen := <-got
	last := map[int]int{}
	for _, n := range seen {
		if n < 0 {
			t.Fatalf("a subscriber keeping up with %d events got an error: %v", writers*each, seen)
		}
		w, i := n/1000, n%1000
		if prev, ok := last[w]; ok && i != prev+1 || !ok && i != 0 {
			t.Fatalf("writer %d's events out of order or lost: %v", w, seen)
		}
		last[w] = i
	}
}

func testClose(t *testing.T, h Harness) {
	tenant := tenancy.New()
	s := subscribe(t, h.Hub, tenant, "")
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Next(context.Background()); !errors.Is(err, live.ErrClosed) {
		t.Fatalf("Next after Close: %v", err)
	}
	_ = s.Close() // twice is fine

	waiting := subscribe(t, h.Hub, tenant, "")
	errc := make(chan error, 1)
	go func() {
		ctx, cancel := context.WithTimeout(context.Background(), wait)
		defer cancel()
		_, err := waiting.Next(ctx)
		errc <- err
	}()
	time.Sleep(50 * time.Millisecond)
	if err := h.Hub.Close(); err != nil {
		t.Fatal(err)
	}
	if err := <-errc; !errors.Is(err, live.ErrClosed) {
		t.Fatalf("waiting Next when the hub closed: %v", err)
	}
	if err := h.Hub.Publish(context.Background(), tenant, "test.event", data(1)); !errors.Is(err, live.ErrClosed) {
		t.Fatalf("Publish after Close: %v", err)
	}
	if _, err := h.Hub.Subscribe(context.Background(), tenant, ""); !errors.Is(err, live.ErrClosed) {
		t.Fatalf("Subscribe after Close: %v", err)
	}
}
