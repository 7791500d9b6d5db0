package telemetry_test

import (
	"context"
	"fmt"

	"github.com/autonomos/autonomos/dcl/telemetry"
	"github.com/autonomos/autonomos/dcl/telemetry/memtelemetry"
	"github.com/autonomos/autonomos/tenancy"
)

func Example() {
	ctx := context.Background()
	tenant := tenancy.MustParse("4b7e6f0a-1c2d-4e3f-8a9b-0c1d2e3f4a5b")
	rec, _ := telemetry.New(memtelemetry.New())
	_ = rec.Record(ctx, tenant, "gpt-4o-mini", 1200, 300)
	_ = rec.Record(ctx, tenant, "gpt-4o-mini", 800, 100)
	totals, _ := rec.Totals(ctx, tenant)
	u := totals["gpt-4o-mini"]
	fmt.Println(u.Calls, u.PromptTokens, u.CompletionTokens, totals.Sum().Tokens())
	// Output: 2 2000 400 2400
}
