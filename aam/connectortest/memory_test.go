package connectortest_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"iter"
	"os"
	"os/exec"
	"testing"

	"github.com/autonomos/autonomos/aam"
	"github.com/autonomos/autonomos/aam/connectortest"
)

func newFixture() *connectortest.Memory {
	m := connectortest.NewMemory(4)
	for i := range 10 {
		m.Add("accounts", map[string]any{"id": fmt.Sprint(i), "name": fmt.Sprintf("Account %d", i), "address": map[string]any{"country": "DE"}})
	}
	m.AddRowError("accounts", errors.New("bad record"))
	for i := range 5 {
		m.Add("contacts", map[string]any{"id": i, "email": fmt.Sprintf("c%d@example.com", i)})
	}
	return m
}

// TestMemoryAcceptance runs the suite on the in-memory connector.
func TestMemoryAcceptance(t *testing.T) {
	m := newFixture()
	connectortest.RunAcceptanceTests(t, connectortest.Harness{
		Open:    func(*testing.T) aam.Connector { return &sharedMemory{Memory: m} },
		Records: map[string]int{"accounts": 10, "contacts": 5},
		Append: func(t *testing.T, object string, n int) {
			for i := range n {
				m.Add(object, map[string]any{"id": fmt.Sprint(100 + i), "name": "new", "address": map[string]any{"country": "FR"}})
			}
		},
		Unreachable: func(*testing.T) aam.Connector {
			u := connectortest.NewMemory(1)
			u.SetUnavailable(errors.New("connection refused"))
			return u
		},
	})
}

// sharedMemory gives each Open its own closed state over one Memory's
// records, as connectors opened twice on one source have.
type sharedMemory struct {
	*connectortest.Memory
	closed bool
}

func (s *sharedMemory) Close() error { s.closed = true; return nil }
func (s *sharedMemory) Check(ctx context.Context) error {
	if s.closed {
		return aam.ErrClosed
	}
	return s.Memory.Check(ctx)
}
func (s *sharedMemory) Discover(ctx context.Context) ([]aam.ObjectInfo, error) {
	if s.closed {
		return nil, aam.ErrClosed
	}
	return s.Memory.Discover(ctx)
}
func (s *sharedMemory) Read(ctx context.Context, object string, cur aam.Cursor) iter.Seq2[*aam.Batch, error] {
	if s.closed {
		return func(yield func(*aam.Batch, error) bool) { yield(nil, aam.ErrClosed) }
	}
	return s.Memory.Read(ctx, object, cur)
}

func TestMemoryRowErrorsAndUnavailable(t *testing.T) {
	t.Parallel()
	m := newFixture()
	var errs []*aam.RowError
	n := 0
	for b, err := range m.Read(context.Background(), "accounts", "") {
		if err != nil {
			t.Fatal(err)
		}
		n += len(b.Records)
		errs = append(errs, b.Errors...)
	}
	if n != 10 || len(errs) != 1 || errs[0].Line != 11 || errs[0].File != "accounts" {
		t.Fatalf("%d records, row errors %v; want 10 and one at line 11", n, errs)
	}
	m.SetUnavailable(errors.New("gone"))
	for _, err := range m.Read(context.Background(), "accounts", "") {
		if !errors.Is(err, aam.ErrUnavailable) {
			t.Fatalf("Read of an unavailable source = %v", err)
		}
	}
}

// dupOnResume is a broken connector: resuming from a cursor yields the
// last record of the batch before again.
type dupOnResume struct{ aam.Connector }

func (d dupOnResume) Read(ctx context.Context, object string, cur aam.Cursor) iter.Seq2[*aam.Batch, error] {
	inner := d.Connector.Read(ctx, object, cur)
	if cur == "" {
		return inner
	}
	return func(yield func(*aam.Batch, error) bool) {
		first := true
		for b, err := range inner {
			if first && b != nil {
				first = false
				b.Records = append([]aam.Record{{Fields: map[string]any{"id": "dup"}}}, b.Records...)
			}
			if !yield(b, err) {
				return
			}
		}
	}
}

// TestSuiteCatchesDuplicates runs the suite on a broken connector in a
// child process and checks that it fails, naming the problem.
func TestSuiteCatchesDuplicates(t *testing.T) {
	if os.Getenv("CONNECTORTEST_BROKEN") == "1" {
		m := newFixture()
		connectortest.RunAcceptanceTests(t, connectortest.Harness{
			Open:    func(*testing.T) aam.Connector { return dupOnResume{&sharedMemory{Memory: m}} },
			Records: map[string]int{"accounts": 10, "contacts": 5},
		})
		return
	}
	t.Parallel()
	cmd := exec.Command(os.Args[0], "-test.run=^TestSuiteCatchesDuplicates$", "-test.v")
	cmd.Env = append(os.Environ(), "CONNECTORTEST_BROKEN=1")
	out, err := cmd.CombinedOutput()
	if err == nil {
		t.Fatalf("the suite passed a connector that duplicates records on resume:\n%s", out)
	}
	if !bytes.Contains(out, []byte("--- FAIL: TestSuiteCatchesDuplicates/Resume")) || !bytes.Contains(out, []byte("duplicates or gaps")) {
		t.Fatalf("the suite failed, but not in Resume:\n%s", out)
	}
}
