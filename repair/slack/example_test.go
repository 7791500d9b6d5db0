package slack_test

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"

	"github.com/autonomos/autonomos/repair"
	"github.com/autonomos/autonomos/repair/slack"
)

// A registry tells Slack about applied and queued repairs. Here a test
// server stands in for the incoming webhook and prints what it receives.
func ExampleNew() {
	hook := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		var msg struct {
			Text string `json:"text"`
		}
		_ = json.NewDecoder(r.Body).Decode(&msg)
		fmt.Println(msg.Text)
	}))
	defer hook.Close()

	n, err := slack.New(hook.URL+"/services/T000/B000/secret", nil)
	if err != nil {
		fmt.Println(err)
		return
	}
	err = n.Notify(context.Background(), repair.Notification{
		Key:     repair.MappingKey{Connection: "sf-prod", Object: "Opportunity"},
		Applied: []repair.Repair{{Field: "Amount", To: "Deal_Value__c", Target: "opportunity.amount", Confidence: 0.99}},
		Version: 2,
	})
	fmt.Println("error:", err)
	// Output:
	// Schema drift on sf-prod/Opportunity: 1 repair(s) applied (mapping version 2).
	// - applied: Amount -> Deal_Value__c now carries opportunity.amount (confidence 0.99)
	// error: <nil>
}
