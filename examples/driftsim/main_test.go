package main

import (
	"bytes"
	"context"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

func TestDriftSim(t *testing.T) {
	var out bytes.Buffer
	if err := run(context.Background(), &out, []string{"-data", filepath.Join("..", "data")}); err != nil {
		t.Fatalf("run: %v\n%s", err, out.String())
	}
	s := out.String()
	t.Log(s)
	off, on, ok := strings.Cut(s, "=== Safe Mode on ===")
	if !ok || !strings.Contains(off, "=== Safe Mode off ===") {
		t.Fatalf("output lacks the two scenarios:\n%s", s)
	}

	// Safe Mode off: drift detected, the three telling renames repaired
	// on their own, the uninformative one queued; once it is approved the
	// rows are read with the new mapping and keep their values.
	for _, want := range []string{
		"event drift.detected   accounts",
		"repair.applied   accounts: Website -> Company_Website (account.domain)",
		"repair.applied   accounts: NumberOfEmployees -> Employees (account.employee_count)",
		"repair.applied   accounts: BillingCountry -> Country (account.country)",
		"repair.queued    accounts: Phone: confidence below the auto-apply threshold",
		"drift events 1, repairs applied 3, queued 1, rows read 0, events published 0, normalize errors 0",
		"Phone (account.phone) -> Field_7",
		"approved: mapping version 3",
		"rows read 24, events published 24, normalize errors 0; record 001Dn0000000000AAA: annual_revenue 1250000000, domain acme.com, country US, phone +14155550100",
		"mapping version 1 -> 3:",
		"Company_Website  -> account.domain         provenance repair",
		"Field_7          -> account.phone          provenance human, approved by demo-admin",
	} {
		if !strings.Contains(off, want) {
			t.Errorf("Safe Mode off: output lacks %q", want)
		}
	}
	if strings.Contains(off, "Website: safe mode") || strings.Count(off, "repair.queued") != 1 {
		t.Errorf("Safe Mode off queued a confident repair")
	}
	// Before the drift, the same record had the same values.
	if !strings.Contains(off, "mapping version 1; record 001Dn0000000000AAA: annual_revenue 1250000000, domain acme.com, country US, phone +14155550100") {
		t.Errorf("Safe Mode off: January values missing")
	}

	// Safe Mode on: the same repairs wait for review and the object is
	// not read; each approval adds a mapping version; then it syncs.
	for _, want := range []string{
		"event mapping.proposed accounts: safe mode is on",
		"approved mapping of accounts -> account: version 1",
		"repair.queued    accounts: Website: safe mode is on",
		"event object.waiting   accounts: 4 repair(s) wait for review",
		"drift events 1, repairs applied 0, queued 4, rows read 0, events published 0",
		"rows read 24, events published 24, normalize errors 0; record 001Dn0000000000AAA: annual_revenue 1250000000",
		"mapping version 1 -> 5:",
		"Employees        -> account.employee_count provenance human, approved by demo-admin",
	} {
		if !strings.Contains(on, want) {
			t.Errorf("Safe Mode on: output lacks %q", want)
		}
	}
	versions := regexp.MustCompile(`approved: mapping version (\d+)`).FindAllStringSubmatch(on, -1)
	if len(versions) != 4 {
		t.Fatalf("%d approvals, want 4", len(versions))
	}
	for i, v := range versions {
		if want := string(rune('2' + i)); v[1] != want {
			t.Errorf("approval %d made version %s, want %s", i+1, v[1], want)
		}
	}
	if strings.Contains(on, "repair.applied") {
		t.Errorf("Safe Mode on applied a repair without a person")
	}
}

func TestDrifted(t *testing.T) {
	h, rows := drifted([]string{"Id", "Website", "AnnualRevenue"}, [][]string{{"1", "acme.com", "1250000000"}, {"2", "x.io", ""}})
	if strings.Join(h, ",") != "Id,Company_Website,AnnualRevenue" {
		t.Errorf("header %v", h)
	}
	if rows[0][2] != "USD 1,250,000,000" || rows[1][2] != "" {
		t.Errorf("revenue cells %q, %q", rows[0][2], rows[1][2])
	}
}

func TestEmbeddedData(t *testing.T) {
	var files, embedded bytes.Buffer
	if err := run(context.Background(), &files, []string{"-data", filepath.Join("..", "data")}); err != nil {
		t.Fatal(err)
	}
	if err := run(context.Background(), &embedded, nil); err != nil {
		t.Fatal(err)
	}
	ids := regexp.MustCompile(`review [0-9a-f-]+:`) // review ids are random
	if a, b := ids.ReplaceAllString(files.String(), "review:"), ids.ReplaceAllString(embedded.String(), "review:"); a != b {
		t.Errorf("embedded data gives\n%s\nfiles give\n%s", b, a)
	}
}

func TestMissingData(t *testing.T) {
	err := run(context.Background(), &bytes.Buffer{}, []string{"-data", t.TempDir()})
	if err == nil || !strings.Contains(err.Error(), "demo data not found") {
		t.Errorf("run without data = %v", err)
	}
}
