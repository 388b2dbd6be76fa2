// expect.js writes what graphql-js reports for the documents of
// overlap_graphqljs_test.go, as overlap.json next to it. Run it from this
// directory with graphql@16 installed (npm install graphql@16), after
// writing the documents:
//
//	go test -run TestOverlapGraphQLJSCorpus -write-queries=/tmp/queries.json ./internal/validation
//	node expect.js /tmp/queries.json
const fs = require('fs');
const path = require('path');
const { buildSchema, parse, validate, version, OverlappingFieldsCanBeMergedRule } = require('graphql');

const schema = buildSchema(fs.readFileSync(path.join(__dirname, 'schema.graphql'), 'utf8'));
const queries = JSON.parse(fs.readFileSync(process.argv[2], 'utf8'));
const cases = queries.map((query) => ({
  query,
  errors: validate(schema, parse(query), [OverlappingFieldsCanBeMergedRule]).map((e) => ({
    message: e.message,
    locations: e.locations.map((l) => `${l.line}:${l.column}`),
  })),
}));
fs.writeFileSync(path.join(__dirname, 'overlap.json'), JSON.stringify({ graphql: version, cases }, null, 1) + '\n');
