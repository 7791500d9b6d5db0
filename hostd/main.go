// Command hostd is the reference multi-tenant server of AutonomOS.
//
// With no settings it runs the embedded default on 127.0.0.1:5000, with
// no service to install:
//
//   - State under the data directory (-data-dir, HOSTD_DATA_DIR; default
//     $XDG_DATA_HOME/autonomos or ./data): accounts (accounts.json), the
//     JWT key (jwt.key, generated once unless JWT_SECRET is set), mappings
//     and the review queue (repair.json), graphs (graphs/<tenant>.json),
//     connections with their cursors and dead records (connections.json,
//     mode 0600: configurations hold secrets), file sources
//     (sources/<tenant>). Jobs, the event stream and knowledge documents
//     are kept in memory and start over on a restart.
//   - A demo tenant and user made on first start; the password is printed
//     once on standard output, never logged.
//   - /api/v1 behind bearer tokens (authn), or authn's development bypass
//     with DCL_AUTH_ENABLED=false, allowed only on a loopback listener.
//   - Per-tenant rate limits (429 with Retry-After), per-address limits on
//     register and login, bounded bodies (413), a time limit per handler
//     (503), RFC 9457 problem details with request ids, one structured
//     log line per request, Prometheus metrics at /metrics, /healthz and
//     /readyz, graceful shutdown that lets requests and jobs finish.
//   - Routes over the SDK: ontology; graph (get, save with optimistic
//     versions); persona routing, questions and knowledge documents (nlp);
//     connections of every connector kind behind an egress guard
//     (aam/egress, HOSTD_EGRESS_ALLOW) and syncs as jobs (aam/mesh), with
//     their dead records; mappings, their history and approval; the
//     review queue (repair); DCL runs, views, read-only queries and the
//     stream consumer's dead letters (dcl); live events (SSE, WebSocket);
//     flags.
//   - One route table builds the mux, /openapi.json (OpenAPI 3.1, schemas
//     reflected from the Go types) and the /docs page.
//
// # Server mode
//
// With DATABASE_URL (or SUPABASE_DATABASE_URL, which wins) and REDIS_URL,
// hostd runs in server mode and several replicas share the two services:
//
//   - PostgreSQL holds accounts (authn/pgstore), mappings and the review
//     queue (repair/pgstore), connections with their cursors and dead
//     records (aam/mesh/pgstore), the knowledge base (nlp/pgvectorkb) and
//     the job queue (River): every tenant table under row-level security
//     (tenancy/pgtenant). The schemas are migrated at start, replicas one
//     after the other, as HOSTD_MIGRATION_DATABASE_URL (the tables' owner)
//     when set; DATABASE_URL should then be a role row-level security
//     binds, which is checked.
//   - Redis holds the canonical event streams (aam/stream/redisstream,
//     consumer groups shared by the replicas), the graphs
//     (dcl:graph_state:{tenant}, served from memory by the fallback driver
//     while Redis is down and written back when it returns) and the drift
//     schemas. rediss:// verifies the server's certificate.
//   - Jobs (syncs, heals, DCL runs) run on River: any replica's worker
//     takes them, a failed attempt is retried with backoff, a job whose
//     replica died is run again after HOSTD_JOB_RESCUE_AFTER, and
//     /api/v1/jobs/{id} reads the status from River's table.
//   - JWT_SECRET is required (the same on every replica); /readyz pings
//     PostgreSQL and Redis.
//
// `hostd -h` lists every setting.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"os/signal"
	"syscall"
	"time"
)

func main() {
	cfg, err := parseConfig(os.Args[1:], getenvOS, os.Stderr)
	if errors.Is(err, flag.ErrHelp) {
		os.Exit(0)
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "hostd:", err)
		os.Exit(2)
	}
	log := newLogger(os.Stderr, cfg.LogLevel)
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := run(ctx, cfg, log, os.Stdout, nil); err != nil {
		log.Error("hostd stopped", "err", err)
		stop()
		os.Exit(1)
	}
}

func newLogger(w io.Writer, level string) *slog.Logger {
	var l slog.Level
	_ = l.UnmarshalText([]byte(level))
	return slog.New(slog.NewTextHandler(w, &slog.HandlerOptions{Level: l}))
}

// run serves until ctx is done, then shuts down gracefully: it stops
// accepting, lets in-flight requests finish within cfg.ShutdownTimeout and
// closes the stores. When ready is not nil it receives the listen address
// once the server accepts connections.
func run(ctx context.Context, cfg Config, log *slog.Logger, out io.Writer, ready chan<- string) error {
	a, err := newApp(ctx, cfg, log)
	if err != nil {
		if ctx.Err() != nil && errors.Is(err, ctx.Err()) {
			log.Info("hostd stopped during start")
			return nil
		}
		return err
	}
	defer a.close()
	ln, err := net.Listen("tcp", cfg.Addr)
	if err != nil {
		return fmt.Errorf("listen on %s: %w", cfg.Addr, err)
	}
	srv := &http.Server{
		Handler:           a.handler,
		ReadHeaderTimeout: 5 * time.Second,
		ReadTimeout:       30 * time.Second,
		// Longer than every route's own limit, so that a handler that
		// times out can still write its problem response.
		WriteTimeout:   a.maxTimeout() + 15*time.Second,
		IdleTimeout:    2 * time.Minute,
		MaxHeaderBytes: 64 << 10,
		ErrorLog:       slog.NewLogLogger(log.Handler(), slog.LevelWarn),
		BaseContext:    func(net.Listener) context.Context { return context.WithoutCancel(ctx) },
	}
	srv.RegisterOnShutdown(a.stopStreams) // live-event streams end, so shutdown does not wait for them
	errc := make(chan error, 1)
	go func() { errc <- srv.Serve(ln) }()
	url := "http://" + ln.Addr().String()
	mode := "embedded"
	if a.serverMode() {
		mode = "server"
	}
	log.Info("hostd listening", "url", url, "mode", mode, "data_dir", cfg.DataDir, "auth", cfg.AuthEnabled)
	a.printLogin(out, url)
	if ready != nil {
		ready <- ln.Addr().String()
	}
	select {
	case err := <-errc:
		return err
	case <-ctx.Done():
	}
	log.Info("hostd shutting down", "grace", cfg.ShutdownTimeout)
	shutdown, cancel := context.WithTimeout(context.Background(), cfg.ShutdownTimeout)
	defer cancel()
	if err := srv.Shutdown(shutdown); err != nil && !errors.Is(err, http.ErrServerClosed) {
		return fmt.Errorf("shutdown: %w", err)
	}
	a.jobs.Shutdown(shutdown)
	log.Info("hostd stopped cleanly")
	return nil
}
