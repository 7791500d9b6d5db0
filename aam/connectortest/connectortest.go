// Package connectortest is the acceptance suite of [aam.Connector]:
// every connector, ours or a user's, runs [RunAcceptanceTests] from its
// tests to prove that it checks, discovers and reads the way the mesh
// relies on, in the spirit of the Conduit connector SDK's acceptance
// tests.
//
// A connector's test provides a [Harness] over a fixture source that it
// controls (a temporary directory, a database it seeded, an httptest
// server):
//
//	func TestAcceptance(t *testing.T) {
//		connectortest.RunAcceptanceTests(t, connectortest.Harness{
//			Open:    func(t *testing.T) aam.Connector { ... },
//			Records: map[string]int{"opportunities": 25},
//			Append:  func(t *testing.T, object string, n int) { ... },
//		})
//	}
//
// The suite checks that Check succeeds (and fails with
// [aam.ErrUnavailable] on an unreachable source), that Discover returns
// valid, stable schemas, that Read yields exactly the fixture's records,
// consistent with the schema, that resuming from every batch's cursor
// yields the rest with no duplicate and no gap, that a read started
// from the last cursor yields nothing until records are appended (and
// then exactly those), that cancelling the context stops a read
// promptly, that stopping an iteration early is safe, that unknown
// objects and foreign cursors are refused, that concurrent reads agree,
// and that Close is idempotent and final.
//
// [Memory] is an in-memory connector that passes the suite: a test double
// for code that drives connectors, whose records, row errors and
// availability the test controls, and a reference for implementers.
package connectortest

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/autonomos/autonomos/aam"
	"github.com/autonomos/autonomos/drift"
)

// Harness describes a connector under test and the fixture it reads.
type Harness struct {
	// Open returns a new connector over the fixture source. It is called
	// once or more per subtest; the suite closes what it opens. The
	// fixture must make several batches for each object in Records (a
	// small batch size), so that resuming is tested mid-object.
	// Required.
	Open func(t *testing.T) aam.Connector
	// Records gives, for each object the fixture holds, the exact number
	// of records a full read yields. Discover may list more objects.
	// Required, at least one object with at least two records.
	Records map[string]int
	// Append adds n new records to object at the source, after the ones
	// already there, so that a read resumed from the last cursor yields
	// exactly them; the suite then adds n to Records[object]. It runs
	// before the suite's parallel subtests. Defaults to nil: the
	// incremental test is skipped.
	Append func(t *testing.T, object string, n int)
	// Unreachable returns a connector whose source cannot be reached
	// (a missing directory, a closed port). Defaults to nil: the test of
	// Check's failure is skipped.
	Unreachable func(t *testing.T) aam.Connector
	// Timeout bounds each read of the suite. Defaults to 30s.
	Timeout time.Duration
	// CancelWithin is how soon a read must end once its context is
	// cancelled. Defaults to 2s.
	CancelWithin time.Duration
}

// RunAcceptanceTests runs the acceptance suite against h.
func RunAcceptanceTests(t *testing.T, h Harness) {
	t.Helper()
	if h.Open == nil || len(h.Records) == 0 {
		t.Fatal("connectortest: Harness.Open and Harness.Records are required")
	}
	if h.Timeout == 0 {
		h.Timeout = 30 * time.Second
	}
	if h.CancelWithin == 0 {
		h.CancelWithin = 2 * time.Second
	}
	objects := slices.Sorted(func(yield func(string) bool) {
		for o := range h.Records {
			if !yield(o) {
				return
			}
		}
	})
	s := &suite{h: h, objects: objects}
	t.Run("Check", s.testCheck)
	t.Run("CheckUnreachable", s.testCheckUnreachable)
	t.Run("Discover", s.testDiscover)
	t.Run("ReadAll", s.testReadAll)
	t.Run("ReadConsistentWithSchema", s.testConsistent)
	t.Run("Resume", s.testResume)
	t.Run("ResumeAtEnd", s.testResumeAtEnd)
	t.Run("Incremental", s.testIncremental)
	t.Run("StopEarly", s.testStopEarly)
	t.Run("Cancel", s.testCancel)
	t.Run("UnknownObject", s.testUnknownObject)
	t.Run("InvalidCursor", s.testInvalidCursor)
	t.Run("ConcurrentReads", s.testConcurrent)
	t.Run("Close", s.testClose)
}

type suite struct {
	h       Harness
	objects []string
}

func (s *suite) open(t *testing.T) aam.Connector {
	t.Helper()
	c := s.h.Open(t)
	if c == nil {
		t.Fatal("Harness.Open returned nil")
	}
	t.Cleanup(func() {
		if err := c.Close(); err != nil {
			t.Errorf("Close: %v", err)
		}
	})
	return c
}

func (s *suite) ctx(t *testing.T) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), s.h.Timeout)
	t.Cleanup(cancel)
	return ctx
}

// step is one batch of a read: the records' canonical texts and the
// cursor after them.
type step struct {
	records []string
	errors  int
	cursor  aam.Cursor
}

// key renders a record as canonical text, so that reads can be compared.
func key(b *aam.Batch, r *aam.Record) string {
	if r.Fields != nil {
		j, err := json.Marshal(r.Fields)
		if err != nil {
			return fmt.Sprintf("unmarshalable record: %v", err)
		}
		return string(j)
	}
	j, _ := json.Marshal(struct {
		H []string `json:"h"`
		R []string `json:"r"`
	}{b.Header, r.Row})
	return string(j)
}

// read reads object from cur to its end and returns the batches.
func read(ctx context.Context, t *testing.T, c aam.Connector, object string, cur aam.Cursor) []step {
	t.Helper()
	var steps []step
	for b, err := range c.Read(ctx, object, cur) {
		if err != nil {
			t.Fatalf("Read(%q, %q): %v", object, cur, err)
		}
		if b == nil {
			t.Fatalf("Read(%q) yielded a nil batch without an error", object)
		}
		if b.Object != object {
			t.Errorf("batch Object = %q, want %q", b.Object, object)
		}
		if b.Cursor == "" {
			t.Errorf("Read(%q) yielded a batch without a cursor", object)
		}
		st := step{cursor: b.Cursor, errors: len(b.Errors)}
		for i := range b.Records {
			r := &b.Records[i]
			if (r.Fields == nil) == (r.Row == nil) {
				t.Fatalf("record %d of a batch of %q has both or neither of Row and Fields", i, object)
			}
			if r.Row != nil && len(r.Row) > len(b.Header) {
				t.Fatalf("record %d of %q has %d cells, its header %d", i, object, len(r.Row), len(b.Header))
			}
			st.records = append(st.records, key(b, r))
		}
		steps = append(steps, st)
	}
	return steps
}

func flatten(steps []step) []string {
	var out []string
	for _, s := range steps {
		out = append(out, s.records...)
	}
	return out
}

func (s *suite) testCheck(t *testing.T) {
	t.Parallel()
	c := s.open(t)
	if err := c.Check(s.ctx(t)); err != nil {
		t.Fatalf("Check on the fixture: %v", err)
	}
}

func (s *suite) testCheckUnreachable(t *testing.T) {
	t.Parallel()
	if s.h.Unreachable == nil {
		t.Skip("Harness.Unreachable not set")
	}
	c := s.h.Unreachable(t)
	defer c.Close()
	err := c.Check(s.ctx(t))
	if !errors.Is(err, aam.ErrUnavailable) {
		t.Fatalf("Check on an unreachable source = %v, want an error matching aam.ErrUnavailable", err)
	}
	if err.Error() == "" {
		t.Fatal("Check's error has no text")
	}
}

func (s *suite) discover(t *testing.T, c aam.Connector) map[string]aam.ObjectInfo {
	t.Helper()
	infos, err := c.Discover(s.ctx(t))
	if err != nil {
		t.Fatalf("Discover: %v", err)
	}
	byName := make(map[string]aam.ObjectInfo, len(infos))
	for _, o := range infos {
		if o.Name == "" {
			t.Fatal("Discover returned an object without a name")
		}
		if _, dup := byName[o.Name]; dup {
			t.Fatalf("Discover returned object %q twice", o.Name)
		}
		if o.Schema == nil {
			t.Fatalf("object %q has no schema", o.Name)
		}
		if o.Schema.Object != o.Name {
			t.Errorf("object %q: Schema.Object = %q", o.Name, o.Schema.Object)
		}
		if err := o.Schema.Validate(); err != nil {
			t.Errorf("object %q: invalid schema: %v", o.Name, err)
		}
		byName[o.Name] = o
	}
	return byName
}

func (s *suite) testDiscover(t *testing.T) {
	t.Parallel()
	c := s.open(t)
	first := s.discover(t, c)
	for _, o := range s.objects {
		info, ok := first[o]
		if !ok {
			t.Fatalf("Discover did not list object %q", o)
		}
		if s.h.Records[o] > 0 && len(info.Schema.Fields) == 0 {
			t.Errorf("object %q has records but its schema no fields", o)
		}
	}
	second := s.discover(t, c)
	if len(first) != len(second) {
		t.Fatalf("Discover listed %d objects, then %d", len(first), len(second))
	}
	for name, a := range first {
		b := second[name]
		if fa, fb := drift.Fingerprint(a.Schema), drift.Fingerprint(b.Schema); fa != fb {
			t.Errorf("object %q: schema fingerprint %s, then %s on the same source", name, fa, fb)
		}
	}
}

func (s *suite) testReadAll(t *testing.T) {
	t.Parallel()
	c := s.open(t)
	for _, o := range s.objects {
		steps := read(s.ctx(t), t, c, o, "")
		if got := len(flatten(steps)); got != s.h.Records[o] {
			t.Errorf("Read(%q) yielded %d records, the fixture holds %d", o, got, s.h.Records[o])
		}
		again := flatten(read(s.ctx(t), t, c, o, ""))
		if !slices.Equal(flatten(steps), again) {
			t.Errorf("two full reads of %q differ", o)
		}
	}
}

// fieldNames returns the names a record uses: its header for rows, its
// keys for maps (nested maps as dotted paths, as drift names them).
func fieldNames(b *aam.Batch, r *aam.Record) []string {
	if r.Row != nil {
		return b.Header[:len(r.Row)]
	}
	var names []string
	var walk func(prefix string, m map[string]any)
	walk = func(prefix string, m map[string]any) {
		for k, v := range m {
			if sub, ok := v.(map[string]any); ok && len(sub) > 0 {
				walk(prefix+k+".", sub)
				continue
			}
			names = append(names, prefix+k)
		}
	}
	walk("", r.Fields)
	return names
}

func (s *suite) testConsistent(t *testing.T) {
	t.Parallel()
	c := s.open(t)
	infos := s.discover(t, c)
	for _, o := range s.objects {
		sch := infos[o].Schema
		for b, err := range c.Read(s.ctx(t), o, "") {
			if err != nil {
				t.Fatalf("Read(%q): %v", o, err)
			}
			for i := range b.Records {
				for _, name := range fieldNames(b, &b.Records[i]) {
					if _, ok := sch.Field(name); ok {
						continue
					}
					// A field nested deeper than the schema keeps (an
					// object field) or an array element is covered by a
					// prefix.
					covered := false
					for _, f := range sch.Fields {
						if strings.HasPrefix(name, f.Name+".") {
							covered = true
							break
						}
					}
					if !covered {
						t.Errorf("object %q: record %s has field %q, which its discovered schema lacks", o, b.Ref(i), name)
					}
				}
			}
		}
	}
}

func (s *suite) testResume(t *testing.T) {
	t.Parallel()
	c := s.open(t)
	for _, o := range s.objects {
		steps := read(s.ctx(t), t, c, o, "")
		all := flatten(steps)
		if len(steps) < 2 && len(all) >= 2 {
			t.Errorf("object %q came in %d batch(es): give the fixture a smaller batch size so that resuming mid-object is tested", o, len(steps))
		}
		done := 0
		for k, st := range steps {
			done += len(st.records)
			rest := flatten(read(s.ctx(t), t, c, o, st.cursor))
			if !slices.Equal(rest, all[done:]) {
				t.Fatalf("object %q: resuming after batch %d (cursor %q) yielded %d records, want the %d after the first %d (duplicates or gaps)",
					o, k, st.cursor, len(rest), len(all)-done, done)
			}
		}
		// A cursor survives a new connector (as after a restart).
		if len(steps) > 1 {
			c2 := s.open(t)
			first := len(steps[0].records)
			if rest := flatten(read(s.ctx(t), t, c2, o, steps[0].cursor)); !slices.Equal(rest, all[first:]) {
				t.Fatalf("object %q: resuming on a new connector yielded %d records, want %d", o, len(rest), len(all)-first)
			}
		}
	}
}

func lastCursor(t *testing.T, steps []step) aam.Cursor {
	t.Helper()
	if len(steps) == 0 {
		t.Fatal("a read of a non-empty object yielded no batch")
	}
	return steps[len(steps)-1].cursor
}

func (s *suite) testResumeAtEnd(t *testing.T) {
	t.Parallel()
	c := s.open(t)
	for _, o := range s.objects {
		if s.h.Records[o] == 0 {
			continue
		}
		end := lastCursor(t, read(s.ctx(t), t, c, o, ""))
		if rest := flatten(read(s.ctx(t), t, c, o, end)); len(rest) != 0 {
			t.Errorf("object %q: reading from the last cursor yielded %d records, want none", o, len(rest))
		}
	}
}

func (s *suite) testIncremental(t *testing.T) {
	if s.h.Append == nil {
		t.Skip("Harness.Append not set")
	}
	// Not parallel: it changes the fixture. Sibling subtests that run in
	// parallel start after this one returns.
	c := s.open(t)
	o := s.objects[0]
	steps := read(s.ctx(t), t, c, o, "")
	before := flatten(steps)
	end := lastCursor(t, steps)
	const n = 3
	s.h.Append(t, o, n)
	s.h.Records[o] += n // the fixture now holds them, for the subtests after this one
	added := flatten(read(s.ctx(t), t, c, o, end))
	if len(added) != n {
		t.Fatalf("object %q: after appending %d records, reading from the last cursor yielded %d", o, n, len(added))
	}
	all := flatten(read(s.ctx(t), t, c, o, ""))
	if !slices.Equal(all, append(slices.Clone(before), added...)) {
		t.Fatalf("object %q: a full read after the append is not the old records followed by the new ones", o)
	}
}

func (s *suite) testStopEarly(t *testing.T) {
	t.Parallel()
	c := s.open(t)
	o := s.objects[0]
	n := 0
	for b, err := range c.Read(s.ctx(t), o, "") {
		if err != nil {
			t.Fatal(err)
		}
		_ = b
		n++
		break
	}
	if n != 1 {
		t.Fatalf("read of %q yielded no batch", o)
	}
	// The connector still works after an abandoned iteration.
	if got := len(flatten(read(s.ctx(t), t, c, o, ""))); got != s.h.Records[o] {
		t.Fatalf("after an abandoned read, Read(%q) yielded %d records, want %d", o, got, s.h.Records[o])
	}
}

func (s *suite) testCancel(t *testing.T) {
	t.Parallel()
	c := s.open(t)
	o := s.objects[0]

	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	var got error
	for _, err := range c.Read(ctx, o, "") {
		if err != nil {
			got = err
			break
		}
	}
	if !errors.Is(got, context.Canceled) {
		t.Errorf("Read with a cancelled context ended with %v, want context.Canceled", got)
	}

	ctx, cancel = context.WithCancel(context.Background())
	defer cancel()
	start := time.Now()
	var since time.Time
	got = nil
	batches := 0
	for _, err := range c.Read(ctx, o, "") {
		if err != nil {
			got = err
			break
		}
		batches++
		if batches == 1 {
			cancel()
			since = time.Now()
		}
	}
	if batches == 0 {
		t.Fatalf("Read(%q) yielded nothing", o)
	}
	if got == nil && batches > 1 {
		t.Errorf("Read(%q) went on for %d batches after its context was cancelled and ended without an error", o, batches-1)
	}
	if got != nil && !errors.Is(got, context.Canceled) {
		t.Errorf("Read ended with %v after cancel, want context.Canceled", got)
	}
	if !since.IsZero() && time.Since(since) > s.h.CancelWithin {
		t.Errorf("Read took %v to stop after cancel (read started %v ago), want within %v", time.Since(since), time.Since(start), s.h.CancelWithin)
	}
}

func (s *suite) testUnknownObject(t *testing.T) {
	t.Parallel()
	c := s.open(t)
	var got error
	for _, err := range c.Read(s.ctx(t), "connectortest-no-such-object", "") {
		if err != nil {
			got = err
			break
		}
	}
	if !errors.Is(got, aam.ErrUnknownObject) {
		t.Fatalf("Read of an unknown object = %v, want aam.ErrUnknownObject", got)
	}
}

func (s *suite) testInvalidCursor(t *testing.T) {
	t.Parallel()
	c := s.open(t)
	for _, cur := range []aam.Cursor{"connectortest: not a cursor", "{}", "\x00\xff"} {
		var got error
		for _, err := range c.Read(s.ctx(t), s.objects[0], cur) {
			if err != nil {
				got = err
				break
			}
		}
		if !errors.Is(got, aam.ErrInvalidCursor) {
			t.Errorf("Read from cursor %q = %v, want aam.ErrInvalidCursor", cur, got)
		}
	}
}

func (s *suite) testConcurrent(t *testing.T) {
	t.Parallel()
	c := s.open(t)
	want := map[string][]string{}
	for _, o := range s.objects {
		want[o] = flatten(read(s.ctx(t), t, c, o, ""))
	}
	var wg sync.WaitGroup
	errs := make(chan string, 4*len(s.objects))
	for range 2 {
		for _, o := range s.objects {
			wg.Go(func() {
				var got []string
				for b, err := range c.Read(s.ctx(t), o, "") {
					if err != nil {
						errs <- fmt.Sprintf("concurrent Read(%q): %v", o, err)
						return
					}
					for i := range b.Records {
						got = append(got, key(b, &b.Records[i]))
					}
				}
				if !slices.Equal(got, want[o]) {
					errs <- fmt.Sprintf("concurrent Read(%q) yielded %d records, want %d", o, len(got), len(want[o]))
				}
			})
		}
	}
	wg.Wait()
	close(errs)
	for e := range errs {
		t.Error(e)
	}
}

func (s *suite) testClose(t *testing.T) {
	t.Parallel()
	c := s.h.Open(t)
	if err := c.Close(); err != nil {
		t.Fatalf("Close: %v", err)
	}
	if err := c.Close(); err != nil {
		t.Fatalf("second Close: %v", err)
	}
	ctx := s.ctx(t)
	if err := c.Check(ctx); !errors.Is(err, aam.ErrClosed) {
		t.Errorf("Check after Close = %v, want aam.ErrClosed", err)
	}
	if _, err := c.Discover(ctx); !errors.Is(err, aam.ErrClosed) {
		t.Errorf("Discover after Close = %v, want aam.ErrClosed", err)
	}
	var got error
	for _, err := range c.Read(ctx, s.objects[0], "") {
		if err != nil {
			got = err
			break
		}
	}
	if !errors.Is(got, aam.ErrClosed) {
		t.Errorf("Read after Close = %v, want aam.ErrClosed", got)
	}
}
