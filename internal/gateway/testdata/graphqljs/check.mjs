// check.mjs reads the gateway's schemas with graphql-js, the GraphQL
// reference implementation, for internal/gateway/graphqljs_test.go.
//
//   node check.mjs query
//     prints graphql-js's full introspection query, the one its tools
//     (GraphiQL, graphql-config, codegen) send.
//
//   node check.mjs check < cases.json
//     reads [{name, introspection, sdl, withoutDirectives}], where
//     introspection is the data of that query's response and sdl the body
//     of GET /schema.graphql, and prints, as JSON, what graphql-js makes of
//     each case. It judges nothing itself: the Go test asserts on what it
//     prints.
//
//     withoutDirectives names directives of the introspection result that
//     /schema.graphql is known not to declare. They are listed under
//     "directives" as served, and left out of the schema that is printed
//     and compared with /schema.graphql's.

import {
  GraphQLSchema,
  astFromValue,
  buildClientSchema,
  buildSchema,
  findBreakingChanges,
  findDangerousChanges,
  getIntrospectionQuery,
  isEnumType,
  isInputObjectType,
  isInterfaceType,
  isIntrospectionType,
  isObjectType,
  print,
  printSchema,
  validateSchema,
  version,
} from 'graphql';
import { readFileSync } from 'node:fs';

const introspectionOptions = {
  descriptions: true,
  specifiedByUrl: true,
  directiveIsRepeatable: true,
  schemaDescription: true,
  inputValueDeprecation: true,
};

// coordinates lists the schema coordinates of schema's own types: every
// type, field, argument, input field and enum value, sorted.
function coordinates(schema) {
  const out = [];
  for (const type of Object.values(schema.getTypeMap())) {
    if (isIntrospectionType(type)) continue;
    out.push(type.name);
    if (isObjectType(type) || isInterfaceType(type) || isInputObjectType(type)) {
      for (const field of Object.values(type.getFields())) {
        out.push(`${type.name}.${field.name}`);
        for (const arg of field.args ?? []) {
          out.push(`${type.name}.${field.name}(${arg.name}:)`);
        }
      }
    }
    if (isEnumType(type)) {
      for (const value of type.getValues()) out.push(`${type.name}.${value.name}`);
    }
  }
  return out.sort();
}

// signature writes directive as SDL declares it, without its
// description: "@name(arg: Type = default) repeatable on LOCATION | ...".
function signature(directive) {
  const args = directive.args.map((arg) => {
    const value = arg.defaultValue === undefined ? undefined : astFromValue(arg.defaultValue, arg.type);
    return `${arg.name}: ${arg.type}${value ? ` = ${print(value)}` : ''}`;
  });
  return (
    `@${directive.name}${args.length ? `(${args.join(', ')})` : ''}` +
    `${directive.isRepeatable ? ' repeatable' : ''} on ${directive.locations.join(' | ')}`
  );
}

// read builds one schema with build and reports what graphql-js says of
// it: of the schema as served its directives and validateSchema's errors,
// and the rest of it without the directives named in without. A schema
// that fails to build is reported with the error.
function read(build, without = []) {
  let served;
  try {
    served = build();
  } catch (err) {
    return { error: String(err?.stack ?? err) };
  }
  const schema = new GraphQLSchema({
    ...served.toConfig(),
    directives: served.getDirectives().filter((d) => !without.includes(d.name)),
  });
  return {
    schema,
    directives: served.getDirectives().map(signature).sort(),
    invalid: validateSchema(served).map((e) => e.message),
    printed: printSchema(schema),
    mutationType: schema.getMutationType()?.name ?? null,
    coordinates: coordinates(schema),
  };
}

// changes lists findBreakingChanges and findDangerousChanges from old to
// new as "TYPE: description".
function changes(find, oldSchema, newSchema) {
  if (!oldSchema || !newSchema) return [];
  return find(oldSchema, newSchema).map((c) => `${c.type}: ${c.description}`);
}

function check(c) {
  const client = read(() => buildClientSchema(c.introspection), c.withoutDirectives);
  const sdl = read(() => buildSchema(c.sdl));
  return {
    name: c.name,
    breaking: {
      introspectionToSDL: changes(findBreakingChanges, client.schema, sdl.schema),
      sdlToIntrospection: changes(findBreakingChanges, sdl.schema, client.schema),
    },
    dangerous: {
      introspectionToSDL: changes(findDangerousChanges, client.schema, sdl.schema),
      sdlToIntrospection: changes(findDangerousChanges, sdl.schema, client.schema),
    },
    introspection: { ...client, schema: undefined },
    sdl: { ...sdl, schema: undefined },
  };
}

switch (process.argv[2]) {
  case 'query':
    process.stdout.write(getIntrospectionQuery(introspectionOptions));
    break;
  case 'check': {
    const cases = JSON.parse(readFileSync(0, 'utf8'));
    process.stdout.write(JSON.stringify({ version, results: cases.map(check) }));
    break;
  }
  default:
    process.stderr.write('usage: node check.mjs query | check < cases.json\n');
    process.exit(2);
}
