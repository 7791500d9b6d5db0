package tenancy_test

import (
	"context"
	"errors"
	"fmt"

	"github.com/autonomos/autonomos/tenancy"
)

func ExampleKeyspace_Key() {
	graphState := tenancy.MustKeyspace("dcl:graph_state")
	tenant := tenancy.MustParse("6f1c2e0a-3b7d-4c55-9a1e-0d2b4c6e8f10")

	key, err := graphState.Key(tenant, "node", "42")
	fmt.Println(key, err)

	pattern, _ := graphState.Pattern(tenant)
	fmt.Println(pattern)

	_, err = graphState.Key(tenant, "a:b")
	fmt.Println(errors.Is(err, tenancy.ErrInvalidKey))
	// Output:
	// dcl:graph_state:6f1c2e0a-3b7d-4c55-9a1e-0d2b4c6e8f10:node:42 <nil>
	// dcl:graph_state:6f1c2e0a-3b7d-4c55-9a1e-0d2b4c6e8f10:*
	// true
}

func ExampleKeyspace_Parse() {
	flags := tenancy.MustKeyspace("flags")
	id, parts, err := flags.Parse("flags:6f1c2e0a-3b7d-4c55-9a1e-0d2b4c6e8f10:auto_repair")
	fmt.Println(id, parts, err)
	// Output:
	// 6f1c2e0a-3b7d-4c55-9a1e-0d2b4c6e8f10 [auto_repair] <nil>
}

func ExampleRedisKey() {
	key, err := tenancy.RedisKey("fingerprints", tenancy.MustParse("b2d4f6a8-1c3e-4a5b-8d7f-9e0a1b2c3d4e"), "salesforce", "Account")
	fmt.Println(key, err)
	// Output:
	// fingerprints:b2d4f6a8-1c3e-4a5b-8d7f-9e0a1b2c3d4e:salesforce:Account <nil>
}

func ExampleFromContext() {
	ctx := tenancy.WithTenant(context.Background(), tenancy.MustParse("6f1c2e0a-3b7d-4c55-9a1e-0d2b4c6e8f10"))
	id, err := tenancy.FromContext(ctx)
	fmt.Println(id, err)

	_, err = tenancy.FromContext(context.Background())
	fmt.Println(errors.Is(err, tenancy.ErrNoTenant))
	// Output:
	// 6f1c2e0a-3b7d-4c55-9a1e-0d2b4c6e8f10 <nil>
	// true
}
