package fallback_test

import (
	"context"
	"fmt"

	"github.com/autonomos/autonomos/graphstore"
	"github.com/autonomos/autonomos/graphstore/fallback"
	"github.com/autonomos/autonomos/graphstore/memstore"
	"github.com/autonomos/autonomos/tenancy"
)

// A fallback driver in front of a primary (here in memory; in production
// redisstore). Sync writes back what was saved during an outage.
func Example() {
	ctx := context.Background()
	fb, err := fallback.New(memstore.New(), &fallback.Config{Logger: quiet})
	if err != nil {
		panic(err)
	}
	store, err := graphstore.New(fb, nil)
	if err != nil {
		panic(err)
	}
	defer store.Close() // stops the resync loop and closes the primary

	tenant := tenancy.New()
	if _, err := store.SeedDemo(ctx, tenant); err != nil {
		panic(err)
	}
	if err := fb.Sync(ctx); err != nil {
		panic(err)
	}
	fmt.Println("degraded:", fb.Degraded(), "pending:", fb.Pending())
	// Output:
	// degraded: false pending: 0
}
