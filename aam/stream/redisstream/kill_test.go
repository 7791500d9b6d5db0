package redisstream

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/autonomos/autonomos/aam/stream"
	"github.com/autonomos/autonomos/canonical"
	"github.com/autonomos/autonomos/internal/testenv"
	"github.com/autonomos/autonomos/tenancy"
)

// Environment of the child consumer that TestKillConsumerProcess starts.
const (
	envChild  = "AOS_STREAM_KILL_CHILD"
	envAddr   = "AOS_STREAM_KILL_ADDR"
	envDB     = "AOS_STREAM_KILL_DB"
	envTenant = "AOS_STREAM_KILL_TENANT"
	envPass   = "AOS_STREAM_KILL_PASSWORD"
)

// TestKillConsumerProcess runs a consumer in a child process, lets it
// receive a batch, and kills it with SIGKILL in the middle of handling
// it: no acknowledgement, no clean close, its connection dropped by the
// kernel. A consumer in this process must then get every event at least
// once, the poison event must end in the dead letters, and its replay
// must come through.
func TestKillConsumerProcess(t *testing.T) {
	if os.Getenv(envChild) == "1" {
		childConsumer()
		return
	}
	if testing.Short() {
		t.Skip("starts a process")
	}
	c := testenv.Redis(t)
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	tn := tenancy.New()
	events := evs(tn, 200)
	events[120].Data["poison"] = true
	pub, err := NewPublisher(c, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer pub.Close()
	if err := pub.Publish(ctx, events...); err != nil {
		t.Fatal(err)
	}

	opts := c.Options()
	if opts.TLSConfig != nil || opts.Username != "" || opts.Network == "unix" {
		t.Skip("the child consumer dials plain TCP with a password only")
	}
	cmd := exec.CommandContext(ctx, os.Args[0], "-test.run=^TestKillConsumerProcess$", "-test.v")
	cmd.Env = append(os.Environ(), envChild+"=1", envAddr+"="+opts.Addr, envDB+"="+strconv.Itoa(opts.DB), envTenant+"="+tn.String(), envPass+"="+opts.Password)
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	// Wait until the child is inside its handler with a batch.
	sc := bufio.NewScanner(out)
	got := -1
	for sc.Scan() {
		if n, ok := strings.CutPrefix(sc.Text(), "handling "); ok {
			got, _ = strconv.Atoi(n)
			break
		}
	}
	if got != 50 {
		_ = cmd.Process.Kill()
		t.Fatalf("child did not report a batch of 50 (got %d)", got)
	}
	if err := cmd.Process.Kill(); err != nil {
		t.Fatal(err)
	}
	_ = cmd.Wait()

	key := keys{DefaultKeyPrefix}.stream(tn)
	pending, err := c.XPending(ctx, key, "sink").Result()
	if err != nil || pending.Count != 50 || pending.Consumers["child"] != 50 {
		t.Fatalf("after the kill: pending %+v, %v; want 50 held by the dead child", pending, err)
	}

	var mu sync.Mutex
	handled := map[string]int{}
	fixed := false
	sub, err := NewSubscriber(ctx, c, tn, "sink", &SubscriberConfig{
		Consumer: "heir", MinIdle: 200 * time.Millisecond, Block: 50 * time.Millisecond,
		Stream: stream.SubscriberConfig{BatchSize: 50, MaxDeliveries: 2, Logger: slog.New(slog.DiscardHandler)},
	})
	if err != nil {
		t.Fatal(err)
	}
	defer sub.Close()
	go sub.Run(ctx, stream.Each(func(ctx context.Context, e canonical.Event) error {
		mu.Lock()
		defer mu.Unlock()
		if e.Data["poison"] == true && !fixed {
			return errors.New("poison")
		}
		handled[e.ID]++
		return nil
	}))
	dl, _ := NewDeadLetters(c, tn, "sink", nil)
	deadline := time.Now().Add(30 * time.Second)
	var letters []stream.DeadLetter
	for {
		letters, _ = dl.List(ctx, "", 10)
		mu.Lock()
		n := len(handled)
		mu.Unlock()
		if n == 199 && len(letters) == 1 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("handled %d of 199 good events, %d dead letters", n, len(letters))
		}
		time.Sleep(20 * time.Millisecond)
	}
	if l := letters[0]; l.Event.ID != "e120" || l.Deliveries != 2 || l.Reason != "poison" {
		t.Errorf("dead letter: %q after %d deliveries: %q; want e120 after 2 (the dead child's and one failure)", l.Event.ID, l.Deliveries, l.Reason)
	}
	mu.Lock()
	fixed = true
	mu.Unlock()
	if _, err := dl.Replay(ctx, letters[0].ID); err != nil {
		t.Fatal(err)
	}
	for {
		mu.Lock()
		n := handled["e120"]
		mu.Unlock()
		if n == 1 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("the replayed event was not handled")
		}
		time.Sleep(20 * time.Millisecond)
	}
	mu.Lock()
	defer mu.Unlock()
	for _, e := range events {
		if handled[e.ID] == 0 {
			t.Errorf("event %s was never handled", e.ID)
		}
	}
}

// childConsumer is the process that gets killed: it takes a batch as
// consumer "child", says so, and hangs in its handler.
func childConsumer() {
	db, _ := strconv.Atoi(os.Getenv(envDB))
	c := redis.NewClient(&redis.Options{Addr: os.Getenv(envAddr), DB: db, Password: os.Getenv(envPass)})
	tn := tenancy.MustParse(os.Getenv(envTenant))
	ctx := context.Background()
	sub, err := NewSubscriber(ctx, c, tn, "sink", &SubscriberConfig{
		Consumer: "child", Stream: stream.SubscriberConfig{BatchSize: 50},
	})
	if err != nil {
		fmt.Println("error", err)
		os.Exit(1)
	}
	_ = sub.Run(ctx, func(ctx context.Context, evs []canonical.Event) error {
		fmt.Printf("handling %d\n", len(evs))
		time.Sleep(time.Hour) // killed here
		return nil
	})
}
