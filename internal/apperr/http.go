package apperr

import (
	"encoding/json"
	"net/http"

	"github.com/vektah/gqlparser/v2/gqlerror"
)

// requestError is the body of a GraphQL response to a request that failed
// before execution. It has no "data" entry: GraphQL over HTTP says a
// request error has none.
type requestError struct {
	Errors gqlerror.List `json:"errors"`
}

// internalBody is what Write sends when it cannot encode an error.
const internalBody = `{"errors":[{"message":"internal system error","extensions":{"code":"INTERNAL_SERVER_ERROR"}}]}`

// Write writes err as a GraphQL response with the given HTTP status, for
// errors that happen before GraphQL execution (authentication, tenant
// selection, transport):
//
//	{"errors":[{"message":"token expired","extensions":{"code":"UNAUTHENTICATED"}}]}
//
// err.Argument, if set, is sent as extensions.argument; err.Err is never
// sent. A nil err is sent as a generic INTERNAL_SERVER_ERROR. Write sets
// Content-Type and Cache-Control and keeps other headers already set, such
// as WWW-Authenticate.
func Write(w http.ResponseWriter, status int, err *Error) {
	WriteList(w, status, "application/json", gqlerror.List{err.GraphQL()})
}

// WriteList writes errs as a GraphQL request-error response with the given
// status and content type.
func WriteList(w http.ResponseWriter, status int, contentType string, errs gqlerror.List) {
	body, merr := json.Marshal(requestError{Errors: errs})
	if merr != nil {
		// Unreachable: messages and codes are strings.
		status, body = http.StatusInternalServerError, []byte(internalBody)
	}
	h := w.Header()
	h.Set("Content-Type", contentType)
	h.Set("Cache-Control", "no-store")
	w.WriteHeader(status)
	w.Write(body)
}

// GraphQL returns err as a GraphQL error with extensions.code (and
// extensions.argument when set). A nil err becomes a generic
// INTERNAL_SERVER_ERROR.
func (e *Error) GraphQL() *gqlerror.Error {
	if e == nil {
		e = &Error{Code: Internal, Message: "internal system error"}
	}
	// A plain string, as gqlgen's errcode package expects it.
	ext := map[string]any{"code": string(e.Code)}
	if e.Argument != "" {
		ext["argument"] = e.Argument
	}
	if e.Field != "" {
		ext["field"] = e.Field
	}
	return &gqlerror.Error{Message: e.Message, Extensions: ext}
}
