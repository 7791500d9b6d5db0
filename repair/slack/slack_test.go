package slack_test

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/autonomos/autonomos/repair"
	"github.com/autonomos/autonomos/repair/repairtest"
	"github.com/autonomos/autonomos/repair/slack"
)

const secretPath = "/services/T000/B000/XXXXsecretXXXX"

func notification() repair.Notification {
	return repair.Notification{
		Key:     repair.MappingKey{Connection: "sf-prod", Object: "Opportunity"},
		Applied: []repair.Repair{{Field: "Amount", To: "Deal_Value__c", Target: "opportunity.amount", Confidence: 0.97}},
		Queued:  []repair.ReviewItem{{ID: "r1", Repair: repair.Repair{Field: "Industry", Target: "account.industry"}, Reason: repair.ReasonGone}},
		Version: 4,
	}
}

func TestNotifyPostsText(t *testing.T) {
	t.Parallel()
	var got struct {
		Text string `json:"text"`
	}
	var ctype, path string
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		ctype, path = r.Header.Get("Content-Type"), r.URL.Path
		b, _ := io.ReadAll(r.Body)
		if err := json.Unmarshal(b, &got); err != nil {
			t.Errorf("body %q: %v", b, err)
		}
		io.WriteString(w, "ok")
	}))
	defer srv.Close()
	n, err := slack.New(srv.URL+secretPath, &slack.Config{Prefix: "[test] "})
	if err != nil {
		t.Fatal(err)
	}
	if err := n.Notify(context.Background(), notification()); err != nil {
		t.Fatal(err)
	}
	if ctype != "application/json" || path != secretPath {
		t.Fatalf("content type %q path %q", ctype, path)
	}
	for _, want := range []string{"[test] Schema drift on sf-prod/Opportunity", "Amount -> Deal_Value__c now carries opportunity.amount", "version 4", "review r1: Industry (account.industry) is gone"} {
		if !strings.Contains(got.Text, want) {
			t.Errorf("text %q lacks %q", got.Text, want)
		}
	}
}

func TestNon2xxIsStatusErrorWithoutSecret(t *testing.T) {
	t.Parallel()
	for _, code := range []int{400, 403, 404, 500} {
		srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			w.WriteHeader(code)
			io.WriteString(w, "invalid_payload")
		}))
		n, _ := slack.New(srv.URL+secretPath, nil)
		err := n.Notify(context.Background(), notification())
		srv.Close()
		var se *slack.StatusError
		if !errors.As(err, &se) || se.StatusCode != code || se.Body != "invalid_payload" {
			t.Fatalf("status %d: err = %v", code, err)
		}
		if strings.Contains(err.Error(), "secret") || strings.Contains(err.Error(), "/services/") {
			t.Fatalf("error leaks the webhook URL: %v", err)
		}
	}
}

func TestTimeoutAndTransportErrorsHideURL(t *testing.T) {
	t.Parallel()
	release := make(chan struct{})
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		select {
		case <-release:
		case <-r.Context().Done():
		}
	}))
	defer srv.Close()
	defer close(release)
	n, _ := slack.New(srv.URL+secretPath, &slack.Config{Timeout: 50 * time.Millisecond})
	start := time.Now()
	err := n.Notify(context.Background(), notification())
	if err == nil || time.Since(start) > 5*time.Second {
		t.Fatalf("slow webhook: err %v after %v", err, time.Since(start))
	}
	if strings.Contains(err.Error(), "secret") {
		t.Fatalf("error leaks the webhook URL: %v", err)
	}
	// A closed port: a transport error, without the URL.
	dead := httptest.NewServer(http.NotFoundHandler())
	u := dead.URL
	dead.Close()
	n2, _ := slack.New(u+secretPath, nil)
	err = n2.Notify(context.Background(), notification())
	if err == nil || strings.Contains(err.Error(), "secret") || strings.Contains(err.Error(), "/services/") {
		t.Fatalf("transport error = %v", err)
	}
	// A cancelled context comes back as it is.
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if err := n.Notify(ctx, notification()); !errors.Is(err, context.Canceled) {
		t.Fatalf("cancelled = %v", err)
	}
}

func TestInvalidURL(t *testing.T) {
	t.Parallel()
	for _, u := range []string{"", "hooks.slack.com/services/x", "ftp://x/y", "https://", "::"} {
		if _, err := slack.New(u, nil); !errors.Is(err, slack.ErrInvalidURL) {
			t.Errorf("New(%q) = %v, want ErrInvalidURL", u, err)
		}
	}
}

func TestNotifierAcceptance(t *testing.T) {
	t.Parallel()
	var mu sync.Mutex
	n := 0
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		n++
		mu.Unlock()
	}))
	defer srv.Close()
	nt, err := slack.New(srv.URL+secretPath, nil)
	if err != nil {
		t.Fatal(err)
	}
	repairtest.RunNotifierTests(t, nt, func() int { mu.Lock(); defer mu.Unlock(); return n })
}
