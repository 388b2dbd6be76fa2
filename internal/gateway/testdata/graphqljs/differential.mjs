// differential.mjs runs documents through graphql-js, the GraphQL
// reference implementation, for internal/gateway/graphqljs_diff_test.go.
//
//   node differential.mjs < input.json
//     reads {sdl, cases: [{name, query, variables}]}, builds the schema of
//     sdl (a tenant's /schema.graphql), and prints, as JSON, for each case
//     how far graphql-js gets: "parse", "validate" or "variables" when it
//     refuses the request there (with its messages), else "ok" and, for a
//     document that selects only introspection fields, the data of its
//     execution. It judges nothing itself.

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

// introspectionOnly reports whether every root field the operation selects
// (through fragments too) is __schema, __type or __typename.
function introspectionOnly(doc, op) {
  const fragments = Object.fromEntries(
    doc.definitions.filter((d) => d.kind === 'FragmentDefinition').map((d) => [d.name.value, d]),
  );
  const only = (set) =>
    set.selections.every((s) => {
      if (s.kind === 'Field') return s.name.value.startsWith('__');
      if (s.kind === 'InlineFragment') return only(s.selectionSet);
      return only(fragments[s.name.value].selectionSet);
    });
  return only(op.selectionSet);
}

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
  if (!introspectionOnly(doc, op)) {
    return { name: c.name, phase: 'ok' };
  }
  const result = execute({ schema, document: doc, variableValues: c.variables ?? {} });
  return { name: c.name, phase: 'ok', data: result.data, messages: (result.errors ?? []).map((e) => e.message) };
});
process.stdout.write(JSON.stringify({ results }));
