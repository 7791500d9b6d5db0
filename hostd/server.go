package main

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"path/filepath"
	"strings"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/redis/go-redis/v9"

	meshpg "github.com/autonomos/autonomos/aam/mesh/pgstore"
	authpg "github.com/autonomos/autonomos/authn/pgstore"
	dclpg "github.com/autonomos/autonomos/dcl/pgstore"
	"github.com/autonomos/autonomos/graphstore"
	"github.com/autonomos/autonomos/graphstore/fallback"
	graphredis "github.com/autonomos/autonomos/graphstore/redisstore"
	"github.com/autonomos/autonomos/nlp/pgvectorkb"
	repairpg "github.com/autonomos/autonomos/repair/pgstore"
	"github.com/autonomos/autonomos/tenancy/pgtenant"
)

// serverPart is what server mode adds to the app: the shared PostgreSQL
// and Redis. Both are nil in the embedded default; every area that has a
// server-mode backend checks them.
type serverPart struct {
	pg  *pgxpool.Pool
	rdb redis.UniversalClient
	// graphFallback serves the graphs from memory while Redis is down.
	graphFallback *fallback.Driver
}

// serverMode reports whether hostd runs in server mode.
func (a *app) serverMode() bool { return a.pg != nil }

// connectTimeout bounds the first ping of PostgreSQL and Redis at start
// and each ping of /readyz.
const connectTimeout = 5 * time.Second

// minPoolConns is the smallest pool hostd opens on PostgreSQL unless the
// URL says pool_max_conns: River holds one connection for LISTEN and
// fetches and maintains on others, and requests and jobs need theirs.
const minPoolConns = 20

// minRedisPool is the smallest Redis connection pool unless the URL says
// pool_size: every running stream subscriber holds a connection while it
// waits in XREADGROUP.
const minRedisPool = 64

// openServer connects to PostgreSQL and Redis in server mode, brings the
// schemas up to date and checks that row-level security binds the
// application's role; in the embedded default it does nothing.
func (a *app) openServer(ctx context.Context) error {
	if a.cfg.DatabaseURL == "" {
		if a.cfg.RedisURL != "" {
			a.log.Warn("REDIS_URL is set but only server mode (DATABASE_URL or SUPABASE_DATABASE_URL) uses Redis; ignoring it")
		}
		return nil
	}
	if a.cfg.JWTSecret == "" {
		// A key generated per data directory would differ per replica:
		// a token issued by one would be refused by the others.
		return errors.New("server mode needs JWT_SECRET (at least 32 bytes), the same on every replica, so that a token issued by one is accepted by all")
	}
	if a.cfg.RedisURL == "" {
		return errors.New("server mode (DATABASE_URL or SUPABASE_DATABASE_URL is set) needs REDIS_URL too: set it to the shared Redis (rediss:// for TLS), or unset the database URL to run the embedded default")
	}
	pool, err := openPool(ctx, "DATABASE_URL", a.cfg.DatabaseURL)
	if err != nil {
		return err
	}
	a.pg = pool
	rdb, err := openRedis(ctx, a.cfg.RedisURL)
	if err != nil {
		return err
	}
	a.rdb = rdb
	if err := a.migrate(ctx); err != nil {
		return err
	}
	if err := pgtenant.CheckRole(ctx, a.pg); err != nil {
		if a.cfg.MigrationDatabaseURL != "" {
			return fmt.Errorf("DATABASE_URL: %w; connect as an application role that is neither superuser, nor BYPASSRLS, nor the tables' owner (HOSTD_MIGRATION_DATABASE_URL is the owner)", err)
		}
		a.log.Warn("row-level security does not bind the role of DATABASE_URL (it owns the tables or bypasses RLS); tenants stay apart by the stores' own tenant filters only. Set HOSTD_MIGRATION_DATABASE_URL to the tables' owner and DATABASE_URL to an application role", "err", err)
	}
	a.log.Info("server mode: PostgreSQL and Redis connected")
	return nil
}

// migrate brings every schema hostd uses up to date (accounts, mappings
// and reviews, connections, knowledge base, job queue), as the role of
// HOSTD_MIGRATION_DATABASE_URL when set. Replicas starting at once are
// serialized by a session advisory lock held on one connection.
func (a *app) migrate(ctx context.Context) error {
	owner := a.pg
	if a.cfg.MigrationDatabaseURL != "" {
		p, err := openPool(ctx, "HOSTD_MIGRATION_DATABASE_URL", a.cfg.MigrationDatabaseURL)
		if err != nil {
			return err
		}
		defer p.Close()
		owner = p
	}
	conn, err := owner.Acquire(ctx)
	if err != nil {
		return fmt.Errorf("migrations: %w", err)
	}
	defer conn.Release()
	// The key is arbitrary but fixed: "hostd migrations" for every replica.
	const lockKey = 0x686f737464 // "hostd"
	if _, err := conn.Exec(ctx, "select pg_advisory_lock($1)", int64(lockKey)); err != nil {
		return fmt.Errorf("migrations: take the lock: %w", err)
	}
	defer func() {
		_, _ = conn.Exec(context.WithoutCancel(ctx), "select pg_advisory_unlock($1)", int64(lockKey))
	}()
	quiet := a.log.With("component", "migrate")
	steps := []struct {
		name string
		run  func() error
	}{
		{"accounts (authn)", func() error { return authpg.Migrate(ctx, owner, &authpg.MigrateConfig{Logger: quiet}) }},
		{"mappings and reviews (repair)", func() error { return repairpg.Migrate(ctx, owner) }},
		{"connections (mesh)", func() error { return meshpg.Migrate(ctx, owner) }},
		{"knowledge base (pgvector)", func() error { return pgvectorkb.Migrate(ctx, owner, quiet) }},
		{"job queue (River)", func() error { return migrateRiver(ctx, owner, quiet) }},
	}
	if a.cfg.Warehouse == "postgres" {
		var appRole string
		if err := a.pg.QueryRow(ctx, "select current_user").Scan(&appRole); err != nil {
			return fmt.Errorf("migrations: application role: %w", err)
		}
		steps = append(steps, struct {
			name string
			run  func() error
		}{"warehouse (DCL)", func() error {
			return dclpg.Migrate(ctx, owner, &dclpg.MigrateConfig{Ontology: a.ontology, AppRole: appRole, Logger: quiet})
		}})
	}
	for _, s := range steps {
		if err := s.run(); err != nil {
			return fmt.Errorf("migrate the %s schema: %w", s.name, err)
		}
	}
	return nil
}

// openPool opens and pings a pool on rawURL, named setting in errors.
// Errors never carry the URL's password.
func openPool(ctx context.Context, setting, rawURL string) (*pgxpool.Pool, error) {
	pcfg, err := pgxpool.ParseConfig(rawURL)
	if err != nil {
		return nil, fmt.Errorf("%s is not a valid PostgreSQL URL: %s", setting, redact(err.Error(), rawURL))
	}
	if !strings.Contains(rawURL, "pool_max_conns") && pcfg.MaxConns < minPoolConns {
		pcfg.MaxConns = minPoolConns
	}
	pool, err := pgxpool.NewWithConfig(ctx, pcfg)
	if err != nil {
		return nil, fmt.Errorf("%s: open pool: %s", setting, redact(err.Error(), rawURL))
	}
	pctx, cancel := context.WithTimeout(ctx, connectTimeout)
	defer cancel()
	if err := pool.Ping(pctx); err != nil {
		pool.Close()
		return nil, fmt.Errorf("%s: PostgreSQL at %s does not answer: %s", setting, hostOf(rawURL), redact(err.Error(), rawURL))
	}
	return pool, nil
}

// openRedis opens and pings the Redis of rawURL. rediss:// verifies the
// server's certificate; a URL asking to skip that is refused.
func openRedis(ctx context.Context, rawURL string) (redis.UniversalClient, error) {
	opts, err := redis.ParseURL(rawURL)
	if err != nil {
		return nil, fmt.Errorf("REDIS_URL is not a valid redis:// or rediss:// URL: %s", redact(err.Error(), rawURL))
	}
	if opts.TLSConfig != nil && opts.TLSConfig.InsecureSkipVerify {
		return nil, errors.New("REDIS_URL asks to skip TLS certificate verification (skip_verify); hostd always verifies: remove the parameter and give the server a certificate the system trusts")
	}
	if !strings.Contains(rawURL, "pool_size") && opts.PoolSize < minRedisPool {
		opts.PoolSize = minRedisPool
	}
	rdb := redis.NewClient(opts)
	pctx, cancel := context.WithTimeout(ctx, connectTimeout)
	defer cancel()
	if err := rdb.Ping(pctx).Err(); err != nil {
		_ = rdb.Close()
		return nil, fmt.Errorf("REDIS_URL: Redis at %s does not answer: %s", hostOf(rawURL), redact(err.Error(), rawURL))
	}
	return rdb, nil
}

// pingServer checks that PostgreSQL and Redis answer. The error names the
// one that does not, without addresses (readyz answers anyone); the
// details go to the log.
func (a *app) pingServer(ctx context.Context) error {
	ctx, cancel := context.WithTimeout(ctx, connectTimeout)
	defer cancel()
	var down []string
	if err := a.pg.Ping(ctx); err != nil {
		a.log.Warn("readiness: PostgreSQL does not answer", "err", redact(err.Error(), a.cfg.DatabaseURL))
		down = append(down, "PostgreSQL")
	}
	if err := a.rdb.Ping(ctx).Err(); err != nil {
		a.log.Warn("readiness: Redis does not answer", "err", redact(err.Error(), a.cfg.RedisURL))
		down = append(down, "Redis")
	}
	if len(down) > 0 {
		return fmt.Errorf("%s not reachable", strings.Join(down, " and "))
	}
	return nil
}

// readyServer is /readyz in server mode: 200 when PostgreSQL and Redis
// both answer, 503 naming the one that does not.
func (a *app) readyServer(w http.ResponseWriter, r *http.Request) error {
	if err := a.pingServer(r.Context()); err != nil {
		return &httpError{Status: http.StatusServiceUnavailable, Detail: err.Error()}
	}
	return writeJSON(w, http.StatusOK, map[string]string{"status": "ready", "mode": "server"})
}

// hostOf returns the host:port of a URL, or "(unparsable URL)"; never the
// user or password.
func hostOf(rawURL string) string {
	u, err := url.Parse(rawURL)
	if err != nil || u.Host == "" {
		return "(the configured address)"
	}
	return u.Host
}

// redact removes the password of rawURL, and rawURL itself, from msg:
// driver errors sometimes quote what they were given.
func redact(msg, rawURL string) string {
	if rawURL != "" {
		msg = strings.ReplaceAll(msg, rawURL, "(URL)")
	}
	// A key=value connection string ("host=db password=...") has no URL
	// form: blank every password= value.
	if i := strings.Index(rawURL, "password="); i >= 0 && !strings.Contains(rawURL, "://") {
		v := rawURL[i+len("password="):]
		if j := strings.IndexAny(v, " \t"); j >= 0 {
			v = v[:j]
		}
		if v = strings.Trim(v, "'"); v != "" {
			msg = strings.ReplaceAll(msg, v, "xxxxx")
		}
	}
	if u, err := url.Parse(rawURL); err == nil && u.User != nil {
		if pw, ok := u.User.Password(); ok && pw != "" {
			msg = strings.ReplaceAll(msg, pw, "xxxxx")
			if esc := url.QueryEscape(pw); esc != pw {
				msg = strings.ReplaceAll(msg, esc, "xxxxx")
			}
		}
	}
	return msg
}

// openGraphDriver returns where the graphs live: files under the data
// directory in the embedded default; in server mode Redis (at
// dcl:graph_state:{tenant}) behind the fallback driver, which keeps
// answering from memory while Redis is down and writes back when it
// returns.
func (a *app) openGraphDriver() (graphstore.Driver, error) {
	if !a.serverMode() {
		return openFileGraphDriver(filepath.Join(a.cfg.DataDir, "graphs"))
	}
	rd, err := graphredis.New(a.rdb, nil)
	if err != nil {
		return nil, fmt.Errorf("graph store (Redis): %w", err)
	}
	fb, err := fallback.New(rd, &fallback.Config{Logger: a.log.With("component", "graphs")})
	if err != nil {
		_ = rd.Close()
		return nil, fmt.Errorf("graph store (fallback): %w", err)
	}
	a.graphFallback = fb
	return fb, nil
}

// syncGraphFallback writes graphs saved during a Redis outage back before
// the store closes, if Redis answers by then.
func (a *app) syncGraphFallback() {
	if a.graphFallback == nil || a.graphFallback.Pending() == 0 {
		return
	}
	ctx, cancel := context.WithTimeout(context.Background(), connectTimeout)
	defer cancel()
	if err := a.graphFallback.Sync(ctx); err != nil {
		a.log.Warn("graphs saved while Redis was down are lost: Redis still does not answer", "tenants", a.graphFallback.Pending(), "err", err)
	}
}

// closeServer closes the connections of server mode.
func (a *app) closeServer() {
	if a.pg != nil {
		a.pg.Close()
	}
	if a.rdb != nil {
		_ = a.rdb.Close()
	}
}
