// Package slack is a [repair.Notifier] that posts to a Slack incoming
// webhook: a JSON body {"text": ...} holding [repair.Notification.Text]
// (mapping, field names, targets and confidences, never sample values).
//
//	n, err := slack.New(os.Getenv("SLACK_WEBHOOK_URL"), nil)
//	if err != nil { ... }
//	reg := repair.NewRegistry(driver, &repair.RegistryConfig{Notifier: n})
//
// # Secrets
//
// The webhook URL is a secret: anyone holding it can post to the channel.
// It never appears in errors or logs; errors name the webhook by its host
// only, and [New] rejects a malformed URL without repeating it.
//
// # Errors
//
// A non-2xx answer is a [*StatusError] with the status and the start of
// Slack's answer ("invalid_payload", "no_service"); a post that outlives
// [Config.Timeout] or its context returns the context's error. The
// registry logs notifier errors and never fails a repair because of one.
//
// # Concurrency
//
// A Notifier is safe for concurrent use.
package slack
