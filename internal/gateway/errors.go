package gateway

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"runtime/debug"
	"strings"

	"github.com/99designs/gqlgen/graphql"
	"github.com/vektah/gqlparser/v2/gqlerror"

	"github.com/tenantgraph/tenantgraph/internal/apperr"
	"github.com/tenantgraph/tenantgraph/internal/tenant"
)

// internalMessage is all a client learns of an internal error or a panic.
// It is the message of gqlgen's DefaultRecover.
const internalMessage = "internal system error"

// errPanic marks the error a recovered panic becomes.
var errPanic = errors.New("panic")

// ErrorPresenter returns the gateway's one error presenter. It turns every
// error a resolver or gqlgen reports into what the client sees:
//
//   - an error caused by the end of the request's context is
//     REQUEST_TIMEOUT (its deadline passed) or REQUEST_CANCELLED (its
//     client went away), not an internal error, and is not logged here:
//     the access log says it once;
//   - an *apperr.Error keeps its message and gets its code;
//   - an error gqlgen made itself (parsing, validation, variable coercion)
//     is passed on, with BAD_REQUEST (before execution) or
//     INTERNAL_SERVER_ERROR (during it) as the code if it had none;
//   - anything else (SQL errors, broken invariants, panics) is logged with
//     the request ID and shown only as "internal system error".
//
// Path and locations are kept in every case. Unless suggestions is set
// and the request's tenant allows introspection, errors of the request
// (validation, variables) lose their "Did you mean ...?" suggestions,
// which would show names of the schema.
func ErrorPresenter(logger *slog.Logger, suggestions bool) graphql.ErrorPresenterFunc {
	return func(ctx context.Context, err error) *gqlerror.Error {
		gqlErr := graphql.DefaultErrorPresenter(ctx, err)
		if code, msg, ok := contextError(err); ok {
			refuse(ctx, code)
			return &gqlerror.Error{
				Message:    msg,
				Path:       gqlErr.Path,
				Locations:  gqlErr.Locations,
				Extensions: map[string]any{"code": string(code)},
			}
		}
		if ae, ok := apperr.As(err); ok {
			if ae.Code == apperr.Forbidden {
				// A field the caller may not use (authorization's reject
				// mode): the request is counted as refused for it.
				refuse(ctx, ae.Code)
			}
			gqlErr.Message = ae.Message
			setCode(gqlErr, ae.Code)
			if ae.Argument != "" {
				gqlErr.Extensions["argument"] = ae.Argument
			}
			if ae.Field != "" {
				gqlErr.Extensions["field"] = ae.Field
			}
			return gqlErr
		}
		if gqlErr.Err == nil && !errors.Is(err, errPanic) {
			// Made by gqlgen from the request: safe to show. Without a
			// code of its own, an error without a path is about the
			// request (such as a malformed persisted-query extension);
			// one with a path happened during execution.
			if _, ok := gqlErr.Extensions["code"]; !ok {
				code := apperr.Internal
				if len(gqlErr.Path) == 0 {
					code = apperr.BadRequest
				}
				setCode(gqlErr, code)
			}
			if !(suggestions && introspectable(ctx)) {
				gqlErr.Message = withoutSuggestions(gqlErr.Message)
			}
			return gqlErr
		}
		tid, _ := tenant.IDFrom(ctx)
		logger.LogAttrs(ctx, slog.LevelError, "internal error",
			slog.String("request_id", RequestIDFrom(ctx)),
			slog.String("tenant", tid),
			slog.String("path", gqlErr.Path.String()),
			slog.Any("error", err),
		)
		return &gqlerror.Error{
			Message:    internalMessage,
			Path:       gqlErr.Path,
			Locations:  gqlErr.Locations,
			Extensions: map[string]any{"code": apperr.Internal},
		}
	}
}

// RecoverFunc returns the gateway's gqlgen recover function: it logs the
// panic with its stack and request ID, and returns an error that the
// ErrorPresenter shows as a generic internal error.
func RecoverFunc(logger *slog.Logger) graphql.RecoverFunc {
	return func(ctx context.Context, p any) error {
		logger.LogAttrs(ctx, slog.LevelError, "panic in resolver",
			slog.String("request_id", RequestIDFrom(ctx)),
			slog.Any("panic", p),
			slog.String("stack", string(debug.Stack())),
		)
		return fmt.Errorf("%w: %v", errPanic, p)
	}
}

// contextError returns the code and message of an error caused by the end
// of a request's context, if err is one.
func contextError(err error) (apperr.Code, string, bool) {
	switch {
	case errors.Is(err, context.DeadlineExceeded):
		return apperr.RequestTimeout, timeoutMessage, true
	case errors.Is(err, context.Canceled):
		return apperr.RequestCancelled, cancelledMessage, true
	}
	return "", "", false
}

// introspectable reports whether the tenant of ctx, if any, allows
// introspection.
func introspectable(ctx context.Context) bool {
	t, ok := tenantFrom(ctx)
	return !ok || t.Config.IntrospectionEnabled()
}

// withoutSuggestions returns msg without its "Did you mean ...?" sentence.
// graphql-js and gqlparser end every message that suggests names with
// it, whichever rule made the message.
func withoutSuggestions(msg string) string {
	if i := strings.Index(msg, " Did you mean "); i >= 0 {
		return msg[:i]
	}
	return msg
}

func setCode(e *gqlerror.Error, code apperr.Code) {
	if e.Extensions == nil {
		e.Extensions = make(map[string]any, 1)
	}
	e.Extensions["code"] = string(code)
}

// writeResponse writes resp as JSON with the given status and content type.
func writeResponse(w http.ResponseWriter, status int, contentType string, resp *graphql.Response) {
	if resp.Label != "" || resp.Path != nil || resp.HasNext != nil {
		// Incremental delivery, which the gateway does not do: keep
		// encoding/json's output of every field.
		b, err := json.Marshal(resp)
		if err != nil {
			apperr.Write(w, http.StatusInternalServerError, nil)
			return
		}
		writeHeader(w, status, contentType)
		w.Write(b)
		return
	}
	// The executors write data as compact JSON already; encoding/json
	// would validate, compact and copy it again (it escapes <, > and &
	// too, which JSON does not need), doubling the work and the garbage
	// of every large response. So data is written as it is, between the
	// errors and extensions encoding/json encodes, in the order of
	// graphql.Response's fields.
	var errs, ext []byte
	var err error
	if len(resp.Errors) > 0 {
		errs, err = json.Marshal(resp.Errors)
	}
	if err == nil && len(resp.Extensions) > 0 {
		ext, err = json.Marshal(resp.Extensions)
	}
	if err != nil {
		// A response holds only JSON-safe values; this is a bug, and the
		// client must not see its details.
		apperr.Write(w, http.StatusInternalServerError, nil)
		return
	}
	data := []byte(resp.Data)
	if data == nil {
		data = []byte("null")
	}
	writeHeader(w, status, contentType)
	io.WriteString(w, "{")
	if errs != nil {
		io.WriteString(w, `"errors":`)
		w.Write(errs)
		io.WriteString(w, ",")
	}
	io.WriteString(w, `"data":`)
	w.Write(data)
	if ext != nil {
		io.WriteString(w, `,"extensions":`)
		w.Write(ext)
	}
	io.WriteString(w, "}")
}

// writeHeader writes the header of a response: data is JSON, never to be
// sniffed as HTML by a browser (it holds client-written strings, <, >
// and & unescaped).
func writeHeader(w http.ResponseWriter, status int, contentType string) {
	h := w.Header()
	switch contentType {
	case mediaJSON:
		h["Content-Type"] = headerJSON
	case mediaGraphQLResponse:
		h["Content-Type"] = headerGraphQLResponse
	default:
		h.Set("Content-Type", contentType)
	}
	h["Cache-Control"] = headerNoStore
	h["X-Content-Type-Options"] = headerNoSniff
	w.WriteHeader(status)
}

// Header values every response carries, made once rather than by
// Header.Set for each response. They are shared, so never written in
// place; their capacity is their length, so appending to one copies it.
var (
	headerJSON            = []string{mediaJSON}
	headerGraphQLResponse = []string{mediaGraphQLResponse}
	headerNoStore         = []string{"no-store"}
	headerNoSniff         = []string{"nosniff"}
)
