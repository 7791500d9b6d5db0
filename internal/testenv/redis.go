package testenv

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"os"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"
)

const (
	// leaseKeyPrefix names the lease keys in the coordination database:
	// leaseKeyPrefix + "<db index>" holds the token of the holder.
	leaseKeyPrefix = "aos:testenv:redis-db:"
	// leaseTTL is how long a lease outlives a process that died holding it.
	leaseTTL = 60 * time.Second
	// leaseRenew is how often a holder extends its lease.
	leaseRenew = leaseTTL / 3
	// leaseWait bounds the wait for a free database when every one is
	// leased.
	leaseWait = 3 * time.Minute
	// defaultDatabases is Redis's default "databases" setting, used when
	// CONFIG GET is not allowed.
	defaultDatabases = 16
)

// releaseScript and renewScript touch a lease only if this holder still
// holds it, so a holder whose lease expired never frees another's.
var (
	releaseScript = redis.NewScript(`if redis.call("GET", KEYS[1]) == ARGV[1] then return redis.call("DEL", KEYS[1]) end return 0`)
	renewScript   = redis.NewScript(`if redis.call("GET", KEYS[1]) == ARGV[1] then return redis.call("PEXPIRE", KEYS[1], ARGV[2]) end return 0`)
)

// Redis returns a client on a Redis database (a DB index) that no other
// test, in this process or another, uses while the test runs. The
// database is empty at the start and flushed at the end; the client is
// closed at the end. When every database is in use it waits for one (up
// to a few minutes), so call it once per test.
//
// The server is AOS_TEST_REDIS_URL, whose database number is kept for the
// leases (see the package doc), or a redis:7 container. Without a server
// it skips the test, or fails it when AOS_TEST_REQUIRE_SERVICES=1.
func Redis(t testing.TB) *redis.Client {
	t.Helper()
	server := os.Getenv(EnvRedisURL)
	if server == "" {
		u, err := redisContainerURL()
		if err != nil {
			unavailable(t, "Redis", EnvRedisURL, err)
			return nil
		}
		server = u
	}
	ctx, cancel := context.WithTimeout(context.Background(), leaseWait+setupTimeout)
	defer cancel()
	lease, err := acquireDB(ctx, server, t.Name())
	if err != nil {
		t.Fatalf("testenv: %v", err)
		return nil
	}
	client, err := newClient(server, lease.db)
	if err != nil {
		lease.release(ctx)
		t.Fatalf("testenv: %v", err)
		return nil
	}
	t.Cleanup(func() {
		ctx, cancel := setupContext(context.Background())
		defer cancel()
		// Flush with a client of our own: the test may have closed its
		// client already.
		flusher, _ := newClient(server, lease.db) // parsed fine above
		if err := flusher.FlushDB(ctx).Err(); err != nil {
			t.Errorf("testenv: flush Redis database %d: %v", lease.db, err)
		}
		_ = flusher.Close()
		_ = client.Close()
		lease.release(ctx)
	})
	if err := client.FlushDB(ctx).Err(); err != nil { // a holder that died may have left keys
		t.Fatalf("testenv: flush Redis database %d: %v", lease.db, err)
		return nil
	}
	return client
}

// dbLease is a held lease on one database index.
type dbLease struct {
	db    int
	key   string
	token string
	coord *redis.Client
	stop  chan struct{}
	done  sync.WaitGroup
	once  sync.Once // release runs once
}

// newClient returns a client on database db of server (db < 0: the
// server URL's own database). Options are parsed anew for every client:
// go-redis clients must not share an Options value.
func newClient(server string, db int) (*redis.Client, error) {
	opts, err := redis.ParseURL(server)
	if err != nil {
		return nil, fmt.Errorf("parse %s: %w", EnvRedisURL, err)
	}
	if db >= 0 {
		opts.DB = db
	}
	return redis.NewClient(opts), nil
}

// acquireDB leases a database index of server other than the
// coordination one (the URL's), waiting while all are leased.
func acquireDB(ctx context.Context, server, holder string) (*dbLease, error) {
	coord, err := newClient(server, -1)
	if err != nil {
		return nil, err
	}
	coordDB := coord.Options().DB
	n, err := databaseCount(ctx, coord)
	if err != nil {
		_ = coord.Close()
		return nil, err
	}
	if n < 2 {
		_ = coord.Close()
		return nil, fmt.Errorf("Redis has %d database(s); testenv needs at least 2 (one for leases)", n)
	}
	token := holder + "/" + strconv.Itoa(os.Getpid()) + "/" + randomHex(8)
	deadline := time.Now().Add(leaseWait)
	for {
		// Start at a random index so concurrent callers spread out.
		start := rand.IntN(n)
		for i := range n {
			db := (start + i) % n
			if db == coordDB {
				continue
			}
			key := leaseKeyPrefix + strconv.Itoa(db)
			ok, err := coord.SetNX(ctx, key, token, leaseTTL).Result()
			if err != nil {
				_ = coord.Close()
				return nil, fmt.Errorf("lease a Redis database: %w", err)
			}
			if ok {
				l := &dbLease{db: db, key: key, token: token, coord: coord, stop: make(chan struct{})}
				l.done.Add(1)
				go l.renew()
				return l, nil
			}
		}
		if time.Now().After(deadline) {
			_ = coord.Close()
			return nil, fmt.Errorf("all %d Redis test databases stayed leased for %s", n-1, leaseWait)
		}
		select {
		case <-ctx.Done():
			_ = coord.Close()
			return nil, fmt.Errorf("lease a Redis database: %w", ctx.Err())
		case <-time.After(50*time.Millisecond + rand.N(100*time.Millisecond)):
		}
	}
}

// databaseCount returns the server's "databases" setting.
func databaseCount(ctx context.Context, c *redis.Client) (int, error) {
	ctx, cancel := setupContext(ctx)
	defer cancel()
	if err := c.Ping(ctx).Err(); err != nil {
		return 0, fmt.Errorf("ping Redis (%s): %w", EnvRedisURL, err)
	}
	cfg, err := c.ConfigGet(ctx, "databases").Result()
	if err != nil {
		var rerr redis.Error
		if errors.As(err, &rerr) { // CONFIG disabled or not allowed: assume the default
			return defaultDatabases, nil
		}
		return 0, fmt.Errorf("read Redis's databases setting: %w", err)
	}
	n, err := strconv.Atoi(cfg["databases"])
	if err != nil {
		return defaultDatabases, nil
	}
	return n, nil
}

func (l *dbLease) renew() {
	defer l.done.Done()
	tick := time.NewTicker(leaseRenew)
	defer tick.Stop()
	for {
		select {
		case <-l.stop:
			return
		case <-tick.C:
			ctx, cancel := setupContext(context.Background())
			_ = renewScript.Run(ctx, l.coord, []string{l.key}, l.token, leaseTTL.Milliseconds()).Err()
			cancel()
		}
	}
}

func (l *dbLease) release(ctx context.Context) {
	l.once.Do(func() {
		close(l.stop)
		l.done.Wait()
		_ = releaseScript.Run(ctx, l.coord, []string{l.key}, l.token).Err()
		_ = l.coord.Close()
	})
}
