package nlp_test

import (
	"context"
	"fmt"

	"github.com/autonomos/autonomos/nlp"
	"github.com/autonomos/autonomos/nlp/memkb"
	"github.com/autonomos/autonomos/tenancy"
)

func ExampleKB_Search() {
	ctx := context.Background()
	tenant := tenancy.MustParse("0b6f1c2e-3d4a-4b5c-8d9e-0f1a2b3c4d5e")
	kb, err := nlp.NewKB(memkb.New(), nil) // local HashEmbedder, 256-token chunks
	if err != nil {
		panic(err)
	}
	for _, d := range []nlp.Document{
		{ID: "invoicing", Title: "Payment terms", Tags: []string{"invoices"},
			Text: "Invoices are due net 30.\n\nUnpaid invoices go to collections after 45 days."},
		{ID: "sla", Title: "Support service levels", Tags: []string{"operations"},
			Text: "Priority one tickets get a first response within one hour."},
		{ID: "office", Title: "Offices", Text: "Our headquarters are in Amsterdam."},
	} {
		if _, err := kb.Add(ctx, tenant, d); err != nil {
			panic(err)
		}
	}
	hits, err := kb.Search(ctx, tenant, "when do unpaid invoices go to collections?", &nlp.SearchOptions{K: 2})
	if err != nil {
		panic(err)
	}
	for _, h := range hits {
		fmt.Printf("%s#%d vector rank %d, text rank %d\n", h.DocumentID, h.Seq, h.VectorRank, h.TextRank)
	}
	// The CFO's scope (invoices, revenue) keeps tagged invoicing
	// documents and untagged ones, and drops the operations document.
	hits, _ = kb.Search(ctx, tenant, "first response tickets", &nlp.SearchOptions{Persona: nlp.CFO})
	for _, h := range hits {
		fmt.Println("cfo scope:", h.DocumentID)
	}
	// Output:
	// invoicing#0 vector rank 1, text rank 1
	// office#0 vector rank 2, text rank 0
	// cfo scope: invoicing
	// cfo scope: office
}

func ExampleGateway_Ask() {
	tenant := tenancy.MustParse("0b6f1c2e-3d4a-4b5c-8d9e-0f1a2b3c4d5e")
	ctx := tenancy.WithTenant(context.Background(), tenant)
	kb, _ := nlp.NewKB(memkb.New(), nil)
	_, err := kb.Add(ctx, tenant, nlp.Document{ID: "invoicing", Title: "Payment terms", Tags: []string{"invoices"},
		Text: "Invoices are due net 30. Unpaid invoices go to collections after 45 days."})
	if err != nil {
		panic(err)
	}
	// Without an LLM the answer is extractive; with one (see
	// nlp/openaicompat) only redacted text leaves the process.
	g, err := nlp.NewGateway(kb, nil)
	if err != nil {
		panic(err)
	}
	a, err := g.Ask(ctx, "When do unpaid invoices go to collections? I am ann@example.com", nil)
	if err != nil {
		panic(err)
	}
	fmt.Println(a.Text)
	fmt.Println(a.Mode, a.Persona, a.Redactions, a.Sources[0].DocumentID, a.Sources[0].Cited)
	for _, s := range a.Steps {
		fmt.Print(s.Name, " ")
	}
	fmt.Println()
	// Output:
	// Unpaid invoices go to collections after 45 days. [1]
	// extractive cfo 1 invoicing true
	// redact route retrieve extract
}
