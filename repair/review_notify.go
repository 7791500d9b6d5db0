package repair

import (
	"context"
	"fmt"
	"strings"

	"github.com/autonomos/autonomos/tenancy"
)

// Notifier tells people about repairs: those applied on their own and
// those waiting in the review queue. repair/slack posts to a Slack
// incoming webhook. Implementations must be safe for concurrent use and
// must not put secrets (a webhook URL, a token) in their errors.
type Notifier interface {
	Notify(ctx context.Context, n Notification) error
}

// NotifierFunc adapts a function to [Notifier].
type NotifierFunc func(ctx context.Context, n Notification) error

// Notify calls f.
func (f NotifierFunc) Notify(ctx context.Context, n Notification) error { return f(ctx, n) }

// Notification is what a [Notifier] is told after a drift was handled.
// It names fields and targets only, never sample values.
type Notification struct {
	// Tenant owns the mapping.
	Tenant tenancy.ID `json:"tenant_id"`
	// Key names the mapping.
	Key MappingKey `json:"key"`
	// Applied lists the repairs applied on their own.
	Applied []Repair `json:"applied,omitempty"`
	// Queued lists the repairs sent to review.
	Queued []ReviewItem `json:"queued,omitempty"`
	// Version is the mapping version after the applied repairs.
	Version int `json:"version"`
}

// Text renders the notification as a few lines of plain text.
func (n Notification) Text() string {
	var b strings.Builder
	fmt.Fprintf(&b, "Schema drift on %s", n.Key)
	if len(n.Applied) > 0 {
		fmt.Fprintf(&b, ": %d repair(s) applied (mapping version %d)", len(n.Applied), n.Version)
	}
	if len(n.Queued) > 0 {
		fmt.Fprintf(&b, ", %d waiting for review", len(n.Queued))
	}
	b.WriteString(".")
	for _, rp := range n.Applied {
		fmt.Fprintf(&b, "\n- applied: %s -> %s now carries %s (confidence %.2f)", rp.Field, rp.To, rp.Target, rp.Confidence)
	}
	for _, it := range n.Queued {
		if it.Repair.To == "" {
			fmt.Fprintf(&b, "\n- review %s: %s (%s) is gone with no replacement", it.ID, it.Repair.Field, it.Repair.Target)
			continue
		}
		fmt.Fprintf(&b, "\n- review %s: %s -> %s for %s? (confidence %.2f; %s)", it.ID, it.Repair.Field, it.Repair.To, it.Repair.Target, it.Repair.Confidence, it.Reason)
	}
	return b.String()
}
