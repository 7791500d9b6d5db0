package airbyte_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"strings"
	"testing"
	"time"

	"github.com/autonomos/autonomos/aam"
	"github.com/autonomos/autonomos/aam/connectors/airbyte"
	"github.com/autonomos/autonomos/aam/connectortest"
)

func testConfig() *airbyte.Config {
	return &airbyte.Config{
		PageSize:       2,
		RetryBaseDelay: time.Millisecond,
		RetryMaxDelay:  5 * time.Millisecond,
		Logger:         slog.New(slog.DiscardHandler),
	}
}

func open(t *testing.T, f *fakeAirbyte, cfg *airbyte.Config) *airbyte.Monitor {
	t.Helper()
	m, err := airbyte.New(f.url(), fakeToken, cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { m.Close() })
	return m
}

func TestAcceptance(t *testing.T) {
	f := newFakeAirbyte(t)
	connectortest.RunAcceptanceTests(t, connectortest.Harness{
		Open: func(t *testing.T) aam.Connector {
			m, err := airbyte.New(f.url(), fakeToken, testConfig())
			if err != nil {
				t.Fatal(err)
			}
			return m
		},
		Records: map[string]int{"connections": 5, "jobs": 7},
		Append:  func(t *testing.T, object string, n int) { f.addConnections(n) },
		Unreachable: func(t *testing.T) aam.Connector {
			l, err := net.Listen("tcp", "127.0.0.1:0")
			if err != nil {
				t.Fatal(err)
			}
			addr := l.Addr().String()
			l.Close()
			m, err := airbyte.New("http://"+addr+"/api/public", fakeToken, testConfig())
			if err != nil {
				t.Fatal(err)
			}
			return m
		},
	})
}

func readAll(t *testing.T, c aam.Connector, object string, cur aam.Cursor) ([]map[string]any, []*aam.Batch, error) {
	t.Helper()
	var recs []map[string]any
	var batches []*aam.Batch
	for b, err := range c.Read(context.Background(), object, cur) {
		if err != nil {
			return recs, batches, err
		}
		batches = append(batches, b)
		for _, r := range b.Records {
			recs = append(recs, r.Fields)
		}
	}
	return recs, batches, nil
}

func ids(recs []map[string]any, key string) string {
	var s []string
	for _, r := range recs {
		s = append(s, fmt.Sprint(r[key]))
	}
	return strings.Join(s, " ")
}

func TestJobsOrderAndFields(t *testing.T) {
	f := newFakeAirbyte(t)
	m := open(t, f, testConfig())
	recs, batches, err := readAll(t, m, "jobs", "")
	if err != nil {
		t.Fatal(err)
	}
	// By lastUpdatedAt, then job id as a number (99 before 100), reset
	// job 102 left out.
	if got := ids(recs, "jobId"); got != "99 100 101 103 104 105 106" {
		t.Fatalf("jobs in order %s", got)
	}
	if len(batches) != 4 {
		t.Errorf("7 jobs in batches of 2 came in %d batches", len(batches))
	}
	j := recs[4] // job 104
	want := map[string]any{
		"jobId": json.Number("104"), "status": "succeeded", "jobType": "sync", "connectionId": "000000c0-1111-4222-8333-0000000000c0",
		"startTime": "2024-05-02T12:00:00Z", "lastUpdatedAt": "2024-05-02T13:06:12Z", "duration": "PT1H6M12S",
		"durationSeconds": json.Number("3972"), "rowsSynced": json.Number("123456789"), "bytesSynced": json.Number("9007199254740993"),
	}
	gj, _ := json.Marshal(j)
	wj, _ := json.Marshal(want)
	if !bytes.Equal(gj, wj) {
		t.Errorf("job 104 = %s\nwant %s", gj, wj)
	}
	pending := recs[6]
	if pending["duration"] != nil || pending["rowsSynced"] != nil || pending["durationSeconds"] != nil {
		t.Errorf("pending job without figures = %v, want nulls", pending)
	}
	// Every list request asked for sync jobs ordered by update time,
	// and paging followed next.
	var offsets []string
	for _, r := range f.requestLog() {
		if strings.Contains(r, "/v1/jobs?") {
			if !strings.Contains(r, "jobType=sync") || !strings.Contains(r, "orderBy=updatedAt%7CASC") {
				t.Errorf("jobs request %s", r)
			}
			offsets = append(offsets, r[strings.Index(r, "offset="):][:8])
		}
	}
	if strings.Join(offsets, ",") != "offset=0,offset=2,offset=4,offset=6" {
		t.Errorf("pages asked: %v", offsets)
	}
}

func TestJobsIncremental(t *testing.T) {
	f := newFakeAirbyte(t)
	m := open(t, f, testConfig())
	_, batches, err := readAll(t, m, "jobs", "")
	if err != nil {
		t.Fatal(err)
	}
	end := batches[len(batches)-1].Cursor
	if recs, _, err := readAll(t, m, "jobs", end); err != nil || len(recs) != 0 {
		t.Fatalf("from the end: %d records, %v", len(recs), err)
	}
	// The running job finishes: it comes again, once, with its new status.
	f.updateJob(101, "succeeded", "2024-05-04T09:00:00Z")
	recs, batches2, err := readAll(t, m, "jobs", end)
	if err != nil || len(recs) != 1 || recs[0]["jobId"] != json.Number("101") || recs[0]["status"] != "succeeded" {
		t.Fatalf("after the job finished: %v, %v", recs, err)
	}
	last := f.requestLog()
	if q := last[len(last)-1]; !strings.Contains(q, "updatedAtStart=2024-05-03T00%3A00%3A00Z") {
		t.Errorf("incremental request %s does not start at the cursor's time", q)
	}
	if recs, _, _ := readAll(t, m, "jobs", batches2[0].Cursor); len(recs) != 0 {
		t.Errorf("read again from the new cursor: %d records", len(recs))
	}
}

func TestConnections(t *testing.T) {
	f := newFakeAirbyte(t)
	cfg := testConfig()
	cfg.WorkspaceIDs = []string{"9f1d2c3b-4a5e-4f60-8a7b-1c2d3e4f5a6b"}
	m := open(t, f, cfg)
	recs, _, err := readAll(t, m, "connections", "")
	if err != nil {
		t.Fatal(err)
	}
	// By createdAt, then id; the other workspace's connection left out.
	if got := ids(recs, "name"); got != "Stripe → S3 Postgres → Snowflake Salesforce → BigQuery HubSpot → Postgres" {
		t.Fatalf("connections: %s", got)
	}
	c := recs[1]
	if c["schedule.scheduleType"] != "cron" || c["schedule.cronExpression"] != "0 0 12 * * ?" || c["schedule.basicTiming"] != nil ||
		c["status"] != "active" || c["createdAt"] != "2023-11-14T22:13:20Z" || c["sourceId"] != "00000050-1111-4222-8333-000000000050" {
		t.Errorf("connection record %v", c)
	}
}

func TestConnectionFilterPerConnectionJobs(t *testing.T) {
	f := newFakeAirbyte(t)
	cfg := testConfig()
	cfg.ConnectionIDs = []string{"000000c0-1111-4222-8333-0000000000c0", "000000c1-1111-4222-8333-0000000000c1"}
	cfg.JobType = "all"
	m := open(t, f, cfg)
	recs, _, err := readAll(t, m, "jobs", "")
	if err != nil {
		t.Fatal(err)
	}
	if got := ids(recs, "jobId"); got != "99 100 102 104 105" {
		t.Fatalf("jobs of two connections, all types: %s", got)
	}
	perConn := 0
	for _, r := range f.requestLog() {
		if strings.Contains(r, "connectionId=") {
			perConn++
		}
		if strings.Contains(r, "jobType=") {
			t.Errorf("job type filter sent with job_type all: %s", r)
		}
	}
	if perConn < 2 {
		t.Errorf("%d requests named a connectionId, want one query per connection", perConn)
	}
	conns, _, err := readAll(t, m, "connections", "")
	if err != nil || len(conns) != 2 {
		t.Fatalf("connections limited to two: %d, %v", len(conns), err)
	}
}

func TestRetriesAndErrors(t *testing.T) {
	f := newFakeAirbyte(t)
	m := open(t, f, testConfig())
	f.fail(429, 503, 502)
	recs, _, err := readAll(t, m, "jobs", "")
	if err != nil || len(recs) != 7 {
		t.Fatalf("read through 429/503/502: %d, %v", len(recs), err)
	}
	cfg := testConfig()
	cfg.MaxRetries = 1
	m2 := open(t, f, cfg)
	f.fail(503, 503)
	_, _, err = readAll(t, m2, "connections", "")
	var ae *airbyte.APIError
	if !errors.As(err, &ae) || ae.Status != 503 || ae.Path != "/v1/connections" || ae.Title != "rate-limited" {
		t.Fatalf("past the retries: %v", err)
	}

	bad, err := airbyte.New(f.url(), "wrong-token-value", testConfig())
	if err != nil {
		t.Fatal(err)
	}
	defer bad.Close()
	err = bad.Check(context.Background())
	if !errors.Is(err, aam.ErrUnavailable) || !errors.Is(err, airbyte.ErrAuth) {
		t.Fatalf("Check with a wrong token = %v", err)
	}
	// The fake echoes the Authorization header; the error must not.
	if strings.Contains(err.Error(), "wrong-token-value") || !strings.Contains(err.Error(), "[redacted]") {
		t.Errorf("token shown in %q", err)
	}
}

func TestSecretNeverShown(t *testing.T) {
	f := newFakeAirbyte(t)
	var logs bytes.Buffer
	cfg := testConfig()
	cfg.Logger = slog.New(slog.NewTextHandler(&logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
	m := open(t, f, cfg)
	f.fail(429)
	if _, _, err := readAll(t, m, "jobs", ""); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(logs.String(), "retrying") {
		t.Fatalf("no retry logged:\n%s", logs.String())
	}
	_, err := aam.Open("airbyte", json.RawMessage(`{"base_url":"http://x","token":12345678}`))
	if !errors.Is(err, aam.ErrInvalidConfig) {
		t.Fatalf("Open with a mistyped token = %v", err)
	}
	j, _ := json.Marshal(struct {
		T airbyte.Secret
	}{fakeToken})
	for _, text := range []string{logs.String(), err.Error(), fmt.Sprintf("%v %+v %#v", airbyte.Secret(fakeToken), m, m), string(j)} {
		if strings.Contains(text, fakeToken) || strings.Contains(text, "12345678") {
			t.Errorf("a secret shows in %q", text)
		}
	}
}

func TestConfigErrors(t *testing.T) {
	for _, tc := range []struct {
		field, base string
		token       airbyte.Secret
		cfg         airbyte.Config
	}{
		{"base_url", "ftp://x", "t", airbyte.Config{}},
		{"base_url", "http://user:pw@x", "t", airbyte.Config{}},
		{"token", "http://x", "", airbyte.Config{}},
		{"job_type", "http://x", "t", airbyte.Config{JobType: "replicate"}},
		{"page_size", "http://x", "t", airbyte.Config{PageSize: 1000}},
		{"connection_ids", "http://x", "t", airbyte.Config{ConnectionIDs: []string{"not-a-uuid"}}},
	} {
		_, err := airbyte.New(tc.base, tc.token, &tc.cfg)
		var ce *aam.ConfigError
		if !errors.As(err, &ce) || ce.Field != tc.field {
			t.Errorf("want a config error on %s, got %v", tc.field, err)
		}
	}
}

func TestParseDuration(t *testing.T) {
	for s, want := range map[string]time.Duration{
		"PT8H6M12S": 8*time.Hour + 6*time.Minute + 12*time.Second, "PT10M": 10 * time.Minute, "P1DT2H": 26 * time.Hour,
		"PT0.5S": 500 * time.Millisecond, "P2W": 14 * 24 * time.Hour,
	} {
		if got, ok := airbyte.ParseDuration(s); !ok || got != want {
			t.Errorf("ParseDuration(%q) = %v, %v; want %v", s, got, ok, want)
		}
	}
	for _, s := range []string{"", "P", "PT", "10M", "PT5", "P1H", "PT1D", "PTT1S", "P1Y"} {
		if _, ok := airbyte.ParseDuration(s); ok {
			t.Errorf("ParseDuration(%q) accepted", s)
		}
	}
}

func TestRegistered(t *testing.T) {
	f := newFakeAirbyte(t)
	c, err := aam.Open("airbyte", json.RawMessage(fmt.Sprintf(`{"base_url":%q,"token":%q,"page_size":3}`, f.url(), fakeToken)))
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	infos, err := c.Discover(context.Background())
	if err != nil || len(infos) != 2 || infos[0].Name != "connections" || infos[1].Name != "jobs" || infos[1].Schema.PrimaryKey[0] != "jobId" {
		t.Fatalf("Discover: %v, %v", infos, err)
	}
}

func TestJobsLookback(t *testing.T) {
	f := newFakeAirbyte(t)
	cfg := testConfig()
	cfg.JobsLookback = 36 * time.Hour
	cfg.Now = func() time.Time { return time.Date(2024, 5, 3, 12, 0, 0, 0, time.UTC) }
	m := open(t, f, cfg)
	recs, batches, err := readAll(t, m, "jobs", "")
	if err != nil {
		t.Fatal(err)
	}
	// Updated since 2024-05-02T00:00:00Z.
	if got := ids(recs, "jobId"); got != "104 105 106" {
		t.Fatalf("first read with a 36h lookback: %s", got)
	}
	// The lookback does not bound a resumed read.
	f.updateJob(99, "succeeded", "2024-05-03T11:00:00Z")
	recs, _, err = readAll(t, m, "jobs", batches[len(batches)-1].Cursor)
	if err != nil || ids(recs, "jobId") != "99" {
		t.Fatalf("resumed read: %v, %v", recs, err)
	}
}

func TestJSONConfigDurations(t *testing.T) {
	f := newFakeAirbyte(t)
	c, err := aam.Open("airbyte", json.RawMessage(fmt.Sprintf(`{"base_url":%q,"token":%q,"jobs_lookback":"1h","retry_max_delay":"1ms"}`, f.url(), fakeToken)))
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	// The fixture's jobs are all older than an hour.
	recs, _, err := readAll(t, c, "jobs", "")
	if err != nil || len(recs) != 0 {
		t.Fatalf("jobs within the last hour: %d, %v", len(recs), err)
	}
	_, err = aam.Open("airbyte", json.RawMessage(`{"base_url":"http://x","token":"t","jobs_lookback":"a month"}`))
	var ce *aam.ConfigError
	if !errors.As(err, &ce) || ce.Field != "jobs_lookback" {
		t.Fatalf("a bad duration = %v", err)
	}
}
