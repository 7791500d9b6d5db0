package repair_test

import (
	"context"
	"fmt"

	"github.com/autonomos/autonomos/canonical"
	"github.com/autonomos/autonomos/drift"
	"github.com/autonomos/autonomos/repair"
	"github.com/autonomos/autonomos/repair/memstore"
	"github.com/autonomos/autonomos/tenancy"
)

// The registry keeps every version of a mapping. A new connection is in
// Safe Mode, so the first repair waits for a person; once someone has
// approved, confident repairs are applied on their own, and any version
// can be restored.
func ExampleRegistry() {
	reg := repair.NewRegistry(memstore.New(), nil)
	defer reg.Close()
	ctx := tenancy.WithTenant(context.Background(), tenancy.MustParse("6f1c2a1e-8d1b-4c55-9a3e-1f2d3c4b5a69"))
	key := repair.MappingKey{Connection: "sf-prod", Object: "Opportunity"}

	v1, _ := reg.Save(ctx, key, canonical.Mapping{System: "salesforce", Object: "Opportunity", Fields: []canonical.FieldMapping{
		{Source: "Id", Target: "opportunity.id", Confidence: 1, Provenance: canonical.ProvenanceHeuristic},
		{Source: "Amount", Target: "opportunity.amount", Confidence: 0.97, Provenance: canonical.ProvenanceHeuristic},
	}}, repair.Change{Actor: "onboarding"})
	fmt.Println("version", v1.Version)

	rename := func(from, to string) (drift.Schema, drift.Schema) {
		ids := []string{"0065g00000DeFgHAA1", "0065g00000IjKlMAA2"}
		vals := []string{"125000", "48000.5"}
		return drift.Schema{Fields: []drift.Field{{Name: "Id", Samples: ids}, {Name: from, Type: drift.TypeNumber, Samples: vals}}},
			drift.Schema{Fields: []drift.Field{{Name: "Id", Samples: ids}, {Name: to, Type: drift.TypeNumber, Samples: vals}}}
	}

	// Safe Mode: a sure repair is queued, not applied.
	before, after := rename("Amount", "Deal_Value__c")
	out, _ := reg.HandleDrift(ctx, key, before, after)
	fmt.Println("applied", len(out.Applied), "queued", len(out.Queued), "-", out.Queued[0].Reason)

	// A person approves: the mapping moves on, and Safe Mode ends.
	item, _ := reg.Approve(ctx, out.Queued[0].ID, "ana@example.com")
	cur, _ := reg.Current(ctx, key)
	conn, _ := reg.Connection(ctx, key.Connection)
	fmt.Println("version", item.AppliedVersion, "Deal_Value__c ->", cur.Mapping.Target("Deal_Value__c"), "safe mode", conn.SafeMode)

	// The next sure repair is applied on its own.
	before, after = rename("Deal_Value__c", "Amount_USD__c")
	out, _ = reg.HandleDrift(ctx, key, before, after)
	fmt.Println("applied", len(out.Applied), "queued", len(out.Queued), "version", out.Version.Version)

	// Restore the first version as version 4.
	v4, _ := reg.Restore(ctx, key, 1, repair.Change{ExpectedVersion: 3, Actor: "ana@example.com"})
	fmt.Println("version", v4.Version, "restores", v4.RestoredFrom, "Amount ->", v4.Mapping.Target("Amount"))

	entries, _ := reg.Audit(ctx, repair.AuditFilter{})
	for _, e := range entries {
		if e.Old == "" {
			fmt.Println(e.Action, e.Actor)
			continue
		}
		fmt.Println(e.Action, e.Actor, e.Old, "|", e.New)
	}
	// Output:
	// version 1
	// applied 0 queued 1 - safe mode is on for the connection
	// version 2 Deal_Value__c -> opportunity.amount safe mode false
	// applied 1 queued 0 version 3
	// version 4 restores 1 Amount -> opportunity.amount
	// mapping.created onboarding
	// review.queued repairer Amount -> opportunity.amount | Deal_Value__c -> opportunity.amount
	// review.approved ana@example.com Amount -> opportunity.amount | Deal_Value__c -> opportunity.amount
	// connection.safe_mode ana@example.com on | off
	// repair.applied repairer Deal_Value__c -> opportunity.amount | Amount_USD__c -> opportunity.amount
	// mapping.restored ana@example.com
}
