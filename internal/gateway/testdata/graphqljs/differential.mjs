// differential.mjs runs documents through graphql-js, the GraphQL
// reference implementation, for internal/gateway/graphqljs_diff_test.go.
//
//   node differential.mjs < input.json
//     reads {sdl, goods, cases: [{name, query, variables}]}, builds the
//     schema of sdl (a tenant's /schema.graphql), serves goods (the edges
//     {cursor, node} of the gateway's goodsList, in its default order)
//     through simple resolvers, and prints, as JSON, for each case how far
//     graphql-js gets: "parse", "validate" or "variables" when it refuses
//     the request there (with its messages), else "ok" with the response
//     of its execution (data and errors), or with unserved, the reason,
//     when the document needs what these resolvers do not serve. It
//     judges nothing itself.

import {
  buildSchema,
  execute,
  getOperationAST,
  getVariableValues,
  parse,
  validate,
} from 'graphql';
import { readFileSync } from 'node:fs';

const input = JSON.parse(readFileSync(0, 'utf8'));
const schema = buildSchema(input.sdl);
const edges = input.goods ?? [];

// Unserved is thrown by a resolver asked for what it does not implement:
// the case's data is then not compared.
class Unserved extends Error {}

// The gateway's page size bounds (internal/limits: maxPageSize's default).
const maxPageSize = 100;

const inRange = (v, r, cmp = (a, b) => a - b) =>
  r == null ||
  (v != null &&
    (r.gt == null || cmp(v, r.gt) > 0) &&
    (r.gte == null || cmp(v, r.gte) >= 0) &&
    (r.lt == null || cmp(v, r.lt) < 0) &&
    (r.lte == null || cmp(v, r.lte) <= 0));
const byTime = (a, b) => Date.parse(a) - Date.parse(b);

// matches reports whether goods g satisfy filter f, as the gateway's store
// documents its filters: names by a case-insensitive substring, the rest
// by value; a null value satisfies no condition.
function matches(g, f) {
  if (f == null) return true;
  if (f.nameContains != null && !g.name.toLowerCase().includes(f.nameContains.toLowerCase())) return false;
  if (f.hazardous != null && g.hazardous !== f.hazardous) return false;
  if (f.shipping != null) {
    if (f.shipping.eq != null && g.shipping !== f.shipping.eq) return false;
    if (f.shipping.in != null && !f.shipping.in.includes(g.shipping)) return false;
  }
  return (
    inRange(g.price, f.price) &&
    inRange(g.minOrderQuantity, f.minOrderQuantity) &&
    inRange(g.createdAt, f.createdAt, byTime) &&
    inRange(g.restockAt, f.restockAt, byTime)
  );
}

const rootValue = {
  goods: ({ id }) => edges.find((e) => e.node.id === id)?.node ?? null,
  goodsList: ({ filter, orderBy, first, after }) => {
    if (first < 0 || first > maxPageSize) {
      throw new Error(`first: must be between 0 and ${maxPageSize}`);
    }
    const all = edges.filter((e) => matches(e.node, filter));
    // A cursor is a position in the order of all goods (edges), which the
    // page starts after, whether or not its goods match the filter.
    let start = 0;
    if (after != null) {
      if (orderBy != null) throw new Unserved('orderBy');
      const at = edges.findIndex((e) => e.cursor === after);
      if (at < 0) {
        throw new Error('after: not a cursor of this list; cursors are valid only with the same orderBy');
      }
      start = all.filter((e) => edges.indexOf(e) <= at).length;
    }
    const page = () => {
      if (orderBy != null) throw new Unserved('orderBy');
      const list = all.slice(start, start + first);
      return {
        edges: list,
        nodes: list.map((e) => e.node),
        pageInfo: {
          hasNextPage: start + first < all.length,
          hasPreviousPage: after != null,
          startCursor: list[0]?.cursor ?? null,
          endCursor: list.at(-1)?.cursor ?? null,
        },
      };
    };
    return {
      totalCount: all.length,
      edges: () => page().edges,
      nodes: () => page().nodes,
      pageInfo: () => page().pageInfo,
    };
  },
  createGoods: () => {
    throw new Unserved('mutation');
  },
  updateGoods: () => {
    throw new Unserved('mutation');
  },
  deleteGoods: () => {
    throw new Unserved('mutation');
  },
};

const results = input.cases.map((c) => {
  let doc;
  try {
    doc = parse(c.query);
  } catch (err) {
    return { name: c.name, phase: 'parse', messages: [err.message] };
  }
  const errors = validate(schema, doc);
  if (errors.length > 0) {
    return { name: c.name, phase: 'validate', messages: errors.map((e) => e.message) };
  }
  const op = getOperationAST(doc, c.operationName);
  const coerced = getVariableValues(schema, op.variableDefinitions ?? [], c.variables ?? {});
  if (coerced.errors) {
    return { name: c.name, phase: 'variables', messages: coerced.errors.map((e) => e.message) };
  }
  const result = execute({ schema, document: doc, rootValue, variableValues: c.variables ?? {} });
  const unserved = (result.errors ?? []).find((e) => e.originalError instanceof Unserved);
  if (unserved) {
    return { name: c.name, phase: 'ok', unserved: unserved.message };
  }
  return {
    name: c.name,
    phase: 'ok',
    data: result.data,
    errors: (result.errors ?? []).map((e) => e.toJSON()),
    messages: (result.errors ?? []).map((e) => e.message),
  };
});
process.stdout.write(JSON.stringify({ results }));
