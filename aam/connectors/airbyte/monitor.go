package airbyte

import (
	"bytes"
	"cmp"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"iter"
	"log/slog"
	"math/rand/v2"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"sync/atomic"
	"time"

	"github.com/autonomos/autonomos/aam"
	"github.com/autonomos/autonomos/drift"
)

// The objects a [Monitor] reads.
const (
	// ObjectConnections holds one record per connection.
	ObjectConnections = "connections"
	// ObjectJobs holds one record per job, each time it changes.
	ObjectJobs = "jobs"
)

const maxBody = 64 << 20

// Monitor is a [aam.Connector] over an Airbyte deployment's public API
// (v1): it reads the deployment's connections and the status and
// figures of their jobs, so that the mesh can publish sync activity. It
// is safe for concurrent use and holds no connection between calls but
// the HTTP client's idle ones, which Close closes. The zero value is not
// usable; use [New] or aam.Open("airbyte", ...).
type Monitor struct {
	aam.UnimplementedConnector
	base   *url.URL // scheme://host/path, no trailing slash
	token  Secret
	cfg    Config
	log    *slog.Logger
	closed atomic.Bool
}

var _ aam.Connector = (*Monitor)(nil)

// New returns a Monitor of the API at baseURL, the URL the API's paths
// (/v1/connections) are relative to: "https://api.airbyte.com" for
// Airbyte Cloud, "http://host:8000/api/public" for a self-managed
// deployment. token is the bearer token. It does not reach the API
// ([Monitor.Check] does). A nil cfg means defaults; a bad argument or
// cfg yields an error matching [aam.ErrInvalidConfig].
func New(baseURL string, token Secret, cfg *Config) (*Monitor, error) {
	u, err := validBase(baseURL)
	if err != nil {
		return nil, err
	}
	if token == "" {
		return nil, &aam.ConfigError{Kind: Kind, Field: "token", Reason: "required"}
	}
	c := cfg.WithDefaults()
	if err := c.validate(); err != nil {
		return nil, err
	}
	u.Path = strings.TrimRight(u.Path, "/")
	u.RawPath = ""
	return &Monitor{base: u, token: token, cfg: c, log: c.Logger.With("connector", Kind)}, nil
}

// scrub removes the token from s, in case a server quoted it.
func (m *Monitor) scrub(s string) string {
	if len(m.token) >= 4 {
		s = strings.ReplaceAll(s, string(m.token), aam.Redacted)
	}
	return s
}

// get GETs the URL u (of the API's host), retrying 429 and 5xx answers
// with backoff, and decodes a 2xx body into v.
func (m *Monitor) get(ctx context.Context, u *url.URL, v any) error {
	path := strings.TrimPrefix(u.Path, m.base.Path)
	for attempt := 0; ; attempt++ {
		if err := ctx.Err(); err != nil {
			return err
		}
		req, err := http.NewRequestWithContext(ctx, http.MethodGet, u.String(), nil)
		if err != nil {
			return fmt.Errorf("airbyte: GET %s: %w", path, err)
		}
		req.Header.Set("Authorization", "Bearer "+string(m.token))
		req.Header.Set("Accept", "application/json")
		res, err := m.cfg.HTTPClient.Do(req)
		if err != nil {
			if cerr := ctx.Err(); cerr != nil {
				return cerr
			}
			var ue *url.Error
			if errors.As(err, &ue) {
				err = ue.Err // a *url.Error quotes the URL
			}
			return fmt.Errorf("airbyte: GET %s: %s", path, m.scrub(err.Error()))
		}
		body, err := io.ReadAll(io.LimitReader(res.Body, maxBody+1))
		res.Body.Close()
		if err != nil {
			if cerr := ctx.Err(); cerr != nil {
				return cerr
			}
			return fmt.Errorf("airbyte: GET %s: read response: %s", path, m.scrub(err.Error()))
		}
		if len(body) > maxBody {
			return fmt.Errorf("airbyte: GET %s: response larger than %d bytes", path, maxBody)
		}
		m.log.DebugContext(ctx, "airbyte: request", "path", path, "status", res.StatusCode, "attempt", attempt+1)
		switch {
		case res.StatusCode >= 200 && res.StatusCode < 300:
			dec := json.NewDecoder(bytes.NewReader(body))
			dec.UseNumber()
			if err := dec.Decode(v); err != nil {
				return fmt.Errorf("airbyte: GET %s: unreadable response: %w", path, err)
			}
			return nil
		case (res.StatusCode == http.StatusTooManyRequests || res.StatusCode >= 500) && attempt < m.cfg.MaxRetries:
			wait := m.backoff(attempt, res.Header.Get("Retry-After"))
			m.log.WarnContext(ctx, "airbyte: request refused, retrying", "path", path, "status", res.StatusCode, "attempt", attempt+1, "wait", wait)
			t := time.NewTimer(wait)
			select {
			case <-ctx.Done():
				t.Stop()
				return ctx.Err()
			case <-t.C:
			}
		default:
			var p struct {
				Title  string `json:"title"`
				Detail string `json:"detail"`
				// Some deployments answer {"message": ...}.
				Message string `json:"message"`
			}
			_ = json.Unmarshal(body, &p) // an unreadable body leaves them empty
			if p.Detail == "" {
				p.Detail = p.Message
			}
			return &APIError{Method: http.MethodGet, Path: path, Status: res.StatusCode, Title: m.scrub(p.Title), Detail: m.scrub(p.Detail)}
		}
	}
}

func (m *Monitor) backoff(attempt int, retryAfter string) time.Duration {
	ceil := m.cfg.RetryBaseDelay << min(attempt, 30)
	if ceil <= 0 || ceil > m.cfg.RetryMaxDelay {
		ceil = m.cfg.RetryMaxDelay
	}
	var wait time.Duration
	if ceil > 0 {
		wait = time.Duration(rand.Int64N(int64(ceil) + 1))
	}
	if s, err := strconv.Atoi(strings.TrimSpace(retryAfter)); err == nil && s > 0 {
		if ra := min(time.Duration(s)*time.Second, m.cfg.RetryMaxDelay); ra > wait {
			wait = ra
		}
	}
	return wait
}

// endpoint returns the URL of path with query q.
func (m *Monitor) endpoint(path string, q url.Values) *url.URL {
	u := *m.base
	u.Path += path
	u.RawQuery = q.Encode()
	return &u
}

// page is a list answer of the API.
type page[T any] struct {
	Previous string `json:"previous"`
	Next     string `json:"next"`
	Data     []T    `json:"data"`
}

// list yields every element of a paged list, following next (a URL on
// the API's own host, never another: the token goes with it).
func list[T any](ctx context.Context, m *Monitor, path string, q url.Values) iter.Seq2[[]T, error] {
	return func(yield func([]T, error) bool) {
		q.Set("limit", strconv.Itoa(m.cfg.PageSize))
		q.Set("offset", "0")
		u := m.endpoint(path, q)
		for pages := 0; ; pages++ {
			if m.closed.Load() {
				yield(nil, aam.ErrClosed)
				return
			}
			var p page[T]
			if err := m.get(ctx, u, &p); err != nil {
				yield(nil, err)
				return
			}
			if len(p.Data) > 0 && !yield(p.Data, nil) {
				return
			}
			if p.Next == "" || len(p.Data) == 0 {
				return
			}
			next, err := m.base.Parse(p.Next)
			if err != nil || next.Scheme != m.base.Scheme || next.Host != m.base.Host || !strings.HasPrefix(next.Path, m.base.Path+"/") {
				yield(nil, fmt.Errorf("airbyte: GET %s: next page %q is not on the API's host", path, m.scrub(p.Next)))
				return
			}
			if next.String() == u.String() || pages > 1_000_000 {
				yield(nil, fmt.Errorf("airbyte: GET %s: the next page is the same page", path))
				return
			}
			u = next
		}
	}
}

// connection is the API's ConnectionResponse, the parts read.
type connection struct {
	ConnectionID  string `json:"connectionId"`
	Name          string `json:"name"`
	SourceID      string `json:"sourceId"`
	DestinationID string `json:"destinationId"`
	WorkspaceID   string `json:"workspaceId"`
	Status        string `json:"status"`
	Schedule      struct {
		ScheduleType   string `json:"scheduleType"`
		CronExpression string `json:"cronExpression"`
		BasicTiming    string `json:"basicTiming"`
	} `json:"schedule"`
	CreatedAt json.Number `json:"createdAt"` // unix seconds
}

// job is the API's JobResponse.
type job struct {
	JobID         json.Number `json:"jobId"`
	Status        string      `json:"status"`
	JobType       string      `json:"jobType"`
	ConnectionID  string      `json:"connectionId"`
	StartTime     string      `json:"startTime"`
	LastUpdatedAt string      `json:"lastUpdatedAt"`
	Duration      string      `json:"duration"` // ISO 8601, PT8H6M12S
	BytesSynced   json.Number `json:"bytesSynced"`
	RowsSynced    json.Number `json:"rowsSynced"`
}

// Check lists one connection. A failure is an [*aam.UnavailableError]
// whose cause is an [*APIError] (matching [ErrAuth] for a refused
// token) or a transport error.
func (m *Monitor) Check(ctx context.Context) error {
	if m.closed.Load() {
		return aam.ErrClosed
	}
	q := url.Values{"limit": {"1"}}
	if len(m.cfg.WorkspaceIDs) > 0 {
		q.Set("workspaceIds", strings.Join(m.cfg.WorkspaceIDs, ","))
	}
	var p page[connection]
	if err := m.get(ctx, m.endpoint("/v1/connections", q), &p); err != nil {
		if ctx.Err() != nil {
			return ctx.Err()
		}
		reason := "the API refused"
		if errors.Is(err, ErrAuth) {
			reason = "the API refused the token"
		}
		return &aam.UnavailableError{Kind: Kind, Target: m.base.Host, Reason: reason, Err: err}
	}
	return nil
}

func field(name string, t drift.FieldType, nullable bool) drift.Field {
	return drift.Field{Name: name, Type: t, Nullable: nullable}
}

// Schemas returns the declared schemas of the two objects.
func Schemas() []*drift.Schema {
	return []*drift.Schema{
		{System: Kind, Object: ObjectConnections, PrimaryKey: []string{"connectionId"}, Fields: []drift.Field{
			field("connectionId", drift.TypeString, false),
			field("name", drift.TypeString, true),
			field("sourceId", drift.TypeString, true),
			field("destinationId", drift.TypeString, true),
			field("workspaceId", drift.TypeString, true),
			field("status", drift.TypeString, true),
			field("schedule.scheduleType", drift.TypeString, true),
			field("schedule.cronExpression", drift.TypeString, true),
			field("schedule.basicTiming", drift.TypeString, true),
			field("createdAt", drift.TypeTimestamp, true),
		}},
		{System: Kind, Object: ObjectJobs, PrimaryKey: []string{"jobId"}, Fields: []drift.Field{
			field("jobId", drift.TypeInteger, false),
			field("status", drift.TypeString, false),
			field("jobType", drift.TypeString, true),
			field("connectionId", drift.TypeString, true),
			field("startTime", drift.TypeTimestamp, true),
			field("lastUpdatedAt", drift.TypeTimestamp, false),
			field("duration", drift.TypeString, true),
			field("durationSeconds", drift.TypeInteger, true),
			field("rowsSynced", drift.TypeInteger, true),
			field("bytesSynced", drift.TypeInteger, true),
		}},
	}
}

// Discover returns the two objects with their declared schemas, after
// checking that the API answers.
func (m *Monitor) Discover(ctx context.Context) ([]aam.ObjectInfo, error) {
	if err := m.Check(ctx); err != nil {
		return nil, err
	}
	var infos []aam.ObjectInfo
	for _, s := range Schemas() {
		infos = append(infos, aam.ObjectInfo{Name: s.Object, Schema: s})
	}
	return infos, nil
}

// Close closes the HTTP client's idle connections; it is idempotent.
func (m *Monitor) Close() error {
	if !m.closed.Swap(true) {
		m.cfg.HTTPClient.CloseIdleConnections()
	}
	return nil
}

// cursor is the position of a read: the key of the last record read.
// For jobs, the last update time and job id; for connections, the
// creation time and connection id.
type cursor struct {
	V  int    `json:"v"`
	O  string `json:"o"`
	At string `json:"at"` // RFC 3339 UTC, or unix seconds for connections
	ID string `json:"id"`
}

func (c cursor) encode() aam.Cursor {
	b, _ := json.Marshal(c) // plain strings always marshal
	return aam.Cursor(b)
}

func decodeCursor(cur aam.Cursor, object string) (cursor, error) {
	if cur == "" {
		return cursor{}, nil
	}
	var c cursor
	dec := json.NewDecoder(strings.NewReader(string(cur)))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&c); err != nil || c.V != 1 || c.ID == "" {
		return cursor{}, fmt.Errorf("%w: not an %s cursor", aam.ErrInvalidCursor, Kind)
	}
	if c.O != object {
		return cursor{}, fmt.Errorf("%w: a cursor of object %q, not %q", aam.ErrInvalidCursor, c.O, object)
	}
	return c, nil
}

// key is a record's position: a time and an id, compared as a pair.
type key struct {
	at time.Time
	id string
}

func (k key) compare(o key) int {
	if c := k.at.Compare(o.at); c != 0 {
		return c
	}
	// Numeric ids (job ids) compare as numbers.
	if len(k.id) != len(o.id) && isDigits(k.id) && isDigits(o.id) {
		return cmp.Compare(len(k.id), len(o.id))
	}
	return strings.Compare(k.id, o.id)
}

func isDigits(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return s != ""
}

// item is one record and its key, before batching.
type item struct {
	k   key
	rec map[string]any
	err error
}

// Read reads object after cur: "connections" in order of creation then
// id (a read from the last cursor yields new connections), "jobs" in
// order of last update then job id (a read from the last cursor yields
// the jobs started or changed since, a job once per change). Each
// batch holds up to PageSize records; records are flat maps (schedule
// fields as dotted paths) with numbers as json.Number. See
// [aam.Connector.Read].
//
// Read lists every matching element before its first batch, so that
// the order does not depend on the API's order among equal times; a
// first read of jobs holds all of them in memory.
func (m *Monitor) Read(ctx context.Context, object string, cur aam.Cursor) iter.Seq2[*aam.Batch, error] {
	return func(yield func(*aam.Batch, error) bool) {
		if m.closed.Load() {
			yield(nil, aam.ErrClosed)
			return
		}
		if object != ObjectConnections && object != ObjectJobs {
			yield(nil, fmt.Errorf("%w: %q (an %s source has %q and %q)", aam.ErrUnknownObject, object, Kind, ObjectConnections, ObjectJobs))
			return
		}
		c, err := decodeCursor(cur, object)
		if err != nil {
			yield(nil, err)
			return
		}
		resume := c.ID != "" && c.ID != "-" // "-" is the beginning
		var after key
		if resume {
			if object == ObjectJobs {
				t, err := time.Parse(time.RFC3339Nano, c.At)
				if err != nil {
					yield(nil, fmt.Errorf("%w: bad time", aam.ErrInvalidCursor))
					return
				}
				after = key{t, c.ID}
			} else {
				s, err := strconv.ParseInt(c.At, 10, 64)
				if err != nil {
					yield(nil, fmt.Errorf("%w: bad time", aam.ErrInvalidCursor))
					return
				}
				after = key{time.Unix(s, 0).UTC(), c.ID}
			}
		}
		var items []item
		if object == ObjectJobs {
			items, err = m.jobs(ctx, resume, after)
		} else {
			items, err = m.connections(ctx)
		}
		if err != nil {
			yield(nil, err)
			return
		}
		slices.SortStableFunc(items, func(a, b item) int { return a.k.compare(b.k) })
		b := &aam.Batch{Object: object}
		for _, it := range items {
			if resume && it.k.compare(after) <= 0 {
				continue
			}
			if it.err != nil {
				b.Errors = append(b.Errors, &aam.RowError{File: object, Offset: -1, Err: it.err})
			} else {
				b.Records = append(b.Records, aam.Record{Fields: it.rec})
				c = cursor{V: 1, O: object, ID: it.k.id}
				if object == ObjectJobs {
					c.At = it.k.at.Format(time.RFC3339Nano)
				} else {
					c.At = strconv.FormatInt(it.k.at.Unix(), 10)
				}
			}
			if b.Len() >= m.cfg.PageSize {
				if !m.emit(ctx, b, c, yield) {
					return
				}
				b = &aam.Batch{Object: object}
			}
		}
		if b.Len() > 0 {
			m.emit(ctx, b, c, yield)
		}
	}
}

// emit yields b with cursor c; it reports whether to go on.
func (m *Monitor) emit(ctx context.Context, b *aam.Batch, c cursor, yield func(*aam.Batch, error) bool) bool {
	if err := ctx.Err(); err != nil {
		yield(nil, err)
		return false
	}
	if m.closed.Load() {
		yield(nil, aam.ErrClosed)
		return false
	}
	c.V, c.O = 1, b.Object
	if c.ID == "" {
		c.ID = "-" // only row errors so far: the beginning
	}
	b.Cursor = c.encode()
	return yield(b, nil)
}

func (m *Monitor) connections(ctx context.Context) ([]item, error) {
	q := url.Values{}
	if len(m.cfg.WorkspaceIDs) > 0 {
		q.Set("workspaceIds", strings.Join(m.cfg.WorkspaceIDs, ","))
	}
	var items []item
	for data, err := range list[connection](ctx, m, "/v1/connections", q) {
		if err != nil {
			return nil, err
		}
		for _, cn := range data {
			if len(m.cfg.ConnectionIDs) > 0 && !slices.Contains(m.cfg.ConnectionIDs, cn.ConnectionID) {
				continue
			}
			items = append(items, connectionItem(&cn))
		}
	}
	return items, nil
}

func nullable(s string) any {
	if s == "" {
		return nil
	}
	return s
}

func connectionItem(cn *connection) item {
	if cn.ConnectionID == "" {
		return item{err: fmt.Errorf("%w: connection without a connectionId", aam.ErrMalformedRecord)}
	}
	var created time.Time
	var createdAt any
	if cn.CreatedAt != "" {
		s, err := cn.CreatedAt.Int64()
		if err != nil {
			return item{k: key{id: cn.ConnectionID}, err: fmt.Errorf("%w: connection %s: createdAt %q is not unix seconds", aam.ErrMalformedRecord, cn.ConnectionID, cn.CreatedAt)}
		}
		created = time.Unix(s, 0).UTC()
		createdAt = created.Format(time.RFC3339)
	}
	return item{k: key{created, cn.ConnectionID}, rec: map[string]any{
		"connectionId":            cn.ConnectionID,
		"name":                    nullable(cn.Name),
		"sourceId":                nullable(cn.SourceID),
		"destinationId":           nullable(cn.DestinationID),
		"workspaceId":             nullable(cn.WorkspaceID),
		"status":                  nullable(cn.Status),
		"schedule.scheduleType":   nullable(cn.Schedule.ScheduleType),
		"schedule.cronExpression": nullable(cn.Schedule.CronExpression),
		"schedule.basicTiming":    nullable(cn.Schedule.BasicTiming),
		"createdAt":               createdAt,
	}}
}

// jobs lists the jobs updated at or after the cursor's time.
func (m *Monitor) jobs(ctx context.Context, resume bool, after key) ([]item, error) {
	base := url.Values{"orderBy": {"updatedAt|ASC"}}
	if m.cfg.JobType != "all" {
		base.Set("jobType", m.cfg.JobType)
	}
	if len(m.cfg.WorkspaceIDs) > 0 {
		base.Set("workspaceIds", strings.Join(m.cfg.WorkspaceIDs, ","))
	}
	if !resume && m.cfg.JobsLookback > 0 {
		base.Set("updatedAtStart", m.cfg.Now().Add(-m.cfg.JobsLookback).UTC().Truncate(time.Second).Format(time.RFC3339))
	}
	if resume {
		// Inclusive: jobs updated in the cursor's second are filtered
		// by key afterwards.
		base.Set("updatedAtStart", after.at.Truncate(time.Second).Format(time.RFC3339))
	}
	queries := []url.Values{base}
	if len(m.cfg.ConnectionIDs) > 0 {
		queries = queries[:0]
		for _, id := range m.cfg.ConnectionIDs {
			q := url.Values{}
			for k, v := range base {
				q[k] = v
			}
			q.Set("connectionId", id)
			queries = append(queries, q)
		}
	}
	var items []item
	for _, q := range queries {
		for data, err := range list[job](ctx, m, "/v1/jobs", q) {
			if err != nil {
				return nil, err
			}
			for _, j := range data {
				items = append(items, jobItem(&j))
			}
		}
	}
	return items, nil
}

func jobItem(j *job) item {
	id, err := j.JobID.Int64()
	if err != nil || id < 0 {
		return item{err: fmt.Errorf("%w: job without a valid jobId", aam.ErrMalformedRecord)}
	}
	ids := strconv.FormatInt(id, 10)
	updated, err := time.Parse(time.RFC3339Nano, j.LastUpdatedAt)
	if err != nil {
		return item{k: key{id: ids}, err: fmt.Errorf("%w: job %s: lastUpdatedAt %q is not an RFC 3339 time", aam.ErrMalformedRecord, ids, j.LastUpdatedAt)}
	}
	rec := map[string]any{
		"jobId":           json.Number(ids),
		"status":          j.Status,
		"jobType":         nullable(j.JobType),
		"connectionId":    nullable(j.ConnectionID),
		"startTime":       nullable(j.StartTime),
		"lastUpdatedAt":   j.LastUpdatedAt,
		"duration":        nullable(j.Duration),
		"durationSeconds": nil,
		"rowsSynced":      nil,
		"bytesSynced":     nil,
	}
	if d, ok := ParseDuration(j.Duration); ok {
		rec["durationSeconds"] = json.Number(strconv.FormatInt(int64(d/time.Second), 10))
	}
	if j.RowsSynced != "" {
		rec["rowsSynced"] = j.RowsSynced
	}
	if j.BytesSynced != "" {
		rec["bytesSynced"] = j.BytesSynced
	}
	return item{k: key{updated.UTC(), ids}, rec: rec}
}

// maxJobDuration bounds the durations ParseDuration accepts.
const maxJobDuration = 100 * 366 * 24 * time.Hour

// ParseDuration parses the ISO 8601 durations the API reports for jobs
// ("PT8H6M12S", "P1DT2H", "PT0.5S"): days, hours, minutes and seconds,
// no years or months, up to a hundred years. It reports false for
// anything else.
func ParseDuration(s string) (time.Duration, bool) {
	rest, ok := strings.CutPrefix(s, "P")
	if !ok || rest == "" {
		return 0, false
	}
	var d time.Duration
	inTime := false
	units := 0
	for rest != "" {
		if rest[0] == 'T' {
			if inTime {
				return 0, false
			}
			inTime, rest = true, rest[1:]
			if rest == "" {
				return 0, false
			}
			continue
		}
		i := 0
		for i < len(rest) && (rest[i] >= '0' && rest[i] <= '9' || rest[i] == '.') {
			i++
		}
		if i == 0 || i == len(rest) {
			return 0, false
		}
		n, err := strconv.ParseFloat(rest[:i], 64)
		if err != nil {
			return 0, false
		}
		var unit time.Duration
		switch u := rest[i]; {
		case u == 'D' && !inTime:
			unit = 24 * time.Hour
		case u == 'W' && !inTime:
			unit = 7 * 24 * time.Hour
		case u == 'H' && inTime:
			unit = time.Hour
		case u == 'M' && inTime:
			unit = time.Minute
		case u == 'S' && inTime:
			unit = time.Second
		default:
			return 0, false
		}
		// Bounded so that no sum overflows: a job lasts less than
		// maxJobDuration.
		v := n * float64(unit)
		if v > float64(maxJobDuration) {
			return 0, false
		}
		d += time.Duration(v)
		if d > maxJobDuration {
			return 0, false
		}
		units++
		rest = rest[i+1:]
	}
	return d, units > 0
}

// String names the monitor by its API host; it never shows the token,
// which fmt would print from the unexported fields otherwise.
func (m *Monitor) String() string { return "airbyte.Monitor(" + m.base.Host + ")" }

// GoString is String, for %#v.
func (m *Monitor) GoString() string { return m.String() }

// Format prints String for every verb, so %+v hides the token too.
func (m *Monitor) Format(f fmt.State, verb rune) { _, _ = f.Write([]byte(m.String())) }
