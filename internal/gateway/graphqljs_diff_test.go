package gateway_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"os/exec"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/tenantgraph/tenantgraph/internal/store"
)

// diffCase is a document of the graphql-js differential test.
type diffCase struct {
	Name      string         `json:"name"`
	Query     string         `json:"query"`
	Variables map[string]any `json:"variables,omitempty"`
}

// diffCorpus covers introspection, the coercion of every scalar and enum
// from literals and variables, nulls in input positions, directives with
// variables, and invalid documents, against customerB's schema (a field
// of each kind).
var diffCorpus = []diffCase{
	// Introspection, compared data for data.
	{Name: "introspection types", Query: `{ __schema { queryType { name } mutationType { name } subscriptionType { name } types { kind name } directives { name locations args { name defaultValue } } } }`},
	{Name: "introspection scalar", Query: `{ __type(name: "DateTime") { kind name fields { name } interfaces { name } possibleTypes { name } enumValues { name } inputFields { name } ofType { name } isOneOf specifiedByURL } }`},
	{Name: "introspection object", Query: `{ __type(name: "Goods") { kind fields(includeDeprecated: true) { name args { name } type { kind name ofType { kind name ofType { kind name } } } isDeprecated deprecationReason } interfaces { name } enumValues { name } inputFields { name } isOneOf } }`},
	{Name: "introspection enum", Query: `{ __type(name: "Shipping") { kind enumValues(includeDeprecated: true) { name isDeprecated deprecationReason } fields { name } } }`},
	{Name: "introspection input", Query: `{ __type(name: "CreateGoodsInput") { kind inputFields { name defaultValue type { kind name ofType { name } } } isOneOf fields { name } } }`},
	{Name: "introspection unknown type", Query: `{ __type(name: "Nope") { name } }`},
	{Name: "introspection typename", Query: `{ __typename }`},
	{Name: "introspection variable", Query: `query($n: String!) { __type(name: $n) { name kind } }`, Variables: map[string]any{"n": "GoodsSortField"}},
	{Name: "introspection fragment", Query: `{ ...F } fragment F on Query { __type(name: "Unit") { enumValues { name } } }`},

	// Literals.
	{Name: "Int literal", Query: `{ goodsList(first: 5) { totalCount } }`},
	{Name: "Int literal of 33 bits", Query: `{ goodsList(first: 2147483648) { totalCount } }`},
	{Name: "Int literal of 33 bits as a Float", Query: `{ goodsList(filter: {price: {gte: 2147483648}}) { totalCount } }`},
	{Name: "Int literal of 70 bits as a Float", Query: `{ goodsList(filter: {price: {gte: 1180591620717411303424}}) { totalCount } }`},
	{Name: "Int default of 70 bits as a Float", Query: `query($v: Float = 1180591620717411303424) { goodsList(filter: {price: {gte: $v}}) { totalCount } }`},
	{Name: "Int literal fraction", Query: `{ goodsList(first: 1.5) { totalCount } }`},
	{Name: "Int literal string", Query: `{ goodsList(first: "5") { totalCount } }`},
	{Name: "Float literal int", Query: `{ goodsList(filter: {price: {gt: 1}}) { totalCount } }`},
	{Name: "Float literal string", Query: `{ goodsList(filter: {price: {gt: "1"}}) { totalCount } }`},
	{Name: "String literal number", Query: `{ goodsList(filter: {nameContains: 5}) { totalCount } }`},
	{Name: "ID literal int", Query: `{ goods(id: 7) { id } }`},
	{Name: "ID literal float", Query: `{ goods(id: 1.5) { id } }`},
	{Name: "Boolean literal string", Query: `{ goodsList(filter: {hazardous: "true"}) { totalCount } }`},
	{Name: "enum literal", Query: `{ goodsList(orderBy: [{field: SHIPPING}]) { totalCount } }`},
	{Name: "enum literal lower case", Query: `{ goodsList(orderBy: [{field: shipping}]) { totalCount } }`},
	{Name: "enum literal string", Query: `{ goodsList(orderBy: [{field: "SHIPPING"}]) { totalCount } }`},
	{Name: "DateTime literal", Query: `{ goodsList(filter: {createdAt: {gt: "2026-01-01T00:00:00Z"}}) { totalCount } }`},
	{Name: "list literal of objects for strings", Query: `{ goodsList(filter: {shipping: {in: [{}]}}) { totalCount } }`},
	{Name: "single value for a list", Query: `{ goodsList(orderBy: {field: NAME}) { totalCount } }`},
	{Name: "null literal for non-null", Query: `{ goods(id: null) { id } }`},
	{Name: "null literal for non-null input field", Query: `{ goodsList(orderBy: [{field: NAME, direction: null}]) { totalCount } }`},
	{Name: "unknown input field", Query: `{ goodsList(filter: {nope: 1}) { totalCount } }`},

	// Variables.
	{Name: "Int variable", Query: `query($v: Int) { goodsList(first: $v) { totalCount } }`, Variables: map[string]any{"v": 5}},
	{Name: "Int variable string", Query: `query($v: Int) { goodsList(first: $v) { totalCount } }`, Variables: map[string]any{"v": "5"}},
	{Name: "Int variable 33 bits", Query: `query($v: Int) { goodsList(first: $v) { totalCount } }`, Variables: map[string]any{"v": 2147483648}},
	{Name: "Int variable fraction", Query: `query($v: Int) { goodsList(first: $v) { totalCount } }`, Variables: map[string]any{"v": 1.5}},
	{Name: "Float variable int", Query: `query($v: Float) { goodsList(filter: {price: {gt: $v}}) { totalCount } }`, Variables: map[string]any{"v": 1}},
	{Name: "Float variable string", Query: `query($v: Float) { goodsList(filter: {price: {gt: $v}}) { totalCount } }`, Variables: map[string]any{"v": "1"}},
	{Name: "String variable number", Query: `query($v: String) { goodsList(filter: {nameContains: $v}) { totalCount } }`, Variables: map[string]any{"v": 5}},
	{Name: "ID variable int", Query: `query($v: ID!) { goods(id: $v) { id } }`, Variables: map[string]any{"v": 7}},
	{Name: "ID variable float", Query: `query($v: ID!) { goods(id: $v) { id } }`, Variables: map[string]any{"v": 1.5}},
	{Name: "Boolean variable string", Query: `query($v: Boolean) { goodsList(filter: {hazardous: $v}) { totalCount } }`, Variables: map[string]any{"v": "true"}},
	{Name: "enum variable", Query: `query($v: Shipping) { goodsList(filter: {shipping: {eq: $v}}) { totalCount } }`, Variables: map[string]any{"v": "FREIGHT"}},
	{Name: "enum variable lower case", Query: `query($v: Shipping) { goodsList(filter: {shipping: {eq: $v}}) { totalCount } }`, Variables: map[string]any{"v": "freight"}},
	{Name: "DateTime variable", Query: `query($v: DateTime) { goodsList(filter: {createdAt: {gt: $v}}) { totalCount } }`, Variables: map[string]any{"v": "2026-01-01T00:00:00Z"}},
	{Name: "null variable for non-null", Query: `query($v: ID!) { goods(id: $v) { id } }`, Variables: map[string]any{"v": nil}},
	{Name: "missing variable for non-null", Query: `query($v: ID!) { goods(id: $v) { id } }`},
	{Name: "null in a non-null input field", Query: `query($v: [GoodsOrder!]) { goodsList(orderBy: $v) { totalCount } }`, Variables: map[string]any{"v": []any{map[string]any{"field": "NAME", "direction": nil}}}},
	{Name: "null in a non-null list element", Query: `query($v: [GoodsOrder!]) { goodsList(orderBy: $v) { totalCount } }`, Variables: map[string]any{"v": []any{nil}}},
	{Name: "unknown field in a variable", Query: `query($v: GoodsFilter) { goodsList(filter: $v) { totalCount } }`, Variables: map[string]any{"v": map[string]any{"nope": 1}}},
	{Name: "single object for a list variable", Query: `query($v: [GoodsOrder!]) { goodsList(orderBy: $v) { totalCount } }`, Variables: map[string]any{"v": map[string]any{"field": "NAME"}}},

	// Directives with variables.
	{Name: "include with a variable", Query: `query($v: Boolean!) { goodsList { totalCount @include(if: $v) } }`, Variables: map[string]any{"v": false}},
	{Name: "skip with a null non-null variable", Query: `query($v: Boolean!) { goodsList { totalCount @skip(if: $v) } }`, Variables: map[string]any{"v": nil}},
	{Name: "include with a nullable variable", Query: `query($v: Boolean) { goodsList { totalCount @include(if: $v) } }`, Variables: map[string]any{"v": true}},
	{Name: "unknown directive", Query: `{ goodsList @nope { totalCount } }`},
	{Name: "defer", Query: `{ goodsList { ... @defer { totalCount } } }`},

	// Invalid documents.
	{Name: "syntax error", Query: `{ goodsList { `},
	{Name: "unknown field", Query: `{ goodsList { nope } }`},
	{Name: "missing selection", Query: `{ goodsList }`},
	{Name: "unused variable", Query: `query($v: Int) { goodsList { totalCount } }`},
	{Name: "undefined variable", Query: `{ goodsList(first: $v) { totalCount } }`},
	{Name: "fragment cycle", Query: `{ ...A } fragment A on Query { ...B } fragment B on Query { ...A }`},
	{Name: "conflicting aliases", Query: `{ goodsList { x: totalCount x: pageInfo { hasNextPage } } }`},
	{Name: "mutation of a missing type", Query: `subscription { goodsList { totalCount } }`},
}

// diffKnown are the deliberate differences from graphql-js: each case,
// and why tenantgraph answers otherwise. The one place they are recorded.
// A key that names no case is a difference the comparison of every case
// allows.
var diffKnown = map[string]string{
	// The gateway writes a Float as gqlgen's generated code does, with
	// Go's %g (1e+06, 1e+09), where graphql-js writes JavaScript's
	// shortest form (1000000, 1000000000): the same JSON number, so data
	// is compared number by value (see orderedJSON).
	"Float output": "Float's JSON text is Go's %g, the same number",
	// graphql-js refuses a null if of @skip/@include, from a variable
	// that is non-null or has a default, while it executes (data: null
	// with an error); tenantgraph refuses the request before it runs.
	// Both refuse it, at a different stage.
	"skip with a null non-null variable":           "refused before execution, not during it",
	"data: include with a null defaulted variable": "refused before execution, not during it",
	// graphql-js 16's validation does not check that the schema has the
	// operation's root type; it refuses the operation when it executes.
	// gqlparser's validation refuses it.
	"mutation of a missing type": "refused by validation, not by execution",
}

// sortSchemaLists returns data, an introspection result, as JSON with
// __schema's types and directives sorted by name.
func sortSchemaLists(t *testing.T, data []byte) string {
	t.Helper()
	var v map[string]any
	require.NoError(t, json.Unmarshal(data, &v))
	if schema, ok := v["__schema"].(map[string]any); ok {
		for _, key := range []string{"types", "directives"} {
			if list, ok := schema[key].([]any); ok {
				slices.SortFunc(list, func(a, b any) int {
					an, _ := a.(map[string]any)["name"].(string)
					bn, _ := b.(map[string]any)["name"].(string)
					return strings.Compare(an, bn)
				})
			}
		}
	}
	b, err := json.Marshal(v)
	require.NoError(t, err)
	return string(b)
}

// diffGoods are the goods of the differential test, created through the
// gateway as customerB: every extension field set, left to its default,
// or null; a description, none, and one with characters JSON escapes.
var diffGoods = []map[string]any{
	{
		"name": "Anvil", "price": 120.5, "description": "Forged steel.", "shipping": "FREIGHT",
		"dimensions": map[string]any{"width": 30, "height": 20, "depth": 50.5, "unit": "CM"},
		"tags":       []any{"tools", "heavy"},
		"restockAt":  "2027-01-15T08:30:00Z", "minOrderQuantity": 2, "hazardous": false,
	},
	{"name": "Bucket", "price": 4},
	{
		"name": "Café crème <&> «ünïcode»", "price": 0.1, "description": "Line one\nline \"two\"\t\\ end", "shipping": "PICKUP",
		"dimensions": map[string]any{"width": 0.001, "height": 1e6, "depth": 0, "unit": "MM"},
		"tags":       []any{"a", "b", "c"},
		"restockAt":  "2027-06-01T12:00:00.123456+02:00", "minOrderQuantity": 1000, "hazardous": true,
	},
	{"name": "Drum", "price": 1e9, "description": nil, "shipping": "PARCEL", "tags": []any{}, "restockAt": nil, "hazardous": true},
}

// diffGoodsFields selects every field of customerB's Goods.
const diffGoodsFields = `id name price description createdAt updatedAt shipping dimensions { width height depth unit } tags restockAt minOrderQuantity hazardous`

// diffDataCorpus are the cases that compare data over diffGoods. In
// queries and variables, @id0@ .. @id3@ stand for the goods' IDs and
// @cursor0@ .. @cursor3@ for their cursors in goodsList's default order.
var diffDataCorpus = []diffCase{
	{Name: "data: every goods with every field", Query: `{ goodsList(first: 100) { totalCount edges { cursor node { ` + diffGoodsFields + ` } } pageInfo { hasNextPage hasPreviousPage startCursor endCursor } } }`},
	{Name: "data: goods by id literal", Query: `{ goods(id: "@id0@") { ` + diffGoodsFields + ` } }`},
	{Name: "data: goods by id variable", Query: `query($id: ID!) { goods(id: $id) { ` + diffGoodsFields + ` } }`, Variables: map[string]any{"id": "@id2@"}},
	{Name: "data: goods with nulls and defaults", Query: `query($id: ID!) { goods(id: $id) { ` + diffGoodsFields + ` } }`, Variables: map[string]any{"id": "@id1@"}},
	{Name: "data: goods not found", Query: `{ goods(id: "00000000-0000-4000-8000-000000000000") { id name } }`},
	{Name: "data: aliases", Query: `{ a: goods(id: "@id0@") { n: name p: price id } b: goods(id: "@id3@") { id n: name } same: goods(id: "@id0@") { name } }`},
	{Name: "data: fields selected twice", Query: `{ goods(id: "@id0@") { name x: tags name dimensions { unit } dimensions { width } } }`},
	{Name: "data: named fragment", Query: `query { goods(id: "@id0@") { ...G } } fragment G on Goods { id shipping ...D } fragment D on Goods { dimensions { ...on Dimensions { depth unit } } }`},
	{Name: "data: inline fragments", Query: `{ goods(id: "@id2@") { ... on Goods { name } ... { price } tags } }`},
	{Name: "data: field order of merged fragments", Query: `{ goods(id: "@id0@") { tags ...F name } } fragment F on Goods { name id tags }`},
	{Name: "data: typename in data", Query: `{ __typename goods(id: "@id0@") { __typename t: __typename dimensions { __typename } } goodsList(first: 1) { __typename edges { __typename } pageInfo { __typename } } }`},
	{Name: "data: include and skip with variables", Query: `query($yes: Boolean!, $no: Boolean!) { goods(id: "@id0@") { name @include(if: $yes) price @include(if: $no) tags @skip(if: $yes) shipping @skip(if: $no) ... @include(if: $yes) { hazardous } ...F @skip(if: $yes) } } fragment F on Goods { id }`, Variables: map[string]any{"yes": true, "no": false}},
	{Name: "data: include with a defaulted variable", Query: `query($v: Boolean = true) { goods(id: "@id1@") { name @include(if: $v) } }`},
	{Name: "data: enum, DateTime and value object output", Query: `{ goodsList { nodes { shipping restockAt dimensions { unit width height depth } } } }`},
	{Name: "data: nodes", Query: `{ goodsList { totalCount nodes { id name } } }`},
	{Name: "data: first page", Query: `query($n: Int) { goodsList(first: $n) { edges { cursor node { name } } pageInfo { hasNextPage hasPreviousPage startCursor endCursor } } }`, Variables: map[string]any{"n": 2}},
	{Name: "data: page after a cursor", Query: `query($after: String) { goodsList(first: 2, after: $after) { nodes { name } pageInfo { hasNextPage hasPreviousPage startCursor endCursor } } }`, Variables: map[string]any{"after": "@cursor1@"}},
	{Name: "data: last page", Query: `{ goodsList(first: 5, after: "@cursor2@") { nodes { name } pageInfo { hasNextPage hasPreviousPage startCursor endCursor } } }`},
	{Name: "data: empty page", Query: `{ goodsList(first: 0) { totalCount nodes { id } edges { cursor } pageInfo { hasNextPage hasPreviousPage startCursor endCursor } } }`},
	{Name: "data: first beyond the page size", Query: `{ goods(id: "@id0@") { name } goodsList(first: 101) { totalCount } }`},
	{Name: "data: filter by name", Query: `query($s: String) { goodsList(filter: {nameContains: $s}) { totalCount nodes { name } } }`, Variables: map[string]any{"s": "CRÈME"}},
	{Name: "data: filter by price", Query: `query($v: Float) { goodsList(filter: {price: {gt: 4, lte: $v}}) { nodes { name price } } }`, Variables: map[string]any{"v": 120.5}},
	{Name: "data: filter by enum variable", Query: `query($v: [Shipping!]) { goodsList(filter: {shipping: {in: $v}}) { nodes { name shipping } } }`, Variables: map[string]any{"v": []any{"PICKUP", "FREIGHT"}}},
	{Name: "data: filter by Boolean and Int", Query: `query($h: Boolean, $q: Int) { goodsList(filter: {hazardous: $h, minOrderQuantity: {gte: $q}}) { nodes { name } } }`, Variables: map[string]any{"h": true, "q": 2}},
	{Name: "data: filter by DateTime", Query: `query($t: DateTime) { goodsList(filter: {restockAt: {lt: $t}}) { nodes { name restockAt } } }`, Variables: map[string]any{"t": "2027-03-01T00:00:00Z"}},
	{Name: "data: filter matching nothing", Query: `{ goodsList(filter: {shipping: {in: []}}) { totalCount nodes { id } pageInfo { startCursor endCursor hasNextPage } } }`},
	{Name: "data: aliased lists with different arguments", Query: `query($f: GoodsFilter) { all: goodsList(first: 1) { nodes { name } } some: goodsList(filter: $f, after: "@cursor0@") { totalCount nodes { name tags } } }`, Variables: map[string]any{"f": map[string]any{"nameContains": "u", "minOrderQuantity": map[string]any{"lt": 1000}}}},
	{Name: "data: not a cursor", Query: `{ goods(id: "@id0@") { name } goodsList(after: "nope") { totalCount } }`},
	{Name: "data: cursor of goods the filter leaves out", Query: `{ goodsList(filter: {hazardous: true}, after: "@cursor1@") { totalCount nodes { name } pageInfo { hasPreviousPage } } }`},
	{Name: "data: totalCount with orderBy", Query: `{ goodsList(filter: {price: {lt: 200}}, orderBy: [{field: SHIPPING, direction: DESC}]) { totalCount } }`},
	{Name: "data: include with a null defaulted variable", Query: `query($v: Boolean = true) { goods(id: "@id1@") { name @include(if: $v) } }`, Variables: map[string]any{"v": nil}},
	{Name: "data: mutation with a bad variable", Query: `mutation($p: Float!) { createGoods(input: {name: "Extra", price: $p}) { name } }`, Variables: map[string]any{"p": "1"}},
	{Name: "data: mutation", Query: `mutation { createGoods(input: {name: "Extra", price: 1}) { name } }`},
}

// diffBind returns c with the placeholders of diffDataCorpus replaced by
// the goods' IDs and cursors.
func diffBind(t *testing.T, c diffCase, r *strings.Replacer) diffCase {
	t.Helper()
	c.Query = r.Replace(c.Query)
	if c.Variables != nil {
		b, err := json.Marshal(c.Variables)
		require.NoError(t, err)
		c.Variables = nil
		require.NoError(t, json.Unmarshal([]byte(r.Replace(string(b))), &c.Variables))
	}
	return c
}

// orderedJSON returns the JSON value raw in one canonical form that keeps
// the order of object members: the spec orders a response's fields as the
// document selects them, which a comparison of maps would not see. Numbers
// and strings are written as encoding/json writes them, so that the same
// value has one text (diffKnown's "Float output").
func orderedJSON(t *testing.T, raw []byte) string {
	t.Helper()
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.UseNumber()
	var b strings.Builder
	var walk func()
	walk = func() {
		tok, err := dec.Token()
		require.NoError(t, err)
		switch v := tok.(type) {
		case json.Delim:
			b.WriteRune(rune(v))
			for i := 0; dec.More(); i++ {
				if i > 0 {
					b.WriteByte(',')
				}
				if v == '{' {
					key, err := dec.Token()
					require.NoError(t, err)
					k, err := json.Marshal(key)
					require.NoError(t, err)
					b.Write(k)
					b.WriteByte(':')
				}
				walk()
			}
			end, err := dec.Token()
			require.NoError(t, err)
			b.WriteRune(rune(end.(json.Delim)))
		case json.Number:
			f, err := v.Float64()
			require.NoError(t, err)
			n, err := json.Marshal(f)
			require.NoError(t, err)
			b.Write(n)
		default:
			s, err := json.Marshal(v)
			require.NoError(t, err)
			b.Write(s)
		}
	}
	walk()
	return b.String()
}

// diffErrors returns errs as JSON of what the spec defines of an error
// (message, locations and path), in their order.
func diffErrors(t *testing.T, errs []gqlError) string {
	t.Helper()
	type specError struct {
		Message   string `json:"message"`
		Locations []any  `json:"locations,omitempty"`
		Path      []any  `json:"path,omitempty"`
	}
	list := make([]specError, len(errs))
	for i, e := range errs {
		list[i] = specError{e.Message, e.Locations, e.Path}
	}
	b, err := json.Marshal(list)
	require.NoError(t, err)
	return string(b)
}

// TestGraphQLJSDifferential runs the corpus through the gateway and
// through graphql-js over the same schema (customerB's /schema.graphql)
// and the same goods (diffGoods, served to graphql-js as the gateway
// lists them): both must refuse the same documents and variables before
// executing them, and answer the others with the same data and errors.
func TestGraphQLJSDifferential(t *testing.T) {
	js := installGraphQLJS(t)
	g := newTestGatewayIn(t, store.NewMemory(nil), shippedTenants(t))
	tok := g.token(t, "customerB")
	code, sdl := getSchema(g, tok)
	require.Equal(t, http.StatusOK, code)

	for _, in := range diffGoods {
		var created struct{ CreateGoods struct{ ID string } }
		g.mustData(t, tok, `mutation($in: CreateGoodsInput!) { createGoods(input: $in) { id } }`, map[string]any{"in": in}, &created)
	}
	var listed struct {
		GoodsList struct {
			Edges []struct {
				Cursor string          `json:"cursor"`
				Node   json.RawMessage `json:"node"`
			} `json:"edges"`
		}
	}
	g.mustData(t, tok, diffDataCorpus[0].Query, nil, &listed)
	goods := listed.GoodsList.Edges
	require.Len(t, goods, len(diffGoods))
	var pairs []string
	for i, e := range goods {
		var node struct{ ID string }
		require.NoError(t, json.Unmarshal(e.Node, &node))
		pairs = append(pairs, fmt.Sprintf("@id%d@", i), node.ID, fmt.Sprintf("@cursor%d@", i), e.Cursor)
	}
	bind := strings.NewReplacer(pairs...)
	corpus := slices.Clone(diffCorpus)
	for _, c := range diffDataCorpus {
		corpus = append(corpus, diffBind(t, c, bind))
	}

	for name := range diffKnown {
		named := slices.ContainsFunc(corpus, func(c diffCase) bool { return c.Name == name })
		require.True(t, named || name == "Float output", "diffKnown's %q names no case", name)
	}

	in, err := json.Marshal(map[string]any{"sdl": sdl, "goods": goods, "cases": corpus})
	require.NoError(t, err)
	ctx, cancel := context.WithTimeout(t.Context(), time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, "node", "differential.mjs")
	cmd.Dir = js.dir
	cmd.Stdin = bytes.NewReader(in)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	require.NoError(t, cmd.Run(), stderr.String())
	var out struct {
		Results []struct {
			Name     string          `json:"name"`
			Phase    string          `json:"phase"`
			Messages []string        `json:"messages"`
			Data     json.RawMessage `json:"data"`
			Errors   []gqlError      `json:"errors"`
			Unserved string          `json:"unserved"`
		} `json:"results"`
	}
	require.NoError(t, json.Unmarshal(stdout.Bytes(), &out))
	require.Len(t, out.Results, len(corpus))

	var compared, unserved int
	for i, r := range out.Results {
		c := corpus[i]
		t.Run(c.Name, func(t *testing.T) {
			rec, resp := g.post(t, tok, c.Query, c.Variables)
			var raw map[string]json.RawMessage
			require.NoError(t, json.Unmarshal(rec.Body.Bytes(), &raw), rec.Body.String())
			_, hasData := raw["data"]
			refused := !hasData && len(resp.Errors) > 0
			jsRefused := r.Phase != "ok"
			if why, known := diffKnown[c.Name]; known {
				t.Logf("known difference: %s", why)
				return
			}
			require.Equal(t, jsRefused, refused, "graphql-js: %s %v; gateway: %s", r.Phase, r.Messages, rec.Body.String())
			if refused {
				code := resp.code()
				require.Contains(t, []string{"GRAPHQL_PARSE_FAILED", "GRAPHQL_VALIDATION_FAILED"}, code, rec.Body.String())
				require.Equal(t, r.Phase == "parse", code == "GRAPHQL_PARSE_FAILED", "the stage: graphql-js %s, gateway %s", r.Phase, code)
				return
			}
			if r.Unserved != "" {
				// Only mutations and orderBy's pages are beyond the
				// resolvers of differential.mjs.
				require.Contains(t, []string{"mutation", "orderBy"}, r.Unserved, "graphql-js did not serve %s", c.Name)
				t.Logf("data not compared: graphql-js does not serve %s", r.Unserved)
				unserved++
				return
			}
			compared++
			require.Equal(t, diffErrors(t, r.Errors), diffErrors(t, resp.Errors), "errors; gateway: %s", rec.Body.String())
			if strings.Contains(c.Query, "__schema") {
				// The spec orders neither the types nor the directives of
				// __schema: they are compared as sets.
				require.JSONEq(t, sortSchemaLists(t, r.Data), sortSchemaLists(t, resp.Data), "introspection's data")
				return
			}
			require.JSONEq(t, string(r.Data), string(resp.Data), "data")
			require.Equal(t, orderedJSON(t, r.Data), orderedJSON(t, resp.Data), "the order of data's fields")
		})
	}
	t.Logf("graphql-js differential: %d cases, %d known differences; of the cases executed, %d compared data and errors, %d did not (graphql-js does not serve them)",
		len(corpus), len(diffKnown), compared, unserved)
}
