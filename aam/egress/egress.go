package egress

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/netip"
	"strings"
	"syscall"
	"time"
)

// ErrRefused means a dial was refused by the egress policy.
// [*RefusedError] matches it.
var ErrRefused = errors.New("egress: address refused")

// Class is the kind of network an address belongs to.
type Class string

// The classes of addresses; see the package documentation.
const (
	ClassPublic      Class = "public"
	ClassLoopback    Class = "loopback"
	ClassPrivate     Class = "private"
	ClassLinkLocal   Class = "link-local"
	ClassMetadata    Class = "metadata"
	ClassUnspecified Class = "unspecified"
	ClassMulticast   Class = "multicast"
	ClassReserved    Class = "reserved"
	// ClassUnix is a Unix domain socket: the server's own machine.
	ClassUnix Class = "unix"
)

var (
	// metadata holds the cloud metadata services' addresses: AWS, GCP,
	// Azure and others (169.254.169.254), AWS's IPv6 one, ECS task
	// metadata, Alibaba Cloud's.
	metadata = []netip.Addr{
		netip.MustParseAddr("169.254.169.254"),
		netip.MustParseAddr("fd00:ec2::254"),
		netip.MustParseAddr("169.254.170.2"),
		netip.MustParseAddr("100.100.100.200"),
	}
	cgnat    = netip.MustParsePrefix("100.64.0.0/10")
	siteLoc  = netip.MustParsePrefix("fec0::/10")
	thisNet  = netip.MustParsePrefix("0.0.0.0/8")
	bcast    = netip.MustParseAddr("255.255.255.255")
	nat64    = netip.MustParsePrefix("64:ff9b::/96")
	nat64Loc = netip.MustParsePrefix("64:ff9b:1::/48")
	sixTo4   = netip.MustParsePrefix("2002::/16")
	reserved = []netip.Prefix{
		netip.MustParsePrefix("240.0.0.0/4"),     // reserved, future use
		netip.MustParsePrefix("192.0.0.0/24"),    // IETF protocol assignments
		netip.MustParsePrefix("192.0.2.0/24"),    // documentation
		netip.MustParsePrefix("198.51.100.0/24"), // documentation
		netip.MustParsePrefix("203.0.113.0/24"),  // documentation
		netip.MustParsePrefix("198.18.0.0/15"),   // benchmarking
		netip.MustParsePrefix("2001:db8::/32"),   // documentation
		netip.MustParsePrefix("100::/64"),        // discard
		netip.MustParsePrefix("2001::/32"),       // Teredo: hides an IPv4 address
		netip.MustParsePrefix("::/96"),           // IPv4-compatible (deprecated)
	}
)

// Classify returns the class of ip. A zone is ignored; an IPv4-mapped
// address, and one under NAT64 or 6to4, is classified by the IPv4
// address it carries.
func Classify(ip netip.Addr) Class {
	ip = embedded(ip.WithZone(""))
	for _, m := range metadata {
		if ip == m {
			return ClassMetadata
		}
	}
	switch {
	case !ip.IsValid():
		return ClassReserved
	case ip.IsUnspecified() || (ip.Is4() && thisNet.Contains(ip)):
		return ClassUnspecified
	case ip.IsLoopback():
		return ClassLoopback
	case ip.IsMulticast() || ip == bcast:
		return ClassMulticast
	case ip.IsLinkLocalUnicast():
		return ClassLinkLocal
	case ip.IsPrivate() || cgnat.Contains(ip) || siteLoc.Contains(ip):
		return ClassPrivate
	}
	for _, p := range reserved {
		if p.Contains(ip) {
			return ClassReserved
		}
	}
	return ClassPublic
}

// embedded returns the IPv4 address inside an IPv4-mapped, NAT64 or
// 6to4 address, else ip.
func embedded(ip netip.Addr) netip.Addr {
	if ip.Is4In6() {
		return ip.Unmap()
	}
	if !ip.Is6() {
		return ip
	}
	b := ip.As16()
	switch {
	case nat64.Contains(ip), nat64Loc.Contains(ip):
		return netip.AddrFrom4([4]byte(b[12:16]))
	case sixTo4.Contains(ip):
		return netip.AddrFrom4([4]byte(b[2:6]))
	}
	return ip
}

// Policy says which internal addresses may be dialed; public ones
// always may. The zero Policy refuses every internal address.
type Policy struct {
	// AllowLoopback allows loopback addresses and Unix sockets.
	AllowLoopback bool
	// AllowPrivate allows private addresses (RFC 1918, RFC 4193, CGNAT,
	// site-local). It does not allow metadata or link-local addresses,
	// though fd00:ec2::254 lies in fc00::/7.
	AllowPrivate bool
	// Allow lists prefixes whose addresses are allowed whatever their
	// class: the only way to allow a link-local or metadata address.
	Allow []netip.Prefix
	// AllowHosts lists host names (lower case, no trailing dot) that
	// may be dialed whatever they resolve to.
	AllowHosts []string
	// Hint ends the message of a refusal: how an operator can allow the
	// address ("allow it with HOSTD_EGRESS_ALLOW"). Defaults to none.
	Hint string
}

// Check returns nil when ip may be dialed, else a [*RefusedError] with
// an empty Host.
func (p *Policy) Check(ip netip.Addr) error {
	c := Classify(ip)
	if p.allowed(ip, c) {
		return nil
	}
	return &RefusedError{Addr: ip.WithZone(""), Class: c, hint: p.Hint}
}

func (p *Policy) allowed(ip netip.Addr, c Class) bool {
	switch {
	case c == ClassPublic,
		c == ClassLoopback && p.AllowLoopback,
		c == ClassPrivate && p.AllowPrivate:
		return true
	}
	ip = ip.WithZone("")
	for _, pre := range p.Allow {
		if pre.Contains(ip) || pre.Contains(ip.Unmap()) {
			return true
		}
	}
	return false
}

// AllowsHost reports whether host is one of AllowHosts.
func (p *Policy) AllowsHost(host string) bool {
	host = strings.TrimSuffix(strings.ToLower(host), ".")
	for _, h := range p.AllowHosts {
		if h == host {
			return true
		}
	}
	return false
}

// CheckHost checks a host as configured, before any dial: a literal
// address is checked as it is, "localhost" as loopback, and any other
// name is resolved with r (nil: net.DefaultResolver) and refused when
// one of its addresses is. A name that does not resolve is not refused
// here (the dial will tell); the dial checks again in any case, since
// the name may resolve otherwise then.
func (p *Policy) CheckHost(ctx context.Context, r *net.Resolver, host string) error {
	host = strings.TrimSuffix(strings.TrimSuffix(strings.TrimPrefix(host, "["), "]"), ".")
	if host == "" || p.AllowsHost(host) {
		return nil
	}
	if ip, err := netip.ParseAddr(host); err == nil {
		return withHost(p.Check(ip), host)
	}
	lower := strings.ToLower(host)
	if lower == "localhost" || strings.HasSuffix(lower, ".localhost") {
		return withHost(p.Check(netip.IPv6Loopback()), host)
	}
	if r == nil {
		r = net.DefaultResolver
	}
	ips, err := r.LookupNetIP(ctx, "ip", host)
	if err != nil {
		return nil
	}
	for _, ip := range ips {
		if err := p.Check(ip); err != nil {
			return withHost(err, host)
		}
	}
	return nil
}

func withHost(err error, host string) error {
	var re *RefusedError
	if errors.As(err, &re) && host != re.Addr.String() {
		re.Host = host
	}
	return err
}

// RefusedError is a dial refused by a [Policy]. It matches [ErrRefused].
type RefusedError struct {
	// Host is the host as configured, when it differs from Addr.
	Host string
	// Addr is the address refused; the zero Addr for a Unix socket.
	Addr netip.Addr
	// Class is why.
	Class Class
	hint  string
}

var reasons = map[Class]string{
	ClassLoopback:    "a loopback address (this server itself)",
	ClassPrivate:     "a private network address (RFC 1918, RFC 4193 or CGNAT)",
	ClassLinkLocal:   "a link-local address",
	ClassMetadata:    "the cloud metadata service",
	ClassUnspecified: "an unspecified address",
	ClassMulticast:   "a multicast or broadcast address",
	ClassReserved:    "a reserved address",
	ClassUnix:        "a Unix socket (this server itself)",
}

func (e *RefusedError) Error() string {
	var b strings.Builder
	b.WriteString("egress: refused to dial ")
	if e.Addr.IsValid() {
		b.WriteString(e.Addr.String())
		if e.Host != "" {
			fmt.Fprintf(&b, " (host %q)", e.Host)
		}
	} else {
		fmt.Fprintf(&b, "%q", e.Host)
	}
	b.WriteString(": ")
	b.WriteString(reasons[e.Class])
	if e.hint != "" {
		b.WriteString("; ")
		b.WriteString(e.hint)
	}
	return b.String()
}

// Is reports whether target is [ErrRefused].
func (e *RefusedError) Is(target error) bool { return target == ErrRefused }

// Dialer dials through a [Policy]. It is safe for concurrent use.
type Dialer struct {
	policy Policy
	base   net.Dialer
}

// NewDialer returns a Dialer enforcing p. base (nil: a net.Dialer with
// a 10s timeout and 30s keep-alive) sets timeouts; its Control hooks
// run after the policy's check.
func NewDialer(p Policy, base *net.Dialer) *Dialer {
	d := &Dialer{policy: p}
	if base != nil {
		d.base = *base
	} else {
		d.base = net.Dialer{Timeout: 10 * time.Second, KeepAlive: 30 * time.Second}
	}
	d.policy.Allow = append([]netip.Prefix(nil), p.Allow...)
	d.policy.AllowHosts = append([]string(nil), p.AllowHosts...)
	return d
}

// Policy returns the dialer's policy.
func (d *Dialer) Policy() Policy { return d.policy }

// DialContext dials address on network ("tcp", "udp", "unix", ...) when
// the policy allows the address it resolves to, and fails with a
// [*RefusedError] (inside a *net.OpError for a resolved host) otherwise.
func (d *Dialer) DialContext(ctx context.Context, network, address string) (net.Conn, error) {
	if strings.HasPrefix(network, "unix") {
		if !d.policy.AllowLoopback {
			return nil, &RefusedError{Host: address, Class: ClassUnix, hint: d.policy.Hint}
		}
		return d.base.DialContext(ctx, network, address)
	}
	host, _, err := net.SplitHostPort(address)
	if err != nil {
		return nil, fmt.Errorf("egress: dial %s: %w", network, err)
	}
	if d.policy.AllowsHost(host) {
		return d.base.DialContext(ctx, network, address)
	}
	if ip, err := netip.ParseAddr(host); err == nil {
		// Fail before any socket for a literal address.
		if err := d.policy.Check(ip); err != nil {
			return nil, err
		}
	}
	nd := d.base
	baseCC, baseC := d.base.ControlContext, d.base.Control
	nd.Control = nil
	nd.ControlContext = func(ctx context.Context, network, addr string, c syscall.RawConn) error {
		// addr is the resolved address about to be connected to: checking
		// it here is what defeats DNS rebinding.
		ap, err := netip.ParseAddrPort(addr)
		if err != nil {
			return fmt.Errorf("egress: cannot read the address dialed: %w", err)
		}
		if err := d.policy.Check(ap.Addr()); err != nil {
			return withHost(err, host)
		}
		switch {
		case baseCC != nil:
			return baseCC(ctx, network, addr, c)
		case baseC != nil:
			return baseC(network, addr, c)
		}
		return nil
	}
	return nd.DialContext(ctx, network, address)
}

// HTTPClient returns an HTTP client whose connections go through the
// dialer, with no proxy (a proxy would dial unchecked), following at
// most 10 redirects (each dial checked), with the given overall
// timeout (0: none).
func (d *Dialer) HTTPClient(timeout time.Duration) *http.Client {
	return &http.Client{Timeout: timeout, Transport: d.Transport()}
}

// Transport returns an HTTP transport whose connections go through the
// dialer and never through a proxy.
func (d *Dialer) Transport() *http.Transport {
	t := http.DefaultTransport.(*http.Transport).Clone()
	t.Proxy = nil
	t.DialContext = d.DialContext
	t.DialTLSContext = nil
	return t
}

// ParseAllow reads a comma-separated allow setting: "loopback" (sets
// AllowLoopback), "private" (AllowPrivate), "none" (nothing; an empty
// setting means the same), CIDR prefixes ("10.1.0.0/16"), addresses
// ("10.1.2.3", a /32 or /128) and host names ("db.internal"). An entry
// that is none of these is an error naming it.
func ParseAllow(s string) (Policy, error) {
	var p Policy
	for _, e := range strings.Split(s, ",") {
		e = strings.TrimSpace(e)
		switch strings.ToLower(e) {
		case "", "none":
			continue
		case "loopback":
			p.AllowLoopback = true
			continue
		case "private":
			p.AllowPrivate = true
			continue
		}
		if pre, err := netip.ParsePrefix(e); err == nil {
			p.Allow = append(p.Allow, pre.Masked())
			continue
		}
		if ip, err := netip.ParseAddr(e); err == nil {
			p.Allow = append(p.Allow, netip.PrefixFrom(ip.WithZone(""), ip.BitLen()))
			continue
		}
		if !validHost(e) {
			return Policy{}, fmt.Errorf("egress: allow entry %q is not loopback, private, none, a CIDR prefix, an address or a host name", e)
		}
		p.AllowHosts = append(p.AllowHosts, strings.TrimSuffix(strings.ToLower(e), "."))
	}
	return p, nil
}

// validHost reports whether s is a DNS host name.
func validHost(s string) bool {
	s = strings.TrimSuffix(s, ".")
	if s == "" || len(s) > 253 {
		return false
	}
	for _, label := range strings.Split(s, ".") {
		if label == "" || len(label) > 63 || label[0] == '-' || label[len(label)-1] == '-' {
			return false
		}
		for _, r := range label {
			if !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || r == '-' || r == '_') {
				return false
			}
		}
	}
	return true
}
