package authntest

import (
	"context"
	"errors"
	"sync"
	"testing"
	"time"

	"github.com/autonomos/autonomos/authn"
)

// Clock is a settable clock for limiter tests. It is safe for concurrent
// use.
type Clock struct {
	mu  sync.Mutex
	now time.Time
}

// NewClock returns a Clock set to t.
func NewClock(t time.Time) *Clock { return &Clock{now: t} }

// Now returns the clock's time.
func (c *Clock) Now() time.Time { c.mu.Lock(); defer c.mu.Unlock(); return c.now }

// Add moves the clock forward by d.
func (c *Clock) Add(d time.Duration) { c.mu.Lock(); c.now = c.now.Add(d); c.mu.Unlock() }

// LimiterMaker makes a fresh [authn.LoginLimiter] that allows max
// failures per window and reads the time from now.
type LimiterMaker func(t *testing.T, max int, window time.Duration, now func() time.Time) authn.LoginLimiter

// RunLimiterTests runs the shared semantics of [authn.LoginLimiter]
// against limiters made by newLimiter: a sliding window of failures per
// key, a *ThrottledError carrying the exact wait, Reset, independent keys
// and concurrent failures counted exactly.
func RunLimiterTests(t *testing.T, newLimiter LimiterMaker) {
	t.Helper()
	ctx := context.Background()
	t0 := time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)
	const window = 15 * time.Minute

	t.Run("SlidingWindow", func(t *testing.T) {
		c := NewClock(t0)
		l := newLimiter(t, 5, window, c.Now)
		for i := range 5 {
			if err := l.Check(ctx, "ada@example.com"); err != nil {
				t.Fatalf("Check before failure %d: %v", i+1, err)
			}
			if err := l.Fail(ctx, "ada@example.com"); err != nil {
				t.Fatalf("Fail: %v", err)
			}
			c.Add(time.Minute)
		}
		// Failures at t0 .. t0+4m; now t0+5m: locked until t0+15m.
		var te *authn.ThrottledError
		if err := l.Check(ctx, "ada@example.com"); !errors.As(err, &te) || te.RetryAfter != 10*time.Minute {
			t.Fatalf("Check after 5 failures = %v, want ThrottledError{10m}", err)
		}
		c.Add(10*time.Minute - time.Millisecond)
		if err := l.Check(ctx, "ada@example.com"); !errors.As(err, &te) || te.RetryAfter != time.Millisecond {
			t.Fatalf("Check 1ms before the end = %v, want ThrottledError{1ms}", err)
		}
		c.Add(time.Millisecond)
		if err := l.Check(ctx, "ada@example.com"); err != nil {
			t.Fatalf("Check after the oldest failure left the window = %v", err)
		}
		// One failure more locks again, until the next oldest leaves.
		if err := l.Fail(ctx, "ada@example.com"); err != nil {
			t.Fatal(err)
		}
		if err := l.Check(ctx, "ada@example.com"); !errors.As(err, &te) || te.RetryAfter != time.Minute {
			t.Fatalf("Check after a new failure = %v, want ThrottledError{1m}", err)
		}
	})

	t.Run("ResetAndKeys", func(t *testing.T) {
		c := NewClock(t0)
		l := newLimiter(t, 3, window, c.Now)
		for range 3 {
			_ = l.Fail(ctx, "a@example.com")
			_ = l.Fail(ctx, "b@example.com")
		}
		_ = l.Fail(ctx, "c@example.com")
		for _, k := range []string{"a@example.com", "b@example.com"} {
			if err := l.Check(ctx, k); err == nil {
				t.Errorf("Check(%s) after 3 failures = nil", k)
			}
		}
		if err := l.Check(ctx, "c@example.com"); err != nil {
			t.Errorf("Check(c) after 1 failure = %v", err)
		}
		if err := l.Reset(ctx, "a@example.com"); err != nil {
			t.Fatal(err)
		}
		if err := l.Check(ctx, "a@example.com"); err != nil {
			t.Errorf("Check(a) after Reset = %v", err)
		}
		if err := l.Check(ctx, "b@example.com"); err == nil {
			t.Error("Reset of a also reset b")
		}
	})

	t.Run("ConcurrentFailures", func(t *testing.T) {
		c := NewClock(t0)
		l := newLimiter(t, 20, window, c.Now)
		var wg sync.WaitGroup
		for range 19 {
			wg.Add(1)
			go func() {
				defer wg.Done()
				if err := l.Fail(ctx, "race@example.com"); err != nil {
					t.Errorf("Fail: %v", err)
				}
			}()
		}
		wg.Wait()
		if err := l.Check(ctx, "race@example.com"); err != nil {
			t.Fatalf("Check after 19 of 20 failures = %v", err)
		}
		_ = l.Fail(ctx, "race@example.com")
		if err := l.Check(ctx, "race@example.com"); err == nil {
			t.Fatal("Check after 20 concurrent failures = nil: failures were lost")
		}
	})
}
