package main

import (
	"context"
	"crypto/rand"
	"encoding/base64"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus/promhttp"

	"github.com/autonomos/autonomos/aam"
	"github.com/autonomos/autonomos/aam/egress"
	"github.com/autonomos/autonomos/aam/mesh"
	"github.com/autonomos/autonomos/aam/stream"
	"github.com/autonomos/autonomos/aam/stream/memstream"
	"github.com/autonomos/autonomos/authn"
	authpg "github.com/autonomos/autonomos/authn/pgstore"
	"github.com/autonomos/autonomos/canonical"
	"github.com/autonomos/autonomos/graphstore"
	"github.com/autonomos/autonomos/internal/atomicfile"
	"github.com/autonomos/autonomos/nlp"
	"github.com/autonomos/autonomos/nlp/memkb"
	"github.com/autonomos/autonomos/nlp/openaicompat"
	"github.com/autonomos/autonomos/nlp/pgvectorkb"
	"github.com/autonomos/autonomos/repair"
	repairmem "github.com/autonomos/autonomos/repair/memstore"
	repairpg "github.com/autonomos/autonomos/repair/pgstore"
	"github.com/autonomos/autonomos/repair/slack"
	"github.com/autonomos/autonomos/tenancy"
)

// DemoEmail is the login of the demo user made on first start.
const DemoEmail = "demo@autonomos.dev"

// app is one running hostd: its stores, services and HTTP handler.
type app struct {
	cfg     Config
	log     *slog.Logger
	metrics *metrics
	limiter *keyLimiter // per tenant, on authenticated routes
	// clientLimiter is per client address, on register and login.
	clientLimiter *keyLimiter

	accounts accountStore
	auth     *authn.Service
	authn    authn.Authenticator
	graphs   *graphstore.Store
	// graphBodies caches each tenant's encoded graph by version.
	graphBodies graphBodyCache
	registry    *repair.Registry
	matcher     *repair.Matcher
	router      *nlp.Router
	kbStore     nlp.KBStore
	kb          *nlp.KB
	gateway     *nlp.Gateway

	broker    *memstream.Broker
	publisher *stream.Publisher
	mesh      *mesh.Mesh
	// connectors opens the connector kinds hostd enables, each dialing
	// through the egress guard of cfg.Egress (connections.go).
	connectors *aam.Registry
	// jobKinds are the runnable job kinds (registerJob); jobs runs them.
	jobKinds map[string]jobFunc
	jobs     jobQueue
	ontology *canonical.Ontology

	// Each area keeps its state in its own part, opened by its open*
	// function (server.go, dcl.go, live.go, flags.go).
	serverPart
	dclPart
	livePart
	flagsPart

	demoTenant tenancy.ID
	// demoPassword is set only on the start that created the demo user.
	demoPassword string

	routes    []route
	closeOnce sync.Once
	// patterns holds the mux patterns of routes, the only values the
	// route label of the metrics takes (with "unmatched" and "redirect").
	patterns map[string]struct{}
	handler  http.Handler
}

// newApp opens the state, under cfg.DataDir in the embedded default and in
// the shared PostgreSQL and Redis in server mode, and builds the handler.
// It does not listen.
func newApp(ctx context.Context, cfg Config, log *slog.Logger) (*app, error) {
	if err := os.MkdirAll(cfg.DataDir, 0o700); err != nil {
		return nil, fmt.Errorf("create data directory %s: %w", cfg.DataDir, err)
	}
	a := &app{
		cfg:           cfg,
		log:           log,
		metrics:       newMetrics(),
		limiter:       newKeyLimiter(cfg.RateLimit, cfg.RateBurst),
		clientLimiter: newKeyLimiter(cfg.AuthRateLimit, cfg.AuthRateBurst),
		ontology:      canonical.V1(),
	}
	ok := false
	defer func() {
		if !ok {
			a.close()
		}
	}()
	if err := a.openServer(ctx); err != nil {
		return nil, err
	}

	secret, err := jwtSecret(cfg)
	if err != nil {
		return nil, err
	}
	tokens, err := authn.NewTokens([]authn.Key{{ID: "hostd-1", Secret: secret}}, nil)
	if err != nil {
		return nil, fmt.Errorf("token keys: %w", err)
	}
	if a.serverMode() {
		a.accounts = pgAuthStore{Store: authpg.New(a.pg), pool: a.pg}
	} else if a.accounts, err = openFileAuthStore(filepath.Join(cfg.DataDir, "accounts.json")); err != nil {
		return nil, err
	}
	if a.auth, err = authn.NewService(a.accounts, tokens, &authn.ServiceConfig{Logger: log}); err != nil {
		return nil, fmt.Errorf("accounts service: %w", err)
	}
	a.authn = tokens
	if !cfg.AuthEnabled {
		dev, err := authn.NewDevBypass(authn.DevBypassConfig{ListenAddr: cfg.Addr, Logger: log})
		if err != nil {
			return nil, fmt.Errorf("DCL_AUTH_ENABLED=false: %w", err)
		}
		if err := a.auth.EnsureDevUser(ctx); err != nil {
			return nil, fmt.Errorf("development user: %w", err)
		}
		a.authn = dev
	}

	graphDriver, err := a.openGraphDriver()
	if err != nil {
		return nil, err
	}
	if a.graphs, err = graphstore.New(graphDriver, &graphstore.Config{Logger: log}); err != nil {
		graphDriver.Close()
		return nil, fmt.Errorf("graph store: %w", err)
	}
	var repairStore repair.Driver
	if a.serverMode() {
		repairStore = repairpg.New(a.pg)
	} else if repairStore, err = repairmem.Open(filepath.Join(cfg.DataDir, "repair.json")); err != nil {
		return nil, err
	}
	// Review decisions teach the matcher, per tenant: recorded as they
	// are made, and loaded from the registry at start.
	memory := repair.NewLocalMemory()
	rcfg := &repair.RegistryConfig{Ontology: a.ontology, Logger: log, OnFeedback: repair.RecordFeedback(memory, log)}
	if cfg.SlackWebhookURL != "" {
		n, err := slack.New(cfg.SlackWebhookURL, nil)
		if err != nil {
			repairStore.Close()
			return nil, fmt.Errorf("SLACK_WEBHOOK_URL: %w", err)
		}
		rcfg.Notifier = n
	}
	a.registry = repair.NewRegistry(repairStore, rcfg)
	tenants, err := a.accounts.tenantIDs(ctx)
	if err != nil {
		return nil, err
	}
	for _, tenant := range tenants {
		if err := a.registry.LoadFeedback(tenancy.WithTenant(ctx, tenant), memory); err != nil {
			return nil, fmt.Errorf("load review decisions of tenant %s: %w", tenant, err)
		}
	}
	mcfg := &repair.MatcherConfig{Memory: memory}
	if cfg.OpenAIAPIKey != "" {
		adv, err := repair.NewOpenAIAdvisor(repair.OpenAIAdvisorConfig{BaseURL: cfg.OpenAIBaseURL, APIKey: cfg.OpenAIAPIKey, Model: cfg.OpenAIModel, Usage: advisorUsage{a}})
		if err != nil {
			return nil, fmt.Errorf("LLM mapping advisor (OPENAI_BASE_URL, OPENAI_MODEL): %w", err)
		}
		mcfg.Advisor = adv
	}
	if a.matcher, err = repair.NewMatcher(a.ontology, mcfg); err != nil {
		return nil, fmt.Errorf("field matcher: %w", err)
	}
	if a.router, err = nlp.NewRouter(nil); err != nil {
		return nil, fmt.Errorf("persona router: %w", err)
	}
	if err := a.openFlags(ctx); err != nil {
		return nil, err
	}
	if err := a.openLive(ctx); err != nil {
		return nil, err
	}
	if err := a.openNLP(); err != nil {
		return nil, err
	}
	a.registerKnowledgeJobs()
	a.connectors = connectorRegistry(egress.NewDialer(cfg.Egress, nil))
	if err := a.openMesh(); err != nil {
		return nil, err
	}
	if err := a.openDCL(ctx); err != nil {
		return nil, err
	}
	if a.serverMode() {
		if a.jobs, err = newRiverQueue(ctx, a.pg, cfg, log, a.jobKinds); err != nil {
			return nil, err
		}
	} else {
		a.jobs = newJobRunner(log, a.jobKinds)
	}
	a.registerGauges()

	if err := a.ensureDemo(ctx); err != nil {
		return nil, err
	}
	if err := a.onboardDemo(ctx); err != nil {
		return nil, err
	}
	if !cfg.AuthEnabled {
		if _, err := a.graphs.SeedDemo(ctx, authn.DevTenantID); err != nil {
			return nil, fmt.Errorf("seed development graph: %w", err)
		}
	}

	a.routes = a.routeTable()
	a.handler = a.outer(a.buildMux())
	ok = true
	return a, nil
}

// ensureDemo creates the demo tenant and user on first start (keeping the
// generated password for the one-time message) and seeds the demo graph.
// Replicas starting at once on a new database both try to create the user;
// the email is unique, so one wins and the other finds the winner's user.
func (a *app) ensureDemo(ctx context.Context) error {
	u, err := a.accounts.UserByEmail(ctx, DemoEmail)
	switch {
	case err == nil:
		a.demoTenant = u.TenantID
	case errors.Is(err, authn.ErrNotFound):
		pw, err := randomPassword()
		if err != nil {
			return err
		}
		sess, err := a.auth.Register(ctx, authn.RegisterRequest{TenantName: "Demo", Email: DemoEmail, Password: pw})
		switch {
		case err == nil:
			a.demoTenant = sess.Tenant.ID
			a.demoPassword = pw
		case errors.Is(err, authn.ErrEmailTaken):
			// Another replica created it between our lookup and now.
			u, err := a.accounts.UserByEmail(ctx, DemoEmail)
			if err != nil {
				return fmt.Errorf("look up demo user made by another replica: %w", err)
			}
			a.demoTenant = u.TenantID
		default:
			return fmt.Errorf("create demo user: %w", err)
		}
	default:
		return fmt.Errorf("look up demo user: %w", err)
	}
	if _, err := a.graphs.SeedDemo(ctx, a.demoTenant); err != nil {
		return fmt.Errorf("seed demo graph: %w", err)
	}
	return nil
}

func randomPassword() (string, error) {
	b := make([]byte, 15)
	if _, err := rand.Read(b); err != nil {
		return "", fmt.Errorf("generate demo password: %w", err)
	}
	return base64.RawURLEncoding.EncodeToString(b), nil
}

// jwtSecret returns JWT_SECRET, or in the embedded default the key kept in
// the data directory, generating it on first start. The key is never
// logged.
func jwtSecret(cfg Config) ([]byte, error) {
	if cfg.JWTSecret != "" {
		return []byte(cfg.JWTSecret), nil
	}
	path := filepath.Join(cfg.DataDir, "jwt.key")
	b, err := os.ReadFile(path)
	if err == nil {
		key, derr := base64.StdEncoding.DecodeString(strings.TrimSpace(string(b)))
		if derr != nil || len(key) < authn.MinHMACKeyBytes {
			return nil, fmt.Errorf("JWT key file %s is malformed (want base64 of at least %d bytes); remove it to generate a new one (existing tokens stop working)", path, authn.MinHMACKeyBytes)
		}
		return key, nil
	}
	if !errors.Is(err, os.ErrNotExist) {
		return nil, fmt.Errorf("read JWT key file %s: %w", path, err)
	}
	key := make([]byte, 32)
	if _, err := rand.Read(key); err != nil {
		return nil, fmt.Errorf("generate JWT key: %w", err)
	}
	if err := atomicfile.Write(path, []byte(base64.StdEncoding.EncodeToString(key)+"\n")); err != nil {
		return nil, fmt.Errorf("write JWT key file %s: %w", path, err)
	}
	return key, nil
}

// printLogin tells the operator how to log in. The password appears only
// on the start that created the demo user, on out (the terminal), never
// in the log.
func (a *app) printLogin(out io.Writer, url string) {
	fmt.Fprintf(out, "\nAutonomOS hostd is running at %s\n", url)
	switch {
	case !a.cfg.AuthEnabled:
		fmt.Fprintf(out, "Authentication is OFF (DCL_AUTH_ENABLED=false): every request acts as %s.\n\n", authn.DevEmail)
	case a.demoPassword != "":
		fmt.Fprintf(out, "A demo tenant was created. Log in with:\n  email:    %s\n  password: %s\n", DemoEmail, a.demoPassword)
		fmt.Fprintf(out, "This password is shown only once; only its hash is kept in %s.\n", a.accountsWhere())
		fmt.Fprintf(out, "  curl -s -X POST %s/api/v1/auth/login -d '{\"email\":\"%s\",\"password\":\"<password>\"}'\n\n", url, DemoEmail)
	default:
		fmt.Fprintf(out, "Log in as %s with the password printed at the first start (accounts in %s).\n\n", DemoEmail, a.accountsWhere())
	}
}

// accountsWhere says where the accounts are kept, for the start message.
func (a *app) accountsWhere() string {
	if a.serverMode() {
		return "PostgreSQL (" + hostOf(a.cfg.DatabaseURL) + ")"
	}
	return filepath.Join(a.cfg.DataDir, "accounts.json")
}

// openNLP builds the knowledge base (in memory and a file under the data
// directory in the embedded default,
// PostgreSQL with pgvector in server mode; local hash embeddings) and the
// question gateway, with the OpenAI-compatible LLM when OPENAI_API_KEY is
// set and extractive answers otherwise.
func (a *app) openNLP() error {
	if a.serverMode() {
		st, err := pgvectorkb.New(a.pg, &pgvectorkb.Config{Logger: a.log})
		if err != nil {
			return fmt.Errorf("knowledge base (pgvector): %w", err)
		}
		a.kbStore = st
	} else {
		st, err := memkb.Open(filepath.Join(a.cfg.DataDir, "knowledge.json"))
		if err != nil {
			return fmt.Errorf("knowledge base: %w", err)
		}
		a.kbStore = st
	}
	kb, err := nlp.NewKB(a.kbStore, &nlp.KBConfig{Logger: a.log})
	if err != nil {
		return fmt.Errorf("knowledge base: %w", err)
	}
	a.kb = kb
	// Answers carry the persona's figures from the tenant's warehouse; the
	// DCL opens after this, and dclFigures reads it only when asked.
	gcfg := &nlp.GatewayConfig{Router: a.router, Logger: a.log, Figures: &dclFigures{a: a}}
	if a.cfg.OpenAIAPIKey != "" {
		llm, err := openaicompat.NewLLM(&openaicompat.LLMConfig{
			Config: openaicompat.Config{BaseURL: a.cfg.OpenAIBaseURL, APIKey: a.cfg.OpenAIAPIKey},
			Model:  a.cfg.OpenAIModel,
		})
		if err != nil {
			return fmt.Errorf("LLM client (OPENAI_BASE_URL, OPENAI_MODEL): %w", err)
		}
		gcfg.LLM = llm
	}
	if a.gateway, err = nlp.NewGateway(kb, gcfg); err != nil {
		return fmt.Errorf("question gateway: %w", err)
	}
	return nil
}

// close releases the stores, once; later calls do nothing.
func (a *app) close() { a.closeOnce.Do(a.closeStores) }

func (a *app) closeStores() {
	if a.jobs != nil {
		// Shutdown has had its grace already (run); cancel what is left.
		done, cancel := context.WithCancel(context.Background())
		cancel()
		a.jobs.Shutdown(done)
	}
	a.closeLive()
	a.closeDCL()
	if a.publisher != nil {
		_ = a.publisher.Close()
	}
	if a.registry != nil {
		if err := a.registry.Close(); err != nil {
			a.log.Warn("close repair registry", "err", err)
		}
	}
	if a.graphs != nil {
		a.syncGraphFallback()
		_ = a.graphs.Close()
	}
	a.closeFlags()
	a.closeServer()
}

// buildMux registers every route of the table; nothing else is served.
func (a *app) buildMux() *http.ServeMux {
	mux := http.NewServeMux()
	a.patterns = map[string]struct{}{}
	protect := authn.Middleware(a.authn, &authn.MiddlewareConfig{Logger: a.log})
	for _, rt := range a.routes {
		h := rt.handler
		switch {
		case rt.auth:
			h = protect(a.rateLimited(h))
		case rt.clientLimited:
			h = a.clientLimited(h)
		}
		timeout := a.cfg.HandlerTimeout
		if rt.timeout > 0 {
			timeout = rt.timeout
		}
		path := rt.path
		if path == "/" {
			path = "/{$}" // the console's page; a bare "/" would match every path
		}
		if rt.stream {
			// A stream lives until the client leaves or the server
			// stops; it sets a deadline on each write instead.
			mux.Handle(rt.method+" "+path, h)
		} else {
			mux.Handle(rt.method+" "+path, withLimits(h, a.cfg.MaxBodyBytes, timeout))
		}
		a.patterns[rt.method+" "+path] = struct{}{}
	}
	return mux
}

// maxTimeout is the longest time limit of any route.
func (a *app) maxTimeout() time.Duration {
	longest := a.cfg.HandlerTimeout
	for _, rt := range a.routes {
		longest = max(longest, rt.timeout)
	}
	return longest
}

func (a *app) metricsHandler() http.Handler {
	return promhttp.HandlerFor(a.metrics.reg, promhttp.HandlerOpts{})
}
