package gateway_test

import (
	"bytes"
	"context"
	"encoding/json"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/sdk/trace/tracetest"
	"go.opentelemetry.io/otel/trace"

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

// named returns the only span called name.
func (s spanTree) named(t *testing.T, name string) tracetest.SpanStub {
	t.Helper()
	var found []tracetest.SpanStub
	for _, sp := range s.spans {
		if sp.Name == name {
			found = append(found, sp)
		}
	}
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

// TestTracing checks the spans of a mutation and a query on Postgres
// through the HTTP handler: the request's span is the child of the
// client's traceparent; below it the operation's, with its parse,
// validate and execute spans, and the statements below execute; the
// attributes follow the GraphQL conventions, with tenant.id; and nothing
// of the token or the variables' values is in any span.
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

	// check checks the tree of one operation and returns its execute span.
	check := func(t *testing.T, tree spanTree, opType, opName string) tracetest.SpanStub {
		t.Helper()
		server := tree.named(t, "POST /graphql")
		require.Equal(t, trace.SpanKindServer, server.SpanKind)
		require.Equal(t, clientSpan, server.Parent.SpanID(), "the client's traceparent is the request span's parent")
		require.True(t, server.Parent.IsRemote())
		sa := attrs(server)
		require.Equal(t, "POST", sa["http.request.method"])
		require.Equal(t, "/graphql", sa["http.route"])
		require.Equal(t, "200", sa["http.response.status_code"])
		require.Equal(t, "acme", sa["tenant.id"])

		op := tree.named(t, opType+" "+opName)
		require.Equal(t, server.SpanContext.SpanID(), op.Parent.SpanID())
		oa := attrs(op)
		require.Equal(t, opType, oa["graphql.operation.type"])
		require.Equal(t, opName, oa["graphql.operation.name"])
		require.Equal(t, "acme", oa["tenant.id"])
		require.ElementsMatch(t, []string{"graphql.parse", "graphql.validate", "graphql.execute"}, spanNames(tree.children(op)))

		execute := tree.named(t, "graphql.execute")
		stmts := tree.children(execute)
		require.NotEmpty(t, stmts, "statements below execute; spans: %v", tree.names())
		for _, st := range stmts {
			require.Equal(t, trace.SpanKindClient, st.SpanKind)
			a := attrs(st)
			require.Equal(t, "postgresql", a["db.system.name"], st.Name)
			require.Contains(t, a["db.query.text"], "$1", st.Name)
		}
		return execute
	}

	// noValues checks that no span holds the token or a value.
	noValues := func(t *testing.T, tree spanTree, values ...string) {
		t.Helper()
		values = append(values, tok, "Bearer")
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

	var id string
	t.Run("mutation", func(t *testing.T) {
		resp, tree := do(t, `mutation AddGoods($in: CreateGoodsInput!) { createGoods(input: $in) { id } }`,
			map[string]any{"in": map[string]any{"name": name, "price": 4711.5, "description": description}})
		var data struct{ CreateGoods struct{ ID string } }
		require.NoError(t, json.Unmarshal(resp.Data, &data))
		id = data.CreateGoods.ID
		check(t, tree, "mutation", "AddGoods")
		noValues(t, tree, name, description, "4711")
	})
	t.Run("query", func(t *testing.T) {
		require.NotEmpty(t, id)
		_, tree := do(t, `query Goods($id: ID!) { goods(id: $id) { id name description } }`, map[string]any{"id": id})
		check(t, tree, "query", "Goods")
		noValues(t, tree, id, name, description)
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
