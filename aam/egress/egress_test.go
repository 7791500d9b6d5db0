package egress_test

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"path/filepath"
	"strings"
	"testing"

	"github.com/autonomos/autonomos/aam/egress"
)

func TestClassify(t *testing.T) {
	for _, c := range []struct {
		addr string
		want egress.Class
	}{
		{"8.8.8.8", egress.ClassPublic},
		{"2606:4700::1111", egress.ClassPublic},
		{"127.0.0.1", egress.ClassLoopback},
		{"127.9.9.9", egress.ClassLoopback},
		{"::1", egress.ClassLoopback},
		{"::ffff:127.0.0.1", egress.ClassLoopback},
		{"10.1.2.3", egress.ClassPrivate},
		{"172.16.0.1", egress.ClassPrivate},
		{"172.31.255.255", egress.ClassPrivate},
		{"172.32.0.1", egress.ClassPublic},
		{"192.168.1.1", egress.ClassPrivate},
		{"fd12:3456::1", egress.ClassPrivate},
		{"100.64.0.1", egress.ClassPrivate},
		{"fec0::1", egress.ClassPrivate},
		{"169.254.169.254", egress.ClassMetadata},
		{"::ffff:169.254.169.254", egress.ClassMetadata},
		{"fd00:ec2::254", egress.ClassMetadata},
		{"100.100.100.200", egress.ClassMetadata},
		{"169.254.170.2", egress.ClassMetadata},
		{"169.254.1.1", egress.ClassLinkLocal},
		{"fe80::1", egress.ClassLinkLocal},
		{"fe80::1%eth0", egress.ClassLinkLocal},
		{"0.0.0.0", egress.ClassUnspecified},
		{"0.1.2.3", egress.ClassUnspecified},
		{"::", egress.ClassUnspecified},
		{"224.0.0.1", egress.ClassMulticast},
		{"255.255.255.255", egress.ClassMulticast},
		{"ff02::1", egress.ClassMulticast},
		{"240.0.0.1", egress.ClassReserved},
		{"192.0.2.1", egress.ClassReserved},
		// IPv6 forms that carry an IPv4 address are judged by it.
		{"64:ff9b::a9fe:a9fe", egress.ClassMetadata},
		{"64:ff9b::7f00:1", egress.ClassLoopback},
		{"64:ff9b::808:808", egress.ClassPublic},
		{"2002:7f00:1::", egress.ClassLoopback},
		{"2002:0a00:0001::1", egress.ClassPrivate},
		{"::127.0.0.1", egress.ClassReserved},
	} {
		if got := egress.Classify(netip.MustParseAddr(c.addr)); got != c.want {
			t.Errorf("Classify(%s) = %s, want %s", c.addr, got, c.want)
		}
	}
}

func TestPolicyCheck(t *testing.T) {
	dev := egress.Policy{AllowLoopback: true, AllowPrivate: true}
	for _, a := range []string{"127.0.0.1", "::1", "10.0.0.5", "192.168.0.10", "fd12::1", "1.1.1.1"} {
		if err := dev.Check(netip.MustParseAddr(a)); err != nil {
			t.Errorf("loopback+private policy refused %s: %v", a, err)
		}
	}
	// Allowing private networks does not allow the metadata service, even
	// the one inside fc00::/7, nor link-local addresses.
	for _, a := range []string{"169.254.169.254", "fd00:ec2::254", "fe80::1", "169.254.7.7", "0.0.0.0", "224.0.0.1"} {
		err := dev.Check(netip.MustParseAddr(a))
		if !errors.Is(err, egress.ErrRefused) {
			t.Errorf("loopback+private policy allowed %s: %v", a, err)
		}
	}
	var strict egress.Policy
	for _, a := range []string{"127.0.0.1", "10.0.0.5", "100.64.1.1", "fd12::1"} {
		if err := strict.Check(netip.MustParseAddr(a)); !errors.Is(err, egress.ErrRefused) {
			t.Errorf("zero policy allowed %s", a)
		}
	}
	if err := strict.Check(netip.MustParseAddr("93.184.216.34")); err != nil {
		t.Errorf("zero policy refused a public address: %v", err)
	}
	// An explicit prefix allows even link-local addresses.
	exp := egress.Policy{Allow: []netip.Prefix{netip.MustParsePrefix("169.254.0.0/16"), netip.MustParsePrefix("10.1.0.0/16")}}
	for _, a := range []string{"169.254.169.254", "10.1.2.3", "::ffff:10.1.2.3"} {
		if err := exp.Check(netip.MustParseAddr(a)); err != nil {
			t.Errorf("explicit allow refused %s: %v", a, err)
		}
	}
	if err := exp.Check(netip.MustParseAddr("10.2.0.1")); err == nil {
		t.Error("10.2.0.1 allowed by 10.1.0.0/16")
	}
}

func TestRefusedErrorSaysWhat(t *testing.T) {
	p := egress.Policy{Hint: "allow it with SETTING"}
	err := p.Check(netip.MustParseAddr("169.254.169.254"))
	var re *egress.RefusedError
	if !errors.As(err, &re) || re.Class != egress.ClassMetadata {
		t.Fatalf("err = %v", err)
	}
	for _, want := range []string{"169.254.169.254", "metadata", "allow it with SETTING"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("%q lacks %q", err, want)
		}
	}
}

func TestParseAllow(t *testing.T) {
	p, err := egress.ParseAllow(" loopback, private ,10.9.0.0/16, 192.0.2.7, fd00::1, DB.Internal. ,none")
	if err != nil {
		t.Fatal(err)
	}
	if !p.AllowLoopback || !p.AllowPrivate {
		t.Errorf("keywords not read: %+v", p)
	}
	if fmt.Sprint(p.Allow) != "[10.9.0.0/16 192.0.2.7/32 fd00::1/128]" {
		t.Errorf("Allow = %v", p.Allow)
	}
	if fmt.Sprint(p.AllowHosts) != "[db.internal]" || !p.AllowsHost("db.internal.") {
		t.Errorf("AllowHosts = %v", p.AllowHosts)
	}
	for _, s := range []string{"", "none", " , "} {
		p, err := egress.ParseAllow(s)
		if err != nil || p.AllowLoopback || p.AllowPrivate || len(p.Allow)+len(p.AllowHosts) > 0 {
			t.Errorf("ParseAllow(%q) = %+v, %v; want the zero policy", s, p, err)
		}
	}
	for _, s := range []string{"10.0.0.0/33", "http://x", "a b", "-bad.example", "everything*"} {
		if _, err := egress.ParseAllow(s); err == nil || !strings.Contains(err.Error(), s) {
			t.Errorf("ParseAllow(%q) = %v, want an error naming it", s, err)
		}
	}
}

func TestCheckHost(t *testing.T) {
	ctx := context.Background()
	var strict egress.Policy
	for _, h := range []string{"127.0.0.1", "[::1]", "localhost", "LOCALHOST.", "169.254.169.254"} {
		if err := strict.CheckHost(ctx, nil, h); !errors.Is(err, egress.ErrRefused) {
			t.Errorf("CheckHost(%q) = %v, want refused", h, err)
		}
	}
	err := strict.CheckHost(ctx, nil, "localhost")
	if !strings.Contains(err.Error(), `host "localhost"`) {
		t.Errorf("refusal of localhost does not name it: %v", err)
	}
	if err := (&egress.Policy{AllowHosts: []string{"localhost"}}).CheckHost(ctx, nil, "localhost"); err != nil {
		t.Errorf("allowed host refused: %v", err)
	}
	// A name that does not resolve is left to the dial.
	if err := strict.CheckHost(ctx, nil, "no-such-host.invalid"); err != nil {
		t.Errorf("unresolvable host: %v", err)
	}
}

func TestDialerChecksTheResolvedAddress(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { fmt.Fprint(w, "inside") }))
	defer srv.Close()
	port := srv.Listener.Addr().(*net.TCPAddr).Port
	ctx := context.Background()

	strict := egress.NewDialer(egress.Policy{Hint: "ask the operator"}, nil)
	for _, addr := range []string{srv.Listener.Addr().String(), fmt.Sprintf("localhost:%d", port)} {
		c, err := strict.DialContext(ctx, "tcp", addr)
		if err == nil {
			c.Close()
			t.Fatalf("dial %s allowed", addr)
		}
		var re *egress.RefusedError
		if !errors.As(err, &re) || re.Class != egress.ClassLoopback || !strings.Contains(err.Error(), "ask the operator") {
			t.Errorf("dial %s: %v, want a loopback refusal", addr, err)
		}
	}
	// "localhost" is checked as what it resolved to, at connect time.
	_, err := strict.DialContext(ctx, "tcp", fmt.Sprintf("localhost:%d", port))
	if !strings.Contains(err.Error(), `(host "localhost")`) {
		t.Errorf("refusal does not name the host: %v", err)
	}

	dev := egress.NewDialer(egress.Policy{AllowLoopback: true}, nil)
	c, err := dev.DialContext(ctx, "tcp", fmt.Sprintf("localhost:%d", port))
	if err != nil {
		t.Fatalf("loopback allowed, dial: %v", err)
	}
	c.Close()
	byName := egress.NewDialer(egress.Policy{AllowHosts: []string{"localhost"}}, nil)
	if c, err := byName.DialContext(ctx, "tcp", fmt.Sprintf("localhost:%d", port)); err != nil {
		t.Errorf("allowed host: %v", err)
	} else {
		c.Close()
	}

	if _, err := strict.DialContext(ctx, "unix", filepath.Join(t.TempDir(), "s.sock")); !errors.Is(err, egress.ErrRefused) {
		t.Errorf("unix socket: %v, want refused", err)
	}
}

func TestHTTPClientChecksRedirects(t *testing.T) {
	// The server is allowed by an explicit /32; its redirect to another
	// loopback address is not.
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/hop" {
			http.Redirect(w, r, "http://127.0.0.2:1/", http.StatusFound)
			return
		}
		fmt.Fprint(w, "ok")
	}))
	defer srv.Close()
	d := egress.NewDialer(egress.Policy{Allow: []netip.Prefix{netip.MustParsePrefix("127.0.0.1/32")}}, nil)
	hc := d.HTTPClient(0)
	res, err := hc.Get(srv.URL)
	if err != nil {
		t.Fatalf("allowed GET: %v", err)
	}
	res.Body.Close()
	_, err = hc.Get(srv.URL + "/hop")
	if !errors.Is(err, egress.ErrRefused) || !strings.Contains(err.Error(), "127.0.0.2") {
		t.Fatalf("redirect to 127.0.0.2: %v, want refused", err)
	}
	// The environment's proxy is not used: it would dial unchecked.
	t.Setenv("HTTP_PROXY", srv.URL)
	if d.Transport().Proxy != nil {
		t.Error("transport has a proxy")
	}
}
