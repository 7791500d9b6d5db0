package canonical_test

import (
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/autonomos/autonomos/canonical"
	"github.com/autonomos/autonomos/tenancy"
)

func ExampleNormalizer() {
	tenant := tenancy.MustParse("6f1c2d3e-4b5a-4c6d-8e7f-9a0b1c2d3e4f")
	mapping := &canonical.Mapping{System: "quickbooks", Object: "Invoice", Fields: []canonical.FieldMapping{
		{Source: "Id", Target: "invoice.id", Confidence: 1},
		{Source: "CustomerRef.value", Target: "invoice.account_id", Confidence: 0.9},
		{Source: "TotalAmt", Target: "invoice.amount", Confidence: 0.95},
		{Source: "Balance", Target: "invoice.balance", Confidence: 0.9},
		{Source: "CurrencyRef.value", Target: "invoice.currency", Confidence: 0.9},
		{Source: "TxnDate", Target: "invoice.issued_at", Confidence: 0.8},
		{Source: "DueDate", Target: "invoice.due_at", Confidence: 0.8},
		{Source: "PrivateNote"}, // maps to nothing
	}}
	n, err := canonical.NewNormalizer(tenant, canonical.Source{ConnectionID: "qb-1"}, mapping, &canonical.Config{
		Now: func() time.Time { return time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC) },
	})
	if err != nil {
		panic(err)
	}
	events, err := n.Normalize(map[string]any{
		"Id":          "130",
		"CustomerRef": map[string]any{"value": "58", "name": "Acme"},
		"TotalAmt":    "$1,200.00",
		"Balance":     "n/a",
		"CurrencyRef": map[string]any{"value": "usd"},
		"TxnDate":     "2025-03-04",
		"DueDate":     "03/04/2025",
		"PrivateNote": "call first",
	})
	if err != nil {
		panic(err)
	}
	ev := events[0]
	data, _ := json.Marshal(ev.Data)
	fmt.Println(ev.Entity, ev.SourceKey, ev.Source.System)
	fmt.Println(string(data))
	for _, p := range ev.Problems {
		fmt.Printf("%s (%s %q): %s\n", p.Field, p.SourceField, p.Raw, p.Reason)
	}
	fmt.Println(canonical.Validate(ev))

	_, err = n.NormalizeRecord(canonical.Record{Fields: map[string]any{"TotalAmt": 5}, Ref: "line 7"})
	var missing *canonical.MissingKeyError
	fmt.Println(errors.As(err, &missing), err)
	// Output:
	// invoice 130 quickbooks
	// {"account_id":"58","amount":"1200.00","balance":null,"currency":"USD","due_at":null,"id":"130","issued_at":"2025-03-04"}
	// balance (Balance "n/a"): unexpected text "n/a"
	// due_at (DueDate "03/04/2025"): ambiguous: day and month can be read either way round: declare a date order
	// <nil>
	// true canonical: Invoice line 7: no invoice key in Id
}

func ExampleNormalizeDecimal() {
	for _, s := range []string{"1,234.50", "1.234,50", "$1,200", "(1,200.00)", "1200.00-"} {
		d, err := canonical.NormalizeDecimal(s, nil)
		fmt.Println(d.String(), err)
	}
	de, _ := canonical.ParseLocale("de-DE")
	d, _ := canonical.NormalizeDecimal("1.200", &de)
	fmt.Println(d.String())
	// Output:
	// 1234.50 <nil>
	// 1234.50 <nil>
	// 1200 <nil>
	// -1200.00 <nil>
	// -1200.00 <nil>
	// 1200
}

func ExampleNormalizeTimestamp() {
	for _, v := range []any{"2025-03-04T10:15:00+05:30", "20240131", int64(1741083300123), "25/03/2025 14:05"} {
		s, err := canonical.NormalizeTimestamp(v, nil)
		fmt.Println(s, err)
	}
	_, err := canonical.NormalizeDate("03/04/2025", nil)
	fmt.Println(errors.Is(err, canonical.ErrAmbiguousValue))
	s, _ := canonical.NormalizeDate("03/04/2025", &canonical.Locale{DateOrder: canonical.DayFirst})
	fmt.Println(s)
	// Output:
	// 2025-03-04T04:45:00Z <nil>
	// 2024-01-31T00:00:00Z <nil>
	// 2025-03-04T10:15:00.123Z <nil>
	// 2025-03-25T14:05:00Z <nil>
	// true
	// 2025-04-03
}

func ExampleNormalizePhone() {
	for _, tc := range []struct{ raw, region string }{
		{"(415) 555-0100", "US"},
		{"030 123456", "DE"},
		{"+44 20 7946 0958", ""},
		{"(415) 555-0100", ""},
	} {
		s, err := canonical.NormalizePhone(tc.raw, tc.region)
		fmt.Println(s, err)
	}
	// Output:
	// +14155550100 <nil>
	// +4930123456 <nil>
	// +442079460958 <nil>
	// 4155550100 <nil>
}

func ExampleNormalizeCountry() {
	for _, s := range []string{"de", "DEU", "Germany", "Deutschland", "United States of America"} {
		c, _ := canonical.NormalizeCountry(s)
		fmt.Print(c, " ")
	}
	d, _ := canonical.NormalizeDomain("https://www.Acme.com/about")
	fmt.Println(d)
	// Output: DE DE DE DE US acme.com
}

func ExampleInferPercentScale() {
	scale := canonical.InferPercentScale([]any{0.2, 0.6, 1.0, nil})
	p, _ := canonical.NormalizePercent(0.35, scale, nil)
	fmt.Println(scale, p.String())
	// Output: 0..1 35
}

func ExampleSchema() {
	b, err := canonical.Schema("opportunity")
	if err != nil {
		panic(err)
	}
	var s struct {
		ID         string `json:"$id"`
		Properties struct {
			Data struct {
				Properties map[string]struct {
					Type    []string `json:"type"`
					Pattern string   `json:"pattern"`
				} `json:"properties"`
			} `json:"data"`
		} `json:"properties"`
	}
	_ = json.Unmarshal(b, &s)
	amount := s.Properties.Data.Properties["amount"]
	fmt.Println(s.ID)
	fmt.Println(amount.Type, amount.Pattern)
	// Output:
	// https://schemas.autonomos.dev/canonical/v1/opportunity.json
	// [string null] ^-?[0-9]+(\.[0-9]+)?$
}

func ExampleOntology_Register() {
	o := canonical.V1()
	err := o.Register(canonical.Entity{Name: "opportunity", Fields: []canonical.Field{
		{Name: "forecast_category", Type: canonical.TypeString, Description: "forecast bucket"},
	}})
	f, _ := o.Lookup("opportunity.forecast_category")
	fmt.Println(err, f.Target(), f.Type)
	// Output: <nil> opportunity.forecast_category string
}
