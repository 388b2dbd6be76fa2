package store_test

import (
	"context"
	"encoding/binary"
	"io"
	"net"
	"net/url"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/tenantgraph/tenantgraph/internal/store"
)

// stallingProxy passes connections on to the Postgres server at target,
// but holds cancel requests without passing them on until the test ends,
// as a server or pooler slow to take them would. It returns the address
// to connect to.
func stallingProxy(t *testing.T, target string) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	var (
		mu    sync.Mutex
		conns []net.Conn
	)
	track := func(c net.Conn) {
		mu.Lock()
		conns = append(conns, c)
		mu.Unlock()
	}
	t.Cleanup(func() {
		ln.Close()
		mu.Lock()
		defer mu.Unlock()
		for _, c := range conns {
			c.Close()
		}
	})
	go func() {
		for {
			client, err := ln.Accept()
			if err != nil {
				return
			}
			track(client)
			go func() {
				// The first message has no type byte: its length, then
				// a code (80877102 for a cancel request).
				var head [8]byte
				if _, err := io.ReadFull(client, head[:]); err != nil {
					return
				}
				if binary.BigEndian.Uint32(head[4:]) == 80877102 {
					io.Copy(io.Discard, client) // held until the test ends
					return
				}
				server, err := net.Dial("tcp", target)
				if err != nil {
					client.Close()
					return
				}
				track(server)
				server.Write(head[:])
				go io.Copy(server, client)
				io.Copy(client, server)
			}()
		}
	}()
	return ln.Addr().String()
}

// TestPostgresCancelRequestStalls runs a statement past its deadline
// while cancel requests stall: the statement timeout the store sets ends
// the statement, and the call returns soon after, rather than waiting for
// the cancel request: the connection it
// leaves behind, whose cancel request could still arrive, is not used
// again, and the store serves on.
func TestPostgresCancelRequestStalls(t *testing.T) {
	direct := databaseURL(t)
	s := openPostgres(t, direct) // migrates
	u, err := url.Parse(direct)
	require.NoError(t, err)
	u.Host = stallingProxy(t, u.Host)
	q := u.Query()
	q.Set("pool_max_conns", "1")
	u.RawQuery = q.Encode()
	proxied, err := store.OpenPostgres(t.Context(), u.String(), testLogger(t))
	require.NoError(t, err)
	defer proxied.Close()

	g, err := s.Create(t.Context(), "t1", store.NewGoods{Name: "Teapot", Price: 1})
	require.NoError(t, err)
	_, err = proxied.Get(t.Context(), "t1", g.ID) // prepares the statement
	require.NoError(t, err)
	require.EqualValues(t, 1, proxied.Stat().TotalConns())

	locker := connect(t, direct)
	tx, err := locker.Begin(t.Context())
	require.NoError(t, err)
	defer tx.Rollback(context.Background())
	_, err = tx.Exec(t.Context(), "LOCK TABLE goods IN ACCESS EXCLUSIVE MODE")
	require.NoError(t, err)

	const after = 200 * time.Millisecond
	ctx, cancel := context.WithTimeout(t.Context(), after)
	defer cancel()
	began := time.Now()
	_, err = proxied.Get(ctx, "t1", g.ID)
	took := time.Since(began)
	require.ErrorIs(t, err, context.DeadlineExceeded)
	// The cancel request's own bound is 5 s; the connection's fallback
	// deadline 1 s.
	require.Less(t, took, after+time.Second, "the call waited for the stalled cancel request")
	t.Logf("the call returned after %v", took.Round(time.Millisecond))

	require.NoError(t, tx.Rollback(t.Context()))
	made := proxied.Stat().NewConnsCount()
	_, err = proxied.Get(t.Context(), "t1", g.ID)
	require.NoError(t, err)
	require.Equal(t, made+1, proxied.Stat().NewConnsCount(),
		"the connection with a cancel request out was dropped, and a new one serves")
	require.EqualValues(t, 1, proxied.Stat().TotalConns())
}
