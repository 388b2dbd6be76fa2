package upstream_test

import (
	"context"
	"encoding/json"
	"errors"
	"log/slog"
	"net/url"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"github.com/vektah/gqlparser/v2/ast"
	"github.com/vektah/gqlparser/v2/parser"

	"github.com/tenantgraph/tenantgraph/examples/inventory"
	"github.com/tenantgraph/tenantgraph/internal/testenv"
	"github.com/tenantgraph/tenantgraph/internal/upstream"
)

func TestEntitiesBatchesInOneRequest(t *testing.T) {
	s := newStub(t, serve)
	c := newClient(t, upstream.Spec{URLs: []string{s.URL()}}, upstream.Options{})

	in := ids(100)
	res, err := c.Entities(context.Background(), "Goods", in, selection(t, stockAndWarehouse), nil)
	require.NoError(t, err)
	require.Equal(t, 1, s.Hits(), "one request for 100 entities")
	require.Len(t, res, 100)
	for i, id := range in {
		require.Equal(t, want(id), upstream.AsMap(res[i].Data), id)
		require.Empty(t, res[i].Errors, id)
	}
	req, _ := s.Last()
	require.Len(t, req.Variables["representations"], 100)
}

func TestEntitiesOrderAndDuplicates(t *testing.T) {
	s := newStub(t, serve)
	c := newClient(t, upstream.Spec{URLs: []string{s.URL()}}, upstream.Options{})

	in := []string{"b", "a", "b", "c", "a", "b"}
	res, err := c.Entities(context.Background(), "Goods", in, selection(t, stockAndWarehouse), nil)
	require.NoError(t, err)
	require.Len(t, res, len(in))
	for i, id := range in {
		require.Equal(t, want(id), upstream.AsMap(res[i].Data), "result %d", i)
	}
	req, _ := s.Last()
	require.Equal(t, []any{
		map[string]any{"__typename": "Goods", "id": "b"},
		map[string]any{"__typename": "Goods", "id": "a"},
		map[string]any{"__typename": "Goods", "id": "c"},
	}, req.Variables["representations"], "each id once, in order of first appearance")

	res, err = c.Entities(context.Background(), "Goods", nil, selection(t, stockAndWarehouse), nil)
	require.NoError(t, err)
	require.Empty(t, res)
	require.Equal(t, 1, s.Hits(), "no ids, no request")
}

func TestEntitiesNumbersStayExact(t *testing.T) {
	s := newStub(t, serve)
	s.Inventory.Override("big", inventory.Record{Stock: ptr(1<<31 - 1)})
	c := newClient(t, upstream.Spec{URLs: []string{s.URL()}}, upstream.Options{})
	res, err := c.Entities(context.Background(), "Goods", []string{"big"}, selection(t, `{ goodsList(ids: []) { stock } }`), nil)
	require.NoError(t, err)
	require.Equal(t, json.Number("2147483647"), res[0].Data.FieldValue("stock"))
}

func ptr[T any](v T) *T { return &v }

func TestEntitiesPerEntityErrors(t *testing.T) {
	s := newStub(t, serve)
	s.Inventory.Override("gone", inventory.Record{Unknown: true})
	s.Inventory.Override("lost", inventory.Record{Stock: ptr(3), WarehouseError: secretMessage})
	logs := &logRecorder{}
	c := newClient(t, upstream.Spec{URLs: []string{s.URL()}}, upstream.Options{
		Logger:    slog.New(logs),
		RequestID: func(context.Context) string { return "req-42" },
	})

	in := []string{"a", "gone", "lost", "gone", "b"}
	res, err := c.Entities(context.Background(), "Goods", in, selection(t, stockAndWarehouse), nil)
	require.NoError(t, err, "errors of some entities are no failure of the call")

	require.Equal(t, want("a"), upstream.AsMap(res[0].Data))
	require.Empty(t, res[0].Errors)
	require.Equal(t, want("b"), upstream.AsMap(res[4].Data))
	require.Empty(t, res[4].Errors)

	// gqlgen reports an entity it can't resolve at ["_entities"], with
	// null: the error goes to the entities answered null.
	for _, i := range []int{1, 3} {
		require.Nil(t, res[i].Data)
		require.Len(t, res[i].Errors, 1)
		require.Empty(t, res[i].Errors[0].Path)
		require.ErrorIs(t, res[i].Errors[0], upstream.ErrEntity)
		require.Equal(t, `upstream "inventory" reported an error`, res[i].Errors[0].Error())
	}

	// A field's error, at ["_entities", 2, "warehouse"], goes to that
	// field of that entity.
	require.Equal(t, map[string]any{"stock": json.Number("3"), "warehouse": nil}, upstream.AsMap(res[2].Data))
	require.Len(t, res[2].Errors, 1)
	require.Equal(t, []any{"warehouse"}, res[2].Errors[0].Path)
	require.Equal(t, `upstream "inventory" reported an error at warehouse`, res[2].Errors[0].Error())

	// What the upstream said is logged, with the request's ID.
	log := logs.Text()
	require.Contains(t, log, "upstream reported errors")
	require.Contains(t, log, "request_id=req-42")
	require.Contains(t, log, secretMessage)
}

// TestFailover checks that a call fails over from a URL that fails in
// each way to the next, and that the failure is logged with the URL.
func TestFailover(t *testing.T) {
	for name, first := range map[string]func(t *testing.T) string{
		"connection refused":   func(t *testing.T) string { return closedURL(t) },
		"hung":                 func(t *testing.T) string { return newStub(t, hang).URL() },
		"500":                  func(t *testing.T) string { return newStub(t, fail500).URL() },
		"connection closed":    func(t *testing.T) string { return newStub(t, hangUp).URL() },
		"malformed JSON":       func(t *testing.T) string { return newStub(t, malformed).URL() },
		"oversize body":        func(t *testing.T) string { return newStub(t, oversize).URL() },
		"errors without data":  func(t *testing.T) string { return newStub(t, noData).URL() },
		"401 (bad credential)": func(t *testing.T) string { return newStub(t, unauth).URL() },
	} {
		t.Run(name, func(t *testing.T) {
			bad := first(t)
			good := newStub(t, serve)
			logs := &logRecorder{}
			c := newClient(t, upstream.Spec{URLs: []string{bad, good.URL()}, Timeout: 200 * time.Millisecond},
				upstream.Options{Logger: slog.New(logs)})

			ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
			defer cancel()
			res, err := c.Entities(ctx, "Goods", []string{"a", "b"}, selection(t, stockAndWarehouse), nil)
			require.NoError(t, err)
			require.Equal(t, want("a"), upstream.AsMap(res[0].Data))
			require.Equal(t, want("b"), upstream.AsMap(res[1].Data))
			require.Equal(t, 1, good.Hits())
			require.Contains(t, logs.Text(), "upstream attempt failed")
			require.Contains(t, logs.Text(), "url="+bad)
		})
	}
}

// TestUnavailable checks the error of a call that no URL answers: it
// names the upstream, and never a URL, an address or what an upstream
// said.
func TestUnavailable(t *testing.T) {
	dead := closedURL(t)
	stubs := []*stub{newStub(t, fail500), newStub(t, noData), newStub(t, oversize), newStub(t, unauth)}
	urls := []string{dead}
	for _, s := range stubs {
		urls = append(urls, s.URL())
	}
	logs := &logRecorder{}
	c := newClient(t, upstream.Spec{URLs: urls}, upstream.Options{Logger: slog.New(logs)})

	_, err := c.Entities(context.Background(), "Goods", []string{"a"}, selection(t, stockAndWarehouse), nil)
	require.ErrorIs(t, err, upstream.ErrUnavailable)
	require.Equal(t, `upstream "inventory" unavailable`, err.Error())
	var ue *upstream.UnavailableError
	require.ErrorAs(t, err, &ue)
	require.Equal(t, "inventory", ue.Upstream)
	require.Equal(t, len(urls), ue.Attempts)
	for _, s := range stubs {
		require.Equal(t, 1, s.Hits())
	}
	// Nothing of the causes is reachable through the error either.
	for e := error(err); e != nil; e = errors.Unwrap(e) {
		for _, u := range urls {
			host := must(url.Parse(u)).Host
			require.NotContains(t, e.Error(), host)
		}
		require.NotContains(t, e.Error(), "password")
		require.NotContains(t, e.Error(), "127.0.0.1")
	}
	// The log has them.
	for _, u := range urls {
		require.Contains(t, logs.Text(), "url="+u)
	}
	require.Contains(t, logs.Text(), secretMessage)

	_, err = c.SDL(context.Background())
	require.ErrorIs(t, err, upstream.ErrUnavailable)
}

func must[T any](v T, err error) T {
	if err != nil {
		panic(err)
	}
	return v
}

// TestBreakerOpens checks that a failing URL's breaker opens, so that the
// URL is no longer tried, and that when every breaker is open nothing is
// sent.
func TestBreakerOpens(t *testing.T) {
	flaky, good := newStub(t, fail500), newStub(t, serve)
	logs := &logRecorder{}
	c := newClient(t, upstream.Spec{URLs: []string{flaky.URL(), good.URL()}}, upstream.Options{
		Breaker: upstream.BreakerConfig{Threshold: 2, Cooldown: time.Hour},
		Logger:  slog.New(logs),
	})
	call := func() error {
		_, err := c.Entities(context.Background(), "Goods", []string{"a"}, selection(t, stockAndWarehouse), nil)
		return err
	}

	require.NoError(t, call())
	require.Equal(t, upstream.Closed, c.Status()[0].State, "one failure of two")
	require.NoError(t, call())
	st := c.Status()[0]
	require.Equal(t, upstream.Open, st.State)
	require.Equal(t, 2, st.Failures)
	require.Equal(t, flaky.URL(), st.URL)
	require.Contains(t, logs.Text(), "upstream URL out of use: breaker open")

	for range 3 {
		require.NoError(t, call())
	}
	require.Equal(t, 2, flaky.Hits(), "an open breaker's URL is not tried")
	require.Equal(t, 5, good.Hits())

	good.Set(fail500)
	for range 2 {
		require.ErrorIs(t, call(), upstream.ErrUnavailable)
	}
	require.Equal(t, upstream.Open, c.Status()[1].State)
	err := call()
	require.ErrorIs(t, err, upstream.ErrUnavailable)
	var ue *upstream.UnavailableError
	require.ErrorAs(t, err, &ue)
	require.Zero(t, ue.Attempts)
	require.Equal(t, 2, flaky.Hits())
	require.Equal(t, 7, good.Hits())
	require.Contains(t, logs.Text(), "upstream not tried: every URL's breaker is open")
}

// TestBreakerRecovers checks that an open breaker lets one request probe
// its URL after the cooldown, that a failed probe keeps it open, and that
// a successful one closes it.
func TestBreakerRecovers(t *testing.T) {
	flaky, good := newStub(t, fail500), newStub(t, serve)
	logs := &logRecorder{}
	c := newClient(t, upstream.Spec{URLs: []string{flaky.URL(), good.URL()}}, upstream.Options{
		Breaker: upstream.BreakerConfig{Threshold: 1, Cooldown: 20 * time.Millisecond},
		Logger:  slog.New(logs),
	})
	call := func() {
		t.Helper()
		_, err := c.Entities(context.Background(), "Goods", []string{"a"}, selection(t, stockAndWarehouse), nil)
		require.NoError(t, err)
	}
	call()
	require.Equal(t, upstream.Open, c.Status()[0].State)

	// After the cooldown a call probes the URL; the probe fails, and the
	// breaker stays open.
	testenv.Eventually(t, 5*time.Second, func() bool { call(); return flaky.Hits() == 2 },
		"the open breaker lets a probe through after its cooldown")
	require.Equal(t, upstream.Open, c.Status()[0].State)
	require.Equal(t, 2, c.Status()[0].Failures)

	// Once the URL works, a probe closes the breaker, and calls go to it
	// first again.
	flaky.Set(serve)
	testenv.Eventually(t, 5*time.Second, func() bool { call(); return c.Status()[0].State == upstream.Closed },
		"a successful probe closes the breaker")
	require.Contains(t, logs.Text(), "upstream URL back in use: breaker closed")
	goodHits, flakyHits := good.Hits(), flaky.Hits()
	call()
	require.Equal(t, flakyHits+1, flaky.Hits())
	require.Equal(t, goodHits, good.Hits())
	require.Zero(t, c.Status()[0].Failures)
}

// TestBreakerIgnoresRequestFaults checks that answers that blame the
// request (401 here) and calls the caller gave up on do not open a
// breaker.
func TestBreakerIgnoresRequestFaults(t *testing.T) {
	s := newStub(t, unauth)
	c := newClient(t, upstream.Spec{URLs: []string{s.URL()}}, upstream.Options{
		Breaker: upstream.BreakerConfig{Threshold: 1, Cooldown: time.Hour},
	})
	for range 3 {
		_, err := c.Entities(context.Background(), "Goods", []string{"a"}, selection(t, stockAndWarehouse), nil)
		require.ErrorIs(t, err, upstream.ErrUnavailable)
	}
	require.Equal(t, 3, s.Hits())
	require.Equal(t, upstream.Closed, c.Status()[0].State)

	s.Set(hang)
	ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
	defer cancel()
	_, err := c.Entities(ctx, "Goods", []string{"a"}, selection(t, stockAndWarehouse), nil)
	require.ErrorIs(t, err, context.DeadlineExceeded)
	require.Equal(t, upstream.Closed, c.Status()[0].State, "the caller's deadline says nothing of the upstream")
}

// TestDeadline checks that a call keeps within its context's deadline:
// an attempt takes what is left of it, and none starts after it.
func TestDeadline(t *testing.T) {
	hung, good := newStub(t, hang), newStub(t, serve)
	c := newClient(t, upstream.Spec{URLs: []string{hung.URL(), good.URL()}, Timeout: 10 * time.Second}, upstream.Options{})

	ctx, cancel := context.WithTimeout(context.Background(), 150*time.Millisecond)
	defer cancel()
	start := time.Now()
	_, err := c.Entities(ctx, "Goods", []string{"a"}, selection(t, stockAndWarehouse), nil)
	elapsed := time.Since(start)
	require.ErrorIs(t, err, upstream.ErrUnavailable)
	require.ErrorIs(t, err, context.DeadlineExceeded)
	require.Equal(t, `upstream "inventory" unavailable: context deadline exceeded`, err.Error())
	require.Less(t, elapsed, 5*time.Second, "the attempt ends with the caller's deadline, not the Spec's timeout")
	require.Equal(t, 1, hung.Hits())
	require.Zero(t, good.Hits(), "no attempt after the deadline")

	// A context that has ended sends nothing.
	_, err = c.Entities(ctx, "Goods", []string{"a"}, selection(t, stockAndWarehouse), nil)
	require.ErrorIs(t, err, context.DeadlineExceeded)
	require.Equal(t, 1, hung.Hits())
}

// TestAttemptTimeout checks that the Spec's timeout ends an attempt on a
// hung URL, and the call fails over within the caller's deadline.
func TestAttemptTimeout(t *testing.T) {
	hung, good := newStub(t, hang), newStub(t, serve)
	c := newClient(t, upstream.Spec{URLs: []string{hung.URL(), good.URL()}, Timeout: 100 * time.Millisecond}, upstream.Options{})
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	start := time.Now()
	res, err := c.Entities(ctx, "Goods", []string{"a"}, selection(t, stockAndWarehouse), nil)
	require.NoError(t, err)
	require.Equal(t, want("a"), upstream.AsMap(res[0].Data))
	require.Less(t, time.Since(start), 5*time.Second)
	require.Equal(t, 1, c.Status()[0].Failures, "the URL's own timeout counts against it")
}

// TestSecretHeaders checks that secret references in headers are
// resolved at every call, so a rotated secret reaches the next request.
func TestSecretHeaders(t *testing.T) {
	s := newStub(t, serve)
	var secret struct {
		value string
		err   error
	}
	c := newClient(t, upstream.Spec{URLs: []string{s.URL()}, Headers: map[string]string{
		"Authorization": "Bearer ${secret:inventoryToken}",
		"X-Tenant":      "customerC",
	}}, upstream.Options{Secret: func(_ context.Context, name string) (string, error) {
		require.Equal(t, "inventoryToken", name)
		return secret.value, secret.err
	}})

	secret.value = "first"
	_, err := c.Entities(context.Background(), "Goods", []string{"a"}, selection(t, stockAndWarehouse), nil)
	require.NoError(t, err)
	_, auth := s.Last()
	require.Equal(t, "Bearer first", auth)

	secret.value = "second"
	_, err = c.Entities(context.Background(), "Goods", []string{"a"}, selection(t, stockAndWarehouse), nil)
	require.NoError(t, err)
	_, auth = s.Last()
	require.Equal(t, "Bearer second", auth, "the rotated secret is sent")

	// A secret that can't be resolved, or can't be a header, fails the
	// call before anything is sent.
	for _, bad := range []struct {
		value string
		err   error
	}{{"", errors.New("env:INVENTORY_TOKEN is not set")}, {"line\r\nX-Injected: 1", nil}} {
		secret.value, secret.err = bad.value, bad.err
		_, err = c.Entities(context.Background(), "Goods", []string{"a"}, selection(t, stockAndWarehouse), nil)
		require.ErrorIs(t, err, upstream.ErrUnavailable)
		require.Equal(t, 2, s.Hits())
	}

	// The example service checks the token.
	protected := newStubOf(t, serve, inventory.Options{Token: "right"})
	c2 := newClient(t, upstream.Spec{URLs: []string{protected.URL()}, Headers: map[string]string{
		"Authorization": "Bearer ${secret:inventoryToken}",
	}}, upstream.Options{Secret: func(context.Context, string) (string, error) { return secret.value, nil }})
	secret.value = "wrong"
	_, err = c2.Entities(context.Background(), "Goods", []string{"a"}, selection(t, stockAndWarehouse), nil)
	require.ErrorIs(t, err, upstream.ErrUnavailable)
	secret.value = "right"
	_, err = c2.Entities(context.Background(), "Goods", []string{"a"}, selection(t, stockAndWarehouse), nil)
	require.NoError(t, err)
}

// TestSizeCap checks that a response larger than MaxResponseBytes is a
// failure.
func TestSizeCap(t *testing.T) {
	s := newStub(t, serve)
	c := newClient(t, upstream.Spec{URLs: []string{s.URL()}}, upstream.Options{MaxResponseBytes: 1024})
	_, err := c.Entities(context.Background(), "Goods", ids(10), selection(t, stockAndWarehouse), nil)
	require.NoError(t, err, "10 goods fit in 1 KiB")
	_, err = c.Entities(context.Background(), "Goods", ids(100), selection(t, stockAndWarehouse), nil)
	require.ErrorIs(t, err, upstream.ErrUnavailable, "100 goods do not")

	s.Set(oversize) // 5 MiB, over the default
	c = newClient(t, upstream.Spec{URLs: []string{s.URL()}}, upstream.Options{})
	_, err = c.Entities(context.Background(), "Goods", []string{"a"}, selection(t, stockAndWarehouse), nil)
	require.ErrorIs(t, err, upstream.ErrUnavailable)
}

func TestSDL(t *testing.T) {
	s := newStub(t, serve)
	c := newClient(t, upstream.Spec{URLs: []string{closedURL(t), s.URL()}}, upstream.Options{})
	sdl, err := c.SDL(context.Background())
	require.NoError(t, err)
	require.Contains(t, sdl, `type Goods @key(fields: "id")`)
	req, _ := s.Last()
	require.Equal(t, "{_service{sdl}}", req.Query)
}

// TestDocument checks the upstream document made of a client's
// selection: fields by name, merged, fragments flattened, @skip and
// @include applied, arguments as variables.
func TestDocument(t *testing.T) {
	s := newStub(t, empty)
	c := newClient(t, upstream.Spec{URLs: []string{s.URL()}}, upstream.Options{})

	sel := selection(t, `query($unit: Unit, $no: Boolean!, $from: Int, $absent: [String!]) {
	  goodsList(ids: []) {
	    s: stock
	    w1: warehouse { code }
	    ...F
	    ... on Goods { w2: warehouse { city code } }
	    skipped: name @skip(if: $no)
	    ... @skip(if: $no) { id }
	    r1: reserved(unit: $unit, filter: {from: $from}, at: ["A\"}{x"])
	    r2: reserved(unit: $unit, filter: {from: $from}, at: ["A\"}{x"])
	    r3: reserved(at: $absent) @skip(if: $no)
	    warehouse @include(if: $no) { code }
	  }
	}
	fragment F on Goods { stock warehouse { __typename } }`)
	vars := map[string]any{"unit": "BOXES", "no": true, "from": int64(3)}
	res, err := c.Entities(context.Background(), "Goods", []string{"x"}, sel, vars)
	require.NoError(t, err)
	require.Len(t, res, 1)

	req, _ := s.Last()
	require.Equal(t, `query($representations:[_Any!]!,$a0:Unit,$a1:RangeInput,$a2:[String!])`+
		`{_entities(representations:$representations){...on Goods{`+
		`stock warehouse{code __typename city} reserved(unit:$a0,filter:$a1,at:$a2)}}}`, req.Query)
	require.Equal(t, map[string]any{
		"representations": []any{map[string]any{"__typename": "Goods", "id": "x"}},
		"a0":              "BOXES",
		"a1":              map[string]any{"from": json.Number("3")},
		"a2":              []any{`A"}{x`},
	}, req.Variables)
	_, perr := parser.ParseQuery(&ast.Source{Input: req.Query})
	require.Nil(t, perr, "the document is GraphQL")

	// An argument whose variable is not given is left out.
	_, err = c.Entities(context.Background(), "Goods", []string{"x"}, selection(t, `query($absent: [String!]) {
	  goodsList(ids: []) { reserved(at: $absent) }
	}`), nil)
	require.NoError(t, err)
	req, _ = s.Last()
	require.Equal(t, `query($representations:[_Any!]!){_entities(representations:$representations){...on Goods{reserved}}}`, req.Query)

	// Skipping every field sends nothing.
	res, err = c.Entities(context.Background(), "Goods", []string{"x", "y"}, selection(t, `query($no: Boolean!) {
	  goodsList(ids: []) { stock @skip(if: $no) }
	}`), map[string]any{"no": true})
	require.NoError(t, err)
	require.Equal(t, []upstream.Result{{Data: upstream.NewObject()}, {Data: upstream.NewObject()}}, res)
	require.Equal(t, 2, s.Hits())
}

func TestSelectionErrors(t *testing.T) {
	s := newStub(t, serve)
	c := newClient(t, upstream.Spec{URLs: []string{s.URL()}}, upstream.Options{})
	for name, sel := range map[string]ast.SelectionSet{
		"different arguments": selection(t, `{ goodsList(ids: []) { a: reserved(unit: PIECES) b: reserved(unit: BOXES) } }`),
		"unvalidated arguments": must(parser.ParseQuery(&ast.Source{Input: `{ goodsList { reserved(unit: PIECES) } }`})).
			Operations[0].SelectionSet[0].(*ast.Field).SelectionSet,
		"unknown fragment": {&ast.FragmentSpread{Name: "F"}},
		"invalid name":     {&ast.Field{Name: "stock}}mutation{x"}},
	} {
		t.Run(name, func(t *testing.T) {
			_, err := c.Entities(context.Background(), "Goods", []string{"a"}, sel, nil)
			require.ErrorIs(t, err, upstream.ErrSelection)
			require.NotErrorIs(t, err, upstream.ErrUnavailable)
		})
	}
	_, err := c.Entities(context.Background(), "Goods{x}", []string{"a"}, selection(t, stockAndWarehouse), nil)
	require.ErrorIs(t, err, upstream.ErrSelection)
	require.Zero(t, s.Hits())
}
