package upstream

import (
	"errors"
	"fmt"
	"strconv"
	"strings"
)

// ErrUnavailable is matched (errors.Is) by the error of a call that got no
// usable answer from any of the upstream's URLs: every URL tried failed,
// every URL's breaker was open, the caller's context ended first, or the
// request's headers could not be made (a secret could not be resolved).
// The error is an *UnavailableError; the client of the gateway sees only
// the code UPSTREAM_UNAVAILABLE and the upstream's name.
var ErrUnavailable = errors.New("upstream unavailable")

// ErrEntity is matched (errors.Is) by an *EntityError: the upstream
// answered, and reported an error for one entity or one of its fields.
var ErrEntity = errors.New("upstream reported an error")

// ErrSelection is matched (errors.Is) by the error Entities returns for a
// selection it can't forward: a field selected twice with different
// arguments, an argument whose type is unknown (a selection set that was
// not validated), an unknown fragment, or a name that is not a GraphQL
// name. Nothing is sent. The caller's selection is at fault, not the
// upstream.
var ErrSelection = errors.New("selection can't be forwarded to the upstream")

// UnavailableError is the error of a call that got no usable answer. Its
// message names the upstream and, when the caller's context ended, says
// so; it never holds a URL, an address or anything the upstream sent,
// which are logged instead, so that it may be shown to a client.
type UnavailableError struct {
	// Upstream is the upstream's name, as given to New.
	Upstream string
	// Attempts is how many URLs were tried: 0 when every breaker was
	// open, the caller's context had ended or the headers failed.
	Attempts int

	ctxErr error // the caller's context's error, if it ended
}

// Error returns `upstream "NAME" unavailable`, followed by the context's
// error when the caller's context ended.
func (e *UnavailableError) Error() string {
	msg := "upstream " + strconv.Quote(e.Upstream) + " unavailable"
	if e.ctxErr != nil {
		msg += ": " + e.ctxErr.Error()
	}
	return msg
}

// Is reports whether target is ErrUnavailable.
func (e *UnavailableError) Is(target error) bool { return target == ErrUnavailable }

// Unwrap returns the caller's context's error (context.Canceled or
// context.DeadlineExceeded) when the context ended before an answer came,
// and nil otherwise. The causes of failed attempts are logged, not
// wrapped: they hold URLs and addresses.
func (e *UnavailableError) Unwrap() error { return e.ctxErr }

// EntityError is an error the upstream reported for one entity, or for a
// field under it. Its message names the upstream and the path, never what
// the upstream said, which is logged instead.
type EntityError struct {
	// Upstream is the upstream's name, as given to New.
	Upstream string
	// Path leads from the entity to the field the error is about: field
	// names (not the client's aliases) as strings, list indexes as ints,
	// as in ["warehouse"] or ["locations", 2, "code"]. It is empty when
	// the error is about the entity as a whole (the upstream could not
	// resolve it).
	Path []any
}

// Error returns `upstream "NAME" reported an error`, followed by " at"
// and the path when there is one.
func (e *EntityError) Error() string {
	msg := "upstream " + strconv.Quote(e.Upstream) + " reported an error"
	if len(e.Path) == 0 {
		return msg
	}
	var b strings.Builder
	b.WriteString(msg)
	b.WriteString(" at ")
	for i, p := range e.Path {
		if i > 0 {
			b.WriteByte('.')
		}
		fmt.Fprint(&b, p)
	}
	return b.String()
}

// Is reports whether target is ErrEntity.
func (e *EntityError) Is(target error) bool { return target == ErrEntity }

// selectionError returns an error matching ErrSelection.
func selectionError(format string, args ...any) error {
	return fmt.Errorf("%w: %s", ErrSelection, fmt.Sprintf(format, args...))
}
