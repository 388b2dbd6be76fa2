package upstream

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/netip"
	"net/url"
	"strconv"
	"strings"
	"syscall"
	"time"
)

// ErrRefused is matched (errors.Is) by the errors of a Guard that refuses
// an address or a URL: a *RefusedError.
var ErrRefused = errors.New("refused by the SSRF guard")

// RefusedError is a Guard's refusal of an address, or of a URL.
type RefusedError struct {
	// Addr is the refused address; the zero Addr when a URL is refused
	// for something other than its address.
	Addr netip.Addr
	// Reason says why, as in "is link-local" or "must be https".
	Reason string
}

// Error returns "address ADDR REASON" or "URL REASON".
func (e *RefusedError) Error() string {
	if e.Addr.IsValid() {
		return "address " + e.Addr.String() + " " + e.Reason
	}
	return "URL " + e.Reason
}

// Is reports whether target is ErrRefused.
func (e *RefusedError) Is(target error) bool { return target == ErrRefused }

// Resolver looks up the addresses of a host. *net.Resolver implements it.
type Resolver interface {
	LookupNetIP(ctx context.Context, network, host string) ([]netip.Addr, error)
}

var _ Resolver = (*net.Resolver)(nil)

// Guard keeps upstream requests away from addresses a tenant must not
// reach through the gateway (server-side request forgery). It allows
// loopback (tests and local development run upstreams there) and public
// addresses. It always refuses the unspecified address (0.0.0.0/8, ::),
// link-local addresses (169.254.0.0/16, fe80::/10, where cloud metadata
// services live), known metadata addresses (169.254.169.254,
// fd00:ec2::254, 100.100.100.200), multicast, broadcast and the reserved
// 240.0.0.0/4. It refuses private addresses (10.0.0.0/8, 172.16.0.0/12,
// 192.168.0.0/16, 100.64.0.0/10, 198.18.0.0/15, fc00::/7, fec0::/10)
// unless AllowPrivate is set. IPv4 addresses embedded in IPv6 ones
// (::ffff:a.b.c.d, NAT64's 64:ff9b::/96, 6to4's 2002::/16) are judged as
// the IPv4 address they lead to.
//
// A Guard judges twice: CheckURL when a tenant compiles (literal IP
// hosts; hostnames can't be judged before they are resolved), and
// DialContext on every connection, which resolves the host, judges every
// address it resolves to and connects to those addresses only, so a
// hostname that resolves elsewhere later (DNS rebinding) is refused then.
//
// The zero Guard refuses private addresses and resolves with
// net.DefaultResolver. A Guard must not be changed once in use; its
// methods may be called concurrently.
type Guard struct {
	// AllowPrivate allows private addresses (a gateway setting, for
	// upstreams in the gateway's own network). Default: refused.
	AllowPrivate bool
	// Resolver resolves hostnames at dial time. Default:
	// net.DefaultResolver.
	Resolver Resolver
}

var (
	// metadataAddrs are refused whatever the Guard's settings: cloud
	// metadata services, some of them outside link-local space.
	metadataAddrs = []netip.Addr{
		netip.MustParseAddr("169.254.169.254"), // AWS, GCP, Azure, OpenStack, ...
		netip.MustParseAddr("fd00:ec2::254"),   // AWS over IPv6
		netip.MustParseAddr("100.100.100.200"), // Alibaba Cloud
	}
	thisNetwork   = netip.MustParsePrefix("0.0.0.0/8")
	reserved4     = netip.MustParsePrefix("240.0.0.0/4") // includes 255.255.255.255
	privatePrefix = []netip.Prefix{
		netip.MustParsePrefix("100.64.0.0/10"), // carrier-grade NAT
		netip.MustParsePrefix("198.18.0.0/15"), // benchmarking, used inside data centres
		netip.MustParsePrefix("fec0::/10"),     // deprecated site-local
	}
	nat64  = netip.MustParsePrefix("64:ff9b::/96")
	sixTo4 = netip.MustParsePrefix("2002::/16")
)

// CheckAddr returns nil if the guard allows connecting to a, or else a
// *RefusedError saying why not.
func (g *Guard) CheckAddr(a netip.Addr) error {
	a = a.Unmap().WithZone("")
	if !a.IsValid() {
		return &RefusedError{Addr: a, Reason: "is not a valid address"}
	}
	if a.Is6() {
		// An IPv6 address that leads to an IPv4 one is judged as that one.
		b := a.As16()
		switch {
		case nat64.Contains(a):
			return g.CheckAddr(netip.AddrFrom4([4]byte(b[12:16])))
		case sixTo4.Contains(a):
			return g.CheckAddr(netip.AddrFrom4([4]byte(b[2:6])))
		}
	}
	refuse := func(reason string) error { return &RefusedError{Addr: a, Reason: reason} }
	switch {
	case a.IsLoopback():
		return nil
	case a.IsUnspecified() || thisNetwork.Contains(a):
		return refuse("is unspecified")
	}
	for _, m := range metadataAddrs {
		if a == m {
			return refuse("is a cloud metadata service")
		}
	}
	switch {
	case a.IsLinkLocalUnicast():
		return refuse("is link-local")
	case a.IsMulticast():
		return refuse("is multicast")
	case a.Is4() && reserved4.Contains(a):
		return refuse("is reserved or broadcast")
	case g.AllowPrivate:
		return nil
	case a.IsPrivate():
		return refuse("is private (allowed only when the gateway allows private upstreams)")
	}
	for _, p := range privatePrefix {
		if p.Contains(a) {
			return refuse("is private (allowed only when the gateway allows private upstreams)")
		}
	}
	return nil
}

// CheckURL returns nil if the guard allows rawURL as an upstream's URL,
// or else an error saying why not, which does not repeat the URL: it must
// be absolute, https (or http on a loopback host: localhost, 127.0.0.0/8,
// ::1), without credentials or fragment, and a literal IP host must pass
// CheckAddr. Refusals of the host's address match ErrRefused. Hostnames
// are judged when they are dialed.
func (g *Guard) CheckURL(rawURL string) error {
	u, err := url.Parse(rawURL)
	if err != nil {
		var ue *url.Error
		if errors.As(err, &ue) {
			err = ue.Err // without the URL
		}
		return fmt.Errorf("is not a URL: %w", err)
	}
	if !u.IsAbs() || u.Host == "" || u.Opaque != "" {
		return errors.New("is not an absolute URL")
	}
	host := u.Hostname()
	if host == "" {
		return errors.New("has no host")
	}
	if p := u.Port(); p != "" {
		if n, err := strconv.ParseUint(p, 10, 16); err != nil || n == 0 {
			return fmt.Errorf("has an invalid port %q", p)
		}
	}
	if u.User != nil {
		return errors.New("must not hold credentials: put them in headers, from a secret")
	}
	if strings.Contains(rawURL, "#") {
		return errors.New("must not have a fragment")
	}
	addr, addrErr := netip.ParseAddr(host)
	if addrErr != nil && numericName(host) {
		// "0", "127.1", "0x7f.1", "2130706433": resolvers read these as
		// addresses in forms no one writes on purpose.
		return fmt.Errorf("host %q is neither a hostname nor an IP address in standard form", host)
	}
	switch u.Scheme {
	case "https":
	case "http":
		if host != "localhost" && (addrErr != nil || !addr.Unmap().IsLoopback()) {
			return &RefusedError{Reason: "must be https (http only on a loopback host)"}
		}
	default:
		return &RefusedError{Reason: fmt.Sprintf("must be https, not %s", u.Scheme)}
	}
	if addrErr == nil {
		return g.CheckAddr(addr)
	}
	return nil
}

// numericName reports whether host's last label is a number (decimal,
// or hexadecimal with 0x), which no DNS name's is.
func numericName(host string) bool {
	label := strings.TrimSuffix(host, ".")
	label = label[strings.LastIndexByte(label, '.')+1:]
	if len(label) > 2 && (label[:2] == "0x" || label[:2] == "0X") {
		label = label[2:]
		return strings.Trim(label, "0123456789abcdefABCDEF") == "" && label != ""
	}
	return label != "" && strings.Trim(label, "0123456789") == ""
}

// DialContext connects to addr ("host:port") on network ("tcp", "tcp4"
// or "tcp6"), for an http.Transport: it resolves host, returns an error
// matching ErrRefused if any of its addresses is refused, and otherwise
// connects to those addresses in turn (never to the name again) until one
// answers. The socket's remote address is checked once more just before
// it connects.
func (g *Guard) DialContext(ctx context.Context, network, addr string) (net.Conn, error) {
	host, portStr, err := net.SplitHostPort(addr)
	if err != nil {
		return nil, err
	}
	port, err := strconv.ParseUint(portStr, 10, 16)
	if err != nil {
		return nil, fmt.Errorf("dial %s: invalid port %q", host, portStr)
	}
	var addrs []netip.Addr
	if a, err := netip.ParseAddr(host); err == nil {
		addrs = []netip.Addr{a}
	} else {
		lookup := "ip"
		switch network {
		case "tcp4":
			lookup = "ip4"
		case "tcp6":
			lookup = "ip6"
		}
		r := g.Resolver
		if r == nil {
			r = net.DefaultResolver
		}
		addrs, err = r.LookupNetIP(ctx, lookup, host)
		if err != nil {
			return nil, err
		}
		if len(addrs) == 0 {
			return nil, fmt.Errorf("dial %s: no address", host)
		}
	}
	for _, a := range addrs {
		if err := g.CheckAddr(a); err != nil {
			return nil, fmt.Errorf("dial %s: %w", host, err)
		}
	}
	d := net.Dialer{KeepAlive: 30 * time.Second, Control: g.control}
	var first error
	for _, a := range addrs {
		c, err := d.DialContext(ctx, network, netip.AddrPortFrom(a, uint16(port)).String())
		if err == nil {
			return c, nil
		}
		if first == nil {
			first = err
		}
		if ctx.Err() != nil {
			break
		}
	}
	return nil, first
}

// control is the net.Dialer's Control: the last check, of the address the
// socket is about to connect to.
func (g *Guard) control(_, address string, _ syscall.RawConn) error {
	ap, err := netip.ParseAddrPort(address)
	if err != nil {
		return fmt.Errorf("dial %s: not an IP address", address)
	}
	return g.CheckAddr(ap.Addr())
}

// NewTransport returns an http.Transport for upstream requests that dials
// through g (nil: the zero Guard), uses no proxy (a proxy would connect
// where the guard can't see), and speaks HTTP/2 where the upstream does.
// Clients may share one; New makes one per Client when Options.Transport
// is nil.
func NewTransport(g *Guard) *http.Transport {
	if g == nil {
		g = &Guard{}
	}
	return &http.Transport{
		Proxy:                  nil,
		DialContext:            g.DialContext,
		ForceAttemptHTTP2:      true,
		TLSClientConfig:        &tls.Config{MinVersion: tls.VersionTLS12},
		TLSHandshakeTimeout:    5 * time.Second,
		MaxIdleConns:           256,
		MaxIdleConnsPerHost:    64,
		IdleConnTimeout:        90 * time.Second,
		MaxResponseHeaderBytes: 64 << 10,
	}
}
