package gateway

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"io"
	"log/slog"
	"net/http"
	"regexp"
	"runtime/debug"
	"strconv"
	"sync"
	"time"
	"unicode/utf8"

	"github.com/go-chi/chi/v5/middleware"
	"go.opentelemetry.io/otel/trace"

	"github.com/tenantgraph/tenantgraph/internal/apperr"
)

// RequestIDFrom returns the ID of the request ctx belongs to, or "".
func RequestIDFrom(ctx context.Context) string {
	if l, ok := ctx.Value(requestLogKey{}).(*requestLog); ok {
		return l.id
	}
	return ""
}

// requestIDPattern is what an incoming X-Request-Id must look like to be
// kept; anything else is replaced, so that logs never carry arbitrary
// client text.
var requestIDPattern = regexp.MustCompile(`^[A-Za-z0-9._-]{1,64}$`)

// requestID returns the ID of request r: the client's X-Request-Id if it
// is well-formed, a random one otherwise. chi's middleware.RequestID would
// keep any incoming value, unchecked, and put it in every log line.
func requestID(r *http.Request) string {
	id := r.Header.Get("X-Request-Id")
	if !requestIDPattern.MatchString(id) {
		var b [12]byte
		rand.Read(b[:])
		id = hex.EncodeToString(b[:])
	}
	return id
}

// requestLog is what the access log learns about a request from the
// handlers below it. refusal may be set from any goroutine of the
// request; the other fields only by the request's own.
type requestLog struct {
	id        string // the request's ID (requestID)
	tenant    string
	operation string
	opType    string // query, mutation or subscription; "" before an operation runs

	mu      sync.Mutex
	refusal apperr.Code // why the gateway refused the request, if it did
	errCode apperr.Code // the code of the first error shown to the client, if any
}

// maxLoggedLength bounds the client-controlled strings of a log line, such
// as the operation name and the path, in bytes.
const maxLoggedLength = 128

// truncate returns s cut to at most maxLoggedLength bytes, at a character
// boundary, with "…" appended when it was cut.
func truncate(s string) string {
	if len(s) <= maxLoggedLength {
		return s
	}
	cut := maxLoggedLength
	for cut > 0 && !utf8.RuneStart(s[cut]) {
		cut--
	}
	return s[:cut] + "…"
}

type requestLogKey struct{}

// logTenant records the request's tenant for the access log.
func logTenant(ctx context.Context, id string) {
	if l, ok := ctx.Value(requestLogKey{}).(*requestLog); ok {
		l.tenant = id
	}
}

// logOperation records the GraphQL operation's name and type (query,
// mutation, subscription) for the access log and metrics.
func logOperation(ctx context.Context, name, opType string) {
	if l, ok := ctx.Value(requestLogKey{}).(*requestLog); ok {
		l.operation = truncate(name)
		l.opType = opType
	}
}

// logError records the code of an error shown to the client of ctx's
// request, for its metrics: the first one is the request's outcome
// unless it was refused.
func logError(ctx context.Context, code apperr.Code) {
	if l, ok := ctx.Value(requestLogKey{}).(*requestLog); ok {
		l.mu.Lock()
		if l.errCode == "" {
			l.errCode = code
		}
		l.mu.Unlock()
	}
}

// statusClientClosedRequest is the status logged for a request whose
// client went away before its answer (nginx's 499); the client never sees
// it.
const statusClientClosedRequest = 499

// accessLog gives every request an ID (see requestID), sent back in
// X-Request-Id and read by RequestIDFrom, logs one line per request when
// it completes, counts it in
// refusals if the gateway refused it, and tells observer, if not nil, of
// its outcome (see Observer.ObserveRequest; known says which tenant IDs
// are the registry's). With a tracer, it makes a server span of each
// request (see startRequestSpan and endRequestSpan), whose trace ID the
// line carries. A request refused to protect other tenants
// (timeout, overload) is a warning, not an error of the gateway; a client
// that went away is information.
func accessLog(logger *slog.Logger, refusals *Refusals, observer Observer, known func(string) bool, tracer trace.Tracer) func(http.Handler) http.Handler {
	return func(next http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			start := time.Now()
			rl := requestLog{id: requestID(r)}
			w.Header().Set("X-Request-Id", rl.id)
			ctx := r.Context()
			var span trace.Span
			if tracer != nil {
				ctx, span = startRequestSpan(tracer, r)
			}
			r = r.WithContext(context.WithValue(ctx, requestLogKey{}, &rl))
			ww := middleware.NewWrapResponseWriter(w, r.ProtoMajor)
			next.ServeHTTP(ww, r)
			status := ww.Status()
			if status == 0 {
				status = http.StatusOK
			}
			if span != nil {
				defer endRequestSpan(span, r, status, &rl)
			}
			rl.mu.Lock()
			refusal, errCode := rl.refusal, rl.errCode
			rl.mu.Unlock()
			duration := time.Since(start)
			level := slog.LevelInfo
			switch {
			case refusal == apperr.RequestCancelled:
			case refusal != "" && status >= 500:
				level = slog.LevelWarn
			case status >= 500:
				level = slog.LevelError
			}
			// Room for the optional attributes too, so that appending
			// them does not move the slice to the heap.
			attrs := make([]slog.Attr, 0, 10)
			attrs = append(attrs,
				slog.String("request_id", rl.id),
				slog.String("method", r.Method),
				slog.String("path", truncate(r.URL.Path)),
				slog.Int("status", status),
				slog.Int("bytes", ww.BytesWritten()),
				slog.Duration("duration", duration),
				slog.String("tenant", rl.tenant),
				slog.String("operation", rl.operation),
			)
			if refusal != "" {
				attrs = append(attrs, slog.String("code", string(refusal)))
				if rl.tenant != "" && refusal != apperr.RequestCancelled {
					refusals.Add(rl.tenant, refusal)
				}
			}
			if id := traceID(r.Context()); id != "" {
				attrs = append(attrs, slog.String("trace_id", id))
			}
			logger.LogAttrs(r.Context(), level, "request", attrs...)
			if observer != nil {
				observeRequest(observer, known, &rl, status, refusal, errCode, duration)
			}
		})
	}
}

// recoverer turns a panic outside GraphQL execution into a logged error
// and a generic 500 GraphQL error; gqlgen recovers panics in resolvers
// itself. chi's middleware.Recoverer answers in plain text, without
// extensions.code.
func recoverer(logger *slog.Logger) func(http.Handler) http.Handler {
	return func(next http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			defer func() {
				p := recover()
				if p == nil {
					return
				}
				if p == http.ErrAbortHandler {
					panic(p)
				}
				logger.LogAttrs(r.Context(), slog.LevelError, "panic",
					slog.String("request_id", RequestIDFrom(r.Context())),
					slog.Any("panic", p),
					slog.String("stack", string(debug.Stack())),
				)
				apperr.Write(w, http.StatusInternalServerError, &apperr.Error{Code: apperr.Internal, Message: internalMessage})
			}()
			next.ServeHTTP(w, r)
		})
	}
}

// bodyLimit reads the whole request body, up to limit bytes, before the
// handler runs, and answers 413 beyond it. Reading first, rather than
// wrapping the body in http.MaxBytesReader, gives one clear answer whatever
// the handler below would make of a truncated body.
func bodyLimit(limit int64) func(http.Handler) http.Handler {
	return func(next http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			if r.ContentLength > limit {
				tooLarge(w, limit)
				return
			}
			if r.Body == nil || r.Body == http.NoBody {
				next.ServeHTTP(w, r)
				return
			}
			body, err := readBody(http.MaxBytesReader(w, r.Body, limit), r.ContentLength)
			var mbe *http.MaxBytesError
			if errors.As(err, &mbe) {
				tooLarge(w, limit)
				return
			}
			if err != nil {
				apperr.Write(w, http.StatusBadRequest, &apperr.Error{Code: apperr.BadRequest, Message: "could not read the request body"})
				return
			}
			mb := &memBody{data: body}
			mb.Reset(body)
			r.Body = mb
			next.ServeHTTP(w, r)
		})
	}
}

// maxPrealloc bounds the buffer readBody makes for a body before reading
// it: most GraphQL requests are smaller.
const maxPrealloc = 16 << 10

// memBody is a request body that bodyLimit has read into memory. It
// reads as any body does; bodyBytes takes its bytes without a copy.
type memBody struct {
	bytes.Reader
	data []byte
}

// readBody reads all of body, whose length is n when n >= 0 (the
// request's Content-Length, already checked against the limit), into one
// buffer of that size, where io.ReadAll would grow one from 512 bytes.
// The buffer made before any byte arrives is at most maxPrealloc: a
// client's Content-Length alone must not make the gateway hold memory.
func readBody(body io.Reader, n int64) ([]byte, error) {
	if n < 0 {
		return io.ReadAll(body)
	}
	buf := bytes.NewBuffer(make([]byte, 0, min(n, maxPrealloc)+bytes.MinRead))
	_, err := buf.ReadFrom(body)
	return buf.Bytes(), err
}

func (*memBody) Close() error { return nil }

// bodyBytes returns the whole body of r.
func bodyBytes(r *http.Request) ([]byte, error) {
	if b, ok := r.Body.(*memBody); ok {
		return b.data, nil
	}
	if r.Body == nil {
		return nil, nil
	}
	return io.ReadAll(r.Body)
}

func tooLarge(w http.ResponseWriter, limit int64) {
	w.Header().Set("Connection", "close")
	apperr.Write(w, http.StatusRequestEntityTooLarge, &apperr.Error{
		Code:    apperr.PayloadTooLarge,
		Message: "request body is larger than " + formatBytes(limit),
	})
}

func formatBytes(n int64) string {
	switch {
	case n >= 1<<20 && n%(1<<20) == 0:
		return itoa(n>>20) + " MiB"
	case n >= 1<<10 && n%(1<<10) == 0:
		return itoa(n>>10) + " KiB"
	}
	return itoa(n) + " bytes"
}

func itoa(n int64) string { return strconv.FormatInt(n, 10) }
