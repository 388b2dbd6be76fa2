package store

import (
	"context"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgconn/ctxwatch"
)

// cancelRequestTimeout bounds a cancel request: the time to connect to the
// server (or the pooler) and for it to pass the request on and close the
// connection.
const cancelRequestTimeout = 5 * time.Second

// cancelDeadlineDelay is how long after a request's context ends the
// store waits for the cancelled statement to return before it drops the
// connection.
const cancelDeadlineDelay = time.Second

// cancelUnwatchWait is the longest a statement's caller waits, once the
// statement has ended, for its cancel request to be over: one normally
// takes a millisecond, and then the 100 ms that let the server deliver it.
const cancelUnwatchWait = 250 * time.Millisecond

// cancelHandler is the ctxwatch.Handler of the store's connections. When a
// statement's context ends, it sends the server a cancel request, so that
// the statement stops at once rather than when it next writes to the
// client, and sets a deadline of cancelDeadlineDelay on the connection in
// case the cancellation does not come through.
//
// It is pgconn.CancelRequestContextWatcherHandler, but for one thing: a
// cancel request once sent is seen through to its end (within
// cancelRequestTimeout), even when the statement ends first, whereas pgx's
// handler closes the cancel request's connection as soon as the statement
// ends. PgBouncer before 1.19.1 (Debian 12 ships 1.18) exits with a fatal
// error, "disconnect_client(): bad client state: 0", when a client closes
// a cancel request's connection before PgBouncer has passed the request on
// (PgBouncer issue 801), and statements often end just before their
// cancel request arrives: the statement timeout that the store sets from
// the same deadline fires, or the statement completes.
//
// The statement's caller waits for the cancel request for at most
// cancelUnwatchWait: a cancel request still out then (PgBouncer or the
// server slow to take it) is left to finish on its own, and the
// connection, whose next statement it could otherwise cancel, is marked
// to be dropped when it is next taken from the pool (see usable).
//
// A cancelHandler serves one connection, which watches one context at a
// time.
type cancelHandler struct {
	conn     *pgconn.PgConn
	finished chan struct{} // closed when the cancel request is over
}

// cancelPending is the key, in a connection's CustomData, that marks a
// connection whose cancel request was still out when its statement
// ended.
const cancelPending = "tenantgraph.cancelPending"

// usable is the pool's PrepareConn: it drops a connection whose cancel
// request may still reach the server. (AfterRelease, which would drop it
// sooner, runs in a goroutine of its own on every release: a cost to
// every request.)
func usable(_ context.Context, c *pgx.Conn) (bool, error) {
	return c.PgConn().CustomData()[cancelPending] == nil, nil
}

var _ ctxwatch.Handler = (*cancelHandler)(nil)

// HandleCancel implements ctxwatch.Handler.
func (h *cancelHandler) HandleCancel(context.Context) {
	h.finished = make(chan struct{})
	h.conn.Conn().SetDeadline(time.Now().Add(cancelDeadlineDelay))
	go func() {
		defer close(h.finished)
		ctx, cancel := context.WithTimeout(context.Background(), cancelRequestTimeout)
		defer cancel()
		h.conn.CancelRequest(ctx) // on failure, the deadline ends the statement
		// The server has the request, but may not yet have delivered it
		// to the session: wait a moment, as pgx's handler does, before
		// the connection runs its next statement, which it could
		// otherwise cancel.
		time.Sleep(100 * time.Millisecond)
	}()
}

// HandleUnwatchAfterCancel implements ctxwatch.Handler: it waits for the
// cancel request to be over before the connection is used again, or, if
// that takes longer than cancelUnwatchWait, marks the connection to be
// dropped.
func (h *cancelHandler) HandleUnwatchAfterCancel() {
	wait := time.NewTimer(cancelUnwatchWait)
	defer wait.Stop()
	select {
	case <-h.finished:
	case <-wait.C:
		h.conn.CustomData()[cancelPending] = true
	}
	h.conn.Conn().SetDeadline(time.Time{})
}
