package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"time"

	"github.com/google/uuid"

	"github.com/autonomos/autonomos/tenancy"
)

// JobStatus is the state of a background job.
type JobStatus string

const (
	JobQueued    JobStatus = "queued"
	JobRunning   JobStatus = "running"
	JobSucceeded JobStatus = "succeeded"
	JobFailed    JobStatus = "failed"
)

// Job is a background task of one tenant (a sync today), as the API shows
// it.
type Job struct {
	ID      string     `json:"id"`
	Tenant  tenancy.ID `json:"tenant_id"`
	Kind    string     `json:"kind"`
	Subject string     `json:"subject,omitempty"`
	Status  JobStatus  `json:"status"`
	Result  any        `json:"result,omitempty"`
	Error   string     `json:"error,omitempty"`
	// Attempts is how many times the job was started; in server mode a
	// failed attempt is retried with backoff, and the job stays queued
	// with the last error until it succeeds or its attempts are used up.
	Attempts   int       `json:"attempts,omitempty"`
	CreatedAt  time.Time `json:"created_at"`
	StartedAt  time.Time `json:"started_at,omitzero"`
	FinishedAt time.Time `json:"finished_at,omitzero"`
}

// jobFunc runs one job of its kind for tenant; args is the JSON the job was
// submitted with. Its result is shown as Job.Result, and its error text as
// Job.Error, so it must be safe for the tenant to read.
type jobFunc func(ctx context.Context, tenant tenancy.ID, args json.RawMessage) (any, error)

// errJobNotFound is returned by jobQueue.Get for an unknown job or a job of
// another tenant; the API answers 404.
var errJobNotFound = errors.New("no such job")

// jobQueue runs jobs by kind: jobRunner in-process in the embedded default,
// a persistent queue in server mode. Kinds are registered on the app
// (app.registerJob) before the queue is made, so every worker of every
// replica knows them.
type jobQueue interface {
	// Submit queues a job of kind with args (marshalled to JSON) and
	// returns it as queued. An unknown kind is an error.
	Submit(ctx context.Context, tenant tenancy.ID, kind, subject string, args any) (Job, error)
	// Get returns tenant's job id, or errJobNotFound.
	Get(ctx context.Context, tenant tenancy.ID, id string) (Job, error)
	// Shutdown waits for running jobs until ctx is done, then cancels
	// them and waits for them to return.
	Shutdown(ctx context.Context)
}

// registerJob makes kind runnable; call it while opening the app, before
// the queue is made.
func (a *app) registerJob(kind string, fn jobFunc) {
	if a.jobKinds == nil {
		a.jobKinds = map[string]jobFunc{}
	}
	if _, dup := a.jobKinds[kind]; dup {
		panic("hostd: job kind " + kind + " registered twice")
	}
	a.jobKinds[kind] = func(ctx context.Context, tenant tenancy.ID, args json.RawMessage) (any, error) {
		start := time.Now()
		res, err := fn(ctx, tenant, args)
		outcome := "succeeded"
		if err != nil {
			outcome = "failed"
		}
		a.metrics.jobRuns.WithLabelValues(kind, outcome).Inc()
		a.metrics.jobSeconds.WithLabelValues(kind).Observe(time.Since(start).Seconds())
		return res, err
	}
}

// jobRunner runs jobs in-process (the embedded default): each job in its
// own goroutine under a context that shutdown cancels only after waiting
// for the jobs. It keeps the last maxJobs jobs for status queries.
type jobRunner struct {
	log     *slog.Logger
	kinds   map[string]jobFunc
	ctx     context.Context
	cancel  context.CancelFunc
	wg      sync.WaitGroup
	maxJobs int

	mu    sync.Mutex
	jobs  map[string]*Job
	order []string
}

func newJobRunner(log *slog.Logger, kinds map[string]jobFunc) *jobRunner {
	ctx, cancel := context.WithCancel(context.Background())
	return &jobRunner{log: log, kinds: kinds, ctx: ctx, cancel: cancel, maxJobs: 1000, jobs: map[string]*Job{}}
}

// Submit starts the job in its own goroutine and returns it as queued.
func (jr *jobRunner) Submit(_ context.Context, tenant tenancy.ID, kind, subject string, args any) (Job, error) {
	fn, ok := jr.kinds[kind]
	if !ok {
		return Job{}, fmt.Errorf("job kind %q is not registered", kind)
	}
	raw, err := json.Marshal(args)
	if err != nil {
		return Job{}, fmt.Errorf("job %s: encode arguments: %w", kind, err)
	}
	return jr.submit(tenant, kind, subject, func(ctx context.Context) (any, error) { return fn(ctx, tenant, raw) }), nil
}

// Get returns tenant's job id; a job of another tenant is not found.
func (jr *jobRunner) Get(_ context.Context, tenant tenancy.ID, id string) (Job, error) {
	j, ok := jr.get(tenant, id)
	if !ok {
		return Job{}, errJobNotFound
	}
	return j, nil
}

// Shutdown is shutdown.
func (jr *jobRunner) Shutdown(ctx context.Context) { jr.shutdown(ctx) }

// submit starts fn as a job of tenant and returns the job as queued.
func (jr *jobRunner) submit(tenant tenancy.ID, kind, subject string, fn func(ctx context.Context) (any, error)) Job {
	j := &Job{ID: uuid.NewString(), Tenant: tenant, Kind: kind, Subject: subject, Status: JobQueued, CreatedAt: time.Now().UTC()}
	jr.mu.Lock()
	jr.jobs[j.ID] = j
	jr.order = append(jr.order, j.ID)
	jr.pruneLocked()
	snapshot := *j
	jr.mu.Unlock()

	jr.wg.Add(1)
	go func() {
		defer jr.wg.Done()
		ctx := tenancy.WithTenant(jr.ctx, tenant)
		jr.update(j.ID, func(j *Job) { j.Status = JobRunning; j.Attempts = 1; j.StartedAt = time.Now().UTC() })
		res, err := fn(ctx)
		jr.update(j.ID, func(j *Job) {
			j.FinishedAt = time.Now().UTC()
			j.Result = res
			if err != nil {
				j.Status = JobFailed
				j.Error = err.Error()
				return
			}
			j.Status = JobSucceeded
		})
		if err != nil {
			jr.log.Warn("job failed", "job", j.ID, "kind", kind, "tenant", tenant.String(), "err", err)
		}
	}()
	return snapshot
}

func (jr *jobRunner) update(id string, f func(*Job)) {
	jr.mu.Lock()
	defer jr.mu.Unlock()
	if j, ok := jr.jobs[id]; ok {
		f(j)
	}
}

// pruneLocked forgets the oldest finished jobs beyond maxJobs.
func (jr *jobRunner) pruneLocked() {
	for i := 0; len(jr.jobs) > jr.maxJobs && i < len(jr.order); {
		id := jr.order[i]
		j := jr.jobs[id]
		if j != nil && (j.Status == JobQueued || j.Status == JobRunning) {
			i++
			continue
		}
		delete(jr.jobs, id)
		jr.order = append(jr.order[:i], jr.order[i+1:]...)
	}
}

// get returns tenant's job id; a job of another tenant is not found.
func (jr *jobRunner) get(tenant tenancy.ID, id string) (Job, bool) {
	jr.mu.Lock()
	defer jr.mu.Unlock()
	j, ok := jr.jobs[id]
	if !ok || j.Tenant != tenant {
		return Job{}, false
	}
	return *j, true
}

// shutdown waits for running jobs until ctx is done, then cancels them and
// waits for them to return.
func (jr *jobRunner) shutdown(ctx context.Context) {
	done := make(chan struct{})
	go func() { jr.wg.Wait(); close(done) }()
	select {
	case <-done:
	case <-ctx.Done():
		jr.log.Warn("shutdown: canceling jobs still running")
		jr.cancel()
		<-done
	}
	jr.cancel()
}
