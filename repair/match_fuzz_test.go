package repair

import (
	"context"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/autonomos/autonomos/canonical"
	"github.com/autonomos/autonomos/drift"
)

// FuzzReadName: reading any name never panics and yields clean words.
func FuzzReadName(f *testing.F) {
	for _, s := range []string{"NumberOfEmployees", "CustomerRef.value", "hs_lastmodifieddate", "Währung", "__c", "ns__X__c",
		"a.b.c.d", "", "...", "ÄÖÜß_123", "x__", "__", "Phone2", "\xff\xfe", strings.Repeat("ab", 40)} {
		f.Add(s, "account")
	}
	m, err := NewMatcher(nil, nil)
	if err != nil {
		f.Fatal(err)
	}
	f.Fuzz(func(t *testing.T, raw, entity string) {
		ni := m.forEntity(m.lx.read(raw, ""), entity)
		for _, w := range append(ni.words, ni.leaf...) {
			if w == "" || strings.ContainsAny(w, " \t") {
				t.Fatalf("read(%q): bad word %q in %q", raw, w, ni.words)
			}
		}
	})
}

// FuzzMatch: any schema is matched without a panic, every decision has a
// confidence in [0, 1], targets exist and are taken once.
func FuzzMatch(f *testing.F) {
	f.Add("Account", "Id|Name|Website|AnnualRevenue", "0015g00000XyZ1aAAK|Acme|acme.com|12.5")
	f.Add("deals", "amount|amount_2|closedate|x", "1|2|2025-01-01|")
	f.Add("tickets", "a|b", "c|d")
	f.Add("customer_accounts_companies", "account_id|customer_name|company", "1|Acme GmbH|x") // repeated entity words
	f.Add("", "|", "|")
	m, err := NewMatcher(nil, nil)
	if err != nil {
		f.Fatal(err)
	}
	ont := canonical.V1()
	types := []drift.FieldType{drift.TypeString, drift.TypeInteger, drift.TypeNumber, drift.TypeBoolean, drift.TypeTimestamp, drift.TypeDate, drift.TypeObject, drift.TypeArray}
	f.Fuzz(func(t *testing.T, object, names, samples string) {
		s := drift.Schema{System: "fuzz", Object: object}
		sv := strings.Split(samples, "|")
		seen := map[string]bool{}
		for i, n := range strings.Split(names, "|") {
			if len(s.Fields) >= 60 {
				break
			}
			if strings.TrimSpace(n) == "" || !utf8.ValidString(n) || seen[n] {
				continue
			}
			seen[n] = true
			fl := drift.Field{Name: n, Type: types[i%len(types)]}
			if i < len(sv) {
				fl.Samples = []string{sv[i], sv[len(sv)-1-i%len(sv)]}
			}
			s.Fields = append(s.Fields, fl)
		}
		res, err := m.Match(context.Background(), s)
		if err != nil {
			t.Fatalf("Match: %v", err)
		}
		if len(res.Fields) != len(s.Fields) {
			t.Fatalf("%d decisions for %d fields", len(res.Fields), len(s.Fields))
		}
		taken := map[string]bool{}
		for _, d := range res.Fields {
			if d.Confidence < 0 || d.Confidence > 1 || d.Confidence != d.Confidence {
				t.Fatalf("%s: confidence %v", d.Source, d.Confidence)
			}
			if d.Target == "" {
				continue
			}
			if taken[d.Target] {
				t.Fatalf("%s taken twice", d.Target)
			}
			taken[d.Target] = true
			if _, err := ont.Lookup(d.Target); err != nil || !strings.HasPrefix(d.Target, res.Entity+".") {
				t.Fatalf("%s -> %s on entity %s: %v", d.Source, d.Target, res.Entity, err)
			}
		}
	})
}
