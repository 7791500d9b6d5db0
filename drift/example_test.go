package drift_test

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/autonomos/autonomos/drift"
	"github.com/autonomos/autonomos/drift/memstore"
	"github.com/autonomos/autonomos/tenancy"
)

func ExampleProfile() {
	st := drift.Profile([]string{"jane@example.com", "joe@example.org", "", "sales@acme.io", "n/a"})
	fmt.Printf("null ratio %.2f, distinct ratio %.2f, length %d..%d\n", st.NullRatio, st.DistinctRatio, st.MinLen, st.MaxLen)
	fmt.Printf("email %.2f\n", st.Patterns[drift.PatternEmail])

	st = drift.Profile([]string{"0.15", "0.2", "0.35", "1"})
	var ps []string
	for p, share := range st.Patterns {
		ps = append(ps, fmt.Sprintf("%s=%.2f", p, share))
	}
	slices.Sort(ps)
	fmt.Println(strings.Join(ps, " "))
	fmt.Println("range", *st.Min, *st.Max)
	// Output:
	// null ratio 0.40, distinct ratio 1.00, length 13..16
	// email 1.00
	// integer=0.25 numeric=1.00 percent_0_100=1.00 percent_0_1=1.00
	// range 0.15 1
}

func ExampleFingerprint() {
	a := &drift.Schema{Object: "Account", Fields: []drift.Field{
		{Name: "Id", Type: drift.TypeString},
		{Name: "AnnualRevenue", Type: drift.TypeNumber},
	}}
	// The same fields in another order, with samples: same fingerprint.
	b := &drift.Schema{Object: "Account", Fields: []drift.Field{
		{Name: "AnnualRevenue", Type: drift.TypeNumber, Samples: []string{"1200000"}},
		{Name: "Id", Type: drift.TypeString},
	}}
	// A renamed field: a new fingerprint, the same type fingerprint.
	c := &drift.Schema{Object: "Account", Fields: []drift.Field{
		{Name: "Id", Type: drift.TypeString},
		{Name: "Revenue", Type: drift.TypeNumber},
	}}
	fmt.Println(drift.Fingerprint(a))
	fmt.Println(drift.Fingerprint(a) == drift.Fingerprint(b))
	fmt.Println(drift.Fingerprint(a) == drift.Fingerprint(c), drift.TypeFingerprint(a) == drift.TypeFingerprint(c))
	// Output:
	// v1:409b9a31ce9ed7bb338fda10e0b917af
	// true
	// false true
}

func ExampleDiff() {
	old := &drift.Schema{Object: "Opportunity", Fields: []drift.Field{
		{Name: "Id", Type: drift.TypeString},
		{Name: "Amount", Type: drift.TypeInteger},
		{Name: "Probability", Type: drift.TypeNumber},
		{Name: "AccountName", Type: drift.TypeString},
	}}
	new := &drift.Schema{Object: "Opportunity", Fields: []drift.Field{
		{Name: "Id", Type: drift.TypeString},
		{Name: "Amount", Type: drift.TypeNumber},
		{Name: "Probability", Type: drift.TypeString},
		{Name: "Account_Name__c", Type: drift.TypeString},
	}}
	d := drift.Diff(old, new)
	for _, c := range d.Changes {
		fmt.Printf("%-12s %-15s %-7s -> %-7s %s\n", c.Severity, c.Field, c.OldType, c.NewType, c.Kind)
	}
	fmt.Println("overall:", d.Severity)
	fmt.Println(d.Err())
	// Output:
	// breaking     AccountName     string  ->         field_removed
	// non_breaking Account_Name__c         -> string  field_added
	// non_breaking Amount          integer -> number  type_changed
	// breaking     Probability     number  -> string  type_changed
	// overall: breaking
	// drift: breaking change in Opportunity: field "AccountName" (string) removed
	// drift: breaking change in Opportunity: field "Probability" changed from number to string
}

func ExampleDetector() {
	ctx := context.Background()
	tenant := tenancy.MustParse("7d4f2c1e-0a5b-4c3d-9e8f-112233445566")
	clock := func() time.Time { return time.Date(2026, 3, 1, 9, 0, 0, 0, time.UTC) }
	store := drift.NewStore(memstore.New(), &drift.StoreConfig{Clock: clock})
	det := drift.NewDetector(store, &drift.DetectorConfig{Clock: clock})

	v1 := &drift.Schema{System: "csv", ConnectionID: "crm-export", Object: "deals.csv", Fields: []drift.Field{
		{Name: "id", Type: drift.TypeInteger},
		{Name: "amount", Type: drift.TypeInteger},
	}}
	ev, err := det.Observe(ctx, tenant, v1)
	fmt.Println("first sighting:", ev, err)

	v2 := v1.Clone()
	v2.Fields[1].Type = drift.TypeNumber
	v2.Fields = append(v2.Fields, drift.Field{Name: "region", Type: drift.TypeString})
	ev, err = det.Observe(ctx, tenant, v2)
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Printf("drift in %s: version %d -> %d, %s, %d changes at %s\n",
		ev.Object, ev.OldVersion, ev.NewVersion, ev.Severity, len(ev.Diff.Changes), ev.DetectedAt.Format(time.RFC3339))

	hist, _ := store.History(ctx, drift.KeyOf(tenant, v2), 0)
	fmt.Println("versions:", len(hist))
	// Output:
	// first sighting: <nil> <nil>
	// drift in deals.csv: version 1 -> 2, non_breaking, 2 changes at 2026-03-01T09:00:00Z
	// versions: 2
}

func ExampleInferCSV() {
	const data = "id,email,amount,close_date\n" +
		"1,ana@example.com,1200.50,2025-03-04\n" +
		"2,bo@example.org,,2025-03-05\n"
	s, err := drift.InferCSV("csv", "deals.csv", strings.NewReader(data), 0, nil)
	if err != nil {
		fmt.Println(err)
		return
	}
	for _, f := range s.Fields {
		fmt.Printf("%-10s %-7s nullable=%v\n", f.Name, f.Type, f.Nullable)
	}
	// Output:
	// id         integer nullable=false
	// email      string  nullable=false
	// amount     number  nullable=true
	// close_date date    nullable=false
}
