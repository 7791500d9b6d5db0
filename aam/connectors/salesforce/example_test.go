package salesforce_test

import (
	"context"
	"fmt"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"

	"github.com/autonomos/autonomos/aam/connectors/salesforce"
)

// exampleOrg is a tiny Salesforce org: the token endpoint, one
// describe and a query answered in two pages, in the API's documented
// JSON shapes.
func exampleOrg() *httptest.Server {
	mux := http.NewServeMux()
	var srv *httptest.Server
	mux.HandleFunc("POST /services/oauth2/token", func(w http.ResponseWriter, r *http.Request) {
		fmt.Fprintf(w, `{"access_token":"00D!example","instance_url":%q,"token_type":"Bearer","issued_at":"1700000000000"}`, srv.URL)
	})
	mux.HandleFunc("GET /services/data/v62.0/sobjects/Account/describe", func(w http.ResponseWriter, r *http.Request) {
		fmt.Fprint(w, `{"name":"Account","queryable":true,"fields":[
			{"name":"Id","type":"id","nillable":false},
			{"name":"Name","type":"string","nillable":false},
			{"name":"AnnualRevenue","type":"currency","nillable":true},
			{"name":"SystemModstamp","type":"datetime","nillable":false}]}`)
	})
	mux.HandleFunc("GET /services/data/v62.0/query", func(w http.ResponseWriter, r *http.Request) {
		fmt.Fprint(w, `{"totalSize":2,"done":false,"nextRecordsUrl":"/services/data/v62.0/query/01gEXAMPLE-1","records":[
			{"attributes":{"type":"Account","url":"/services/data/v62.0/sobjects/Account/001000000000001AAA"},
			 "Id":"001000000000001AAA","Name":"Acme","AnnualRevenue":12500000.75,"SystemModstamp":"2024-01-15T10:30:00.000+0000"}]}`)
	})
	mux.HandleFunc("GET /services/data/v62.0/query/01gEXAMPLE-1", func(w http.ResponseWriter, r *http.Request) {
		fmt.Fprint(w, `{"totalSize":2,"done":true,"records":[
			{"attributes":{"type":"Account","url":"/services/data/v62.0/sobjects/Account/001000000000002AAA"},
			 "Id":"001000000000002AAA","Name":"Globex","AnnualRevenue":null,"SystemModstamp":"2024-02-01T08:00:00.250+0000"}]}`)
	})
	srv = httptest.NewServer(mux)
	return srv
}

func Example() {
	org := exampleOrg()
	defer org.Close()

	src, err := salesforce.New(&salesforce.Config{
		LoginURL:     org.URL,
		Flow:         salesforce.FlowClientCredentials,
		ClientID:     "3MVG9example",
		ClientSecret: "example-secret",
		Objects:      []string{"Account"},
		Logger:       slog.New(slog.DiscardHandler),
	})
	if err != nil {
		fmt.Println(err)
		return
	}
	defer src.Close()
	ctx := context.Background()

	objects, err := src.Discover(ctx)
	if err != nil {
		fmt.Println(err)
		return
	}
	for _, f := range objects[0].Schema.Fields {
		fmt.Printf("%s %s nullable=%v\n", f.Name, f.Type, f.Nullable)
	}
	for batch, err := range src.Read(ctx, "Account", "") {
		if err != nil {
			fmt.Println(err)
			return
		}
		for _, r := range batch.Records {
			fmt.Println(r.Fields["Id"], r.Fields["Name"], r.Fields["AnnualRevenue"])
		}
		fmt.Println("cursor:", strings.ReplaceAll(string(batch.Cursor), `"`, ""))
	}
	// Output:
	// Id string nullable=false
	// Name string nullable=false
	// AnnualRevenue number nullable=true
	// SystemModstamp timestamp nullable=false
	// 001000000000001AAA Acme 12500000.75
	// cursor: {v:1,ts:2024-01-15T10:30:00.000Z,id:001000000000001AAA}
	// 001000000000002AAA Globex <nil>
	// cursor: {v:1,ts:2024-02-01T08:00:00.250Z,id:001000000000002AAA}
}

func ExampleFlatten() {
	rec := map[string]any{
		"attributes": map[string]any{"type": "Contact"},
		"Id":         "003000000000001AAA",
		"Account": map[string]any{
			"attributes": map[string]any{"type": "Account"},
			"Name":       "Acme",
		},
	}
	flat := salesforce.Flatten(rec)
	fmt.Println(len(flat), flat["Id"], flat["Account.Name"])
	// Output: 2 003000000000001AAA Acme
}

func ExampleFieldType() {
	for _, t := range []string{"picklist", "currency", "int", "datetime", "address"} {
		fmt.Println(t, "->", salesforce.FieldType(t))
	}
	// Output:
	// picklist -> string
	// currency -> number
	// int -> integer
	// datetime -> timestamp
	// address -> object
}
