// Package apperr defines the errors that tenantgraph shows to clients.
//
// Every error a client sees carries a machine-readable code, sent as the
// GraphQL error's extensions.code. Business rules return an *Error; the
// gateway's error presenter turns it into a *gqlerror.Error. Any other error
// is internal: it is logged and shown to the client only as a generic
// INTERNAL_SERVER_ERROR.
package apperr

import (
	"errors"
	"fmt"
)

// Code is the value of a GraphQL error's extensions.code.
type Code string

// The codes tenantgraph sends. GRAPHQL_PARSE_FAILED and
// GRAPHQL_VALIDATION_FAILED come from gqlgen's errcode package.
const (
	BadRequest        Code = "BAD_REQUEST"           // the HTTP request is not a GraphQL request
	BadUserInput      Code = "BAD_USER_INPUT"        // an argument breaks a business rule
	NotFound          Code = "NOT_FOUND"             // the object does not exist for the caller's tenant
	Unauthenticated   Code = "UNAUTHENTICATED"       // no valid token
	Forbidden         Code = "FORBIDDEN"             // the token is valid but may not do this
	TenantUnknown     Code = "TENANT_UNKNOWN"        // the token's tenant is not registered
	TenantSuspended   Code = "TENANT_SUSPENDED"      // the token's tenant is suspended
	TenantUnavailable Code = "TENANT_UNAVAILABLE"    // the tenant's configuration failed to load
	PayloadTooLarge   Code = "PAYLOAD_TOO_LARGE"     // the request body exceeds the cap
	Internal          Code = "INTERNAL_SERVER_ERROR" // anything else; details are only logged
	MethodNotAllowed  Code = "METHOD_NOT_ALLOWED"    // e.g. a mutation over GET
)

// The codes of a tenant's limits (see package limits). The names of the
// structural limits and of the cost limit are Apollo Router's, so that
// clients and dashboards that know them know these.
const (
	MaxDepthLimit         Code = "MAX_DEPTH_LIMIT"              // fields nested too deep
	MaxAliasesLimit       Code = "MAX_ALIASES_LIMIT"            // too many aliases
	MaxRootFieldsLimit    Code = "MAX_ROOT_FIELDS_LIMIT"        // too many root fields
	MaxHeightLimit        Code = "MAX_HEIGHT_LIMIT"             // too many selections, fragments expanded
	MaxDirectivesLimit    Code = "MAX_DIRECTIVES_LIMIT"         // too many directives at one location
	MaxOperationNameLimit Code = "MAX_OPERATION_NAME_LIMIT"     // an operation name too long
	CostTooExpensive      Code = "COST_ESTIMATED_TOO_EXPENSIVE" // static cost above the tenant's maximum
	RequestTimeout        Code = "REQUEST_TIMEOUT"              // the request's deadline passed
	Overloaded            Code = "OVERLOADED"                   // over the tenant's share, or the gateway's capacity
	RateLimited           Code = "RATE_LIMITED"                 // over the tenant's rate or cost budget
	TooManyErrors         Code = "TOO_MANY_ERRORS"              // further errors of the response were dropped
	RequestCancelled      Code = "REQUEST_CANCELLED"            // the client went away; seen only in logs
	ComputeFailed         Code = "COMPUTE_FAILED"               // a tenant's @computed expression failed for this goods
	UpstreamUnavailable   Code = "UPSTREAM_UNAVAILABLE"         // a tenant's upstream service did not answer
)

// Error is an error meant for the client. Its Message is shown as is, so it
// must never contain internal details.
type Error struct {
	Code    Code
	Message string
	// Argument names the offending argument or input field, if any, such as
	// "input.name". It is sent as extensions.argument.
	Argument string
	// Field names the field of Goods a rule of the tenant's is about, if
	// any. It is sent as extensions.field.
	Field string
	// Err is an optional cause, for logs only; it is never shown.
	Err error
}

func (e *Error) Error() string { return e.Message }

// Unwrap returns the cause of e, if any.
func (e *Error) Unwrap() error { return e.Err }

// BadInput returns a BAD_USER_INPUT error about argument arg. The message
// starts with the argument's name, as in "input.name: must not be empty".
func BadInput(arg, format string, args ...any) *Error {
	return &Error{
		Code:     BadUserInput,
		Message:  arg + ": " + fmt.Sprintf(format, args...),
		Argument: arg,
	}
}

// NotFoundf returns a NOT_FOUND error with a formatted message.
func NotFoundf(format string, args ...any) *Error {
	return &Error{Code: NotFound, Message: fmt.Sprintf(format, args...)}
}

// As returns the *Error in err's chain, if there is one.
func As(err error) (*Error, bool) {
	var e *Error
	ok := errors.As(err, &e)
	return e, ok
}
