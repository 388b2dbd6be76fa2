package gateway

import (
	"context"
	"encoding/json"
	"errors"
	"mime"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/99designs/gqlgen/graphql"
	"github.com/99designs/gqlgen/graphql/errcode"
	"github.com/vektah/gqlparser/v2/ast"
	"github.com/vektah/gqlparser/v2/gqlerror"

	"github.com/tenantgraph/tenantgraph/internal/apperr"
	"github.com/tenantgraph/tenantgraph/internal/limits"
	"github.com/tenantgraph/tenantgraph/internal/ratelimit"
)

// The two response media types of GraphQL over HTTP.
const (
	mediaJSON            = "application/json"
	mediaGraphQLResponse = "application/graphql-response+json"
)

// transportConfig is what the transports of one handler share.
type transportConfig struct {
	exposeCost  bool
	rateLimiter *ratelimit.Limiter // nil: no cost budgets
}

// postTransport serves GraphQL over HTTP POST with a JSON body. It replaces
// gqlgen's transport.POST, whose decode error echoes the whole request body
// back to the client and whose errors carry no extensions.code.
type postTransport struct{ *transportConfig }

var _ graphql.Transport = postTransport{}

func (postTransport) Supports(r *http.Request) bool {
	if r.Method != http.MethodPost || r.Header.Get("Upgrade") != "" {
		return false
	}
	ct := r.Header.Get("Content-Type")
	if ct == mediaJSON {
		return true // what clients send, without parsing it
	}
	mt, _, err := mime.ParseMediaType(ct)
	return err == nil && mt == mediaJSON
}

func (t postTransport) Do(w http.ResponseWriter, r *http.Request, exec graphql.GraphExecutor) {
	start := graphql.Now()
	mediaType := responseMediaType(r)
	// The bodyLimit middleware has already read the body into memory, so
	// decoding it can fail only on its content.
	var params graphql.RawParams
	body, err := bodyBytes(r)
	if err == nil {
		err = decodeParams(body, &params)
	}
	if err != nil {
		writeTransportError(w, mediaType, http.StatusBadRequest,
			`request body is not a GraphQL request: want one JSON object with "query" and optional "operationName", "variables" and "extensions"`)
		return
	}
	params.Headers = r.Header
	params.ReadTime = graphql.TraceTiming{Start: start, End: graphql.Now()}
	t.execute(w, r, exec, &params, mediaType, false)
}

// getTransport serves queries (never mutations) over HTTP GET, with the
// query, operationName, variables and extensions in the URL.
type getTransport struct{ *transportConfig }

var _ graphql.Transport = getTransport{}

func (getTransport) Supports(r *http.Request) bool {
	return r.Method == http.MethodGet && r.Header.Get("Upgrade") == ""
}

func (t getTransport) Do(w http.ResponseWriter, r *http.Request, exec graphql.GraphExecutor) {
	start := graphql.Now()
	mediaType := responseMediaType(r)
	q, err := url.ParseQuery(r.URL.RawQuery)
	if err != nil {
		writeTransportError(w, mediaType, http.StatusBadRequest, "the URL query is malformed")
		return
	}
	params := graphql.RawParams{
		Query:         q.Get("query"),
		OperationName: q.Get("operationName"),
		Headers:       r.Header,
	}
	for _, p := range [...]struct {
		name string
		dst  *map[string]any
	}{{"variables", &params.Variables}, {"extensions", &params.Extensions}} {
		if v := q.Get(p.name); v != "" {
			dec := json.NewDecoder(strings.NewReader(v))
			dec.UseNumber()
			if err := dec.Decode(p.dst); err != nil {
				writeTransportError(w, mediaType, http.StatusBadRequest, p.name+" must be a JSON object")
				return
			}
		}
	}
	params.ReadTime = graphql.TraceTiming{Start: start, End: graphql.Now()}
	t.execute(w, r, exec, &params, mediaType, true)
}

// execute runs one operation and writes its response.
//
// A request whose context ends is answered REQUEST_TIMEOUT (504) when its
// deadline passed, or not at all when its client went away (logged as
// 499). A query is answered so whenever its context ended, since its
// partial result is of no use; a mutation whose deadline passed while it
// ran is answered with what it did, its fields not run being errors coded
// REQUEST_TIMEOUT, since the client must learn which of them took effect.
func (t *transportConfig) execute(w http.ResponseWriter, r *http.Request, exec graphql.GraphExecutor, params *graphql.RawParams, mediaType string, queryOnly bool) {
	ctx := r.Context()
	opCtx, errs := exec.CreateOperationContext(ctx, params)
	if ctx.Err() != nil {
		writeContextError(w, ctx, mediaType)
		return
	}
	if errs != nil {
		resp := exec.DispatchError(graphql.WithOperationContext(ctx, opCtx), errs)
		apperr.WriteList(w, requestErrorStatus(errs, mediaType), mediaType, capErrors(resp.Errors))
		return
	}
	if queryOnly && opCtx.Operation.Operation != ast.Query {
		// GraphQL over HTTP: a mutation over GET is 405 with Allow: POST.
		w.Header().Set("Allow", http.MethodPost)
		writeTransportErrorCode(w, mediaType, http.StatusMethodNotAllowed, apperr.MethodNotAllowed,
			string(opCtx.Operation.Operation)+" operations must use POST")
		return
	}
	var cost int
	var costed bool
	if req := requestFrom(ctx); req != nil {
		cost, costed = req.cost, req.costed
	}
	if costed && !t.chargeCost(w, r, cost, mediaType) {
		return
	}
	responses, rctx := exec.DispatchOperation(ctx, opCtx)
	resp := responses(rctx)
	if err := ctx.Err(); resp == nil || (err != nil && (opCtx.Operation.Operation != ast.Mutation || errors.Is(err, context.Canceled))) {
		writeContextError(w, ctx, mediaType)
		return
	}
	resp.Errors = capErrors(resp.Errors)
	if costed && t.exposeCost {
		if resp.Extensions == nil {
			resp.Extensions = make(map[string]any, 1)
		}
		ext := costExtension{Estimated: cost}
		if l := limits.FromContext(ctx); l != nil {
			ext.Max = l.MaxCost
		}
		resp.Extensions["cost"] = ext
	}
	writeResponse(w, http.StatusOK, mediaType, resp)
}

// chargeCost takes an operation's cost from its tenant's budget of
// Limits.CostPerMinute. It answers the request itself, 429 RATE_LIMITED,
// and returns false, when the budget does not hold the cost.
func (t *transportConfig) chargeCost(w http.ResponseWriter, r *http.Request, cost int, mediaType string) bool {
	l := limits.FromContext(r.Context())
	tn, ok := tenantFrom(r.Context())
	if t.rateLimiter == nil || l == nil || l.CostPerMinute == 0 || !ok {
		return true
	}
	budget := limits.Rate{Requests: l.CostPerMinute, Per: time.Minute}
	res := t.rateLimiter.AllowN(r.Context(), tn.ID, costBucket, budget, cost)
	res.Headers(w.Header(), costBucket, budget)
	if res.Allowed {
		return true
	}
	refuse(r.Context(), apperr.RateLimited)
	msg := "the operation costs " + strconv.Itoa(cost) + ", more than is left of the tenant's cost budget of " + strconv.Itoa(l.CostPerMinute) + " a minute; retry after the time in Retry-After"
	if res.RetryAfter < 0 {
		msg = "the operation costs " + strconv.Itoa(cost) + ", more than the tenant's whole cost budget of " + strconv.Itoa(l.CostPerMinute) + " a minute"
	}
	writeTransportErrorCode(w, mediaType, http.StatusTooManyRequests, apperr.RateLimited, msg)
	return false
}

// writeContextError answers a request whose context ended: 504
// REQUEST_TIMEOUT when its deadline passed, and 499 (which its client,
// gone, never sees; the access log does) when it was cancelled.
func writeContextError(w http.ResponseWriter, ctx context.Context, mediaType string) {
	if errors.Is(ctx.Err(), context.DeadlineExceeded) {
		refuse(ctx, apperr.RequestTimeout)
		writeTransportErrorCode(w, mediaType, http.StatusGatewayTimeout, apperr.RequestTimeout, timeoutMessage)
		return
	}
	refuse(ctx, apperr.RequestCancelled)
	writeTransportErrorCode(w, mediaType, statusClientClosedRequest, apperr.RequestCancelled, cancelledMessage)
}

// The messages of errors caused by the end of a request's context.
const (
	timeoutMessage   = "the request took longer than its tenant's time limit"
	cancelledMessage = "the request was cancelled"
)

// maxErrors is the most errors a response carries, besides the one that
// says how many more were dropped.
const maxErrors = 20

// capErrors returns errs cut to maxErrors, followed by an error saying how
// many were dropped, if any were.
func capErrors(errs gqlerror.List) gqlerror.List {
	if len(errs) <= maxErrors {
		return errs
	}
	dropped := len(errs) - maxErrors
	return append(errs[:maxErrors:maxErrors], &gqlerror.Error{
		Message:    strconv.Itoa(dropped) + " more errors were dropped; at most " + strconv.Itoa(maxErrors) + " are shown",
		Extensions: map[string]any{"code": string(apperr.TooManyErrors)},
	})
}

// requestErrorStatus is the status of a response to a request that failed
// before execution, as GraphQL over HTTP asks: with
// application/graphql-response+json, 400 for a document that does not
// parse or validate or that exceeds a limit; with application/json,
// always 200.
func requestErrorStatus(errs gqlerror.List, mediaType string) int {
	if mediaType == mediaGraphQLResponse && errcode.GetErrorKind(errs) == errcode.KindProtocol {
		return http.StatusBadRequest
	}
	return http.StatusOK
}

func init() {
	// Refusals before execution are, like validation errors, errors of
	// the request.
	for _, c := range []apperr.Code{
		apperr.MaxDepthLimit, apperr.MaxAliasesLimit, apperr.MaxRootFieldsLimit, apperr.MaxHeightLimit,
		apperr.MaxDirectivesLimit, apperr.MaxOperationNameLimit, apperr.CostTooExpensive,
		apperr.BadUserInput, IntrospectionDisabled,
	} {
		errcode.RegisterErrorType(string(c), errcode.KindProtocol)
	}
}

// responseMediaType picks the response media type from the Accept header:
// application/graphql-response+json when the client lists it before
// application/json, application/json otherwise (and for clients that send
// no Accept header, as GraphQL over HTTP recommends during the transition).
func responseMediaType(r *http.Request) string {
	for part := range strings.SplitSeq(r.Header.Get("Accept"), ",") {
		mt, _, err := mime.ParseMediaType(strings.TrimSpace(part))
		if err != nil {
			continue
		}
		switch mt {
		case mediaGraphQLResponse:
			return mediaGraphQLResponse
		case mediaJSON, "application/*", "*/*":
			return mediaJSON
		}
	}
	return mediaJSON
}

func writeTransportError(w http.ResponseWriter, mediaType string, status int, msg string) {
	writeTransportErrorCode(w, mediaType, status, apperr.BadRequest, msg)
}

func writeTransportErrorCode(w http.ResponseWriter, mediaType string, status int, code apperr.Code, msg string) {
	apperr.WriteList(w, status, mediaType, gqlerror.List{(&apperr.Error{Code: code, Message: msg}).GraphQL()})
}
