package model

import (
	"fmt"
	"io"
	"strconv"
	"time"

	"github.com/99designs/gqlgen/graphql"

	"github.com/tenantgraph/tenantgraph/internal/apperr"
)

// MarshalDateTime writes t as an RFC 3339 string in UTC with as many
// fractional digits as needed, as the DateTime scalar's output.
func MarshalDateTime(t time.Time) graphql.Marshaler {
	return graphql.WriterFunc(func(w io.Writer) {
		io.WriteString(w, strconv.Quote(t.UTC().Format(time.RFC3339Nano)))
	})
}

// UnmarshalDateTime parses a DateTime input: an RFC 3339 string with a
// time zone offset. Anything else is a BAD_USER_INPUT error.
func UnmarshalDateTime(v any) (time.Time, error) {
	s, ok := v.(string)
	if !ok {
		return time.Time{}, &apperr.Error{Code: apperr.BadUserInput, Message: fmt.Sprintf("DateTime must be an RFC 3339 string, not %T", v)}
	}
	t, err := time.Parse(time.RFC3339Nano, s)
	if err != nil {
		return time.Time{}, &apperr.Error{Code: apperr.BadUserInput, Message: fmt.Sprintf("%q is not an RFC 3339 date-time such as 2026-11-22T09:30:00Z", s)}
	}
	return t, nil
}
