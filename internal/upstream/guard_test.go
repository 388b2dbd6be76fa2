package upstream_test

import (
	"context"
	"crypto/x509"
	"errors"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"net/url"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/tenantgraph/tenantgraph/examples/inventory"
	"github.com/tenantgraph/tenantgraph/internal/upstream"
)

func TestCheckAddr(t *testing.T) {
	for _, tc := range []struct {
		addr          string
		refused       string // the reason; "" allowed
		allowPrivate  bool   // the verdict with AllowPrivate differs
		refusedAnyway bool
	}{
		{addr: "127.0.0.1"},
		{addr: "127.8.9.10"},
		{addr: "::1"},
		{addr: "::ffff:127.0.0.1"},
		{addr: "93.184.215.14"},
		{addr: "2606:4700::6810:84e5"},
		{addr: "0.0.0.0", refused: "is unspecified"},
		{addr: "0.1.2.3", refused: "is unspecified"},
		{addr: "::", refused: "is unspecified"},
		{addr: "169.254.169.254", refused: "is a cloud metadata service"},
		{addr: "::ffff:169.254.169.254", refused: "is a cloud metadata service"},
		{addr: "64:ff9b::a9fe:a9fe", refused: "is a cloud metadata service"}, // NAT64 of 169.254.169.254
		{addr: "2002:a9fe:a9fe::1", refused: "is a cloud metadata service"},  // 6to4 of it
		{addr: "fd00:ec2::254", refused: "is a cloud metadata service"},
		{addr: "100.100.100.200", refused: "is a cloud metadata service"},
		{addr: "169.254.1.1", refused: "is link-local"},
		{addr: "fe80::1", refused: "is link-local"},
		{addr: "fe80::1%eth0", refused: "is link-local"},
		{addr: "224.0.0.1", refused: "is multicast"},
		{addr: "ff02::1", refused: "is multicast"},
		{addr: "255.255.255.255", refused: "is reserved or broadcast"},
		{addr: "240.0.0.1", refused: "is reserved or broadcast"},
		{addr: "10.0.0.1", refused: "is private", allowPrivate: true},
		{addr: "172.16.5.4", refused: "is private", allowPrivate: true},
		{addr: "172.31.255.255", refused: "is private", allowPrivate: true},
		{addr: "192.168.1.1", refused: "is private", allowPrivate: true},
		{addr: "100.64.0.1", refused: "is private", allowPrivate: true},
		{addr: "198.18.0.1", refused: "is private", allowPrivate: true},
		{addr: "fc00::1", refused: "is private", allowPrivate: true},
		{addr: "fd12:3456::1", refused: "is private", allowPrivate: true},
		{addr: "64:ff9b::a00:1", refused: "is private", allowPrivate: true}, // NAT64 of 10.0.0.1
		{addr: "172.32.0.1"},
	} {
		t.Run(tc.addr, func(t *testing.T) {
			a := netip.MustParseAddr(tc.addr)
			err := (&upstream.Guard{}).CheckAddr(a)
			if tc.refused == "" {
				require.NoError(t, err)
				return
			}
			require.ErrorIs(t, err, upstream.ErrRefused)
			require.Contains(t, err.Error(), tc.refused)
			err = (&upstream.Guard{AllowPrivate: true}).CheckAddr(a)
			if tc.allowPrivate {
				require.NoError(t, err, "with AllowPrivate")
			} else {
				require.ErrorIs(t, err, upstream.ErrRefused, "refused even with AllowPrivate")
			}
		})
	}
}

func TestCheckURL(t *testing.T) {
	for _, tc := range []struct {
		url, err string
	}{
		{url: "https://inventory.example/graphql"},
		{url: "https://inventory.example:8443/graphql?v=2"},
		{url: "https://93.184.215.14/graphql"},
		{url: "http://localhost:4001/graphql"},
		{url: "http://127.0.0.1:4001/graphql"},
		{url: "http://[::1]:4001/graphql"},
		{url: "https://[::1]/graphql"},
		{url: "http://inventory.example/graphql", err: "URL must be https (http only on a loopback host)"},
		{url: "http://10.0.0.1/graphql", err: "URL must be https (http only on a loopback host)"},
		{url: "http://localhost.evil.example/", err: "URL must be https (http only on a loopback host)"},
		{url: "ftp://inventory.example/", err: "URL must be https, not ftp"},
		{url: "https://169.254.169.254/latest/meta-data", err: "address 169.254.169.254 is a cloud metadata service"},
		{url: "https://[fe80::1]/", err: "address fe80::1 is link-local"},
		{url: "https://[::ffff:a9fe:a9fe]/", err: "address 169.254.169.254 is a cloud metadata service"},
		{url: "https://10.1.2.3/graphql", err: "address 10.1.2.3 is private (allowed only when the gateway allows private upstreams)"},
		{url: "https://0.0.0.0:4001/", err: "address 0.0.0.0 is unspecified"},
		{url: "https://user:pw@inventory.example/", err: "must not hold credentials: put them in headers, from a secret"},
		{url: "https://inventory.example/graphql#x", err: "must not have a fragment"},
		{url: "https://inventory.example/graphql#", err: "must not have a fragment"},
		{url: "/graphql", err: "is not an absolute URL"},
		{url: "inventory.example/graphql", err: "is not an absolute URL"},
		{url: "https:inventory", err: "is not an absolute URL"},
		{url: "https://:443/", err: "has no host"},
		{url: "https://inventory.example:0/", err: `has an invalid port "0"`},
		{url: "https://inventory.example:99999/", err: `has an invalid port "99999"`},
		{url: "https://0:4001/", err: `host "0" is neither a hostname nor an IP address in standard form`},
		{url: "https://127.1/", err: `host "127.1" is neither a hostname nor an IP address in standard form`},
		{url: "https://0x7f.0x1/", err: `host "0x7f.0x1" is neither a hostname nor an IP address in standard form`},
		{url: "https://2130706433/", err: `host "2130706433" is neither a hostname nor an IP address in standard form`},
		{url: "https://a.example.123/", err: `host "a.example.123" is neither a hostname nor an IP address in standard form`},
		{url: "https://123.example/"},
		{url: "https://0xcafe.example/"},
		{url: "https://inv entory/", err: "is not a URL: invalid character \" \" in host name"},
	} {
		t.Run(tc.url, func(t *testing.T) {
			err := (&upstream.Guard{}).CheckURL(tc.url)
			if tc.err == "" {
				require.NoError(t, err)
				return
			}
			require.EqualError(t, err, tc.err)
		})
	}
	require.NoError(t, (&upstream.Guard{AllowPrivate: true}).CheckURL("https://10.1.2.3/graphql"))
}

// TestDialRefusesResolvedAddresses checks the guard at dial time, with
// hostnames that resolve (through a resolver of the test's own) to
// addresses it refuses.
func TestDialRefusesResolvedAddresses(t *testing.T) {
	s := newStub(t, serve)
	_, port, _ := net.SplitHostPort(must(url.Parse(s.URL())).Host)
	g := &upstream.Guard{Resolver: &fakeResolver{answers: map[string][][]netip.Addr{
		"metadata.test": {addrs("169.254.169.254")},
		"private.test":  {addrs("10.1.2.3")},
		"mixed.test":    {addrs("127.0.0.1", "169.254.169.254")},
		"loopback.test": {addrs("127.0.0.1")},
	}}}
	for host, want := range map[string]string{
		"metadata.test": "dial metadata.test: address 169.254.169.254 is a cloud metadata service",
		"private.test":  "dial private.test: address 10.1.2.3 is private (allowed only when the gateway allows private upstreams)",
		"mixed.test":    "dial mixed.test: address 169.254.169.254 is a cloud metadata service",
		"169.254.1.2":   "dial 169.254.1.2: address 169.254.1.2 is link-local",
	} {
		_, err := g.DialContext(context.Background(), "tcp", net.JoinHostPort(host, port))
		require.ErrorIs(t, err, upstream.ErrRefused, host)
		require.EqualError(t, err, want)
	}
	conn, err := g.DialContext(context.Background(), "tcp", net.JoinHostPort("loopback.test", port))
	require.NoError(t, err)
	require.Equal(t, "127.0.0.1:"+port, conn.RemoteAddr().String())
	conn.Close()

	// Through a Client: the URL passes at compile time, the dial is
	// refused, nothing reaches the address, and the error says nothing
	// of it.
	logs := &logRecorder{}
	c := newClient(t, upstream.Spec{URLs: []string{"https://metadata.test:" + port + "/graphql"}},
		upstream.Options{Guard: g, Logger: slog.New(logs)})
	_, err = c.Entities(context.Background(), "Goods", []string{"a"}, selection(t, stockAndWarehouse), nil)
	require.ErrorIs(t, err, upstream.ErrUnavailable)
	require.NotErrorIs(t, err, upstream.ErrRefused)
	require.NotContains(t, err.Error(), "169.254")
	require.Contains(t, logs.Text(), "address 169.254.169.254 is a cloud metadata service")
	require.Zero(t, s.Hits())
}

// TestDNSRebinding checks that a hostname that resolves to an allowed
// address first and to a refused one later is refused then.
func TestDNSRebinding(t *testing.T) {
	srv := httptest.NewTLSServer(inventory.NewHandler(&inventory.Inventory{}, inventory.Options{}))
	t.Cleanup(srv.Close)
	_, port, _ := net.SplitHostPort(srv.Listener.Addr().String())
	// httptest's certificate is for example.com.
	g := &upstream.Guard{Resolver: &fakeResolver{answers: map[string][][]netip.Addr{
		"example.com": {addrs("127.0.0.1"), addrs("169.254.169.254")},
	}}}
	tr := upstream.NewTransport(g)
	tr.TLSClientConfig.RootCAs = x509.NewCertPool()
	tr.TLSClientConfig.RootCAs.AddCert(srv.Certificate())
	tr.DisableKeepAlives = true // every call dials, and resolves, again
	t.Cleanup(tr.CloseIdleConnections)
	c := newClient(t, upstream.Spec{URLs: []string{"https://example.com:" + port + "/graphql"}},
		upstream.Options{Guard: g, Transport: tr})

	res, err := c.Entities(context.Background(), "Goods", []string{"a"}, selection(t, stockAndWarehouse), nil)
	require.NoError(t, err, "https to a hostname, resolved by the guard, verified by its certificate")
	require.Equal(t, want("a"), upstream.AsMap(res[0].Data))

	_, err = c.Entities(context.Background(), "Goods", []string{"a"}, selection(t, stockAndWarehouse), nil)
	require.ErrorIs(t, err, upstream.ErrUnavailable, "the name now resolves to the metadata service")
}

// TestNoRedirects checks that a redirect is not followed: it could lead
// past the URL checks.
func TestNoRedirects(t *testing.T) {
	target := newStub(t, serve)
	redirect := httptest.NewServer(http.RedirectHandler(target.URL(), http.StatusTemporaryRedirect))
	t.Cleanup(redirect.Close)
	c := newClient(t, upstream.Spec{URLs: []string{redirect.URL}}, upstream.Options{})
	_, err := c.Entities(context.Background(), "Goods", []string{"a"}, selection(t, stockAndWarehouse), nil)
	require.ErrorIs(t, err, upstream.ErrUnavailable)
	require.Zero(t, target.Hits())
}

func TestRefusedError(t *testing.T) {
	err := error(&upstream.RefusedError{Addr: netip.MustParseAddr("10.0.0.1"), Reason: "is private"})
	require.True(t, errors.Is(err, upstream.ErrRefused))
	require.Equal(t, "address 10.0.0.1 is private", err.Error())
}
