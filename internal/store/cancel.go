package store

import (
	"context"
	"time"

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
// A cancelHandler serves one connection, which watches one context at a
// time.
type cancelHandler struct {
	conn     *pgconn.PgConn
	finished chan struct{} // closed when the cancel request is over
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
// cancel request to be over before the connection is used again.
func (h *cancelHandler) HandleUnwatchAfterCancel() {
	<-h.finished
	h.conn.Conn().SetDeadline(time.Time{})
}
