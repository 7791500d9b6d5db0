// Package airbyte is an [aam.Connector] that monitors an Airbyte
// deployment: it reads the deployment's connections and the status and
// figures of their jobs through Airbyte's public API (v1), so that the
// mesh can publish sync activity (a sync started, succeeded, failed,
// how many rows and bytes it moved) as canonical events. It registers
// itself as kind "airbyte" in [aam.DefaultRegistry] when imported.
//
// # Objects
//
// A [Monitor] has two objects with declared schemas ([Schemas]):
//
//   - "connections" (GET /v1/connections): connectionId, name,
//     sourceId, destinationId, workspaceId, status, the schedule as
//     schedule.scheduleType, schedule.cronExpression and
//     schedule.basicTiming, and createdAt. Read in order of creation
//     time then id; a read from the last cursor yields new connections
//     (a full read, from the empty cursor, is a snapshot of all of
//     them, with their current status).
//   - "jobs" (GET /v1/jobs?jobType=sync&orderBy=updatedAt|ASC, with
//     connectionId=... per connection when [Config.ConnectionIDs] is
//     set): jobId, status, jobType, connectionId, startTime,
//     lastUpdatedAt, duration (ISO 8601, as the API reports it),
//     durationSeconds, rowsSynced and bytesSynced. Read in order of
//     last update then job id; a cursor holds both, and a read from it
//     asks for updatedAtStart at its time, so each change of a job (a
//     running job that succeeds) comes once.
//
// Lists are read page by page with limit and offset, following the
// answer's next link, which must stay on the API's own host (the token
// goes with it). Numbers are json.Number.
//
// # Getting started
//
//	m, err := airbyte.New("https://api.airbyte.com", airbyte.Secret(token), nil)
//	if err != nil { ... }
//	defer m.Close()
//	for batch, err := range m.Read(ctx, airbyte.ObjectJobs, savedCursor) {
//		if err != nil { ... }
//		for _, r := range batch.Records {
//			fmt.Println(r.Fields["jobId"], r.Fields["status"], r.Fields["rowsSynced"])
//		}
//		save(batch.Cursor)
//	}
//
// or aam.Open("airbyte", `{"base_url": ..., "token": ..., ...}`). For a
// self-managed deployment the base URL is the public API's root, such
// as http://airbyte.internal:8000/api/public. The token is a bearer
// token (an application's access token); this package does not fetch
// one from client credentials.
//
// # Errors
//
// Error answers become [*APIError] values with the problem's title and
// detail; 401 and 403 match [ErrAuth]. 429 and 5xx answers are retried
// up to [Config.MaxRetries] times with exponential backoff and full
// jitter, honouring Retry-After and the context. Check wraps failures
// in an [*aam.UnavailableError]. The token never shows in an error, a
// log line or fmt output of a Monitor.
//
// # Concurrency
//
// A Monitor is safe for concurrent use; whoever opened it closes it.
//
// # Testing
//
// The tests run the acceptance suite,
// [github.com/autonomos/autonomos/aam/connectortest.RunAcceptanceTests],
// against an httptest
// server that serves the documented JSON shapes from testdata/.
package airbyte
