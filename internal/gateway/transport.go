package gateway

import (
	"encoding/json"
	"mime"
	"net/http"
	"net/url"
	"strings"

	"github.com/99designs/gqlgen/graphql"
	"github.com/99designs/gqlgen/graphql/errcode"
	"github.com/vektah/gqlparser/v2/ast"
	"github.com/vektah/gqlparser/v2/gqlerror"

	"github.com/tenantgraph/tenantgraph/internal/apperr"
)

// The two response media types of GraphQL over HTTP.
const (
	mediaJSON            = "application/json"
	mediaGraphQLResponse = "application/graphql-response+json"
)

// postTransport serves GraphQL over HTTP POST with a JSON body. It replaces
// gqlgen's transport.POST, whose decode error echoes the whole request body
// back to the client and whose errors carry no extensions.code.
type postTransport struct{}

var _ graphql.Transport = postTransport{}

func (postTransport) Supports(r *http.Request) bool {
	if r.Method != http.MethodPost || r.Header.Get("Upgrade") != "" {
		return false
	}
	mt, _, err := mime.ParseMediaType(r.Header.Get("Content-Type"))
	return err == nil && mt == mediaJSON
}

func (postTransport) Do(w http.ResponseWriter, r *http.Request, exec graphql.GraphExecutor) {
	start := graphql.Now()
	mediaType := responseMediaType(r)
	// The bodyLimit middleware has already read the body into memory, so
	// decoding it can fail only on its content.
	var params graphql.RawParams
	dec := json.NewDecoder(r.Body)
	dec.UseNumber()
	if err := dec.Decode(&params); err != nil {
		writeTransportError(w, mediaType, http.StatusBadRequest,
			`request body is not a GraphQL request: want a JSON object with "query" and optional "operationName", "variables" and "extensions"`)
		return
	}
	params.Headers = r.Header
	params.ReadTime = graphql.TraceTiming{Start: start, End: graphql.Now()}
	execute(w, r, exec, &params, mediaType, false)
}

// getTransport serves queries (never mutations) over HTTP GET, with the
// query, operationName, variables and extensions in the URL.
type getTransport struct{}

var _ graphql.Transport = getTransport{}

func (getTransport) Supports(r *http.Request) bool {
	return r.Method == http.MethodGet && r.Header.Get("Upgrade") == ""
}

func (getTransport) Do(w http.ResponseWriter, r *http.Request, exec graphql.GraphExecutor) {
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
	execute(w, r, exec, &params, mediaType, true)
}

// execute runs one operation and writes its response.
func execute(w http.ResponseWriter, r *http.Request, exec graphql.GraphExecutor, params *graphql.RawParams, mediaType string, queryOnly bool) {
	ctx := r.Context()
	opCtx, errs := exec.CreateOperationContext(ctx, params)
	if errs != nil {
		resp := exec.DispatchError(graphql.WithOperationContext(ctx, opCtx), errs)
		apperr.WriteList(w, requestErrorStatus(errs, mediaType), mediaType, resp.Errors)
		return
	}
	if queryOnly && opCtx.Operation.Operation != ast.Query {
		// GraphQL over HTTP: a mutation over GET is 405 with Allow: POST.
		w.Header().Set("Allow", http.MethodPost)
		writeTransportErrorCode(w, mediaType, http.StatusMethodNotAllowed, apperr.MethodNotAllowed,
			string(opCtx.Operation.Operation)+" operations must use POST")
		return
	}
	responses, ctx := exec.DispatchOperation(ctx, opCtx)
	writeResponse(w, http.StatusOK, mediaType, responses(ctx))
}

// requestErrorStatus is the status of a response to a request that failed
// before execution, as GraphQL over HTTP asks: with
// application/graphql-response+json, 400 for a document that does not
// parse or validate; with application/json, always 200.
func requestErrorStatus(errs gqlerror.List, mediaType string) int {
	if mediaType == mediaGraphQLResponse && errcode.GetErrorKind(errs) == errcode.KindProtocol {
		return http.StatusBadRequest
	}
	return http.StatusOK
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
