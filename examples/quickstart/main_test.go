package main

import (
	"bytes"
	"context"
	"encoding/csv"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
)

// row is one line of the printed table of unified accounts.
type row struct {
	name, domain string
	records      int
	sources      string
}

// parseTable reads the table quickstart prints after its header line.
func parseTable(t *testing.T, out string) map[string]row {
	t.Helper()
	_, table, ok := strings.Cut(out, "NAME ")
	if !ok {
		t.Fatalf("no table in output:\n%s", out)
	}
	rows := map[string]row{}
	for _, line := range strings.Split(strings.TrimSpace(table), "\n")[1:] {
		// Columns are separated by two spaces or more; names have single spaces.
		var cols []string
		for _, c := range strings.Split(line, "  ") {
			if c = strings.TrimSpace(c); c != "" {
				cols = append(cols, c)
			}
		}
		if len(cols) < 4 {
			t.Fatalf("malformed line %q", line)
		}
		n, err := strconv.Atoi(cols[2])
		if err != nil {
			t.Fatalf("line %q: records %q: %v", line, cols[2], err)
		}
		r := row{name: cols[0], domain: cols[1], records: n, sources: strings.Join(cols[3:], " ")}
		key := r.domain
		if key == "-" {
			key = r.name
		}
		rows[key] = r
	}
	return rows
}

// csvRows counts the data rows of a CSV file.
func csvRows(t *testing.T, path string) int {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	recs, err := csv.NewReader(f).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	return len(recs) - 1
}

func TestQuickstart(t *testing.T) {
	data := filepath.Join("..", "data")
	var out bytes.Buffer
	if err := run(context.Background(), &out, []string{"-data", data}); err != nil {
		t.Fatalf("run: %v\n%s", err, out.String())
	}
	t.Log(out.String())
	rows := parseTable(t, out.String())

	// Every account record of the three sources lands in exactly one
	// unified account.
	want := csvRows(t, filepath.Join(data, "crm", "accounts.csv")) +
		csvRows(t, filepath.Join(data, "billing", "customers.csv")) +
		csvRows(t, filepath.Join(data, "legacy", "customers.csv"))
	got := 0
	for _, r := range rows {
		got += r.records
	}
	if got != want {
		t.Errorf("unified accounts hold %d source records, the sources have %d", got, want)
	}
	if len(rows) >= want || len(rows) < 10 {
		t.Errorf("%d unified accounts from %d records: resolution merged nothing or too much", len(rows), want)
	}

	for _, tc := range []struct {
		key     string
		records int
		sources string
	}{
		// In all three systems: by domain (CRM, billing) and by name
		// (the legacy export has no web site column).
		{"aperturescience.com", 3, "[billing crm legacy]"},
		{"umbrella-health.de", 3, "[billing crm legacy]"},
		// "ACME CORP" in the legacy export is "Acme Corporation" in the
		// CRM once legal suffixes are dropped.
		{"acme.com", 2, "[crm legacy]"},
		{"bluesun.energy", 2, "[billing crm]"},
		// Only in billing, and only in the legacy export.
		{"ollivanders.ch", 1, "[billing]"},
		{"REDWOOD MILLS", 1, "[legacy]"},
	} {
		r, ok := rows[tc.key]
		if !ok {
			t.Errorf("no unified account %s", tc.key)
			continue
		}
		if r.records != tc.records || r.sources != tc.sources {
			t.Errorf("%s: %d records from %s, want %d from %s", tc.key, r.records, r.sources, tc.records, tc.sources)
		}
	}
	// The golden record takes each field from the member updated last:
	// the CRM's record (2025) over the legacy export's (2021).
	if r := rows["acme.com"]; r.name != "Acme Corporation" {
		t.Errorf("acme.com is named %q, want the CRM's %q", r.name, "Acme Corporation")
	}
	// The legacy export's abbreviated columns are placed on the ontology.
	for _, m := range []string{"cust_no=account.id", "cust_nm=account.name", "emp_cnt=account.employee_count",
		"rev_usd=account.annual_revenue", "ctry=account.country", "upd_dt=account.updated_at",
		"amount_due=invoice.balance", "StageName=opportunity.stage"} {
		if !strings.Contains(out.String(), " "+m) {
			t.Errorf("mapping %s not printed", m)
		}
	}
	for _, sys := range []string{"crm", "billing", "legacy"} {
		if !strings.Contains(out.String(), "synced "+sys) {
			t.Errorf("no sync line for %s", sys)
		}
	}
	if strings.Contains(out.String(), "waiting\n") && !strings.Contains(out.String(), " 0 waiting") {
		t.Errorf("objects wait for approval with Safe Mode off:\n%s", out.String())
	}
}

func TestQuickstartMissingData(t *testing.T) {
	var out bytes.Buffer
	err := run(context.Background(), &out, []string{"-data", filepath.Join(t.TempDir(), "nope")})
	if err == nil || !strings.Contains(err.Error(), "demo data not found") {
		t.Fatalf("run on a missing directory = %v, want an error saying the data is missing", err)
	}
}

// TestQuickstartEmbedded: without -data the embedded copy of the sources
// gives the same result as the files.
func TestQuickstartEmbedded(t *testing.T) {
	var files, embedded bytes.Buffer
	if err := run(context.Background(), &files, []string{"-data", filepath.Join("..", "data")}); err != nil {
		t.Fatal(err)
	}
	if err := run(context.Background(), &embedded, nil); err != nil {
		t.Fatal(err)
	}
	if files.String() != embedded.String() {
		t.Errorf("embedded data gives\n%s\nfiles give\n%s", embedded.String(), files.String())
	}
}
