// Package salesforce is the [aam.Connector] of Salesforce: it reads the
// sObjects of one org through the REST API, in plain net/http, and
// registers itself as kind "salesforce" in [aam.DefaultRegistry] when
// imported.
//
// # Authentication
//
// [Source] gets an access token from the org's OAuth 2.0 token endpoint
// (LoginURL + "/services/oauth2/token") with one of three flows, chosen
// by [Config.Flow]:
//
//   - [FlowClientCredentials]: the connected app's consumer key and
//     secret.
//   - [FlowRefreshToken]: a refresh token a person granted earlier.
//   - [FlowJWTBearer]: an RS256 assertion signed with the connected
//     app's private key (iss = client id, sub = username, aud = login
//     URL, exp a few minutes ahead); no secret travels.
//
// The token is cached and shared by concurrent reads. When the API
// answers 401 (INVALID_SESSION_ID, an expired session), the token is
// dropped and the request is tried once more with a new one.
//
// # Discovery and reading
//
// Discover describes each object (GET /sobjects/{name}/describe; by
// default every queryable, replicable object the sobjects list names)
// and maps its fields to a [drift.Schema] with primary key Id; see
// [FieldType] for the type mapping. Read runs a SOQL query over the
// described fields, ordered by SystemModstamp then Id, and yields one
// batch per page, following nextRecordsUrl. Records are flattened
// ([Flatten]): attributes are dropped, parent relationships and compound
// fields become dotted paths (Account.Name, BillingAddress.city), and
// numbers stay exact as json.Number.
//
// Each batch's cursor holds the SystemModstamp and Id of its last
// record; a read from a cursor asks for
//
//	WHERE SystemModstamp > X OR (SystemModstamp = X AND Id > 'Y')
//
// so that resuming repeats and skips nothing, and a read from the last
// cursor yields the records created or changed since. When a query
// locator expires in the middle of a long read (INVALID_QUERY_LOCATOR),
// the query is sent again from the last record read. Deleted records
// are not seen (the query API does not return them).
//
// # Getting started
//
//	src, err := salesforce.New(&salesforce.Config{
//		Flow:       salesforce.FlowJWTBearer,
//		ClientID:   consumerKey,
//		Username:   "integration@example.com",
//		PrivateKey: salesforce.Secret(pemKey),
//		Objects:    []string{"Account", "Contact", "Opportunity"},
//	})
//	if err != nil { ... }
//	defer src.Close()
//	for batch, err := range src.Read(ctx, "Account", savedCursor) {
//		if err != nil { ... }
//		publish(batch.Records)
//		save(batch.Cursor)
//	}
//
// or, through the registry, aam.Open("salesforce", configJSON) with the
// JSON field names of [Config].
//
// # Errors and limits
//
// Error answers of the API become [*APIError] values with Salesforce's
// errorCode and message; token refusals are [*TokenError] values. Both
// match [ErrAuth] when they are authentication failures, and an
// APIError with REQUEST_LIMIT_EXCEEDED matches [ErrRequestLimit]. A 403
// REQUEST_LIMIT_EXCEEDED or a 503 is retried up to [Config.MaxRetries]
// times with exponential backoff and full jitter (or the server's
// Retry-After when longer), and the wait ends early when the context
// does. Check wraps its failures in an [*aam.UnavailableError]; an
// unknown object is [aam.ErrUnknownObject], a foreign cursor
// [aam.ErrInvalidCursor]; context errors come back as they are.
//
// # Secrets
//
// The client secret, refresh token, private key and access tokens are
// never written to errors or logs: [Secret] values print and marshal
// as "[redacted]", requests are named by path only, and every text
// that comes back from the server is scrubbed of them before it is kept
// (a server may quote what it was sent). A configuration shown back
// through json.Marshal carries no secret.
//
// # Concurrency
//
// A Source is safe for concurrent use; whoever opened it closes it.
//
// # Testing
//
// The package's tests run the acceptance suite,
// [github.com/autonomos/autonomos/aam/connectortest.RunAcceptanceTests],
// and test the flows, paging, token expiry and limit errors against an httptest
// server that serves Salesforce's documented JSON shapes from the files
// under testdata/ (sobjects.json, describe/, records/) and evaluates the
// SOQL the connector writes, so that the client code runs unchanged.
// To test a program that uses this package, point [Config.LoginURL] at
// such a server: the token response's instance_url says where the API
// calls go.
package salesforce
