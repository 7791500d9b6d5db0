package salesforce_test

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
	"github.com/autonomos/autonomos/aam/connectors/salesforce"
	"github.com/autonomos/autonomos/aam/connectortest"
	"github.com/autonomos/autonomos/drift"
)

func baseConfig(f *fakeOrg) *salesforce.Config {
	return &salesforce.Config{
		LoginURL:       f.srv.URL,
		Flow:           salesforce.FlowClientCredentials,
		ClientID:       fakeClientID,
		ClientSecret:   fakeClientSecret,
		Objects:        []string{"Account", "AccountHistory", "Contact"},
		Relationships:  map[string][]string{"Contact": {"Account.Name"}},
		BatchSize:      3,
		RetryBaseDelay: time.Millisecond,
		RetryMaxDelay:  5 * time.Millisecond,
		Logger:         slog.New(slog.DiscardHandler),
	}
}

func open(t *testing.T, cfg *salesforce.Config) *salesforce.Source {
	t.Helper()
	s, err := salesforce.New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

func closedURL(t *testing.T) string {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := l.Addr().String()
	l.Close()
	return "http://" + addr
}

func TestAcceptance(t *testing.T) {
	f := newFakeOrg(t)
	connectortest.RunAcceptanceTests(t, connectortest.Harness{
		Open: func(t *testing.T) aam.Connector {
			s, err := salesforce.New(baseConfig(f))
			if err != nil {
				t.Fatal(err)
			}
			return s
		},
		Records: map[string]int{"Account": 7, "AccountHistory": 4, "Contact": 5},
		Append:  func(t *testing.T, object string, n int) { f.addAccounts(n) },
		Unreachable: func(t *testing.T) aam.Connector {
			cfg := baseConfig(f)
			cfg.LoginURL = closedURL(t)
			s, err := salesforce.New(cfg)
			if err != nil {
				t.Fatal(err)
			}
			return s
		},
	})
}

// TestAcceptanceAllObjects discovers the org's objects from the
// sobjects list instead of a configured list.
func TestAcceptanceAllObjects(t *testing.T) {
	f := newFakeOrg(t)
	connectortest.RunAcceptanceTests(t, connectortest.Harness{
		Open: func(t *testing.T) aam.Connector {
			cfg := baseConfig(f)
			cfg.Objects = nil
			cfg.Flow, cfg.ClientSecret, cfg.RefreshToken = salesforce.FlowRefreshToken, "", fakeRefreshToken
			s, err := salesforce.New(cfg)
			if err != nil {
				t.Fatal(err)
			}
			return s
		},
		Records: map[string]int{"Account": 7, "AccountHistory": 4, "Contact": 5},
	})
}

type readOut struct {
	records []map[string]any
	batches []*aam.Batch
}

func readAll(t *testing.T, c aam.Connector, object string, cur aam.Cursor) (readOut, error) {
	t.Helper()
	var out readOut
	for b, err := range c.Read(context.Background(), object, cur) {
		if err != nil {
			return out, err
		}
		out.batches = append(out.batches, b)
		for _, r := range b.Records {
			out.records = append(out.records, r.Fields)
		}
	}
	return out, nil
}

func TestFlows(t *testing.T) {
	f := newFakeOrg(t)
	for _, tc := range []struct {
		flow  salesforce.Flow
		grant string
		set   func(*salesforce.Config)
	}{
		{salesforce.FlowClientCredentials, "client_credentials", func(c *salesforce.Config) {}},
		{salesforce.FlowRefreshToken, "refresh_token", func(c *salesforce.Config) { c.RefreshToken = fakeRefreshToken }},
		{salesforce.FlowJWTBearer, "urn:ietf:params:oauth:grant-type:jwt-bearer", func(c *salesforce.Config) {
			c.ClientSecret, c.Username, c.PrivateKey = "", fakeUsername, salesforce.Secret(fakeKeyPEM())
		}},
	} {
		t.Run(string(tc.flow), func(t *testing.T) {
			cfg := baseConfig(f)
			cfg.Flow = tc.flow
			tc.set(cfg)
			s := open(t, cfg)
			_, before, _ := f.stats()
			if err := s.Check(context.Background()); err != nil {
				t.Fatalf("Check: %v", err)
			}
			out, err := readAll(t, s, "Account", "")
			if err != nil || len(out.records) != 7 {
				t.Fatalf("read %d records, err %v", len(out.records), err)
			}
			_, after, _ := f.stats()
			if got := after[len(before):]; len(got) != 1 || got[0] != tc.grant {
				t.Fatalf("token requests %v, want one %s (the token is cached)", got, tc.grant)
			}
		})
	}
}

func TestJWTAssertionChecked(t *testing.T) {
	f := newFakeOrg(t)
	cfg := baseConfig(f)
	cfg.Flow, cfg.Username, cfg.PrivateKey = salesforce.FlowJWTBearer, fakeUsername, salesforce.Secret(fakeKeyPEM())
	// A clock an hour behind makes the assertion expired to the server.
	cfg.Now = func() time.Time { return time.Now().Add(-time.Hour) }
	s := open(t, cfg)
	err := s.Check(context.Background())
	var te *salesforce.TokenError
	if !errors.Is(err, aam.ErrUnavailable) || !errors.Is(err, salesforce.ErrAuth) || !errors.As(err, &te) || te.Code != "invalid_grant" {
		t.Fatalf("Check with an expired assertion = %v, want unavailable, ErrAuth, TokenError invalid_grant", err)
	}
}

func TestPagingAndOrder(t *testing.T) {
	f := newFakeOrg(t)
	s := open(t, baseConfig(f))
	out, err := readAll(t, s, "Account", "")
	if err != nil {
		t.Fatal(err)
	}
	if len(out.batches) != 3 {
		t.Fatalf("7 records in pages of 3 came in %d batches, want 3", len(out.batches))
	}
	var ids []string
	for _, r := range out.records {
		ids = append(ids, r["Id"].(string))
	}
	// By SystemModstamp, then Id among the three at 10:30:00.000 and the
	// two at 08:00:00.250.
	want := "001Dn00000AbCdAIAV 001Dn00000AbCdBIAV 001Dn00000AbCdCIAV 001Dn00000AbCdDIAV 001Dn00000AbCdEIAV 001Dn00000AbCdFIAV 001Dn00000AbCdGIAV"
	if got := strings.Join(ids, " "); got != want {
		t.Fatalf("order %s\nwant  %s", got, want)
	}
	// The cursor after the first page holds its last record; resuming
	// there asks for the records after the tie.
	var cur struct{ TS, ID string }
	if err := json.Unmarshal([]byte(out.batches[0].Cursor), &cur); err != nil {
		t.Fatal(err)
	}
	if cur.TS != "2024-01-15T10:30:00.000Z" || cur.ID != "001Dn00000AbCdCIAV" {
		t.Fatalf("first cursor %s", out.batches[0].Cursor)
	}
	rest, err := readAll(t, s, "Account", out.batches[0].Cursor)
	if err != nil || len(rest.records) != 4 || rest.records[0]["Id"] != "001Dn00000AbCdDIAV" {
		t.Fatalf("resumed read: %d records, err %v", len(rest.records), err)
	}
	_, _, queries := f.stats()
	last := queries[len(queries)-1]
	wantWhere := "WHERE SystemModstamp > 2024-01-15T10:30:00.000Z OR (SystemModstamp = 2024-01-15T10:30:00.000Z AND Id > '001Dn00000AbCdCIAV') ORDER BY SystemModstamp, Id"
	if !strings.HasSuffix(last, wantWhere) {
		t.Fatalf("resumed query %q\nwant suffix %q", last, wantWhere)
	}
	if strings.Contains(last, "Logo__c") {
		t.Errorf("query selects the base64 field Logo__c: %s", last)
	}
}

func TestRecordsFlattenedExact(t *testing.T) {
	f := newFakeOrg(t)
	s := open(t, baseConfig(f))
	out, err := readAll(t, s, "Account", "")
	if err != nil {
		t.Fatal(err)
	}
	acme := out.records[0]
	if _, ok := acme["attributes"]; ok {
		t.Error("attributes kept")
	}
	if v, ok := acme["AnnualRevenue"].(json.Number); !ok || v.String() != "9007199254740993.25" {
		t.Errorf("AnnualRevenue = %#v, want json.Number 9007199254740993.25 exactly", acme["AnnualRevenue"])
	}
	if acme["BillingAddress.city"] != "Springfield" || acme["BillingAddress.street"] != "1 Main St" {
		t.Errorf("address not flattened: %v", acme)
	}
	if acme["Description"] != "Line one\nLine two" {
		t.Errorf("Description = %q", acme["Description"])
	}
	cons, err := readAll(t, s, "Contact", "")
	if err != nil {
		t.Fatal(err)
	}
	if got := cons.records[0]["Account.Name"]; got != "Acme Corporation" {
		t.Errorf("Contact Account.Name = %v", got)
	}
	last := cons.records[4]
	if v, ok := last["Account.Name"]; !ok || v != nil {
		t.Errorf("Contact with a null Account: Account.Name = %v (present %v), want null", v, ok)
	}
	if _, ok := last["Account"]; ok {
		t.Error("null parent kept as its own key next to Account.Name")
	}
}

func TestFlatten(t *testing.T) {
	in := map[string]any{
		"attributes": map[string]any{"type": "Contact"},
		"Id":         "003",
		"Account": map[string]any{
			"attributes": map[string]any{"type": "Account"},
			"Name":       "Acme",
			"Owner":      map[string]any{"attributes": map[string]any{}, "Email": "o@example.com"},
		},
		"Tags":  []any{"a"},
		"Cases": map[string]any{"totalSize": json.Number("0"), "done": true, "records": []any{}},
	}
	got := salesforce.Flatten(in)
	want := map[string]any{"Id": "003", "Account.Name": "Acme", "Account.Owner.Email": "o@example.com", "Tags": []any{"a"}, "Cases": in["Cases"]}
	gj, _ := json.Marshal(got)
	wj, _ := json.Marshal(want)
	if !bytes.Equal(gj, wj) {
		t.Fatalf("Flatten = %s\nwant %s", gj, wj)
	}
}

func TestDiscoverSchema(t *testing.T) {
	f := newFakeOrg(t)
	s := open(t, baseConfig(f))
	infos, err := s.Discover(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if len(infos) != 3 || infos[0].Name != "Account" || infos[1].Name != "AccountHistory" || infos[2].Name != "Contact" {
		t.Fatalf("Discover listed %v", infos)
	}
	acc := infos[0].Schema
	if acc.System != "salesforce" || len(acc.PrimaryKey) != 1 || acc.PrimaryKey[0] != "Id" || infos[0].Inferred {
		t.Fatalf("Account schema header: %+v", acc)
	}
	want := map[string]struct {
		typ      drift.FieldType
		nullable bool
	}{
		"Id": {drift.TypeString, false}, "IsDeleted": {drift.TypeBoolean, false}, "Name": {drift.TypeString, false},
		"Type": {drift.TypeString, true}, "BillingAddress": {drift.TypeObject, true}, "Phone": {drift.TypeString, true},
		"Website": {drift.TypeString, true}, "AnnualRevenue": {drift.TypeNumber, true}, "NumberOfEmployees": {drift.TypeInteger, true},
		"Description": {drift.TypeString, true}, "OwnerId": {drift.TypeString, false}, "CreatedDate": {drift.TypeTimestamp, false},
		"LastActivityDate": {drift.TypeDate, true}, "SystemModstamp": {drift.TypeTimestamp, false}, "Share_Of_Wallet__c": {drift.TypeNumber, true},
	}
	if len(acc.Fields) != len(want) {
		t.Errorf("Account has %d fields, want %d (base64 Logo__c left out)", len(acc.Fields), len(want))
	}
	for _, fl := range acc.Fields {
		w, ok := want[fl.Name]
		if !ok || fl.Type != w.typ || fl.Nullable != w.nullable {
			t.Errorf("field %s: %s nullable=%v, want %+v (known %v)", fl.Name, fl.Type, fl.Nullable, w, ok)
		}
	}
	if fl, ok := infos[2].Schema.Field("Account.Name"); !ok || fl.Type != drift.TypeString || !fl.Nullable {
		t.Errorf("Contact relationship field Account.Name: %+v %v", fl, ok)
	}
}

func TestFieldType(t *testing.T) {
	for sf, want := range map[string]drift.FieldType{
		"id": drift.TypeString, "string": drift.TypeString, "picklist": drift.TypeString, "textarea": drift.TypeString,
		"url": drift.TypeString, "email": drift.TypeString, "phone": drift.TypeString, "reference": drift.TypeString,
		"int": drift.TypeInteger, "double": drift.TypeNumber, "currency": drift.TypeNumber, "percent": drift.TypeNumber,
		"boolean": drift.TypeBoolean, "date": drift.TypeDate, "datetime": drift.TypeTimestamp, "something_new": drift.TypeString,
	} {
		if got := salesforce.FieldType(sf); got != want {
			t.Errorf("FieldType(%q) = %s, want %s", sf, got, want)
		}
	}
}

func TestTokenExpiryRefreshesOnce(t *testing.T) {
	f := newFakeOrg(t)
	s := open(t, baseConfig(f))
	ctx := context.Background()
	n := 0
	for b, err := range s.Read(ctx, "Account", "") {
		if err != nil {
			t.Fatalf("Read across a token expiry: %v", err)
		}
		n += len(b.Records)
		f.expireTokens() // every page after the first meets an expired session
	}
	if n != 7 {
		t.Fatalf("read %d records across expiries, want 7", n)
	}
	_, grants, _ := f.stats()
	if len(grants) != 3 { // the first token, then one per later page
		t.Fatalf("token requests %v, want 3", grants)
	}

	// A token that the API refuses right after it was issued is an
	// authentication error, not a loop.
	cfg := baseConfig(f)
	s2 := open(t, cfg)
	f.fail(fakeFailure{status: 401, code: "INVALID_SESSION_ID"}, fakeFailure{status: 401, code: "INVALID_SESSION_ID"})
	_, err := s2.Discover(ctx)
	var ae *salesforce.APIError
	if !errors.As(err, &ae) || ae.Code != "INVALID_SESSION_ID" || !errors.Is(err, salesforce.ErrAuth) {
		t.Fatalf("Discover with two 401s = %v, want an APIError INVALID_SESSION_ID matching ErrAuth", err)
	}
}

func TestRequestLimitBackoff(t *testing.T) {
	f := newFakeOrg(t)
	s := open(t, baseConfig(f))
	ctx := context.Background()
	if err := s.Check(ctx); err != nil {
		t.Fatal(err)
	}
	f.fail(fakeFailure{status: 403, code: "REQUEST_LIMIT_EXCEEDED"}, fakeFailure{status: 503}, fakeFailure{status: 403, code: "REQUEST_LIMIT_EXCEEDED"})
	before, _, _ := f.stats()
	out, err := readAll(t, s, "Contact", "")
	if err != nil || len(out.records) != 5 {
		t.Fatalf("read through limits: %d records, %v", len(out.records), err)
	}
	after, _, _ := f.stats()
	if after-before != 3+1+2 { // 3 refusals, the describe, 2 pages
		t.Fatalf("%d requests, want 6", after-before)
	}

	// More refusals than retries: a typed error matching ErrRequestLimit.
	cfg := baseConfig(f)
	cfg.MaxRetries = 2
	s2 := open(t, cfg)
	for range 3 {
		f.fail(fakeFailure{status: 403, code: "REQUEST_LIMIT_EXCEEDED"})
	}
	_, err = readAll(t, s2, "Account", "")
	var ae *salesforce.APIError
	if !errors.Is(err, salesforce.ErrRequestLimit) || !errors.As(err, &ae) || ae.Status != 403 {
		t.Fatalf("read past the retries = %v, want ErrRequestLimit", err)
	}

	// A long Retry-After is honoured, and the context cuts it short.
	cfg = baseConfig(f)
	cfg.RetryMaxDelay = time.Minute
	s3 := open(t, cfg)
	if err := s3.Check(ctx); err != nil {
		t.Fatal(err)
	}
	f.fail(fakeFailure{status: 503, retryAfter: "30"})
	cctx, cancel := context.WithTimeout(ctx, 100*time.Millisecond)
	defer cancel()
	start := time.Now()
	_, err = s3.Discover(cctx)
	if !errors.Is(err, context.DeadlineExceeded) || time.Since(start) > 5*time.Second {
		t.Fatalf("Discover during a 30s Retry-After with a 100ms context = %v after %v", err, time.Since(start))
	}
}

func TestAPIErrors(t *testing.T) {
	f := newFakeOrg(t)
	cfg := baseConfig(f)
	cfg.Objects = nil
	cfg.Relationships = map[string][]string{"Contact": {"Owner.Name"}}
	s := open(t, cfg)
	_, err := readAll(t, s, "Contact", "")
	var ae *salesforce.APIError
	if !errors.As(err, &ae) || ae.Status != 400 || ae.Code != "INVALID_FIELD" || len(ae.Fields) != 1 || ae.Fields[0] != "Owner.Name" {
		t.Fatalf("query with an unknown field = %v, want APIError INVALID_FIELD naming Owner.Name", err)
	}
	if !strings.Contains(err.Error(), "/query") || strings.Contains(err.Error(), "SELECT") {
		t.Errorf("error %q should name the path, not the query", err)
	}
	_, err = readAll(t, s, "Opportunity", "")
	if !errors.Is(err, aam.ErrUnknownObject) || !errors.As(err, &ae) || ae.Code != "NOT_FOUND" {
		t.Fatalf("read of an object the org lacks = %v, want ErrUnknownObject wrapping NOT_FOUND", err)
	}
}

func TestSecretsNeverShown(t *testing.T) {
	f := newFakeOrg(t)
	f.echo = true
	var logs bytes.Buffer
	log := slog.New(slog.NewTextHandler(&logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
	pemKey := fakeKeyPEM()
	secrets := []string{fakeClientSecret, fakeRefreshToken, pemKey, "MII"}
	var texts []string

	cfg := baseConfig(f)
	cfg.Logger = log
	cfg.Flow, cfg.RefreshToken = salesforce.FlowRefreshToken, "wrong-"+fakeRefreshToken
	secrets = append(secrets, string(cfg.RefreshToken))
	s := open(t, cfg)
	err := s.Check(context.Background()) // the fake echoes the refresh token
	if !errors.Is(err, salesforce.ErrAuth) {
		t.Fatalf("Check with a wrong refresh token = %v", err)
	}
	texts = append(texts, err.Error(), fmt.Sprintf("%+v %#v", cfg, *cfg))
	j, _ := json.Marshal(cfg)
	texts = append(texts, string(j))

	cfg = baseConfig(f)
	cfg.Logger = log
	cfg.Flow, cfg.ClientSecret, cfg.Username, cfg.PrivateKey = salesforce.FlowJWTBearer, "", fakeUsername, salesforce.Secret(pemKey)
	s = open(t, cfg)
	if _, err := readAll(t, s, "Account", ""); err != nil {
		t.Fatal(err)
	}
	f.expireTokens()
	f.fail(fakeFailure{status: 403, code: "REQUEST_LIMIT_EXCEEDED"})
	if _, err := readAll(t, s, "Account", ""); err != nil {
		t.Fatal(err)
	}
	texts = append(texts, fmt.Sprintf("%v %+v %v %+v %#v", cfg, cfg, s, s, s))
	j, _ = json.Marshal(cfg)
	texts = append(texts, string(j))

	// A bad key is refused without quoting it.
	bad := baseConfig(f)
	bad.Flow, bad.Username, bad.PrivateKey = salesforce.FlowJWTBearer, fakeUsername, "-----BEGIN RSA PRIVATE KEY-----\nMIIsecretbits\n-----END RSA PRIVATE KEY-----\n"
	_, err = salesforce.New(bad)
	if !errors.Is(err, aam.ErrInvalidConfig) {
		t.Fatalf("New with a bad key = %v", err)
	}
	texts = append(texts, err.Error())
	_, err = aam.Open(salesforce.Kind, json.RawMessage(`{"flow":"client_credentials","client_id":"x","client_secret":12345678}`))
	if !errors.Is(err, aam.ErrInvalidConfig) {
		t.Fatalf("Open with a mistyped secret = %v", err)
	}
	texts = append(texts, err.Error(), logs.String())

	if !strings.Contains(logs.String(), "retrying") || !strings.Contains(logs.String(), "session expired") {
		t.Fatalf("the logs lack the retry and the refresh, so this test proves little:\n%s", logs.String())
	}
	f.mu.Lock()
	for tok := range f.tokens {
		secrets = append(secrets, tok)
	}
	secrets = append(secrets, "00DFAKE!AQ0001")
	f.mu.Unlock()
	for _, text := range texts {
		for _, sec := range secrets {
			if strings.Contains(text, sec) || strings.Contains(text, "secretbits") || strings.Contains(text, "12345678") {
				t.Errorf("a secret shows in %q", text)
			}
		}
	}
}

func TestConfigErrors(t *testing.T) {
	for _, tc := range []struct {
		field string
		cfg   salesforce.Config
	}{
		{"flow", salesforce.Config{ClientID: "x"}},
		{"client_id", salesforce.Config{Flow: salesforce.FlowClientCredentials}},
		{"client_secret", salesforce.Config{Flow: salesforce.FlowClientCredentials, ClientID: "x"}},
		{"refresh_token", salesforce.Config{Flow: salesforce.FlowRefreshToken, ClientID: "x"}},
		{"username", salesforce.Config{Flow: salesforce.FlowJWTBearer, ClientID: "x", PrivateKey: "k"}},
		{"login_url", salesforce.Config{Flow: salesforce.FlowRefreshToken, ClientID: "x", RefreshToken: "r", LoginURL: "ftp://x"}},
		{"api_version", salesforce.Config{Flow: salesforce.FlowRefreshToken, ClientID: "x", RefreshToken: "r", APIVersion: "62"}},
		{"objects", salesforce.Config{Flow: salesforce.FlowRefreshToken, ClientID: "x", RefreshToken: "r", Objects: []string{"Account; DROP"}}},
		{"relationships", salesforce.Config{Flow: salesforce.FlowRefreshToken, ClientID: "x", RefreshToken: "r", Relationships: map[string][]string{"Contact": {"Name"}}}},
	} {
		_, err := salesforce.New(&tc.cfg)
		var ce *aam.ConfigError
		if !errors.As(err, &ce) || ce.Field != tc.field {
			t.Errorf("config missing %s: %v", tc.field, err)
		}
	}
	if _, err := salesforce.New(nil); !errors.Is(err, aam.ErrInvalidConfig) {
		t.Errorf("New(nil) = %v", err)
	}
}

func TestRegistered(t *testing.T) {
	f := newFakeOrg(t)
	cfg := fmt.Sprintf(`{"login_url":%q,"flow":"client_credentials","client_id":%q,"client_secret":%q,"objects":["Contact"]}`,
		f.srv.URL, fakeClientID, fakeClientSecret)
	c, err := aam.Open("salesforce", json.RawMessage(cfg))
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	out, err := readAll(t, c, "Contact", "")
	if err != nil || len(out.records) != 5 {
		t.Fatalf("read through aam.Open: %d records, %v", len(out.records), err)
	}
	if _, err := readAll(t, c, "Account", ""); !errors.Is(err, aam.ErrUnknownObject) {
		t.Fatalf("object outside Config.Objects = %v, want ErrUnknownObject", err)
	}
}

// TestIdOnlyObject reads an object without SystemModstamp (a history
// object) by Id alone.
func TestIdOnlyObject(t *testing.T) {
	f := newFakeOrg(t)
	s := open(t, baseConfig(f))
	out, err := readAll(t, s, "AccountHistory", "")
	if err != nil || len(out.records) != 4 {
		t.Fatalf("read %d, %v", len(out.records), err)
	}
	if out.records[1]["OldValue"] != nil || out.records[1]["NewValue"] != "Hot" {
		t.Errorf("history record %v", out.records[1])
	}
	rest, err := readAll(t, s, "AccountHistory", out.batches[0].Cursor)
	if err != nil || len(rest.records) != 1 || rest.records[0]["Id"] != "017Dn00000Hist3AAA" {
		t.Fatalf("resumed: %v, %v", rest.records, err)
	}
	_, _, queries := f.stats()
	if q := queries[len(queries)-1]; !strings.HasSuffix(q, "FROM AccountHistory WHERE Id > '017Dn00000Hist2AAA' ORDER BY Id") {
		t.Errorf("query %s", q)
	}
	// A SystemModstamp cursor does not fit an object without one.
	if _, err := readAll(t, s, "AccountHistory", aam.Cursor(`{"v":1,"ts":"2024-01-01T00:00:00.000Z","id":"017Dn00000Hist2AAA"}`)); !errors.Is(err, aam.ErrInvalidCursor) {
		t.Errorf("modstamp cursor on an Id-only object = %v", err)
	}
}

// TestBrokenRecordIsRowError shows that a record without a readable
// SystemModstamp becomes a row error and the read goes on.
func TestBrokenRecordIsRowError(t *testing.T) {
	f := newFakeOrg(t)
	f.mu.Lock()
	f.records["Contact"] = append(f.records["Contact"], map[string]any{
		"attributes": map[string]any{"type": "Contact"}, "Id": "003Dn00000XyZ9AAAA", "LastName": "Broken", "SystemModstamp": "yesterday",
	})
	f.mu.Unlock()
	s := open(t, baseConfig(f))
	out, err := readAll(t, s, "Contact", "")
	if err != nil || len(out.records) != 5 {
		t.Fatalf("read %d records, %v", len(out.records), err)
	}
	first := out.batches[0]
	if len(first.Errors) != 1 || !errors.Is(first.Errors[0], aam.ErrMalformedRecord) || first.Errors[0].File != "Contact" {
		t.Fatalf("row errors of the first batch: %v", first.Errors)
	}
	// The first batch's cursor resumes after its last good record.
	rest, err := readAll(t, s, "Contact", first.Cursor)
	if err != nil || len(rest.records) != 5-len(first.Records) {
		t.Fatalf("resumed: %d records, %v", len(rest.records), err)
	}
}

func TestFieldsLimitAndURILimit(t *testing.T) {
	f := newFakeOrg(t)
	cfg := baseConfig(f)
	cfg.Fields = map[string][]string{"Account": {"Name", "AnnualRevenue"}}
	s := open(t, cfg)
	infos, err := s.Discover(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, fl := range infos[0].Schema.Fields {
		names = append(names, fl.Name)
	}
	if got := strings.Join(names, ","); got != "Id,Name,AnnualRevenue,SystemModstamp" {
		t.Fatalf("limited Account fields: %s", got)
	}
	out, err := readAll(t, s, "Account", "")
	if err != nil || len(out.records) != 7 || len(out.records[0]) != 4 {
		t.Fatalf("limited read: %d records, first %v, %v", len(out.records), out.records, err)
	}

	// A query longer than the URI limit is refused before it is sent.
	long := baseConfig(f)
	long.Relationships = map[string][]string{"Contact": nil}
	for i := range 800 {
		long.Relationships["Contact"] = append(long.Relationships["Contact"], fmt.Sprintf("Account.Custom_Field_%03d__c", i))
	}
	s2 := open(t, long)
	before, _, _ := f.stats()
	_, err = readAll(t, s2, "Contact", "")
	if err == nil || !strings.Contains(err.Error(), "URI limit") {
		t.Fatalf("read with a 20 kB query = %v, want the URI limit named", err)
	}
	if after, _, _ := f.stats(); after-before != 1 { // the describe only
		t.Errorf("%d requests, want the describe alone", after-before)
	}
}

func TestJSONConfigDurations(t *testing.T) {
	f := newFakeOrg(t)
	// Retry-After asks for 1s; the configured cap of 2ms wins.
	f.fail(fakeFailure{status: 503, retryAfter: "1"})
	c, err := aam.Open("salesforce", json.RawMessage(fmt.Sprintf(
		`{"login_url":%q,"flow":"client_credentials","client_id":%q,"client_secret":%q,"retry_base_delay":"1ms","retry_max_delay":"2ms","assertion_ttl":"1m"}`,
		f.srv.URL, fakeClientID, fakeClientSecret)))
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	start := time.Now()
	if err := c.Check(context.Background()); err != nil {
		t.Fatal(err)
	}
	if d := time.Since(start); d > 500*time.Millisecond {
		t.Errorf("Check with a 2ms retry cap took %v", d)
	}
	_, err = aam.Open("salesforce", json.RawMessage(`{"flow":"refresh_token","client_id":"x","refresh_token":"r","retry_max_delay":"soon"}`))
	var ce *aam.ConfigError
	if !errors.As(err, &ce) || ce.Field != "retry_max_delay" {
		t.Fatalf("a bad duration = %v", err)
	}
}

func TestExpiredQueryLocator(t *testing.T) {
	f := newFakeOrg(t)
	s := open(t, baseConfig(f))
	var ids []string
	for b, err := range s.Read(context.Background(), "Account", "") {
		if err != nil {
			t.Fatalf("Read across an expired locator: %v", err)
		}
		for _, r := range b.Records {
			ids = append(ids, r.Fields["Id"].(string))
		}
		f.expireLocators()
	}
	want := "001Dn00000AbCdAIAV 001Dn00000AbCdBIAV 001Dn00000AbCdCIAV 001Dn00000AbCdDIAV 001Dn00000AbCdEIAV 001Dn00000AbCdFIAV 001Dn00000AbCdGIAV"
	if got := strings.Join(ids, " "); got != want {
		t.Fatalf("records %s\nwant    %s", got, want)
	}
	_, _, queries := f.stats()
	if len(queries) != 3 { // the first query and one new query per expired locator
		t.Errorf("%d queries, want 3", len(queries))
	}
}
