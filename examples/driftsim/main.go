// Command driftsim simulates schema drift in a demo source and shows what
// the mesh does about it: detection, automatic repair of the mapping, or
// a review queued for a person, depending on Safe Mode.
//
// Offline, it copies the CRM's accounts export (examples/data/crm/accounts.csv)
// into a temporary directory as January's export, syncs it, then writes
// February's export with columns renamed (Website -> Company_Website,
// NumberOfEmployees -> Employees, BillingCountry -> Country, and Phone ->
// Field_7, a name that says nothing) and one retyped (AnnualRevenue as
// text such as "USD 1,250,000,000"), and syncs again. It does so twice:
// with Safe Mode off, where the confident repairs apply on their own and
// the unsure one (Field_7, placed by its values alone) waits for review,
// and with Safe Mode on, where every repair waits. It then approves the
// reviews, shows the mapping's version go up, syncs the object that
// waited, and prints what one record's values became.
//
// # Offline
//
//	go run ./examples/driftsim [-data DIR]
//
// runs both scenarios in this process, with the mesh and the repair
// registry in memory, and prints the events. Without -data it reads the
// copy embedded in package examples/data.
//
// # Live, against hostd
//
//	AOS_PASSWORD=... go run ./examples/driftsim -hostd http://127.0.0.1:5000 \
//		[-email demo@autonomos.dev] [-data-dir ./data] [-safe-mode=true|false]
//
// plays the same drift against a running hostd so that a person watches it
// in the console (http://127.0.0.1:5000/): it logs in (the password comes
// from AOS_PASSWORD, never from a flag, since flags show in process lists),
// reads the tenant, rewrites <data-dir>/sources/<tenant>/crm/accounts.csv
// with the drifted export (the original is kept once as accounts.csv.orig),
// switches the crm connection's Safe Mode when -safe-mode is given, starts
// a sync and waits for its job, then prints the drift hostd recorded, the
// repairs it applied and the reviews that wait; those are approved or
// rejected in the console. -data-dir is hostd's data directory, so run it
// on hostd's machine.
//
//	AOS_PASSWORD=... go run ./examples/driftsim -hostd http://127.0.0.1:5000 -restore
//
// puts the original export back; the next sync sees the columns change
// back, which is drift too.
package main

import (
	"context"
	"encoding/csv"
	"errors"
	"flag"
	"fmt"
	"io"
	iofs "io/fs"
	"log/slog"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/autonomos/autonomos/aam/connectors/filesource"
	"github.com/autonomos/autonomos/aam/mesh"
	meshmem "github.com/autonomos/autonomos/aam/mesh/memstore"
	"github.com/autonomos/autonomos/aam/stream/memstream"
	"github.com/autonomos/autonomos/canonical"
	demodata "github.com/autonomos/autonomos/examples/data"
	"github.com/autonomos/autonomos/repair"
	repairmem "github.com/autonomos/autonomos/repair/memstore"
	"github.com/autonomos/autonomos/tenancy"
)

func main() {
	if err := run(context.Background(), os.Stdout, os.Args[1:]); err != nil {
		fmt.Fprintln(os.Stderr, "driftsim:", err)
		os.Exit(1)
	}
}

var demoTenant = tenancy.MustParse("0b9c7d2e-5f41-4a6b-9c3d-2e1f0a9b8c7d")

// renames are the columns the next export renames (old -> new).
var renames = map[string]string{
	"Phone":             "Field_7", // a name that says nothing: the values must
	"Website":           "Company_Website",
	"NumberOfEmployees": "Employees",
	"BillingCountry":    "Country",
}

func run(ctx context.Context, w io.Writer, args []string) error {
	fs := flag.NewFlagSet("driftsim", flag.ContinueOnError)
	fs.SetOutput(w)
	data := fs.String("data", "", "directory of the demo sources (default: the embedded copy)")
	var lf liveFlags
	fs.StringVar(&lf.hostd, "hostd", "", "play the drift against the hostd at this address (http://127.0.0.1:5000) instead of offline; the password is read from "+passwordEnv)
	fs.StringVar(&lf.email, "email", "demo@autonomos.dev", "with -hostd: the user to log in as")
	fs.StringVar(&lf.dataDir, "data-dir", "./data", "with -hostd: hostd's data directory (its -data-dir)")
	fs.Var(&lf.safeMode, "safe-mode", "with -hostd: switch the crm connection's Safe Mode to true or false before the sync (default: leave it)")
	fs.BoolVar(&lf.restore, "restore", false, "with -hostd: put the original accounts export back and stop")
	fs.DurationVar(&lf.timeout, "timeout", 2*time.Minute, "with -hostd: how long the run, the sync job included, may take")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		return fmt.Errorf("unexpected arguments %q", fs.Args())
	}
	if lf.hostd != "" {
		if *data != "" {
			return errors.New("-data is for the offline run; with -hostd the export is the one under -data-dir")
		}
		cfg, err := lf.config()
		if err != nil {
			return err
		}
		return runLive(ctx, w, cfg)
	}
	var liveOnly []string
	fs.Visit(func(f *flag.Flag) {
		switch f.Name {
		case "email", "data-dir", "safe-mode", "restore", "timeout":
			liveOnly = append(liveOnly, "-"+f.Name)
		}
	})
	if len(liveOnly) > 0 {
		verb := "needs"
		if len(liveOnly) > 1 {
			verb = "need"
		}
		return fmt.Errorf("%s %s -hostd", strings.Join(liveOnly, ", "), verb)
	}
	var fsys iofs.FS = demodata.FS
	if *data != "" {
		fsys = os.DirFS(*data)
	}
	header, rows, err := readCSV(fsys, "crm/accounts.csv")
	if err != nil {
		return fmt.Errorf("demo data not found: %w", err)
	}
	for _, safeMode := range []bool{false, true} {
		if err := simulate(ctx, w, header, rows, safeMode); err != nil {
			return err
		}
	}
	return nil
}

// simulate runs one drift scenario on a fresh tenant state.
func simulate(ctx context.Context, w io.Writer, header []string, rows [][]string, safeMode bool) error {
	onOff := map[bool]string{false: "off", true: "on"}[safeMode]
	fmt.Fprintf(w, "\n=== Safe Mode %s ===\n", onOff)
	dir, err := os.MkdirTemp("", "driftsim")
	if err != nil {
		return err
	}
	defer os.RemoveAll(dir)
	if err := writeCSV(filepath.Join(dir, "accounts-2025-01.csv"), header, rows); err != nil {
		return err
	}

	broker := memstream.New(nil)
	pub, err := broker.NewPublisher(nil)
	if err != nil {
		return err
	}
	defer pub.Close()
	reg := repair.NewRegistry(repairmem.New(), nil)
	defer reg.Close()
	quiet := slog.New(slog.DiscardHandler)
	probe := &probe{Publisher: pub, key: rows[0][0]}
	m, err := mesh.New(meshmem.New(), reg, probe, &mesh.Config{Logger: quiet, Hook: printHook(w)})
	if err != nil {
		return err
	}
	// The monthly exports form one object, "accounts".
	cfg := filesource.Config{System: "crm", Objects: map[string]string{"accounts": "accounts-*.csv"}}
	conn, err := m.AddConnection(ctx, mesh.Connection{Tenant: demoTenant, ID: "crm", Kind: filesource.Kind,
		Config: mesh.MustSourceConfig(struct {
			Path string `json:"path"`
			filesource.Config
		}{dir, cfg})})
	if err != nil {
		return err
	}
	// Safe Mode set by a person: it stays as set whatever they approve.
	if err := m.SetSafeMode(ctx, demoTenant, conn.ID, safeMode, "demo-admin"); err != nil {
		return err
	}

	fmt.Fprintln(w, "-- sync 1: January export")
	if _, err := m.Sync(ctx, demoTenant, conn.ID); err != nil {
		return err
	}
	c, err := m.Connection(ctx, demoTenant, conn.ID)
	if err != nil {
		return err
	}
	for _, p := range c.Pending { // with Safe Mode on, the first mapping waits
		v, err := m.ApproveMapping(ctx, demoTenant, conn.ID, p.Object, "demo-admin")
		if err != nil {
			return err
		}
		fmt.Fprintf(w, "approved mapping of %s -> %s: version %d\n", p.Object, p.Entity, v.Version)
		if _, err := m.Sync(ctx, demoTenant, conn.ID); err != nil {
			return err
		}
	}
	tctx := tenancy.WithTenant(ctx, demoTenant)
	key := repair.MappingKey{Connection: conn.ID, Object: "accounts"}
	before, err := reg.Current(tctx, key)
	if err != nil {
		return err
	}
	fmt.Fprintf(w, "mapping version %d; %s\n", before.Version, probe)

	// February's export: renamed and retyped columns, and the January file
	// archived.
	dh, drows := drifted(header, rows)
	if err := writeCSV(filepath.Join(dir, "accounts-2025-02.csv"), dh, drows); err != nil {
		return err
	}
	if err := os.Rename(filepath.Join(dir, "accounts-2025-01.csv"), filepath.Join(dir, ".accounts-2025-01.csv.done")); err != nil {
		return err
	}
	fmt.Fprintln(w, "-- sync 2: February export: renamed Website, NumberOfEmployees, BillingCountry, Phone; retyped AnnualRevenue")
	st, err := m.Sync(ctx, demoTenant, conn.ID)
	if err != nil {
		return err
	}
	fmt.Fprintf(w, "drift events %d, repairs applied %d, queued %d, rows read %d, events published %d, normalize errors %d\n",
		st.DriftEvents, st.RepairsApplied, st.RepairsQueued, st.RowsRead, st.EventsPublished, st.NormalizeErrors)

	// A person works through the review queue.
	pending, err := reg.Reviews(tctx, repair.ReviewFilter{Status: repair.ReviewPending, Connection: conn.ID})
	if err != nil {
		return err
	}
	for _, it := range pending {
		fmt.Fprintf(w, "review %s: %s (%s) -> %s, confidence %.2f: %s\n", it.ID, it.Repair.Field, it.Repair.Target,
			orGone(it.Repair.To), it.Repair.Confidence, it.Reason)
		done, err := reg.Approve(tctx, it.ID, "demo-admin")
		if err != nil {
			return err
		}
		fmt.Fprintf(w, "approved: mapping version %d\n", done.AppliedVersion)
	}
	if len(pending) > 0 {
		fmt.Fprintln(w, "-- sync 3: after the reviews")
		st, err = m.Sync(ctx, demoTenant, conn.ID)
		if err != nil {
			return err
		}
		fmt.Fprintf(w, "rows read %d, events published %d, normalize errors %d; %s\n", st.RowsRead, st.EventsPublished, st.NormalizeErrors, probe)
	}

	after, err := reg.Current(tctx, key)
	if err != nil {
		return err
	}
	fmt.Fprintf(w, "mapping version %d -> %d:\n", before.Version, after.Version)
	for _, f := range after.Mapping.Fields {
		if f.Target != "" && (renamed(f.Source) || f.Source == "AnnualRevenue") {
			fmt.Fprintf(w, "  %-16s -> %-22s provenance %s, approved by %s\n", f.Source, f.Target, f.Provenance, orNobody(f.ApprovedBy))
		}
	}
	return nil
}

// probe passes events on to the stream and keeps the data of the last
// event of one source record, to show what the retyped column became.
type probe struct {
	mesh.Publisher
	key  string
	last map[string]any
}

func (p *probe) Publish(ctx context.Context, events ...canonical.Event) error {
	for _, e := range events {
		if e.SourceKey == p.key {
			p.last = e.Data
		}
	}
	return p.Publisher.Publish(ctx, events...)
}

func (p *probe) String() string {
	return fmt.Sprintf("record %s: annual_revenue %v, domain %v, country %v, phone %v",
		p.key, p.last["annual_revenue"], p.last["domain"], p.last["country"], p.last["phone"])
}

// printHook prints the mesh's progress events worth watching.
func printHook(w io.Writer) mesh.Hook {
	return func(_ context.Context, e mesh.Event) {
		switch e.Kind {
		case mesh.EventDriftDetected, mesh.EventRepairApplied, mesh.EventRepairQueued,
			mesh.EventMappingApplied, mesh.EventMappingProposed, mesh.EventObjectWaiting:
			fmt.Fprintf(w, "event %-16s %s: %s\n", e.Kind, e.Object, e.Detail)
		}
	}
}

// drifted renames columns and writes AnnualRevenue as text with a
// currency code and thousands separators.
func drifted(header []string, rows [][]string) ([]string, [][]string) {
	h := make([]string, len(header))
	rev := -1
	for i, name := range header {
		h[i] = name
		if to, ok := renames[name]; ok {
			h[i] = to
		}
		if name == "AnnualRevenue" {
			rev = i
		}
	}
	out := make([][]string, len(rows))
	for i, r := range rows {
		out[i] = append([]string(nil), r...)
		if rev >= 0 {
			if n, err := strconv.ParseInt(r[rev], 10, 64); err == nil {
				out[i][rev] = "USD " + thousands(n)
			}
		}
	}
	return h, out
}

func thousands(n int64) string {
	s := strconv.FormatInt(n, 10)
	var b strings.Builder
	for i, c := range s {
		if i > 0 && (len(s)-i)%3 == 0 {
			b.WriteByte(',')
		}
		b.WriteRune(c)
	}
	return b.String()
}

func renamed(field string) bool {
	for _, to := range renames {
		if to == field {
			return true
		}
	}
	return false
}

func orGone(s string) string {
	if s == "" {
		return "(gone)"
	}
	return s
}

func orNobody(s string) string {
	if s == "" {
		return "nobody"
	}
	return s
}

func readCSV(fsys iofs.FS, path string) ([]string, [][]string, error) {
	f, err := fsys.Open(path)
	if err != nil {
		return nil, nil, err
	}
	defer f.Close()
	recs, err := csv.NewReader(f).ReadAll()
	if err != nil {
		return nil, nil, fmt.Errorf("%s: %w", path, err)
	}
	if len(recs) < 2 {
		return nil, nil, fmt.Errorf("%s: no rows", path)
	}
	return recs[0], recs[1:], nil
}

func writeCSV(path string, header []string, rows [][]string) error {
	f, err := os.Create(path)
	if err != nil {
		return err
	}
	if err := writeCSVTo(f, header, rows); err != nil {
		f.Close()
		return err
	}
	return f.Close()
}

func writeCSVTo(w io.Writer, header []string, rows [][]string) error {
	cw := csv.NewWriter(w)
	_ = cw.Write(header)
	_ = cw.WriteAll(rows) // flushes; a write error is kept in cw.Error
	return cw.Error()
}
