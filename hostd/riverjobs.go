package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"strconv"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/riverqueue/river"
	"github.com/riverqueue/river/riverdriver/riverpgxv5"
	"github.com/riverqueue/river/rivermigrate"
	"github.com/riverqueue/river/rivertype"

	"github.com/autonomos/autonomos/tenancy"
)

// riverKind is River's kind of every hostd job; hostd's own kind is in the
// arguments, and one worker dispatches on it. So a replica needs no River
// registration per kind, and a kind unknown to one replica (during a rolling
// upgrade) fails that attempt and is retried, possibly elsewhere.
const riverKind = "hostd_job"

// riverArgs are the arguments of a hostd job on River: whose it is, what
// kind, and the kind's own JSON arguments.
type riverArgs struct {
	Tenant  tenancy.ID      `json:"tenant_id"`
	JobKind string          `json:"kind"`
	Subject string          `json:"subject,omitempty"`
	Args    json.RawMessage `json:"args"`
}

// Kind implements river.JobArgs.
func (riverArgs) Kind() string { return riverKind }

// riverQueue is the jobQueue of server mode: River on the shared
// PostgreSQL. A job survives the replica that queued it; any replica's
// worker may run it; a failed attempt is retried with River's backoff, and
// a job whose replica died while running it is rescued after
// Config.JobRescueAfter. Status comes from River's job table.
type riverQueue struct {
	client *river.Client[pgx.Tx]
	kinds  map[string]jobFunc
	log    *slog.Logger
}

var _ jobQueue = (*riverQueue)(nil)

// migrateRiver brings River's tables up to date on pool (the owner's).
func migrateRiver(ctx context.Context, pool *pgxpool.Pool, log *slog.Logger) error {
	m, err := rivermigrate.New(riverpgxv5.New(pool), &rivermigrate.Config{Logger: log})
	if err != nil {
		return err
	}
	_, err = m.Migrate(ctx, rivermigrate.DirectionUp, nil)
	return err
}

// backoffRetry retries after base, doubling per attempt up to an hour.
type backoffRetry struct{ base time.Duration }

func (p backoffRetry) NextRetry(job *rivertype.JobRow) time.Time {
	d := p.base
	for i := 1; i < job.Attempt && d < time.Hour; i++ {
		d *= 2
	}
	return time.Now().Add(min(d, time.Hour))
}

// newRiverQueue starts River's client on pool with a worker for every
// kind. River's tables must exist (migrateRiver, run by openServer).
func newRiverQueue(ctx context.Context, pool *pgxpool.Pool, cfg Config, log *slog.Logger, kinds map[string]jobFunc) (*riverQueue, error) {
	q := &riverQueue{kinds: kinds, log: log}
	workers := river.NewWorkers()
	if err := river.AddWorkerSafely[riverArgs](workers, river.WorkFunc(q.work)); err != nil {
		return nil, fmt.Errorf("job queue: %w", err)
	}
	rcfg := &river.Config{
		Logger:               log.With("component", "river"),
		Queues:               map[string]river.QueueConfig{river.QueueDefault: {MaxWorkers: cfg.JobWorkers}},
		Workers:              workers,
		MaxAttempts:          cfg.JobMaxAttempts,
		JobTimeout:           cfg.JobTimeout,
		RescueStuckJobsAfter: cfg.JobRescueAfter,
	}
	if cfg.JobRetryBackoff > 0 {
		rcfg.RetryPolicy = backoffRetry{base: cfg.JobRetryBackoff}
	}
	client, err := river.NewClient(riverpgxv5.New(pool), rcfg)
	if err != nil {
		return nil, fmt.Errorf("job queue (River): %w", err)
	}
	if err := client.Start(ctx); err != nil {
		return nil, fmt.Errorf("job queue (River): start: %w", err)
	}
	q.client = client
	return q, nil
}

// work runs one attempt of a job: the kind's function under the job's
// tenant. Its result is recorded as the job's output even when it failed
// (a heal reports what it did before the error).
func (q *riverQueue) work(ctx context.Context, job *river.Job[riverArgs]) error {
	a := job.Args
	fn, ok := q.kinds[a.JobKind]
	if !ok {
		return fmt.Errorf("job kind %q is not registered on this replica", a.JobKind)
	}
	if a.Tenant == (tenancy.ID{}) {
		// Not retryable: it would fail the same way every time.
		return river.JobCancel(errors.New("job has no tenant"))
	}
	res, err := fn(tenancy.WithTenant(ctx, a.Tenant), a.Tenant, a.Args)
	if res != nil {
		if rerr := river.RecordOutput(ctx, res); rerr != nil {
			q.log.Warn("job: record result", "job", job.ID, "kind", a.JobKind, "err", rerr)
		}
	}
	return err
}

// Submit inserts the job; any replica's worker runs it.
func (q *riverQueue) Submit(ctx context.Context, tenant tenancy.ID, kind, subject string, args any) (Job, error) {
	if _, ok := q.kinds[kind]; !ok {
		return Job{}, fmt.Errorf("job kind %q is not registered", kind)
	}
	raw, err := json.Marshal(args)
	if err != nil {
		return Job{}, fmt.Errorf("job %s: encode arguments: %w", kind, err)
	}
	res, err := q.client.Insert(ctx, riverArgs{Tenant: tenant, JobKind: kind, Subject: subject, Args: raw}, nil)
	if err != nil {
		return Job{}, fmt.Errorf("queue job %s: %w", kind, err)
	}
	return jobFromRow(res.Job)
}

// Get reads the job's row; a job of another tenant, an id that is no
// River id, and a job River has deleted after its retention period are all
// errJobNotFound.
func (q *riverQueue) Get(ctx context.Context, tenant tenancy.ID, id string) (Job, error) {
	n, err := strconv.ParseInt(id, 10, 64)
	if err != nil || n <= 0 {
		return Job{}, errJobNotFound
	}
	row, err := q.client.JobGet(ctx, n)
	if errors.Is(err, rivertype.ErrNotFound) {
		return Job{}, errJobNotFound
	}
	if err != nil {
		return Job{}, fmt.Errorf("read job %s: %w", id, err)
	}
	if row.Kind != riverKind {
		return Job{}, errJobNotFound
	}
	j, err := jobFromRow(row)
	if err != nil {
		return Job{}, err
	}
	if j.Tenant != tenant {
		return Job{}, errJobNotFound
	}
	return j, nil
}

// Shutdown stops fetching, waits for running jobs until ctx is done, then
// cancels them and waits for them to return. A job cancelled this way is
// retried later, by this or another replica.
func (q *riverQueue) Shutdown(ctx context.Context) {
	if err := q.client.Stop(ctx); err != nil {
		q.log.Warn("shutdown: canceling jobs still running", "err", err)
		cctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		if err := q.client.StopAndCancel(cctx); err != nil {
			q.log.Warn("shutdown: job queue did not stop", "err", err)
		}
	}
}

// jobFromRow maps River's row onto hostd's Job: available, scheduled,
// pending and retryable are queued (a retryable job shows its last error
// and waits for its next attempt); running is running; completed is
// succeeded; discarded (attempts used up) and cancelled are failed.
func jobFromRow(row *rivertype.JobRow) (Job, error) {
	var a riverArgs
	if err := json.Unmarshal(row.EncodedArgs, &a); err != nil {
		return Job{}, fmt.Errorf("job %d: arguments: %w", row.ID, err)
	}
	j := Job{
		ID:        strconv.FormatInt(row.ID, 10),
		Tenant:    a.Tenant,
		Kind:      a.JobKind,
		Subject:   a.Subject,
		Attempts:  row.Attempt,
		CreatedAt: row.CreatedAt.UTC(),
	}
	switch row.State {
	case rivertype.JobStateRunning:
		j.Status = JobRunning
	case rivertype.JobStateCompleted:
		j.Status = JobSucceeded
	case rivertype.JobStateDiscarded, rivertype.JobStateCancelled:
		j.Status = JobFailed
	default:
		j.Status = JobQueued
	}
	if row.AttemptedAt != nil {
		j.StartedAt = row.AttemptedAt.UTC()
	}
	if row.FinalizedAt != nil {
		j.FinishedAt = row.FinalizedAt.UTC()
	}
	if n := len(row.Errors); n > 0 && j.Status != JobSucceeded {
		j.Error = row.Errors[n-1].Error
	}
	if out := row.Output(); len(out) > 0 {
		j.Result = json.RawMessage(out)
	}
	return j, nil
}
