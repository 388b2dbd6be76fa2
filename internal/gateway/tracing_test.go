package gateway_test

import (
	"bytes"
	"context"
	"encoding/json"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/otel/codes"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/sdk/trace/tracetest"
	"go.opentelemetry.io/otel/trace"

	"github.com/tenantgraph/tenantgraph/examples/inventory"
	"github.com/tenantgraph/tenantgraph/internal/cache"
	"github.com/tenantgraph/tenantgraph/internal/store"
	"github.com/tenantgraph/tenantgraph/internal/telemetry"
	"github.com/tenantgraph/tenantgraph/internal/testenv"
)

// newTracing returns tracing into an in-memory exporter, which every span
// reaches as it ends.
func newTracing(t testing.TB, opts ...sdktrace.TracerProviderOption) (*telemetry.Tracing, *tracetest.InMemoryExporter) {
	exp := tracetest.NewInMemoryExporter()
	tp := sdktrace.NewTracerProvider(append([]sdktrace.TracerProviderOption{sdktrace.WithSyncer(exp)}, opts...)...)
	t.Cleanup(func() { tp.Shutdown(context.Background()) })
	return telemetry.NewTracingWithProvider(tp), exp
}

// spanTree indexes the spans of one trace.
type spanTree struct {
	spans []tracetest.SpanStub
}

// withName returns the spans called name.
func (s spanTree) withName(name string) []tracetest.SpanStub {
	var found []tracetest.SpanStub
	for _, sp := range s.spans {
		if sp.Name == name {
			found = append(found, sp)
		}
	}
	return found
}

// named returns the only span called name.
func (s spanTree) named(t *testing.T, name string) tracetest.SpanStub {
	t.Helper()
	found := s.withName(name)
	require.Len(t, found, 1, "spans named %q among %v", name, s.names())
	return found[0]
}

// children returns the spans whose parent is p.
func (s spanTree) children(p tracetest.SpanStub) []tracetest.SpanStub {
	var out []tracetest.SpanStub
	for _, sp := range s.spans {
		if sp.Parent.SpanID() == p.SpanContext.SpanID() {
			out = append(out, sp)
		}
	}
	return out
}

func (s spanTree) names() []string {
	var out []string
	for _, sp := range s.spans {
		out = append(out, sp.Name)
	}
	return out
}

func attrs(sp tracetest.SpanStub) map[string]string {
	m := map[string]string{}
	for _, kv := range sp.Attributes {
		m[string(kv.Key)] = kv.Value.Emit()
	}
	return m
}

func spanNames(spans []tracetest.SpanStub) []string { return spanTree{spans}.names() }

// requireNoValues checks that no span of tree holds any of values: in
// its name, status, attributes, events or resource.
func requireNoValues(t *testing.T, tree spanTree, values ...string) {
	t.Helper()
	for _, sp := range tree.spans {
		texts := []string{sp.Name, sp.Status.Description}
		for _, kv := range sp.Attributes {
			texts = append(texts, string(kv.Key)+"="+kv.Value.Emit())
		}
		for _, ev := range sp.Events {
			texts = append(texts, ev.Name)
			for _, kv := range ev.Attributes {
				texts = append(texts, string(kv.Key)+"="+kv.Value.Emit())
			}
		}
		for _, kv := range sp.Resource.Attributes() {
			texts = append(texts, kv.Value.Emit())
		}
		for _, text := range texts {
			for _, v := range values {
				require.NotContains(t, text, v, "span %q", sp.Name)
			}
		}
	}
}

// descendant reports whether sp is below ancestor in tree.
func (s spanTree) descendant(sp, ancestor tracetest.SpanStub) bool {
	byID := map[trace.SpanID]tracetest.SpanStub{}
	for _, x := range s.spans {
		byID[x.SpanContext.SpanID()] = x
	}
	for p, ok := sp.Parent.SpanID(), true; ok; {
		if p == ancestor.SpanContext.SpanID() {
			return true
		}
		var parent tracetest.SpanStub
		parent, ok = byID[p]
		p = parent.Parent.SpanID()
	}
	return false
}

// TestTracing checks the spans of a mutation and a query on Postgres
// through the HTTP handler: the request's span is the child of the
// client's traceparent, named after the operation; below it its parse and
// validate spans (unless the document came from the query cache) and its
// statements, and no span of execution; the attributes follow the GraphQL
// conventions, with tenant.id; an operation with errors has their number
// and an Error status; and nothing of the token or the variables' values
// is in any span.
func TestTracing(t *testing.T) {
	tracing, exp := newTracing(t)
	pg, err := store.OpenPostgresWithOptions(t.Context(), testenv.PostgresURL(t),
		store.PostgresOptions{Logger: slog.New(slog.DiscardHandler), Tracer: tracing.PgxTracer()})
	require.NoError(t, err)
	t.Cleanup(pg.Close)
	g := newTestGatewayWith(t, pg, writeTenants(t, defaultTenants), testSetup{tracing: tracing})
	tok := g.token(t, "acme")

	// Values that must appear in no span.
	const (
		name        = "Secret-Teapot-4f1c9e"
		description = "Private-Description-7a2b"
	)
	clientTrace, err := trace.TraceIDFromHex("0af7651916cd43dd8448eb211c80319c")
	require.NoError(t, err)
	clientSpan, err := trace.SpanIDFromHex("b7ad6b7169203331")
	require.NoError(t, err)
	traceparent := "00-" + clientTrace.String() + "-" + clientSpan.String() + "-01"

	do := func(t *testing.T, query string, vars map[string]any) (gqlResponse, spanTree) {
		t.Helper()
		exp.Reset()
		body, err := json.Marshal(map[string]any{"query": query, "variables": vars})
		require.NoError(t, err)
		req := httptest.NewRequest(http.MethodPost, "/graphql", bytes.NewReader(body))
		req.Header.Set("Content-Type", "application/json")
		req.Header.Set("Authorization", "Bearer "+tok)
		req.Header.Set("Traceparent", traceparent)
		rec, resp := g.serve(t, req)
		require.Equal(t, http.StatusOK, rec.Code, rec.Body.String())
		require.Empty(t, resp.Errors, rec.Body.String())
		spans := exp.GetSpans()
		for _, sp := range spans {
			require.Equal(t, clientTrace, sp.SpanContext.TraceID(), "span %q is not of the client's trace", sp.Name)
			require.True(t, sp.EndTime.After(sp.StartTime) || sp.EndTime.Equal(sp.StartTime), "span %q", sp.Name)
		}
		return resp, spanTree{spans}
	}

	// check checks the tree of one operation: the request's span is
	// named after the operation and carries its attributes; below it,
	// when the document was parsed rather than found in the query cache,
	// parsing and validation, and the Postgres statements.
	check := func(t *testing.T, tree spanTree, opType, opName string, parsed bool) {
		t.Helper()
		require.Empty(t, tree.withName("POST /graphql"), "the request's span is named after its operation")
		server := tree.named(t, opType+" "+opName)
		require.Equal(t, trace.SpanKindServer, server.SpanKind)
		require.Equal(t, clientSpan, server.Parent.SpanID(), "the client's traceparent is the request span's parent")
		require.True(t, server.Parent.IsRemote())
		sa := attrs(server)
		require.Equal(t, "POST", sa["http.request.method"])
		require.Equal(t, "/graphql", sa["http.route"])
		require.Equal(t, "/graphql", sa["url.path"])
		require.Equal(t, "http", sa["url.scheme"])
		require.Equal(t, "200", sa["http.response.status_code"])
		require.Equal(t, "acme", sa["tenant.id"])
		require.Equal(t, opType, sa["graphql.operation.type"])
		require.Equal(t, opName, sa["graphql.operation.name"])
		require.Len(t, server.Attributes, 8, "no attribute beyond those checked: %v", sa)
		require.Equal(t, codes.Unset, server.Status.Code)

		var phases, stmts []tracetest.SpanStub
		for _, sp := range tree.children(server) {
			if strings.HasPrefix(sp.Name, "graphql.") {
				phases = append(phases, sp)
			} else {
				stmts = append(stmts, sp)
			}
		}
		var want []string
		if parsed {
			want = []string{"graphql.parse", "graphql.validate"}
		}
		require.ElementsMatch(t, want, spanNames(phases), "no span of execution")
		if parsed {
			parse, validate := tree.named(t, "graphql.parse"), tree.named(t, "graphql.validate")
			require.False(t, validate.StartTime.Before(parse.EndTime), "validation follows parsing")
			require.False(t, parse.StartTime.Before(server.StartTime), "parsing is within the request")
		}
		require.NotEmpty(t, stmts, "statements below the request; spans: %v", tree.names())
		for _, st := range stmts {
			require.Equal(t, trace.SpanKindClient, st.SpanKind)
			a := attrs(st)
			require.Equal(t, "postgresql", a["db.system.name"], st.Name)
			require.Contains(t, a["db.query.text"], "$1", st.Name)
		}
		require.Len(t, tree.spans, 1+len(want)+len(stmts), "spans: %v", tree.names())
	}

	noValues := func(t *testing.T, tree spanTree, values ...string) {
		t.Helper()
		requireNoValues(t, tree, append(values, tok, "Bearer")...)
	}

	var id string
	t.Run("mutation", func(t *testing.T) {
		resp, tree := do(t, `mutation AddGoods($in: CreateGoodsInput!) { createGoods(input: $in) { id } }`,
			map[string]any{"in": map[string]any{"name": name, "price": 4711.5, "description": description}})
		var data struct{ CreateGoods struct{ ID string } }
		require.NoError(t, json.Unmarshal(resp.Data, &data))
		id = data.CreateGoods.ID
		check(t, tree, "mutation", "AddGoods", true)
		noValues(t, tree, name, description, "4711")
	})
	t.Run("query", func(t *testing.T) {
		require.NotEmpty(t, id)
		_, tree := do(t, `query Goods($id: ID!) { goods(id: $id) { id name description } }`, map[string]any{"id": id})
		check(t, tree, "query", "Goods", true)
		noValues(t, tree, id, name, description)
	})
	t.Run("query from the query cache", func(t *testing.T) {
		require.NotEmpty(t, id)
		_, tree := do(t, `query Goods($id: ID!) { goods(id: $id) { id name description } }`, map[string]any{"id": id})
		check(t, tree, "query", "Goods", false)
		noValues(t, tree, id, name, description)
	})
	t.Run("operation with errors", func(t *testing.T) {
		exp.Reset()
		body := `{"query":"query Page($after: String) { goodsList(first: 1, after: $after) { totalCount } }","variables":{"after":"` + description + `"}}`
		req := httptest.NewRequest(http.MethodPost, "/graphql", strings.NewReader(body))
		req.Header.Set("Content-Type", "application/json")
		req.Header.Set("Authorization", "Bearer "+tok)
		req.Header.Set("Traceparent", traceparent)
		_, resp := g.serve(t, req)
		require.Equal(t, "BAD_USER_INPUT", resp.code())
		tree := spanTree{exp.GetSpans()}
		server := tree.named(t, "query Page")
		require.Equal(t, codes.Error, server.Status.Code)
		require.Equal(t, "1 GraphQL errors", server.Status.Description)
		require.Equal(t, "1", attrs(server)["graphql.errors.count"])
		require.Empty(t, tree.withName("graphql.execute"), "no span of execution")
		noValues(t, tree, description)
	})
	t.Run("access log carries the trace ID", func(t *testing.T) {
		var found bool
		for l := range strings.Lines(g.logs.String()) {
			var m map[string]any
			require.NoError(t, json.Unmarshal([]byte(l), &m))
			if m["msg"] == "request" {
				require.Equal(t, clientTrace.String(), m["trace_id"], l)
				found = true
			}
		}
		require.True(t, found, g.logs.String())
	})
	t.Run("a request without an operation is named by its route", func(t *testing.T) {
		exp.Reset()
		req := httptest.NewRequest(http.MethodGet, "/healthz", nil)
		req.Header.Set("Traceparent", traceparent)
		rec := httptest.NewRecorder()
		g.handler.ServeHTTP(rec, req)
		require.Equal(t, http.StatusOK, rec.Code)
		tree := spanTree{exp.GetSpans()}
		require.Len(t, tree.spans, 1, "spans: %v", tree.names())
		sp := tree.named(t, "GET /healthz")
		require.Equal(t, clientSpan, sp.Parent.SpanID())
		a := attrs(sp)
		require.Equal(t, "/healthz", a["http.route"])
		require.Equal(t, "200", a["http.response.status_code"])
		require.NotContains(t, a, "graphql.operation.type")
		require.NotContains(t, a, "tenant.id")
	})
	t.Run("not sampled", func(t *testing.T) {
		exp.Reset()
		req := httptest.NewRequest(http.MethodPost, "/graphql", strings.NewReader(`{"query":"{ goodsList { totalCount } }"}`))
		req.Header.Set("Content-Type", "application/json")
		req.Header.Set("Authorization", "Bearer "+tok)
		req.Header.Set("Traceparent", "00-"+clientTrace.String()+"-"+clientSpan.String()+"-00")
		rec, _ := g.serve(t, req)
		require.Equal(t, http.StatusOK, rec.Code)
		require.Empty(t, exp.GetSpans(), "a parent that is not sampled: no spans under the default sampler")
	})
}

// TestTracingOff checks that a gateway without tracing logs no trace_id,
// even when the client sends a traceparent.
func TestTracingOff(t *testing.T) {
	g := newTestGateway(t, store.NewMemory(slog.New(slog.DiscardHandler)))
	req := httptest.NewRequest(http.MethodPost, "/graphql", strings.NewReader(`{"query":"{ goodsList { totalCount } }"}`))
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Authorization", "Bearer "+g.token(t, "acme"))
	req.Header.Set("Traceparent", "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01")
	rec, _ := g.serve(t, req)
	require.Equal(t, http.StatusOK, rec.Code)
	require.NotContains(t, g.logs.String(), "trace_id")
}

// TestTracingUpstreamAndRedis checks the client spans of a request that
// calls an upstream, failing over from a dead URL, and whose tenant's
// secrets are resolved through the cache on a real Redis: a span per
// upstream attempt, a child of the request's, with its URL, index and
// outcome, whose context reaches the upstream in traceparent; a span per
// Redis command of the request, named by the command only; and neither
// the secret nor a Redis key in any span.
func TestTracingUpstreamAndRedis(t *testing.T) {
	redisURL, prefix := testenv.RedisURL(t)
	redisOpts, err := cache.ParseRedisURL(redisURL)
	require.NoError(t, err)
	sealer, err := cache.NewSealer(bytes.Repeat([]byte{7}, 32))
	require.NoError(t, err)
	tracing, exp := newTracing(t)

	const secret = "inventory-secret-5d1e"
	t.Setenv("SHOP_INVENTORY_TOKEN", secret)
	inv := startInventory(t, secret)
	dead := closedURL(t)
	dir := t.TempDir()
	shopTenant(t, dir, "shop", []string{dead, inv.URL + "/graphql"}, "", "")
	g := newTestGatewayWith(t, store.NewMemory(nil), dir, testSetup{
		tracing: tracing,
		cache: func(c *cache.Config) {
			c.Redis = redisOpts
			c.RedisHooks = tracing.RedisHooks()
			c.Sealer = sealer
			c.KeyPrefix = prefix
		},
	})
	tok := g.token(t, "shop")
	id := g.create(t, tok, "Teapot", 1).ID
	// Drop the in-process copy of the tenant's configuration, so that the
	// traced request resolves it through Redis.
	require.NoError(t, g.configs.Refresh(t.Context(), "shop"))
	exp.Reset()

	clientTrace, err := trace.TraceIDFromHex("4bf92f3577b34da6a3ce929d0e0e4736")
	require.NoError(t, err)
	body, err := json.Marshal(map[string]any{"query": `query Stock($id: ID!) { goods(id: $id) { name stock } }`, "variables": map[string]any{"id": id}})
	require.NoError(t, err)
	// stock is the request for the goods' stock, in the client's trace,
	// sampled or not (flags "01" or "00").
	stock := func(flags string) *http.Request {
		req := httptest.NewRequest(http.MethodPost, "/graphql", bytes.NewReader(body))
		req.Header.Set("Content-Type", "application/json")
		req.Header.Set("Authorization", "Bearer "+tok)
		req.Header.Set("Traceparent", "00-"+clientTrace.String()+"-00f067aa0ba902b7-"+flags)
		return req
	}
	before := len(inv.traceparentsSeen())
	rec, resp := g.serve(t, stock("01"))
	require.Equal(t, http.StatusOK, rec.Code, rec.Body.String())
	require.Empty(t, resp.Errors, rec.Body.String())
	require.JSONEq(t, `{"goods":{"name":"Teapot","stock":`+strconv.Itoa(*inventory.Derive(id).Stock)+`}}`, string(resp.Data))

	tree := spanTree{exp.GetSpans()}
	for _, sp := range tree.spans {
		require.Equal(t, clientTrace, sp.SpanContext.TraceID(), "span %q is not of the client's trace", sp.Name)
	}
	server := tree.named(t, "query Stock")
	require.Empty(t, tree.withName("graphql.execute"), "no span of execution")

	t.Run("upstream attempts", func(t *testing.T) {
		attempts := tree.withName("POST inventory")
		require.Len(t, attempts, 2, "spans: %v", tree.names())
		slices.SortFunc(attempts, func(a, b tracetest.SpanStub) int { return a.StartTime.Compare(b.StartTime) })
		for i, sp := range attempts {
			require.Equal(t, trace.SpanKindClient, sp.SpanKind)
			require.Equal(t, server.SpanContext.SpanID(), sp.Parent.SpanID(), "attempt %d below the request", i)
			a := attrs(sp)
			require.Equal(t, "POST", a["http.request.method"])
			require.Equal(t, "inventory", a["tenantgraph.upstream.name"])
			require.Equal(t, strconv.Itoa(i), a["tenantgraph.upstream.url_index"])
			require.Equal(t, "127.0.0.1", a["server.address"])
		}
		failed, ok := attempts[0], attempts[1]
		require.Equal(t, dead, attrs(failed)["url.full"])
		require.Equal(t, codes.Error, failed.Status.Code)
		require.Equal(t, "error", attrs(failed)["error.type"])
		require.NotContains(t, attrs(failed), "http.response.status_code", "no response came")

		require.Equal(t, inv.URL+"/graphql", attrs(ok)["url.full"])
		require.Equal(t, "200", attrs(ok)["http.response.status_code"])
		require.Equal(t, codes.Unset, ok.Status.Code)
		require.NotContains(t, attrs(ok), "error.type")

		seen := inv.traceparentsSeen()[before:]
		require.Equal(t, []string{"00-" + clientTrace.String() + "-" + ok.SpanContext.SpanID().String() + "-01"}, seen,
			"the upstream is sent the attempt's span as its parent")
	})

	t.Run("a trace not sampled still reaches the upstream", func(t *testing.T) {
		exp.Reset()
		before := len(inv.traceparentsSeen())
		rec, resp := g.serve(t, stock("00"))
		require.Equal(t, http.StatusOK, rec.Code, rec.Body.String())
		require.Empty(t, resp.Errors, rec.Body.String())
		require.Empty(t, exp.GetSpans(), "spans of a trace the client did not sample")
		seen := inv.traceparentsSeen()[before:]
		require.Len(t, seen, 1)
		require.True(t, strings.HasPrefix(seen[0], "00-"+clientTrace.String()+"-"), "traceparent %q", seen[0])
		require.True(t, strings.HasSuffix(seen[0], "-00"), "traceparent %q is not marked unsampled", seen[0])
	})

	t.Run("Redis commands", func(t *testing.T) {
		var commands []tracetest.SpanStub
		for _, sp := range tree.spans {
			if attrs(sp)["db.system.name"] == "redis" {
				commands = append(commands, sp)
			}
		}
		require.NotEmpty(t, commands, "the configuration is resolved through Redis; spans: %v", tree.names())
		for _, sp := range commands {
			require.Equal(t, trace.SpanKindClient, sp.SpanKind)
			require.True(t, tree.descendant(sp, server), "command %q below the request", sp.Name)
			require.Regexp(t, `^(pipeline )?[a-z]+( [a-z]+)*$`, sp.Name, "named by its commands only")
			require.Equal(t, codes.Unset, sp.Status.Code, sp.Name)
		}
	})

	requireNoValues(t, tree, tok, "Bearer", secret, prefix, id)
}
