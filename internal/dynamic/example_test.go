package dynamic_test

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"

	"github.com/99designs/gqlgen/graphql/handler"
	"github.com/99designs/gqlgen/graphql/handler/transport"
	"github.com/vektah/gqlparser/v2"
	"github.com/vektah/gqlparser/v2/ast"

	"github.com/tenantgraph/tenantgraph/internal/dynamic"
)

// book is a value of the object type Book: the executor reads its fields
// through FieldValue.
type book struct{ title string }

func (b *book) FieldValue(name string) any {
	if name == "title" {
		return &b.title
	}
	return nil
}

func ExampleNew() {
	schema := gqlparser.MustLoadSchema(&ast.Source{Name: "books.graphqls", Input: `
		type Book { title: String! }
		type Query { book(id: ID!): Book }
	`})
	es := dynamic.New(dynamic.Config{
		Schema: schema,
		Resolvers: map[string]dynamic.FieldResolver{
			"Query.book": func(_ context.Context, _ any, args map[string]any) (any, error) {
				if args["id"] != "1" {
					return nil, nil // null
				}
				return &book{title: "Dune"}, nil
			},
		},
	})
	srv := handler.New(es)
	srv.AddTransport(transport.POST{})

	req := httptest.NewRequest(http.MethodPost, "/graphql",
		strings.NewReader(`{"query": "{ a: book(id: 1) { title } b: book(id: 2) { title } }"}`))
	req.Header.Set("Content-Type", "application/json")
	rec := httptest.NewRecorder()
	srv.ServeHTTP(rec, req)
	fmt.Println(rec.Body)
	// Output: {"data":{"a":{"title":"Dune"},"b":null}}
}
