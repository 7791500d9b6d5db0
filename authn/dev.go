package authn

import (
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"strings"

	"github.com/autonomos/autonomos/tenancy"
	"github.com/google/uuid"
)

// The fixed identity of the development bypass.
var (
	// DevTenantID is the tenant every request acts for under [DevBypass].
	DevTenantID = tenancy.MustParse("00000000-0000-4000-8000-0000000de001")
	// DevUserID is the user id of the development user.
	DevUserID = uuid.MustParse("00000000-0000-4000-8000-0000000de002")
)

// DevEmail is the email of the development user.
const DevEmail = "dev@autonomos.dev"

// DevPrincipal returns the fixed development principal.
func DevPrincipal() Principal {
	return Principal{UserID: DevUserID, TenantID: DevTenantID, Email: DevEmail}
}

// DevBypassConfig configures [NewDevBypass].
type DevBypassConfig struct {
	// ListenAddr is the address the server listens on (host:port). It is
	// required: the bypass is refused unless its host is a loopback
	// address or AllowNonLoopback is set.
	ListenAddr string
	// AllowNonLoopback is the explicit "I know" setting: it permits the
	// bypass on a listener reachable from other machines, where anyone
	// could act as the development user. Defaults to false.
	AllowNonLoopback bool
	// Logger receives the warning logged at construction. Defaults to
	// slog.Default().
	Logger *slog.Logger
}

// DevBypass is an [Authenticator] that lets every request through as the
// development user ([DevPrincipal]) without any credential. It exists for
// local development (hostd maps DCL_AUTH_ENABLED=false onto it) and must
// never face a network: [NewDevBypass] refuses it on a non-loopback
// listener unless told otherwise. It is safe for concurrent use.
type DevBypass struct{}

// CheckDevBypass decides whether the development bypass may run on a
// server listening on listenAddr (host:port, as given to
// net.Listen). It returns nil when the host is a loopback IP address or
// "localhost" (or a name under ".localhost"), and when allowNonLoopback
// is set; otherwise an error wrapping [ErrInvalidConfig]. An empty host
// (":8080") listens on every interface and is not loopback.
func CheckDevBypass(listenAddr string, allowNonLoopback bool) error {
	if allowNonLoopback {
		return nil
	}
	host, _, err := net.SplitHostPort(listenAddr)
	if err != nil {
		return fmt.Errorf("%w: development auth bypass: listen address %q: %v", ErrInvalidConfig, listenAddr, err)
	}
	if isLoopbackHost(host) {
		return nil
	}
	return fmt.Errorf("%w: development auth bypass refused: listen address %q is not loopback; "+
		"listen on 127.0.0.1 or set the explicit allow-non-loopback setting", ErrInvalidConfig, listenAddr)
}

func isLoopbackHost(host string) bool {
	h := strings.ToLower(strings.TrimSuffix(host, "."))
	if h == "localhost" || strings.HasSuffix(h, ".localhost") {
		return true
	}
	if i := strings.IndexByte(h, '%'); i >= 0 { // zone, as in [::1%lo]
		h = h[:i]
	}
	ip := net.ParseIP(h)
	return ip != nil && ip.IsLoopback()
}

// NewDevBypass returns the development bypass after [CheckDevBypass]
// allows it, and logs a loud warning that authentication is off.
func NewDevBypass(cfg DevBypassConfig) (*DevBypass, error) {
	if err := CheckDevBypass(cfg.ListenAddr, cfg.AllowNonLoopback); err != nil {
		return nil, err
	}
	log := cfg.Logger
	if log == nil {
		log = slog.Default()
	}
	log.Warn("!!! AUTHENTICATION IS DISABLED: every request acts as the development user; never run this way in production !!!",
		"user", DevEmail, "tenant", DevTenantID.String(), "listen", cfg.ListenAddr, "allow_non_loopback", cfg.AllowNonLoopback)
	return &DevBypass{}, nil
}

// Authenticate returns [DevPrincipal] for every request.
func (*DevBypass) Authenticate(*http.Request) (Principal, error) { return DevPrincipal(), nil }
