package main

import (
	"bytes"
	"context"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/autonomos/autonomos/aam/mesh"
	"github.com/autonomos/autonomos/aam/stream"
	"github.com/autonomos/autonomos/aam/stream/memstream"
	"github.com/autonomos/autonomos/aam/stream/redisstream"
	"github.com/autonomos/autonomos/examples/data"
	"github.com/autonomos/autonomos/tenancy"
)

// refusedKey is the source key of the row the warehouse refuses: its
// Name holds a NUL character, which the CSV reader and the normalizer
// pass on and the warehouse cannot store.
const refusedKey = "001Dn00000000NULAAA"

// addRefusingSource writes the tenant's crm/accounts.csv with three good
// rows and the refused one, and adds it as connection "crm" with Safe
// Mode off (its mapping is applied on the first sync).
func addRefusingSource(t *testing.T, a *app, token string, tenant tenancy.ID) {
	t.Helper()
	all, err := data.FS.ReadFile("crm/accounts.csv")
	if err != nil {
		t.Fatal(err)
	}
	lines := strings.SplitAfter(strings.TrimSpace(string(all)), "\n")
	body := strings.Join(lines[:4], "") + "\n" + refusedKey +
		",Bad\x00Name Ltd,https://bad.example,Retail,10,1000,United States,+1 415 555 0999,005A1,2024-01-01T09:00:00Z,2025-01-01T14:00:00Z\n"
	dir := filepath.Join(a.sourcesDir(tenant), "crm")
	if err := os.MkdirAll(dir, 0o700); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "accounts.csv"), []byte(body), 0o600); err != nil {
		t.Fatal(err)
	}
	if r := do(t, a, "POST", "/api/v1/connections", token, map[string]any{"id": "crm", "kind": "file", "config": map[string]string{"path": "crm", "system": "crm"}}); r.code != http.StatusCreated {
		t.Fatalf("create: %d %s", r.code, r.body)
	}
	if r := do(t, a, "PATCH", "/api/v1/connections/crm", token, map[string]any{"safe_mode": false}); r.code != http.StatusOK {
		t.Fatalf("safe mode off: %d %s", r.code, r.body)
	}
}

func setSourceFlag(t *testing.T, a *app, token string, on bool) {
	t.Helper()
	if r := do(t, a, "PUT", "/api/v1/flags/USE_AAM_AS_SOURCE", token, map[string]bool{"on": on}); r.code != http.StatusOK {
		t.Fatalf("set USE_AAM_AS_SOURCE=%v: %d %s", on, r.code, r.body)
	}
}

type deadRecordsJSON struct {
	Records []mesh.DeadRecord `json:"records"`
}

func accountCount(t *testing.T, a *app, token string) string {
	t.Helper()
	r := query(t, a, token, "SELECT count(*) FROM account")
	if r.code != http.StatusOK {
		t.Fatalf("count accounts: %d %s", r.code, r.body)
	}
	return fmt.Sprint(decode[queryJSON](t, r).Rows)
}

// TestWarehouseRefusalIsADeadRecord: with USE_AAM_AS_SOURCE off, a row
// the warehouse refuses is kept as a dead record of its connection (kind
// warehouse, by its source key, with the field and why), counted by the
// records.dead metric; the other rows are stored.
// It runs embedded (the file mesh store) and in server mode (PostgreSQL).
func TestWarehouseRefusalIsADeadRecord(t *testing.T) {
	t.Run("embedded", func(t *testing.T) { testWarehouseRefusalIsADeadRecord(t, newTestApp(t, nil)) })
	t.Run("server", func(t *testing.T) { testWarehouseRefusalIsADeadRecord(t, newTestServerApp(t)) })
}

// newTestServerApp starts an app in server mode (PostgreSQL, Redis).
func newTestServerApp(t *testing.T) *app {
	t.Helper()
	a, err := newServerApp(t, serverEnv(t), t.TempDir(), nil)
	if err != nil {
		t.Fatal(err)
	}
	return a
}

func testWarehouseRefusalIsADeadRecord(t *testing.T, a *app) {
	tokenA, tenantA := register(t, a, "Alpha", "alice@alpha.example")
	tokenB, _ := register(t, a, "Beta", "bob@beta.example")
	setSourceFlag(t, a, tokenA, false)
	addRefusingSource(t, a, tokenA, tenantA)

	if st := syncStats(t, a, tokenA, "crm"); st["events_published"].(float64) != 4 {
		t.Fatalf("sync published %v events, want the 4 rows: %v", st["events_published"], st)
	}
	r := do(t, a, "GET", "/api/v1/connections/crm/dead-records", tokenA, nil)
	if r.code != http.StatusOK {
		t.Fatalf("dead records: %d %s", r.code, r.body)
	}
	dead := decode[deadRecordsJSON](t, r).Records
	if len(dead) != 1 {
		t.Fatalf("dead records %+v, want the refused row", dead)
	}
	d := dead[0]
	if d.Kind != mesh.DeadWarehouse || d.Ref != refusedKey || d.Connection != "crm" || d.Object == "" ||
		!strings.HasPrefix(d.Reason, "field name: ") || !strings.Contains(d.Reason, "NUL") {
		t.Fatalf("dead record %+v, want kind warehouse, ref %s and a reason naming field name", d, refusedKey)
	}
	if got := accountCount(t, a, tokenA); got != "[[3]]" {
		t.Fatalf("accounts stored: %s, want the 3 good rows", got)
	}
	if m := do(t, a, "GET", "/metrics", "", nil).body; !bytes.Contains(m, []byte(`hostd_mesh_event_items_total{kind="records.dead"} 1`)) {
		t.Errorf("metrics do not count the refused record as records.dead:\n%s", m)
	}
	if r := do(t, a, "GET", "/api/v1/connections/crm/dead-records", tokenB, nil); r.code != http.StatusNotFound {
		t.Errorf("tenant B reads A's dead records: %d, want 404", r.code)
	}

	// Syncing again reads nothing new and keeps the one record.
	syncStats(t, a, tokenA, "crm")
	if dead := decode[deadRecordsJSON](t, do(t, a, "GET", "/api/v1/connections/crm/dead-records", tokenA, nil)).Records; len(dead) != 1 {
		t.Fatalf("dead records after a second sync: %+v", dead)
	}
}

// fastDeadLetters makes the app's DCL consumers dead-letter after two
// deliveries a few milliseconds apart instead of the default's five,
// 30 s apart. Call it before the tenant's consumer starts.
func fastDeadLetters(t *testing.T, a *app) {
	t.Helper()
	sc := stream.SubscriberConfig{MaxDeliveries: 2, Logger: quietLogger()}
	a.consumers.mu.Lock()
	defer a.consumers.mu.Unlock()
	a.consumers.subscribe = func(ctx context.Context, tenant tenancy.ID, group string) (*stream.Subscriber, error) {
		if a.serverMode() {
			return redisstream.NewSubscriber(ctx, a.rdb, tenant, group, &redisstream.SubscriberConfig{MinIdle: 50 * time.Millisecond,
				Block: 100 * time.Millisecond, Logger: quietLogger(), Stream: sc})
		}
		return a.broker.NewSubscriber(tenant, group, &memstream.SubscriberConfig{MinIdle: 20 * time.Millisecond, Stream: sc})
	}
}

func deadLettersOf(t *testing.T, a *app, token string) []deadLetterJSON {
	t.Helper()
	r := do(t, a, "GET", "/api/v1/dead-letters", token, nil)
	if r.code != http.StatusOK {
		t.Fatalf("dead letters: %d %s", r.code, r.body)
	}
	return decode[deadLettersJSON](t, r).DeadLetters
}

// waitDeadLetter waits until the tenant has one dead letter and returns
// it.
func waitDeadLetter(t *testing.T, a *app, token string) deadLetterJSON {
	t.Helper()
	var ls []deadLetterJSON
	waitFor(t, "the refused event's dead letter", func() bool {
		ls = deadLettersOf(t, a, token)
		return len(ls) > 0
	})
	if len(ls) != 1 {
		t.Fatalf("dead letters %+v, want one", ls)
	}
	return ls[0]
}

// TestWarehouseRefusalIsADeadLetter: with USE_AAM_AS_SOURCE on, the same
// refused row ends as a dead letter of the tenant's DCL consumer group,
// which the tenant (and no other) lists, replays (the warehouse refuses
// it again: a new dead letter) and deletes. It runs embedded (memstream)
// and in server mode (Redis Streams).
func TestWarehouseRefusalIsADeadLetter(t *testing.T) {
	t.Run("embedded", func(t *testing.T) { testWarehouseRefusalIsADeadLetter(t, newTestApp(t, nil)) })
	t.Run("server", func(t *testing.T) { testWarehouseRefusalIsADeadLetter(t, newTestServerApp(t)) })
}

func testWarehouseRefusalIsADeadLetter(t *testing.T, a *app) {
	fastDeadLetters(t, a)
	tokenA, tenantA := register(t, a, "Alpha", "alice@alpha.example")
	tokenB, _ := register(t, a, "Beta", "bob@beta.example")
	for _, c := range []struct{ method, path string }{
		{"GET", "/api/v1/dead-letters"},
		{"POST", "/api/v1/dead-letters/1/replay"},
		{"DELETE", "/api/v1/dead-letters/1"},
	} {
		if r := do(t, a, c.method, c.path, "", nil); r.code != http.StatusUnauthorized {
			t.Errorf("%s %s without credentials: %d, want 401", c.method, c.path, r.code)
		}
	}
	if ls := deadLettersOf(t, a, tokenA); len(ls) != 0 {
		t.Fatalf("dead letters before any sync: %+v", ls)
	}
	setSourceFlag(t, a, tokenA, true)
	addRefusingSource(t, a, tokenA, tenantA)
	if st := syncStats(t, a, tokenA, "crm"); st["events_published"].(float64) != 4 {
		t.Fatalf("sync published %v events, want the 4 rows: %v", st["events_published"], st)
	}

	dl := waitDeadLetter(t, a, tokenA)
	if dl.SourceKey != refusedKey || dl.ConnectionID != "crm" || dl.Entity != "account" || dl.EventID == "" ||
		dl.Deliveries != 2 || !strings.Contains(dl.Reason, "field name: ") || !strings.Contains(dl.Reason, "NUL") {
		t.Fatalf("dead letter %+v, want the refused row, delivered twice, with why", dl)
	}
	if name, _ := dl.Data["name"].(string); !strings.Contains(name, "Bad\x00Name") {
		t.Errorf("dead letter's data %v lacks the refused name", dl.Data)
	}
	if got := accountCount(t, a, tokenA); got != "[[3]]" {
		t.Fatalf("accounts stored: %s, want the 3 good rows", got)
	}
	// The stream path keeps the refusal as a dead letter, not as a dead
	// record as well.
	if dead := decode[deadRecordsJSON](t, do(t, a, "GET", "/api/v1/connections/crm/dead-records", tokenA, nil)).Records; len(dead) != 0 {
		t.Fatalf("dead records on the stream path: %+v", dead)
	}

	// Tenant B sees none of it, and A's id is not B's.
	if ls := deadLettersOf(t, a, tokenB); len(ls) != 0 {
		t.Fatalf("tenant B lists %+v", ls)
	}
	if r := do(t, a, "POST", "/api/v1/dead-letters/"+dl.ID+"/replay", tokenB, nil); r.code != http.StatusNotFound {
		t.Errorf("tenant B replays A's dead letter: %d %s, want 404", r.code, r.body)
	}
	if r := do(t, a, "DELETE", "/api/v1/dead-letters/"+dl.ID, tokenB, nil); r.code != http.StatusNotFound {
		t.Errorf("tenant B deletes A's dead letter: %d %s, want 404", r.code, r.body)
	}
	if ls := deadLettersOf(t, a, tokenA); len(ls) != 1 || ls[0].ID != dl.ID {
		t.Fatalf("A's dead letters after B's tries: %+v", ls)
	}

	for _, q := range []string{"limit=0", "limit=1001", "limit=x", "after=not-an-id"} {
		if r := do(t, a, "GET", "/api/v1/dead-letters?"+q, tokenA, nil); r.code != http.StatusBadRequest {
			t.Errorf("GET /api/v1/dead-letters?%s: %d %s, want 400", q, r.code, r.body)
		}
	}

	// Replay: the event goes back to the stream, the warehouse refuses it
	// again, and it dead-letters again under a new id.
	r := do(t, a, "POST", "/api/v1/dead-letters/"+dl.ID+"/replay", tokenA, nil)
	if r.code != http.StatusAccepted || decode[deadLetterReplayed](t, r).ID != dl.ID {
		t.Fatalf("replay: %d %s", r.code, r.body)
	}
	again := waitDeadLetter(t, a, tokenA)
	if again.ID == dl.ID || again.EventID != dl.EventID || again.SourceKey != refusedKey {
		t.Fatalf("after the replay: %+v, want the same event under a new dead letter id (was %s)", again, dl.ID)
	}
	if r := do(t, a, "POST", "/api/v1/dead-letters/"+dl.ID+"/replay", tokenA, nil); r.code != http.StatusNotFound {
		t.Errorf("replaying the replayed dead letter again: %d, want 404", r.code)
	}

	// Delete: gone for good.
	if r := do(t, a, "DELETE", "/api/v1/dead-letters/"+again.ID, tokenA, nil); r.code != http.StatusNoContent {
		t.Fatalf("delete: %d %s", r.code, r.body)
	}
	if ls := deadLettersOf(t, a, tokenA); len(ls) != 0 {
		t.Fatalf("dead letters after the delete: %+v", ls)
	}
	if r := do(t, a, "DELETE", "/api/v1/dead-letters/"+again.ID, tokenA, nil); r.code != http.StatusNotFound {
		t.Errorf("deleting it again: %d, want 404", r.code)
	}
	if r := do(t, a, "POST", "/api/v1/dead-letters/"+again.ID+"/replay", tokenA, nil); r.code != http.StatusNotFound {
		t.Errorf("replaying a deleted dead letter: %d, want 404", r.code)
	}
	if got := accountCount(t, a, tokenA); got != "[[3]]" {
		t.Fatalf("accounts after replay and delete: %s", got)
	}
}
