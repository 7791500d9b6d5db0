// Package redistelemetry is the Redis driver of package telemetry: one
// hash per tenant at "dcl:llm_telemetry:{tenant_id}", with fields
// "calls:<model>", "prompt_tokens:<model>" and "completion_tokens:<model>"
// incremented in one MULTI/EXEC, so replicas sharing Redis count
// together and never lose an increment.
package redistelemetry

import (
	"context"
	"fmt"
	"strconv"
	"strings"

	"github.com/redis/go-redis/v9"

	"github.com/autonomos/autonomos/dcl/telemetry"
	"github.com/autonomos/autonomos/tenancy"
)

// Driver counts in Redis. It is safe for concurrent use; the caller owns
// the client.
type Driver struct{ c redis.UniversalClient }

var _ telemetry.Driver = (*Driver)(nil)

// New returns a Driver over c.
func New(c redis.UniversalClient) *Driver { return &Driver{c: c} }

// Key returns the Redis key of tenant's counters.
func Key(tenant tenancy.ID) string { return "dcl:llm_telemetry:" + tenant.String() }

// Add implements [telemetry.Driver].
func (d *Driver) Add(ctx context.Context, tenant tenancy.ID, model string, u telemetry.Usage) error {
	key := Key(tenant)
	_, err := d.c.TxPipelined(ctx, func(p redis.Pipeliner) error {
		p.HIncrBy(ctx, key, "calls:"+model, u.Calls)
		p.HIncrBy(ctx, key, "prompt_tokens:"+model, u.PromptTokens)
		p.HIncrBy(ctx, key, "completion_tokens:"+model, u.CompletionTokens)
		return nil
	})
	if err != nil {
		return fmt.Errorf("redistelemetry: add: %w", err)
	}
	return nil
}

// Totals implements [telemetry.Driver].
func (d *Driver) Totals(ctx context.Context, tenant tenancy.ID) (telemetry.Totals, error) {
	m, err := d.c.HGetAll(ctx, Key(tenant)).Result()
	if err != nil {
		return nil, fmt.Errorf("redistelemetry: totals: %w", err)
	}
	out := telemetry.Totals{}
	for field, val := range m {
		kind, model, ok := strings.Cut(field, ":")
		n, perr := strconv.ParseInt(val, 10, 64)
		if !ok || perr != nil {
			return nil, fmt.Errorf("redistelemetry: totals: malformed field %q in %s", field, Key(tenant))
		}
		u := out[model]
		switch kind {
		case "calls":
			u.Calls = n
		case "prompt_tokens":
			u.PromptTokens = n
		case "completion_tokens":
			u.CompletionTokens = n
		default:
			return nil, fmt.Errorf("redistelemetry: totals: unknown field %q in %s", field, Key(tenant))
		}
		out[model] = u
	}
	return out, nil
}
