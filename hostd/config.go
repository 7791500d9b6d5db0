package main

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"net/url"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/autonomos/autonomos/aam/egress"
)

// Config is everything hostd can be told. Every field comes from an
// environment variable or a flag (flags win over the environment); secrets
// come only from the environment, since flags show in process listings.
// `hostd -h` lists them all.
type Config struct {
	// Addr is the listen address. Defaults to 127.0.0.1:5000.
	Addr string
	// DataDir holds the embedded mode's state (accounts, JWT key,
	// mappings). Defaults to $XDG_DATA_HOME/autonomos when XDG_DATA_HOME
	// is set, else ./data.
	DataDir string
	// DatabaseURL selects server mode. SUPABASE_DATABASE_URL wins over
	// DATABASE_URL. Defaults to "" (embedded mode).
	DatabaseURL string
	// RedisURL is the Redis of server mode, required with DatabaseURL;
	// rediss:// verifies the server's certificate. It is read only from
	// the environment (it may carry a password). Defaults to "".
	RedisURL string
	// MigrationDatabaseURL is the PostgreSQL URL of the role that owns
	// the tables, used only to run the migrations at start; DatabaseURL
	// is then an application role that row-level security binds (checked
	// at start). That role needs SELECT, INSERT, UPDATE and DELETE on the
	// owner's tables in schema public and USAGE on its sequences (ALTER
	// DEFAULT PRIVILEGES before the first start); the warehouse's grants
	// are made by its migration. Defaults to "" (migrations run as
	// DatabaseURL's role).
	MigrationDatabaseURL string
	// JobWorkers is how many jobs one replica runs at once in server
	// mode. Defaults to 4.
	JobWorkers int
	// JobMaxAttempts is how many times a job is tried in server mode
	// before it is marked failed. Defaults to 5.
	JobMaxAttempts int
	// JobTimeout bounds one attempt of a job in server mode; an attempt
	// cut short is retried, and a sync goes on from its saved cursors.
	// Defaults to 1m.
	JobTimeout time.Duration
	// JobRescueAfter is how long a job may stay running before it is
	// considered stuck (its replica died) and is run again; at least
	// JobTimeout. Defaults to 2m.
	JobRescueAfter time.Duration
	// JobRetryBackoff is the wait before a failed job's second attempt,
	// doubling for each attempt after (at most 1h). Defaults to 0:
	// River's policy (attempt^4 seconds, with jitter).
	JobRetryBackoff time.Duration
	// AuthEnabled is DCL_AUTH_ENABLED; false maps onto authn's development
	// bypass, allowed only on a loopback listener. Defaults to true.
	AuthEnabled bool
	// JWTSecret signs tokens (HS256, at least 32 bytes). Defaults to a
	// random key generated once and kept in DataDir/jwt.key.
	JWTSecret string
	// OpenAIAPIKey enables the LLM features. Defaults to "" (none).
	OpenAIAPIKey string
	// OpenAIBaseURL is the OpenAI-compatible endpoint. Defaults to
	// https://api.openai.com/v1.
	OpenAIBaseURL string
	// OpenAIModel is the chat model. Defaults to gpt-4o-mini.
	OpenAIModel string
	// SlackWebhookURL receives review-queue notifications. Defaults to ""
	// (none).
	SlackWebhookURL string
	// UseAAMAsSource is USE_AAM_AS_SOURCE: the DCL reads the mesh's feed
	// instead of the sources. Defaults to false.
	UseAAMAsSource bool
	// MaxBodyBytes bounds request bodies. Defaults to 1 MiB.
	MaxBodyBytes int64
	// HandlerTimeout bounds each API handler. Defaults to 15s.
	HandlerTimeout time.Duration
	// RateLimit is the per-tenant request rate (requests per second) on
	// /api/v1. Defaults to 50.
	RateLimit float64
	// RateBurst is the per-tenant burst. Defaults to 100.
	RateBurst int
	// AuthRateLimit is the per-client-address rate (requests per second)
	// of register and login, which hash passwords. Defaults to 1.
	AuthRateLimit float64
	// AuthRateBurst is its burst. Defaults to 10.
	AuthRateBurst int
	// ShutdownTimeout bounds the graceful shutdown. Defaults to 20s.
	ShutdownTimeout time.Duration
	// LogLevel is debug, info, warn or error. Defaults to info.
	LogLevel string
	// Warehouse is the DCL's warehouse driver: "duckdb" (a file under
	// DataDir; one replica) or "postgres" (DatabaseURL, shared by
	// replicas; server mode only). Defaults to duckdb.
	Warehouse string
	// AllowedOrigins are the origins, besides the server's own, whose
	// pages may open the WebSocket. Defaults to none.
	AllowedOrigins []string
	// MaxStreamsPerUser bounds one user's open live-event streams (SSE
	// and WebSocket). Defaults to 5.
	MaxStreamsPerUser int
	// OnboardDemo onboards, syncs and materializes the sample sources of
	// examples/data for the demo tenant on first start. Defaults to true.
	OnboardDemo bool
	// Egress says which internal addresses tenants' connectors may dial
	// (HOSTD_EGRESS_ALLOW: comma-separated "loopback", "private",
	// "none", CIDR prefixes, addresses and host names). Public addresses
	// always may; link-local and cloud metadata addresses only when a
	// prefix names them. Defaults to "loopback,private" in embedded mode
	// (a developer's machine, whose local databases are the point) and
	// to "none" in server mode.
	Egress egress.Policy
}

// egressHint ends every refusal of the egress guard.
const egressHint = "the operator can allow it with HOSTD_EGRESS_ALLOW"

// setting is one line of the settings table that both parsing and `-h`
// use, so the help cannot drift from what is read.
type setting struct {
	flag   string // "" for secrets: environment only
	env    []string
	def    string
	help   string
	secret bool
	dst    *string
}

func defaultDataDir(getenv func(string) string) string {
	if x := getenv("XDG_DATA_HOME"); x != "" {
		return filepath.Join(x, "autonomos")
	}
	return "./data"
}

type rawConfig struct {
	addr, dataDir, dbURL, supaURL, redisURL, authEnabled, jwtSecret string
	openaiKey, openaiBase, openaiModel, slack, useAAM               string
	maxBody, handlerTimeout, rateLimit, rateBurst, shutdown, level  string
	authRate, authBurst                                             string
	warehouse, origins, streamsPerUser, onboardDemo                 string
	migrationURL, jobWorkers, jobAttempts, jobTimeout, jobRescue    string
	jobBackoff, egressAllow                                         string
}

func settingsTable(raw *rawConfig, getenv func(string) string) []setting {
	return []setting{
		{flag: "addr", env: []string{"HOSTD_ADDR"}, def: "127.0.0.1:5000", help: "listen address (host:port)", dst: &raw.addr},
		{flag: "data-dir", env: []string{"HOSTD_DATA_DIR"}, def: defaultDataDir(getenv), help: "directory of the embedded mode's state (default $XDG_DATA_HOME/autonomos or ./data)", dst: &raw.dataDir},
		{env: []string{"SUPABASE_DATABASE_URL"}, help: "PostgreSQL URL: selects server mode; wins over DATABASE_URL", secret: true, dst: &raw.supaURL},
		{env: []string{"DATABASE_URL"}, help: "PostgreSQL URL: selects server mode (accounts, connections, mappings, reviews, knowledge, job queue; replicas share it)", secret: true, dst: &raw.dbURL},
		{env: []string{"REDIS_URL"}, help: "Redis URL, required in server mode (events, graphs, drift schemas); rediss:// verifies certificates", secret: true, dst: &raw.redisURL},
		{env: []string{"HOSTD_MIGRATION_DATABASE_URL"}, help: "PostgreSQL URL of the tables' owner, for migrations at start; DATABASE_URL is then a role row-level security binds (default: DATABASE_URL)", secret: true, dst: &raw.migrationURL},
		{flag: "job-workers", env: []string{"HOSTD_JOB_WORKERS"}, def: "4", help: "server mode: jobs one replica runs at once", dst: &raw.jobWorkers},
		{flag: "job-max-attempts", env: []string{"HOSTD_JOB_MAX_ATTEMPTS"}, def: "5", help: "server mode: attempts of a job before it is failed", dst: &raw.jobAttempts},
		{flag: "job-timeout", env: []string{"HOSTD_JOB_TIMEOUT"}, def: "1m", help: "server mode: time limit of one job attempt (a sync goes on from its cursors on the next)", dst: &raw.jobTimeout},
		{flag: "job-rescue-after", env: []string{"HOSTD_JOB_RESCUE_AFTER"}, def: "2m", help: "server mode: a job running this long is taken as stuck (its replica died) and run again; >= job-timeout", dst: &raw.jobRescue},
		{flag: "job-retry-backoff", env: []string{"HOSTD_JOB_RETRY_BACKOFF"}, def: "0s", help: "server mode: wait before a failed job's second attempt, doubling after; 0s = River's policy (attempt^4 s)", dst: &raw.jobBackoff},
		{flag: "auth-enabled", env: []string{"DCL_AUTH_ENABLED"}, def: "true", help: "require bearer tokens on /api/v1; false = development bypass, loopback only", dst: &raw.authEnabled},
		{env: []string{"JWT_SECRET"}, help: "HS256 token secret, at least 32 bytes (default: generated once, kept in <data-dir>/jwt.key)", secret: true, dst: &raw.jwtSecret},
		{env: []string{"OPENAI_API_KEY"}, help: "API key of the OpenAI-compatible LLM endpoint (default: no LLM)", secret: true, dst: &raw.openaiKey},
		{flag: "openai-base-url", env: []string{"OPENAI_BASE_URL"}, def: "https://api.openai.com/v1", help: "OpenAI-compatible endpoint", dst: &raw.openaiBase},
		{flag: "openai-model", env: []string{"OPENAI_MODEL"}, def: "gpt-4o-mini", help: "chat model", dst: &raw.openaiModel},
		{env: []string{"SLACK_WEBHOOK_URL"}, help: "Slack incoming webhook for review notifications (default: none)", secret: true, dst: &raw.slack},
		{flag: "use-aam-as-source", env: []string{"USE_AAM_AS_SOURCE"}, def: "false", help: "default of the per-tenant flag: the DCL reads the AAM mesh feed (Redis Streams in server mode) instead of the sources", dst: &raw.useAAM},
		{flag: "max-body-bytes", env: []string{"HOSTD_MAX_BODY_BYTES"}, def: "1048576", help: "largest accepted request body", dst: &raw.maxBody},
		{flag: "handler-timeout", env: []string{"HOSTD_HANDLER_TIMEOUT"}, def: "15s", help: "time limit of one API request", dst: &raw.handlerTimeout},
		{flag: "rate-limit", env: []string{"HOSTD_RATE_LIMIT"}, def: "50", help: "per-tenant requests per second on /api/v1", dst: &raw.rateLimit},
		{flag: "rate-burst", env: []string{"HOSTD_RATE_BURST"}, def: "100", help: "per-tenant burst on /api/v1", dst: &raw.rateBurst},
		{flag: "auth-rate-limit", env: []string{"HOSTD_AUTH_RATE_LIMIT"}, def: "1", help: "per-client-address requests per second on register and login", dst: &raw.authRate},
		{flag: "auth-rate-burst", env: []string{"HOSTD_AUTH_RATE_BURST"}, def: "10", help: "per-client-address burst on register and login", dst: &raw.authBurst},
		{flag: "shutdown-timeout", env: []string{"HOSTD_SHUTDOWN_TIMEOUT"}, def: "20s", help: "how long shutdown waits for in-flight requests", dst: &raw.shutdown},
		{flag: "log-level", env: []string{"HOSTD_LOG_LEVEL"}, def: "info", help: "debug, info, warn or error", dst: &raw.level},
		{flag: "warehouse", env: []string{"HOSTD_WAREHOUSE"}, def: "duckdb", help: "DCL warehouse: duckdb (one replica) or postgres (server mode, shared by replicas)", dst: &raw.warehouse},
		{flag: "allowed-origins", env: []string{"HOSTD_ALLOWED_ORIGINS"}, help: "comma-separated origins, besides the server's own, allowed to open the WebSocket", dst: &raw.origins},
		{flag: "max-streams-per-user", env: []string{"HOSTD_MAX_STREAMS_PER_USER"}, def: "5", help: "open live-event streams (SSE and WebSocket) per user", dst: &raw.streamsPerUser},
		{flag: "egress-allow", env: []string{"HOSTD_EGRESS_ALLOW"}, help: "internal addresses connectors may dial: comma-separated loopback, private, none, CIDRs, addresses, host names (default: loopback,private embedded; none in server mode; link-local/metadata only by CIDR)", dst: &raw.egressAllow},
		{flag: "onboard-demo", env: []string{"HOSTD_ONBOARD_DEMO"}, def: "true", help: "onboard, sync and materialize the sample sources for the demo tenant on first start", dst: &raw.onboardDemo},
	}
}

// errHelp is returned by parseConfig after -h printed the usage.
var errHelp = flag.ErrHelp

// parseConfig reads the settings from args (without the program name) and
// the environment through getenv. Usage and errors go to out.
func parseConfig(args []string, getenv func(string) string, out io.Writer) (Config, error) {
	var raw rawConfig
	table := settingsTable(&raw, getenv)
	fs := flag.NewFlagSet("hostd", flag.ContinueOnError)
	fs.SetOutput(out)
	for i := range table {
		s := &table[i]
		v := s.def
		for _, e := range s.env {
			if ev := getenv(e); ev != "" {
				v = ev
				break
			}
		}
		*s.dst = v
		if s.flag != "" {
			fs.StringVar(s.dst, s.flag, v, s.help)
		}
	}
	fs.Usage = func() { printUsage(out, table) }
	if err := fs.Parse(args); err != nil {
		return Config{}, err
	}
	if fs.NArg() > 0 {
		return Config{}, fmt.Errorf("unexpected argument %q (settings are flags or environment variables; see hostd -h)", fs.Arg(0))
	}
	return raw.config()
}

func printUsage(out io.Writer, table []setting) {
	fmt.Fprintln(out, "Usage: hostd [flags]")
	fmt.Fprintln(out)
	fmt.Fprintln(out, "hostd is the AutonomOS reference server. With no settings it runs the embedded")
	fmt.Fprintln(out, "default: state under the data directory, no services needed. With DATABASE_URL")
	fmt.Fprintln(out, "(or SUPABASE_DATABASE_URL), REDIS_URL and JWT_SECRET it runs in server mode:")
	fmt.Fprintln(out, "state in PostgreSQL and Redis, jobs on a PostgreSQL queue (River), and any")
	fmt.Fprintln(out, "number of replicas sharing them.")
	fmt.Fprintln(out, "Every setting is an environment variable or a flag (flags win); secrets are")
	fmt.Fprintln(out, "read only from the environment and never printed.")
	fmt.Fprintln(out)
	fmt.Fprintf(out, "  %-22s %-30s %-26s %s\n", "FLAG", "ENVIRONMENT", "DEFAULT", "MEANING")
	for _, s := range table {
		f := "-"
		if s.flag != "" {
			f = "-" + s.flag
		}
		def := s.def
		if s.secret {
			def = "(secret, env only)"
		}
		if def == "" {
			def = `""`
		}
		fmt.Fprintf(out, "  %-22s %-30s %-26s %s\n", f, strings.Join(s.env, ","), def, s.help)
	}
}

func (raw rawConfig) config() (Config, error) {
	c := Config{
		Addr:                 strings.TrimSpace(raw.addr),
		DataDir:              raw.dataDir,
		DatabaseURL:          raw.dbURL,
		RedisURL:             raw.redisURL,
		MigrationDatabaseURL: raw.migrationURL,
		JWTSecret:            raw.jwtSecret,
		OpenAIAPIKey:         raw.openaiKey,
		OpenAIBaseURL:        raw.openaiBase,
		OpenAIModel:          raw.openaiModel,
		SlackWebhookURL:      raw.slack,
		LogLevel:             raw.level,
	}
	if raw.supaURL != "" {
		c.DatabaseURL = raw.supaURL
	}
	var errs []error
	bad := func(name, value, want string) {
		errs = append(errs, fmt.Errorf("setting %s: %q is not %s", name, value, want))
	}
	var err error
	if c.AuthEnabled, err = parseBool(raw.authEnabled); err != nil {
		bad("DCL_AUTH_ENABLED", raw.authEnabled, "true or false")
	}
	if c.UseAAMAsSource, err = parseBool(raw.useAAM); err != nil {
		bad("USE_AAM_AS_SOURCE", raw.useAAM, "true or false")
	}
	if c.MaxBodyBytes, err = strconv.ParseInt(raw.maxBody, 10, 64); err != nil || c.MaxBodyBytes < 1 {
		bad("HOSTD_MAX_BODY_BYTES", raw.maxBody, "a positive number of bytes")
	}
	if c.HandlerTimeout, err = time.ParseDuration(raw.handlerTimeout); err != nil || c.HandlerTimeout <= 0 {
		bad("HOSTD_HANDLER_TIMEOUT", raw.handlerTimeout, "a positive duration such as 15s")
	}
	if c.ShutdownTimeout, err = time.ParseDuration(raw.shutdown); err != nil || c.ShutdownTimeout <= 0 {
		bad("HOSTD_SHUTDOWN_TIMEOUT", raw.shutdown, "a positive duration such as 20s")
	}
	if c.RateLimit, err = strconv.ParseFloat(raw.rateLimit, 64); err != nil || !(c.RateLimit > 0) {
		bad("HOSTD_RATE_LIMIT", raw.rateLimit, "a positive number of requests per second")
	}
	if c.RateBurst, err = strconv.Atoi(raw.rateBurst); err != nil || c.RateBurst < 1 {
		bad("HOSTD_RATE_BURST", raw.rateBurst, "a positive whole number")
	}
	if c.AuthRateLimit, err = strconv.ParseFloat(raw.authRate, 64); err != nil || !(c.AuthRateLimit > 0) {
		bad("HOSTD_AUTH_RATE_LIMIT", raw.authRate, "a positive number of requests per second")
	}
	if c.AuthRateBurst, err = strconv.Atoi(raw.authBurst); err != nil || c.AuthRateBurst < 1 {
		bad("HOSTD_AUTH_RATE_BURST", raw.authBurst, "a positive whole number")
	}
	if c.JobWorkers, err = strconv.Atoi(raw.jobWorkers); err != nil || c.JobWorkers < 1 {
		bad("HOSTD_JOB_WORKERS", raw.jobWorkers, "a positive whole number")
	}
	if c.JobMaxAttempts, err = strconv.Atoi(raw.jobAttempts); err != nil || c.JobMaxAttempts < 1 {
		bad("HOSTD_JOB_MAX_ATTEMPTS", raw.jobAttempts, "a positive whole number")
	}
	if c.JobTimeout, err = time.ParseDuration(raw.jobTimeout); err != nil || c.JobTimeout <= 0 {
		bad("HOSTD_JOB_TIMEOUT", raw.jobTimeout, "a positive duration such as 1m")
	}
	if c.JobRescueAfter, err = time.ParseDuration(raw.jobRescue); err != nil || c.JobRescueAfter <= 0 {
		bad("HOSTD_JOB_RESCUE_AFTER", raw.jobRescue, "a positive duration such as 2m")
	} else if c.JobRescueAfter < c.JobTimeout {
		errs = append(errs, fmt.Errorf("setting HOSTD_JOB_RESCUE_AFTER: %s is shorter than HOSTD_JOB_TIMEOUT (%s); a job still running would be started again", c.JobRescueAfter, c.JobTimeout))
	}
	if c.JobRetryBackoff, err = time.ParseDuration(raw.jobBackoff); err != nil || c.JobRetryBackoff < 0 {
		bad("HOSTD_JOB_RETRY_BACKOFF", raw.jobBackoff, "a duration such as 1s (0s for River's policy)")
	}
	if c.MigrationDatabaseURL != "" && c.DatabaseURL == "" {
		errs = append(errs, errors.New("setting HOSTD_MIGRATION_DATABASE_URL: only server mode uses it (set DATABASE_URL or SUPABASE_DATABASE_URL)"))
	}
	switch c.Warehouse = raw.warehouse; c.Warehouse {
	case "duckdb":
	case "postgres":
		if c.DatabaseURL == "" {
			errs = append(errs, errors.New("setting HOSTD_WAREHOUSE: postgres needs server mode (DATABASE_URL or SUPABASE_DATABASE_URL)"))
		}
	default:
		bad("HOSTD_WAREHOUSE", raw.warehouse, "duckdb or postgres")
	}
	for _, o := range strings.Split(raw.origins, ",") {
		if o = strings.TrimSpace(o); o == "" {
			continue
		}
		if u, err := url.Parse(o); err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" || u.Path != "" {
			bad("HOSTD_ALLOWED_ORIGINS", o, "an origin such as https://console.example.com")
			continue
		}
		c.AllowedOrigins = append(c.AllowedOrigins, o)
	}
	if c.MaxStreamsPerUser, err = strconv.Atoi(raw.streamsPerUser); err != nil || c.MaxStreamsPerUser < 1 {
		bad("HOSTD_MAX_STREAMS_PER_USER", raw.streamsPerUser, "a positive whole number")
	}
	if c.OnboardDemo, err = parseBool(raw.onboardDemo); err != nil {
		bad("HOSTD_ONBOARD_DEMO", raw.onboardDemo, "true or false")
	}
	egressAllow := raw.egressAllow
	if strings.TrimSpace(egressAllow) == "" {
		egressAllow = "none"
		if c.DatabaseURL == "" {
			egressAllow = "loopback,private"
		}
	}
	if c.Egress, err = egress.ParseAllow(egressAllow); err != nil {
		errs = append(errs, fmt.Errorf("setting HOSTD_EGRESS_ALLOW: %w", err))
	}
	c.Egress.Hint = egressHint
	switch c.LogLevel {
	case "debug", "info", "warn", "error":
	default:
		bad("HOSTD_LOG_LEVEL", raw.level, "debug, info, warn or error")
	}
	if c.Addr == "" {
		bad("HOSTD_ADDR", raw.addr, "a host:port address")
	}
	if c.DataDir == "" {
		bad("HOSTD_DATA_DIR", raw.dataDir, "a directory")
	}
	if c.JWTSecret != "" && len(c.JWTSecret) < 32 {
		// The value is a secret: name the setting, never the value.
		errs = append(errs, errors.New("setting JWT_SECRET: too short (at least 32 bytes)"))
	}
	if c.OpenAIBaseURL != "" {
		if u, err := url.Parse(c.OpenAIBaseURL); err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" {
			bad("OPENAI_BASE_URL", c.OpenAIBaseURL, "an http(s) URL")
		}
	}
	return c, errors.Join(errs...)
}

func parseBool(v string) (bool, error) {
	switch strings.ToLower(strings.TrimSpace(v)) {
	case "1", "true", "t", "on", "yes", "y":
		return true, nil
	case "", "0", "false", "f", "off", "no", "n":
		return false, nil
	}
	return false, errors.New("not a boolean")
}

// getenvOS is os.Getenv; tests pass a map lookup instead.
func getenvOS(k string) string { return os.Getenv(k) }
