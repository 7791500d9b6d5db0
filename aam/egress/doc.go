// Package egress decides which network addresses a connector may dial.
//
// A connector's configuration names a host chosen by a tenant: a
// database URL, an API base URL. On a shared server that host must not
// be the server's own network (its loopback, the private network its
// databases live on, the cloud metadata service that hands out its
// credentials), or a tenant could read what it was never given. A
// [Policy] says which addresses are internal and which of them the
// operator allows; a [Dialer] enforces it.
//
// The check is made on the address actually dialed, after name
// resolution, in the socket's Control hook: a host name that resolves
// to a public address when it is configured and to 127.0.0.1 when it
// is dialed (DNS rebinding) is still refused. An IPv4-mapped IPv6
// address, and an IPv6 address that embeds an IPv4 one (NAT64
// 64:ff9b::/96, 6to4 2002::/16), are judged by the IPv4 address inside.
//
// Classes of addresses ([Class]):
//   - public: allowed.
//   - loopback (127/8, ::1) and Unix sockets: allowed with
//     [Policy.AllowLoopback].
//   - private (RFC 1918, RFC 4193 fc00::/7, CGNAT 100.64/10, site-local
//     fec0::/10): allowed with [Policy.AllowPrivate].
//   - metadata (169.254.169.254, 169.254.170.2, fd00:ec2::254,
//     100.100.100.200), link-local (169.254/16, fe80::/10), unspecified
//     (0.0.0.0/8, ::), multicast and broadcast, and reserved ranges:
//     refused whatever the policy says, unless [Policy.Allow] lists a
//     prefix holding the address.
//
// [Policy.Allow] lists prefixes allowed whatever their class, and
// [Policy.AllowHosts] host names whose addresses are allowed whatever
// they resolve to (the operator vouches for the name, so rebinding of
// it is the operator's concern). [ParseAllow] reads both, with the
// keywords "loopback", "private" and "none", from one comma-separated
// setting.
//
// A refused dial fails with a [*RefusedError] (matching [ErrRefused])
// that names the address, its class and what would allow it; it never
// holds anything but the host and address.
//
// Connectors take the guard as a dial function (pgx's DialFunc, the
// MongoDB driver's dialer) or through [Dialer.HTTPClient], whose
// transport dials through the guard and ignores proxy settings (a proxy
// would dial on the guard's behalf, unchecked).
package egress
