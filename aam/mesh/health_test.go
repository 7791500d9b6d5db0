package mesh_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/autonomos/autonomos/aam"
	"github.com/autonomos/autonomos/aam/mesh"
	"github.com/autonomos/autonomos/tenancy"
)

const secret = "s3cr3t-t0ken-value"

// flaky is a file connector whose Check fails while down is set, with
// an error that (carelessly) quotes the token.
type flaky struct {
	aam.Connector
	down *atomic.Bool
}

func (f flaky) Check(ctx context.Context) error {
	if f.down.Load() {
		return &aam.UnavailableError{Kind: "flaky", Target: "crm-host", Reason: "auth failed with token " + secret}
	}
	return f.Connector.Check(ctx)
}

func (e *env) registerFlaky(down *atomic.Bool) {
	e.kinds.Register("flaky", func(raw json.RawMessage) (aam.Connector, error) {
		c, err := openFile(raw)
		if err != nil {
			return nil, err
		}
		return flaky{Connector: c, down: down}, nil
	})
}

func TestFailingConnectorFailsThenHeals(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	var logs bytes.Buffer
	e := newEnv(t, map[string]string{"accounts.csv": accountsCSV}, &mesh.Config{
		Logger: slog.New(slog.NewJSONHandler(&logs, &slog.HandlerOptions{Level: slog.LevelDebug})),
	})
	down := &atomic.Bool{}
	down.Store(true)
	e.registerFlaky(down)
	c := e.conn("crm")
	c.Kind = "flaky"
	if _, err := e.mesh.AddConnection(ctx, c); err != nil {
		t.Fatal(err)
	}
	if err := e.mesh.SetSafeMode(ctx, tenantA, "crm", false, "alice"); err != nil {
		t.Fatal(err)
	}
	st, err := e.mesh.Sync(ctx, tenantA, "crm")
	if !errors.Is(err, aam.ErrUnavailable) {
		t.Fatalf("sync of a source that is down: %v, want ErrUnavailable", err)
	}
	if strings.Contains(err.Error(), secret) || !strings.Contains(err.Error(), "auth failed") {
		t.Errorf("sync error = %q: want the reason without the secret", err)
	}
	if st.Attempts != 3 || st.Health != mesh.HealthFailed {
		t.Errorf("stats = %+v, want 3 attempts and failed health", st)
	}
	if want := []time.Duration{time.Second, 2 * time.Second}; fmt.Sprint(e.sleeps) != fmt.Sprint(want) {
		t.Errorf("backoff waits = %v, want %v", e.sleeps, want)
	}
	got, err := e.mesh.Connection(ctx, tenantA, "crm")
	if err != nil {
		t.Fatal(err)
	}
	h := got.Health
	if h.Status != mesh.HealthFailed || h.Failures != 1 || h.LastErrorAt.IsZero() || !strings.Contains(h.LastError, "auth failed") {
		t.Errorf("health = %+v", h)
	}
	if strings.Contains(h.LastError, secret) {
		t.Errorf("last error shows the secret: %q", h.LastError)
	}
	if n := len(e.hookEvents(mesh.EventSyncRetry)); n != 2 {
		t.Errorf("hook saw %d retries, want 2", n)
	}

	// Still down: Heal tries and reports it failed.
	res, err := e.mesh.Heal(ctx, tenantA)
	if err != nil || len(res) != 1 || res[0].After != mesh.HealthFailed || res[0].Err == "" || strings.Contains(res[0].Err, secret) {
		t.Fatalf("heal while down = %+v, %v", res, err)
	}
	down.Store(false)
	res, err = e.mesh.Heal(ctx, tenantA)
	if err != nil {
		t.Fatal(err)
	}
	if len(res) != 1 || res[0].Before != mesh.HealthFailed || res[0].After != mesh.HealthHealthy || res[0].Stats.EventsPublished != 3 {
		t.Fatalf("heal = %+v", res)
	}
	got, _ = e.mesh.Connection(ctx, tenantA, "crm")
	if got.Health.Status != mesh.HealthHealthy || got.Health.LastError != "" || got.Health.Failures != 0 {
		t.Errorf("health after heal = %+v", got.Health)
	}
	// A healthy tenant has nothing to heal.
	if res, err := e.mesh.Heal(ctx, tenantA); err != nil || len(res) != 0 {
		t.Errorf("second heal = %+v, %v", res, err)
	}
	if strings.Contains(logs.String(), secret) {
		t.Errorf("logs show the secret:\n%s", logs.String())
	}
	if !strings.Contains(logs.String(), "auth failed") {
		t.Errorf("logs do not show the failure:\n%s", logs.String())
	}
}

func TestDegradedWhenSomeObjectsFail(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	e := newEnv(t, map[string]string{"accounts.csv": accountsCSV, "contacts.csv": "contact_id,first_name,last_name,email\nC-1,Ada,Lovelace,ada@example.com\n"}, &mesh.Config{MaxAttempts: 2})
	e.addSafeModeOff(t, "crm")
	e.pub.fail = nil
	crash := &failObject{Store: e.store, object: "contacts"}
	m, err := mesh.New(crash, e.reg, e.pub, &mesh.Config{Connectors: e.kinds, MaxAttempts: 2, Sleep: func(context.Context, time.Duration) error { return nil }})
	if err != nil {
		t.Fatal(err)
	}
	st, err := m.Sync(ctx, tenantA, "crm")
	var oe *mesh.ObjectError
	if !errors.As(err, &oe) || oe.Object != "contacts" {
		t.Fatalf("err = %v, want an ObjectError on contacts", err)
	}
	if st.Health != mesh.HealthDegraded || st.Attempts != 2 || st.ObjectsSynced != 1 {
		t.Errorf("stats = %+v, want degraded after 2 attempts with 1 object synced", st)
	}
}

// failObject fails the cursor reads of one object.
type failObject struct {
	mesh.Store
	object string
}

func (s *failObject) Cursor(ctx context.Context, tenant tenancy.ID, conn, object string) (aam.Cursor, error) {
	if object == s.object {
		return "", errors.New("cursor store down")
	}
	return s.Store.Cursor(ctx, tenant, conn, object)
}

func TestSecretsNeverShown(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	var logs bytes.Buffer
	logger := slog.New(slog.NewTextHandler(&logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
	e := newEnv(t, map[string]string{"accounts.csv": accountsCSV}, &mesh.Config{Logger: logger})
	c := e.conn("crm")
	c.Config = mesh.MustSourceConfig(map[string]any{
		"path":     e.dir,
		"password": secret,
		"sso":      map[string]any{"client_secret": secret, "client_id": "visible-id"},
		"url":      "postgres://app:" + secret + "@db.internal:5432/crm",
	})
	added, err := e.mesh.AddConnection(ctx, c)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := e.mesh.Sync(ctx, tenantA, "crm"); err != nil {
		t.Fatal(err)
	}
	logger.Info("connection", "conn", c, "config", c.Config)
	b, err := json.Marshal(c)
	if err != nil {
		t.Fatal(err)
	}
	shown := []string{
		"logs: " + logs.String(),
		"json: " + string(b),
		"fmt: " + fmt.Sprintf("%v %+v %#v %s", c, c, c, c.Config),
		"redacted: " + string(c.Redacted().Config.Raw()),
		"added: " + fmt.Sprintf("%+v", added) + string(added.Config.Raw()),
	}
	for _, s := range shown {
		if strings.Contains(s, secret) {
			t.Errorf("secret shown in %s", s)
		}
	}
	if !strings.Contains(string(b), "visible-id") || !strings.Contains(string(b), "db.internal") || !strings.Contains(string(b), mesh.Mask) {
		t.Errorf("redacted JSON lost non-secret values or the mask: %s", b)
	}
	if !strings.Contains(string(c.Config.Raw()), secret) {
		t.Error("Raw lost the real secret")
	}
	// A redacted connection cannot overwrite the stored secrets.
	got, _ := e.mesh.Connection(ctx, tenantA, "crm")
	if !got.Config.IsRedacted() {
		t.Error("Connection returned an unredacted config")
	}
	if err := e.store.UpdateConnection(ctx, got); !errors.Is(err, mesh.ErrInvalidConnection) {
		t.Errorf("storing a redacted config: %v, want ErrInvalidConnection", err)
	}
}

func TestSyncOfUnknownConnection(t *testing.T) {
	t.Parallel()
	e := newEnv(t, nil, nil)
	if _, err := e.mesh.Sync(context.Background(), tenantA, "nope"); !errors.Is(err, mesh.ErrNotFound) {
		t.Errorf("err = %v, want ErrNotFound", err)
	}
}

func TestAddConnectionValidates(t *testing.T) {
	t.Parallel()
	e := newEnv(t, nil, nil)
	ctx := context.Background()
	for name, c := range map[string]mesh.Connection{
		"no tenant": {ID: "x", Kind: "file"},
		"bad id":    {Tenant: tenantA, ID: "a b", Kind: "file"},
		"no kind":   {Tenant: tenantA, ID: "x"},
		"bad cfg":   {Tenant: tenantA, ID: "x", Kind: "file", Config: mesh.NewSourceConfig([]byte(`[1]`))},
	} {
		if _, err := e.mesh.AddConnection(ctx, c); !errors.Is(err, mesh.ErrInvalidConnection) {
			t.Errorf("%s: err = %v, want ErrInvalidConnection", name, err)
		}
	}
	if _, err := e.mesh.AddConnection(ctx, e.conn("dup")); err != nil {
		t.Fatal(err)
	}
	if _, err := e.mesh.AddConnection(ctx, e.conn("dup")); !errors.Is(err, mesh.ErrExists) {
		t.Errorf("duplicate: err = %v, want ErrExists", err)
	}
}

// blocking is a file connector whose Check waits until release closes.
type blocking struct {
	aam.Connector
	entered chan struct{}
	release chan struct{}
}

func (b blocking) Check(ctx context.Context) error {
	b.entered <- struct{}{}
	<-b.release
	return b.Connector.Check(ctx)
}

func TestSyncInProgress(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	e := newEnv(t, map[string]string{"accounts.csv": accountsCSV}, nil)
	entered, release := make(chan struct{}, 1), make(chan struct{})
	e.kinds.Register("blocking", func(raw json.RawMessage) (aam.Connector, error) {
		c, err := openFile(raw)
		return blocking{Connector: c, entered: entered, release: release}, err
	})
	c := e.conn("crm")
	c.Kind = "blocking"
	if _, err := e.mesh.AddConnection(ctx, c); err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { _, err := e.mesh.Sync(ctx, tenantA, "crm"); done <- err }()
	<-entered
	if _, err := e.mesh.Sync(ctx, tenantA, "crm"); !errors.Is(err, mesh.ErrSyncInProgress) {
		t.Errorf("second concurrent sync: %v, want ErrSyncInProgress", err)
	}
	close(release)
	if err := <-done; err != nil {
		t.Fatal(err)
	}
}
