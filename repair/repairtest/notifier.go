package repairtest

import (
	"context"
	"errors"
	"sync"
	"testing"
	"time"

	"github.com/autonomos/autonomos/repair"
	"github.com/autonomos/autonomos/tenancy"
)

// SampleNotification returns a notification with one applied and one
// queued repair, for notifier tests.
func SampleNotification() repair.Notification {
	return repair.Notification{
		Tenant:  tenancy.MustParse("6f1c2a1e-8d1b-4c55-9a3e-1f2d3c4b5a69"),
		Key:     repair.MappingKey{Connection: "sf-prod", Object: "Opportunity"},
		Applied: []repair.Repair{{Field: "Amount", To: "Deal_Value__c", Target: "opportunity.amount", Confidence: 0.97, Action: repair.ActionAutoApply}},
		Queued: []repair.ReviewItem{{ID: "r-1", Key: repair.MappingKey{Connection: "sf-prod", Object: "Opportunity"},
			Repair: repair.Repair{Field: "Industry", Target: "account.industry", Action: repair.ActionReview}, Reason: repair.ReasonGone, Status: repair.ReviewPending}},
		Version: 4,
	}
}

// RunNotifierTests is the acceptance suite of a [repair.Notifier]: a
// notification is delivered without error, a cancelled context fails
// promptly with the context's error, and concurrent calls are safe.
// delivered, when not nil, returns how many notifications the receiving
// end has seen so far, to check none is lost.
func RunNotifierTests(t *testing.T, n repair.Notifier, delivered func() int) {
	t.Helper()
	t.Run("Delivers", func(t *testing.T) {
		before := count(delivered)
		if err := n.Notify(context.Background(), SampleNotification()); err != nil {
			t.Fatalf("Notify: %v", err)
		}
		if delivered != nil && delivered() != before+1 {
			t.Fatalf("delivered %d, want %d", delivered(), before+1)
		}
	})
	t.Run("CancelledContext", func(t *testing.T) {
		ctx, cancel := context.WithCancel(context.Background())
		cancel()
		start := time.Now()
		err := n.Notify(ctx, SampleNotification())
		if !errors.Is(err, context.Canceled) {
			t.Fatalf("Notify with a cancelled context = %v, want context.Canceled", err)
		}
		if d := time.Since(start); d > 5*time.Second {
			t.Fatalf("Notify with a cancelled context took %v", d)
		}
	})
	t.Run("Concurrent", func(t *testing.T) {
		const k = 8
		before := count(delivered)
		var wg sync.WaitGroup
		errs := make(chan error, k)
		for i := 0; i < k; i++ {
			wg.Add(1)
			go func() {
				defer wg.Done()
				errs <- n.Notify(context.Background(), SampleNotification())
			}()
		}
		wg.Wait()
		close(errs)
		for err := range errs {
			if err != nil {
				t.Fatalf("concurrent Notify: %v", err)
			}
		}
		if delivered != nil && delivered() != before+k {
			t.Fatalf("delivered %d, want %d", delivered(), before+k)
		}
	})
}

func count(f func() int) int {
	if f == nil {
		return 0
	}
	return f()
}
