package authn

import (
	"context"
	"sync"
	"time"
)

// LoginLimiter counts failed logins per account key (the normalized
// email) and locks an account out after too many. Implementations must be
// safe for concurrent use. [NewMemoryLimiter] is the in-process one; a
// deployment with several replicas can supply a shared one.
type LoginLimiter interface {
	// Check returns a *[ThrottledError] when key is locked out, nil
	// otherwise.
	Check(ctx context.Context, key string) error
	// Fail records one failed attempt for key.
	Fail(ctx context.Context, key string) error
	// Reset forgets key's failures (after a successful login).
	Reset(ctx context.Context, key string) error
}

// MemoryLimiter is an in-process [LoginLimiter] with a sliding window: a
// key with max failures within window is locked out until the oldest of
// them leaves the window. It is safe for concurrent use. Its memory is
// bounded by the number of keys with failures in the last window.
type MemoryLimiter struct {
	max    int
	window time.Duration
	now    func() time.Time

	mu       sync.Mutex
	failures map[string][]time.Time
	ops      int
}

// NewMemoryLimiter returns a MemoryLimiter allowing max failures per
// window (max below 1 counts as 1; a window of 0 or less never locks).
// now is the clock (nil means time.Now).
func NewMemoryLimiter(max int, window time.Duration, now func() time.Time) *MemoryLimiter {
	if now == nil {
		now = time.Now
	}
	if max < 1 {
		max = 1
	}
	return &MemoryLimiter{max: max, window: window, now: now, failures: map[string][]time.Time{}}
}

// prune drops failures of key older than the window and returns the
// rest. It must be called with mu held.
func (l *MemoryLimiter) prune(key string, now time.Time) []time.Time {
	fs := l.failures[key]
	i := 0
	for i < len(fs) && now.Sub(fs[i]) >= l.window {
		i++
	}
	fs = fs[i:]
	if len(fs) == 0 {
		delete(l.failures, key)
		return nil
	}
	l.failures[key] = fs
	return fs
}

// Check implements [LoginLimiter].
func (l *MemoryLimiter) Check(_ context.Context, key string) error {
	l.mu.Lock()
	defer l.mu.Unlock()
	now := l.now()
	fs := l.prune(key, now)
	if len(fs) < l.max {
		return nil
	}
	// Locked until enough failures leave the window to go under max.
	return &ThrottledError{RetryAfter: fs[len(fs)-l.max].Add(l.window).Sub(now)}
}

// Fail implements [LoginLimiter].
func (l *MemoryLimiter) Fail(_ context.Context, key string) error {
	l.mu.Lock()
	defer l.mu.Unlock()
	now := l.now()
	fs := l.prune(key, now)
	if len(fs) >= l.max {
		fs = fs[1:] // keep at most max entries per key
	}
	l.failures[key] = append(fs, now)
	l.ops++
	if l.ops%1024 == 0 {
		for k := range l.failures {
			l.prune(k, now)
		}
	}
	return nil
}

// Reset implements [LoginLimiter].
func (l *MemoryLimiter) Reset(_ context.Context, key string) error {
	l.mu.Lock()
	defer l.mu.Unlock()
	delete(l.failures, key)
	return nil
}
