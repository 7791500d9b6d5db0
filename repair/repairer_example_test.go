package repair_test

import (
	"context"
	"fmt"

	"github.com/autonomos/autonomos/canonical"
	"github.com/autonomos/autonomos/drift"
	"github.com/autonomos/autonomos/repair"
)

// A Salesforce admin replaced the standard Amount field by a custom
// Deal_Value__c. The repairer finds the replacement by its values, and is
// sure enough to apply it on its own; the removed Industry field has no
// replacement: the repairer is sure of that too, but a "gone" repair is
// always left to a person.
func ExampleRepairer_Propose() {
	before := drift.Schema{System: "salesforce", Object: "Opportunity", Fields: []drift.Field{
		{Name: "Id", Type: drift.TypeString, Samples: []string{"0065g00000DeFgHAA1", "0065g00000IjKlMAA2", "0065g00000NoPqRAA3"}},
		{Name: "Amount", Type: drift.TypeNumber, Samples: []string{"125000", "48000.5", ""}},
		{Name: "Industry", Type: drift.TypeString, Samples: []string{"Banking", "Retail", "Energy"}},
	}}
	after := drift.Schema{System: "salesforce", Object: "Opportunity", Fields: []drift.Field{
		{Name: "Id", Type: drift.TypeString, Samples: []string{"0065g00000DeFgHAA1", "0065g00000IjKlMAA2", "0065g00000NoPqRAA3"}},
		{Name: "Deal_Value__c", Type: drift.TypeNumber, Samples: []string{"125000", "48000.5", ""}},
		{Name: "Discount__c", Type: drift.TypeNumber, Samples: []string{"0.1", "0", "0.25"}},
	}}
	mapping := canonical.Mapping{System: "salesforce", Object: "Opportunity", Fields: []canonical.FieldMapping{
		{Source: "Id", Target: "opportunity.id", Confidence: 1},
		{Source: "Amount", Target: "opportunity.amount", Confidence: 1},
		{Source: "Industry", Target: "account.industry", Confidence: 0.8},
	}}

	repairs, err := repair.NewRepairer(nil).Propose(context.Background(), before, mapping, after)
	if err != nil {
		fmt.Println(err)
		return
	}
	for _, r := range repairs {
		to := r.To
		if r.Gone() {
			to = "(gone)"
		}
		fmt.Printf("%s -> %s carries %s: %s (confidence %.2f)\n", r.Field, to, r.Target, r.Action, r.Confidence)
	}
	// Output:
	// Amount -> Deal_Value__c carries opportunity.amount: auto_apply (confidence 0.99)
	// Industry -> (gone) carries account.industry: review (confidence 0.99)
}
