package airbyte_test

import (
	"context"
	"fmt"
	"log/slog"
	"net/http"
	"net/http/httptest"

	"github.com/autonomos/autonomos/aam/connectors/airbyte"
)

func Example() {
	// A deployment with two sync jobs, in the public API's shape.
	api := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Header.Get("Authorization") != "Bearer example-token" || r.URL.Path != "/v1/jobs" {
			http.Error(w, `{"title":"unauthorized","status":401}`, http.StatusUnauthorized)
			return
		}
		fmt.Fprint(w, `{"previous":null,"next":null,"data":[
			{"jobId":7,"status":"running","jobType":"sync","connectionId":"9e1b2c3d-0000-4000-8000-000000000001",
			 "startTime":"2024-05-01T12:00:00Z","lastUpdatedAt":"2024-05-01T12:00:05Z","duration":"PT5S","bytesSynced":0,"rowsSynced":0},
			{"jobId":6,"status":"succeeded","jobType":"sync","connectionId":"9e1b2c3d-0000-4000-8000-000000000001",
			 "startTime":"2024-04-30T12:00:00Z","lastUpdatedAt":"2024-04-30T12:06:12Z","duration":"PT6M12S","bytesSynced":1048576,"rowsSynced":5000}]}`)
	}))
	defer api.Close()

	m, err := airbyte.New(api.URL, "example-token", &airbyte.Config{Logger: slog.New(slog.DiscardHandler)})
	if err != nil {
		fmt.Println(err)
		return
	}
	defer m.Close()
	for batch, err := range m.Read(context.Background(), airbyte.ObjectJobs, "") {
		if err != nil {
			fmt.Println(err)
			return
		}
		for _, r := range batch.Records {
			f := r.Fields
			fmt.Println(f["jobId"], f["status"], f["durationSeconds"], "s", f["rowsSynced"], "rows")
		}
	}
	// Output:
	// 6 succeeded 372 s 5000 rows
	// 7 running 5 s 0 rows
}

func ExampleParseDuration() {
	d, ok := airbyte.ParseDuration("PT1H6M12S")
	fmt.Println(d, ok)
	// Output: 1h6m12s true
}
