package nlp_test

import (
	"context"
	"fmt"
	"time"

	"github.com/shopspring/decimal"

	"github.com/autonomos/autonomos/nlp"
	"github.com/autonomos/autonomos/tenancy"
)

func ExampleRouter_Route() {
	r, err := nlp.NewRouter(nil)
	if err != nil {
		panic(err)
	}
	ctx := context.Background()
	for _, q := range []string{
		"Which invoices are overdue?",
		"What is our win rate on enterprise deals?",
		"Did the Salesforce sync fail because of schema drift?",
	} {
		rt, err := r.Route(ctx, q, nil)
		if err != nil {
			panic(err)
		}
		prof, _ := r.Profile(rt.Persona)
		fmt.Printf("%s -> %s (%s, first looks at %v)\n", q, rt.Persona, rt.Source, prof.Scopes)
	}
	rt, _ := r.Route(ctx, "Which invoices are overdue?", &nlp.RouteOptions{Override: nlp.COO})
	fmt.Println("override:", rt.Persona, rt.Source)
	// Output:
	// Which invoices are overdue? -> cfo (lexicon, first looks at [invoices revenue])
	// What is our win rate on enterprise deals? -> cro (lexicon, first looks at [pipeline opportunities])
	// Did the Salesforce sync fail because of schema drift? -> cto (lexicon, first looks at [connections drift system_health])
	// override: coo override
}

func ExampleSummarize() {
	tenant := tenancy.MustParse("0b6f1c2e-3d4a-4b5c-8d9e-0f1a2b3c4d5e")
	now := time.Date(2026, 11, 22, 0, 0, 0, 0, time.UTC)
	figures := &nlp.MemoryFigures{}
	figures.Set(tenant, nlp.TenantData{
		Invoices: []nlp.Invoice{
			{Amount: decimal.RequireFromString("1250.00"), Due: now.AddDate(0, 0, -14)},
			{Amount: decimal.RequireFromString("480.50"), Due: now.AddDate(0, 0, 16)},
			{Amount: decimal.RequireFromString("99.00"), Due: now.AddDate(0, 0, -40), Paid: true},
		},
	})
	s, err := nlp.Summarize(context.Background(), figures, tenant, nlp.CFO, now)
	if err != nil {
		panic(err)
	}
	fmt.Print(s)
	// Output:
	// CFO summary as of 2026-11-22
	// Open invoices: 1730.50
	// Open invoice count: 2
	// Overdue invoices: 1250.00
	// Overdue invoice count: 1
}
