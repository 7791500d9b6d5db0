package flags_test

import (
	"context"
	"errors"
	"fmt"

	"github.com/autonomos/autonomos/flags"
	"github.com/autonomos/autonomos/flags/memflags"
	"github.com/autonomos/autonomos/tenancy"
)

func Example() {
	ctx := context.Background()
	known := flags.Standard()
	for i := range known {
		if known[i].Name == flags.UseAAMAsSource {
			known[i].Default = true // e.g. from the USE_AAM_AS_SOURCE setting
		}
	}
	cat, err := flags.NewCatalog(known...)
	if err != nil {
		panic(err)
	}
	store := memflags.New(cat)
	defer store.Close()
	tenant := tenancy.MustParse("6f1c2e0a-3b7d-4c55-9a1e-0d2b4c6e8f10")

	_ = store.Set(ctx, tenant, flags.DCLAutoRun, false)
	states, _ := store.List(ctx, tenant)
	for _, s := range states {
		fmt.Printf("%s on=%v set=%v\n", s.Name, s.On, s.Set)
	}
	_, err = store.Enabled(ctx, tenant, "DCL_AUTORUN")
	fmt.Println(errors.Is(err, flags.ErrUnknownFlag))
	// Output:
	// USE_AAM_AS_SOURCE on=true set=false
	// DCL_AUTO_RUN on=false set=true
	// true
}
