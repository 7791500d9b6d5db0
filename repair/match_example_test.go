package repair_test

import (
	"context"
	"fmt"

	"github.com/autonomos/autonomos/canonical"
	"github.com/autonomos/autonomos/drift"
	"github.com/autonomos/autonomos/repair"
	"github.com/autonomos/autonomos/tenancy"
)

func ExampleMatcher_Match() {
	m, err := repair.NewMatcher(canonical.V1(), nil) // heuristics only, no network
	if err != nil {
		panic(err)
	}
	deals := drift.Schema{System: "hubspot", Object: "deals", Fields: []drift.Field{
		{Name: "hs_object_id", Type: drift.TypeString, Samples: []string{"9914521873", "9914521874"}},
		{Name: "properties.dealname", Type: drift.TypeString, Samples: []string{"Acme - 500 licenses", "Globex renewal"}},
		{Name: "properties.amount", Type: drift.TypeNumber, Samples: []string{"125000", "48000.50"}},
		{Name: "properties.deal_currency_code", Type: drift.TypeString, Samples: []string{"USD", "EUR"}},
		{Name: "properties.hs_deal_stage_probability", Type: drift.TypeNumber, Samples: []string{"0.2", "0.9"}},
		{Name: "properties.closedate", Type: drift.TypeTimestamp, Samples: []string{"2025-06-30T00:00:00Z"}},
		{Name: "associations.companies", Type: drift.TypeString, Samples: []string{"5120384721", "5120384722"}},
		{Name: "properties.hubspot_owner_id", Type: drift.TypeString, Samples: []string{"48213377"}},
		{Name: "properties.pipeline", Type: drift.TypeString, Samples: []string{"default", "enterprise"}},
	}}
	res, err := m.Match(context.Background(), deals)
	if err != nil {
		panic(err)
	}
	fmt.Println("entity:", res.Entity)
	for _, f := range res.Fields {
		target := f.Target
		if target == "" {
			target = "(none)"
		}
		fmt.Printf("%-40s -> %-24s %.2f\n", f.Source, target, f.Confidence)
	}
	// Output:
	// entity: opportunity
	// hs_object_id                             -> opportunity.id           0.99
	// properties.dealname                      -> opportunity.name         0.98
	// properties.amount                        -> opportunity.amount       0.99
	// properties.deal_currency_code            -> opportunity.currency     0.99
	// properties.hs_deal_stage_probability     -> opportunity.probability  0.99
	// properties.closedate                     -> opportunity.close_date   0.99
	// associations.companies                   -> opportunity.account_id   0.99
	// properties.hubspot_owner_id              -> opportunity.owner_id     0.99
	// properties.pipeline                      -> (none)                   0.82
}

// A tenant's approval teaches the matcher a word it did not know, for that
// tenant only.
func ExampleLocalMemory() {
	ctx := context.Background()
	mem := repair.NewLocalMemory()
	acme := tenancy.New()
	_ = mem.Record(ctx, acme, repair.Decision{
		System: "erp", Object: "firmen", Field: "Sparte", Samples: []string{"Maschinenbau", "Chemie"},
		Target: "account.industry", Verdict: repair.VerdictApproved, By: "anna",
	})
	m, _ := repair.NewMatcher(nil, &repair.MatcherConfig{Memory: mem})
	s := drift.Schema{System: "crm2", Object: "companies", Fields: []drift.Field{
		{Name: "name", Type: drift.TypeString, Samples: []string{"Acme"}},
		{Name: "sparte", Type: drift.TypeString, Samples: []string{"Chemie", "Handel"}},
	}}
	for _, tn := range []tenancy.ID{acme, tenancy.New()} {
		res, _ := m.Match(tenancy.WithTenant(ctx, tn), s)
		f, _ := res.Field("sparte")
		fmt.Printf("tenant that approved=%v: %q (%s)\n", tn == acme, f.Target, f.Provenance)
	}
	// Output:
	// tenant that approved=true: "account.industry" (learned)
	// tenant that approved=false: "" (heuristic)
}
