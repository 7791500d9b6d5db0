package main

import (
	"errors"
	"net/http"
	"time"

	"github.com/autonomos/autonomos/aam/stream"
	"github.com/autonomos/autonomos/aam/stream/redisstream"
	"github.com/autonomos/autonomos/tenancy"
)

// The stream path's dead letters (USE_AAM_AS_SOURCE on): events the
// tenant's DCL consumer (group "dcl") gave up on, mostly events the
// warehouse refused, redelivered until the subscriber's delivery limit.
// They stay in the stream's dead-letter list of the tenant and group
// until a person replays or deletes them here. The direct path keeps the
// same refusals as dead records of their connection instead (see
// materialize).

// deadLetterJSON is one dead letter as a person sees it: which record,
// why, and the event's values to decide whether to replay or delete it.
// The raw body of a message that is not an event of the tenant is never
// shown: it may be another tenant's.
type deadLetterJSON struct {
	// ID identifies the dead letter: replay or delete it by this id.
	ID string `json:"id"`
	// MessageID is the message's id in the tenant's stream.
	MessageID string `json:"message_id"`
	// EventID, ConnectionID, Object, Entity, SourceKey and Op say which
	// record it is; empty when the message was not an event of the
	// tenant (Reason says why).
	EventID      string `json:"event_id,omitempty"`
	ConnectionID string `json:"connection_id,omitempty"`
	Object       string `json:"object,omitempty"`
	Entity       string `json:"entity,omitempty"`
	SourceKey    string `json:"source_key,omitempty"`
	Op           string `json:"op,omitempty"`
	// Data is the event's canonical values.
	Data map[string]any `json:"data,omitempty"`
	// Deliveries is how many times the consumer was handed the event.
	Deliveries int `json:"deliveries"`
	// Reason is the consumer's last error: for a refusal, the field and
	// why.
	Reason string `json:"reason"`
	// At is when it was dead-lettered.
	At time.Time `json:"at"`
}

type deadLettersJSON struct {
	DeadLetters []deadLetterJSON `json:"dead_letters"`
}

type deadLetterReplayed struct {
	// ID is the dead letter that went back to the stream.
	ID string `json:"id"`
}

// deadLetterRoutes list, replay and delete the tenant's DCL dead letters.
func (a *app) deadLetterRoutes() []route {
	return []route{
		{method: "GET", path: "/api/v1/dead-letters", out: deadLettersJSON{}, tag: "dcl", summary: "Events the tenant's DCL stream consumer gave up on (USE_AAM_AS_SOURCE on), oldest first, with why: mostly events the warehouse refused (limit: 1..1000, default 100; after: the last id of the previous page).", auth: true, ok: 200, errors: []int{400}, handler: a.handle(a.listDeadLetters)},
		{method: "POST", path: "/api/v1/dead-letters/{id}/replay", out: deadLetterReplayed{}, tag: "dcl", summary: "Put a dead letter's event back on the tenant's stream and remove it from the list; the DCL consumer handles it again (an event the warehouse still refuses ends as a new dead letter).", auth: true, ok: 202, errors: []int{404}, handler: a.handle(a.replayDeadLetter)},
		{method: "DELETE", path: "/api/v1/dead-letters/{id}", tag: "dcl", summary: "Delete a dead letter for good.", auth: true, ok: 204, errors: []int{404}, handler: a.handle(a.deleteDeadLetter)},
	}
}

// dclDeadLetters returns the dead-letter list of the tenant's DCL consumer
// group, on the stream newSubscriber subscribes it to.
func (a *app) dclDeadLetters(tenant tenancy.ID) (*stream.DeadLetters, error) {
	if a.serverMode() {
		return redisstream.NewDeadLetters(a.rdb, tenant, dclGroup, nil)
	}
	return a.broker.NewDeadLetters(tenant, dclGroup)
}

var errNoDeadLetter = &httpError{Status: http.StatusNotFound, Detail: "no such dead letter"}

func (a *app) listDeadLetters(w http.ResponseWriter, r *http.Request) error {
	tenant, err := tenancy.FromContext(r.Context())
	if err != nil {
		return err
	}
	limit, err := limitParam(r, 100)
	if err != nil {
		return err
	}
	dl, err := a.dclDeadLetters(tenant)
	if err != nil {
		return err
	}
	after := r.URL.Query().Get("after")
	ls, err := dl.List(r.Context(), after, limit)
	if errors.Is(err, stream.ErrInvalidID) {
		return badRequest("query parameter after: %q is not a dead letter id", truncateID(after))
	}
	if err != nil {
		return err
	}
	out := deadLettersJSON{DeadLetters: make([]deadLetterJSON, 0, len(ls))}
	for _, l := range ls {
		j := deadLetterJSON{ID: l.ID, MessageID: l.MessageID, Deliveries: l.Deliveries, Reason: l.Reason, At: l.At.UTC()}
		// List decodes only events of this tenant; anything else has a
		// zero Event and is shown by its reason alone.
		if e := l.Event; e.ID != "" && e.Tenant == tenant {
			j.EventID, j.ConnectionID, j.Object, j.Entity = e.ID, e.Source.ConnectionID, e.Source.Object, e.Entity
			j.SourceKey, j.Op, j.Data = e.SourceKey, string(e.Op), e.Data
		}
		out.DeadLetters = append(out.DeadLetters, j)
	}
	return writeJSON(w, http.StatusOK, out)
}

func (a *app) replayDeadLetter(w http.ResponseWriter, r *http.Request) error {
	tenant, err := tenancy.FromContext(r.Context())
	if err != nil {
		return err
	}
	dl, err := a.dclDeadLetters(tenant)
	if err != nil {
		return err
	}
	id := r.PathValue("id")
	// The consumer may have stopped with its last connection; the event
	// goes back to the stream either way and waits for it.
	if err := a.consumers.ensure(tenant); err != nil {
		a.log.WarnContext(r.Context(), "start DCL consumer", "tenant", tenant.String(), "err", err)
	}
	// A DCL run waits for the replayed event like for a published one;
	// the consumer counts it off whether it stores or refuses it.
	p := a.pendingOf(tenant)
	p.Add(1)
	done, err := dl.Replay(r.Context(), id)
	if len(done) == 0 {
		decrementFloor(p, 1)
	}
	if err != nil {
		return err
	}
	if len(done) == 0 {
		return errNoDeadLetter
	}
	return writeJSON(w, http.StatusAccepted, deadLetterReplayed{ID: done[0]})
}

func (a *app) deleteDeadLetter(w http.ResponseWriter, r *http.Request) error {
	tenant, err := tenancy.FromContext(r.Context())
	if err != nil {
		return err
	}
	dl, err := a.dclDeadLetters(tenant)
	if err != nil {
		return err
	}
	n, err := dl.Delete(r.Context(), r.PathValue("id"))
	if err != nil {
		return err
	}
	if n == 0 {
		return errNoDeadLetter
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}
