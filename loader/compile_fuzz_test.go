package loader_test

import (
	"errors"
	"os"
	"path"
	"strings"
	"testing"

	"github.com/vektah/gqlparser/v2"
	"github.com/vektah/gqlparser/v2/ast"
	"github.com/vektah/gqlparser/v2/formatter"

	"github.com/tenantgraph/tenantgraph/loader"
)

// FuzzCompile compiles two arbitrary extension files of one tenant. Compile
// must either succeed or report problems, never panic; every problem must
// come from the policy check (or the parser), not from gqlparser refusing
// the merged schema; and the SDL of a schema that compiles must load again
// with gqlparser and print the same.
func FuzzCompile(f *testing.F) {
	entries, err := os.ReadDir(compileCaseDir)
	if err != nil {
		f.Fatal(err)
	}
	for _, e := range entries {
		if e.IsDir() {
			addSeed(f, readSources(f, ".", path.Join(compileCaseDir, e.Name())))
		}
	}
	for _, id := range []string{"customerA", "customerB"} {
		addSeed(f, tenantSources(f, id))
	}
	for _, c := range roundTripCases {
		f.Add(c.sdl, "")
	}
	f.Add(`enum Unit { MM CM }
type Size { w: Int!, unit: Unit, parts: [Part!] }
type Part { "Code" code: ID! }
extend type Goods {
  size: [Size!] @default(value: {w: 1, unit: MM, parts: [{code: 7}]})
  flag: Boolean @filterable @sortable @deprecated(reason: """gone""")
}`, `extend type Goods { "Due \"soon\"" dueAt: DateTime! @filterable @default(value: "2026-01-02T03:04:05Z") }`)

	f.Fuzz(func(t *testing.T, a, b string) {
		srcs := []*ast.Source{
			{Name: "tenants/fuzz/a.graphqls", Input: a},
			{Name: "tenants/fuzz/b.graphqls", Input: b},
		}
		s, err := loader.Compile(srcs)
		if err != nil {
			var cerr *loader.CompileError
			if !errors.As(err, &cerr) || len(cerr.Problems) == 0 {
				t.Fatalf("error is not a CompileError with problems: %v", err)
			}
			for _, p := range cerr.Problems {
				if strings.HasPrefix(p.Message, "invalid schema:") {
					t.Fatalf("the policy check missed a problem gqlparser found: %v", p)
				}
			}
			return
		}

		checkSDL(t, s, srcs)
	})
}

// checkSDL checks that the SDL of s, compiled from srcs, loads again with
// gqlparser and prints the same, and that compiling srcs again gives the
// same SDL.
func checkSDL(t *testing.T, s *loader.Schema, srcs []*ast.Source) {
	t.Helper()
	sdl := s.SDL()
	reloaded, err := gqlparser.LoadSchema(&ast.Source{Name: "schema.graphql", Input: sdl})
	if err != nil {
		t.Fatalf("the SDL does not load: %v\n%s", err, sdl)
	}
	var out strings.Builder
	formatter.NewFormatter(&out).FormatSchema(reloaded)
	if out.String() != sdl {
		t.Fatalf("the reloaded SDL differs:\n--- compiled\n%s\n--- reloaded\n%s", sdl, out.String())
	}

	again, err := loader.Compile(srcs)
	if err != nil || again.SDL() != sdl {
		t.Fatalf("a second compilation differs: %v", err)
	}
	goods := s.AST.Types["Goods"]
	for _, f := range s.Ext.Fields {
		if goods.Fields.ForName(f.Name) == nil {
			t.Fatalf("extension field %s is not a field of Goods", f.Name)
		}
	}
}

// addSeed adds the first two of srcs as a seed.
func addSeed(f *testing.F, srcs []*ast.Source) {
	var in [2]string
	for i := 0; i < len(srcs) && i < 2; i++ {
		in[i] = srcs[i].Input
	}
	f.Add(in[0], in[1])
}
