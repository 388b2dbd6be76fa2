package loader_test

import (
	"errors"
	"flag"
	"os"
	"path"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/stretchr/testify/require"
	"github.com/vektah/gqlparser/v2/ast"

	"github.com/tenantgraph/tenantgraph/loader"
)

var update = flag.Bool("update", false, "rewrite the golden files of the Compile tests")

// compileCaseDir holds one directory per refused tenant: its .graphqls
// files and want.golden, the expected error.
const compileCaseDir = "testdata/compile"

// readSources reads the .graphqls files of dir, naming each by its path
// relative to root, with slashes, as the registry names tenant files.
func readSources(t testing.TB, root, dir string) []*ast.Source {
	t.Helper()
	names, err := filepath.Glob(filepath.Join(root, dir, "*.graphqls"))
	require.NoError(t, err)
	var srcs []*ast.Source
	for _, name := range names {
		b, err := os.ReadFile(name)
		require.NoError(t, err)
		rel, err := filepath.Rel(root, name)
		require.NoError(t, err)
		srcs = append(srcs, &ast.Source{Name: filepath.ToSlash(rel), Input: string(b)})
	}
	return srcs
}

// tenantSources reads the extension files of a tenant under the
// repository's tenants/ directory.
func tenantSources(t testing.TB, id string) []*ast.Source {
	t.Helper()
	srcs := readSources(t, "..", path.Join("tenants", id))
	require.NotEmpty(t, srcs, "tenant %s has no .graphqls files", id)
	return srcs
}

// golden compares got with the golden file, or rewrites it under -update.
func golden(t *testing.T, file, got string) {
	t.Helper()
	if *update {
		require.NoError(t, os.WriteFile(file, []byte(got), 0o644))
		return
	}
	want, err := os.ReadFile(file)
	require.NoError(t, err, "run go test ./loader -run Compile -update to create it")
	require.Equal(t, string(want), got, "golden file %s; run with -update to rewrite it", file)
}

func TestCompileRefusals(t *testing.T) {
	entries, err := os.ReadDir(compileCaseDir)
	require.NoError(t, err)
	for _, e := range entries {
		if !e.IsDir() {
			continue
		}
		t.Run(e.Name(), func(t *testing.T) {
			srcs := readSources(t, ".", path.Join(compileCaseDir, e.Name()))
			require.NotEmpty(t, srcs)
			s, err := loader.Compile(srcs)
			require.Error(t, err, "the case compiles:\n%s", sdlOf(s))
			require.Nil(t, s)

			var cerr *loader.CompileError
			require.True(t, errors.As(err, &cerr), "error is a %T: %v", err, err)
			for _, p := range cerr.Problems {
				require.NotEmpty(t, p.File, "problem without a file: %v", p)
				require.Positive(t, p.Line, "problem without a position: %v", p)
				require.NotContains(t, p.Message, "invalid schema:", "the policy missed what gqlparser refuses")
			}
			golden(t, filepath.Join(compileCaseDir, e.Name(), "want.golden"), err.Error()+"\n")
		})
	}
}

func TestCompileProblemsSortedByPosition(t *testing.T) {
	_, err := loader.Compile([]*ast.Source{
		{Name: "t/b.graphqls", Input: "extend type Goods { name: String }\nextend type Query { x: Int }\n"},
		{Name: "t/a.graphqls", Input: "\n\nscalar Money\nextend type Goods { cost: Money, __x: Int }\n"},
	})
	var cerr *loader.CompileError
	require.ErrorAs(t, err, &cerr)
	var got []string
	for _, p := range cerr.Problems {
		got = append(got, p.String())
	}
	require.Equal(t, []string{
		"t/a.graphqls:3:8: scalar Money: scalar definitions are not allowed; a tenant may define only enums and object types (value objects)",
		`t/a.graphqls:4:34: field Goods.__x: names beginning with "__" are reserved for introspection`,
		"t/b.graphqls:1:21: field Goods.name is a base field: a tenant cannot redeclare or change it",
		"t/b.graphqls:2:13: extend type Query: the root types belong to the gateway; a tenant may extend only type Goods",
	}, got)
	require.Equal(t, strings.Join(got, "\n"), err.Error())
}

func TestCompileSchemas(t *testing.T) {
	tests := []struct {
		name   string
		tenant string // "" for the base schema
	}{
		{"base", ""},
		{"customerA", "customerA"},
		{"customerB", "customerB"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var srcs []*ast.Source
			if tt.tenant != "" {
				srcs = tenantSources(t, tt.tenant)
			}
			s, err := loader.Compile(srcs)
			require.NoError(t, err)
			golden(t, filepath.Join("testdata", "schema", tt.name+".graphql"), s.SDL())
		})
	}
}

// TestCompileIsolation checks the leak trap: gqlparser appends the fields
// of extensions to the definitions it extends, so a base schema parsed once
// and shared would carry one tenant's fields into every other.
func TestCompileIsolation(t *testing.T) {
	a := tenantSources(t, "customerA")

	first, err := loader.Compile(a)
	require.NoError(t, err)
	base, err := loader.Compile(nil) // acme: no .graphqls files
	require.NoError(t, err)
	again, err := loader.Compile(a)
	require.NoError(t, err)

	require.Equal(t, first.SDL(), again.SDL())
	require.Equal(t, first.Ext, again.Ext)
	require.NotSame(t, first.AST.Types["Goods"], again.AST.Types["Goods"], "compilations share definitions")

	require.NotContains(t, base.SDL(), "categoryCode")
	require.NotContains(t, base.SDL(), "CATEGORY_CODE")
	require.Empty(t, base.Ext.Fields)
	for name, def := range base.AST.Types {
		for _, f := range def.Fields {
			require.NotEqual(t, "categoryCode", f.Name, "acme's %s has categoryCode", name)
		}
		for _, v := range def.EnumValues {
			require.NotEqual(t, "CATEGORY_CODE", v.Name, "acme's %s has CATEGORY_CODE", name)
		}
	}
	require.Contains(t, first.SDL(), "categoryCode")

	// Failed compilations leave nothing behind either.
	_, err = loader.Compile([]*ast.Source{{Name: "t/x.graphqls", Input: "extend type Goods { leak: String }\nextend type Query { x: Int }\n"}})
	require.Error(t, err)
	after, err := loader.Compile(nil)
	require.NoError(t, err)
	require.Equal(t, base.SDL(), after.SDL())
}

func TestCompileConcurrently(t *testing.T) {
	tenants := map[string][]*ast.Source{
		"acme":      nil,
		"customerA": tenantSources(t, "customerA"),
		"customerB": tenantSources(t, "customerB"),
	}
	want := map[string]string{}
	for id, srcs := range tenants {
		s, err := loader.Compile(srcs)
		require.NoError(t, err)
		want[id] = s.SDL()
	}

	var wg sync.WaitGroup
	got := make(chan [2]string, 3*8)
	for range 8 {
		for id, srcs := range tenants {
			wg.Go(func() {
				s, err := loader.Compile(srcs)
				if err != nil {
					got <- [2]string{id, err.Error()}
					return
				}
				got <- [2]string{id, s.SDL()}
			})
		}
	}
	wg.Wait()
	close(got)
	for g := range got {
		require.Equal(t, want[g[0]], g[1], "tenant %s", g[0])
	}
}

func TestCompileEmptyFiles(t *testing.T) {
	base, err := loader.Compile(nil)
	require.NoError(t, err)
	s, err := loader.Compile([]*ast.Source{{Name: "t/empty.graphqls", Input: "# nothing yet\n"}})
	require.NoError(t, err)
	require.Equal(t, base.SDL(), s.SDL())
	require.NotNil(t, s.Ext)
	require.Empty(t, s.Ext.Fields)
}

// sdlOf returns the SDL of s, or "" for nil.
func sdlOf(s *loader.Schema) string {
	if s == nil {
		return ""
	}
	return s.SDL()
}

// roundTripCases are descriptions and defaults that the formatter prints
// in another form than the tenant wrote them.
var roundTripCases = []struct {
	name string
	sdl  string
}{
	{"indented description", `extend type Goods { "  a\n  b" x: Int }`},
	{"indented block description", "extend type Goods {\n  \"\"\"\n      a\n        b\n  \"\"\"\n  x: Int\n}"},
	{"carriage returns", `extend type Goods { "a\r\nb\rc" x: Int }`},
	{"triple quotes", `extend type Goods { "a\"\"\"b \\\"\"\" c\"" x: Int }`},
	{"trailing backslash", `extend type Goods { "a\\" x: Int }`},
	{"blank lines", `extend type Goods { "\n\n  a\n\n\n  b  \n\n" x: Int }`},
	{"only blanks", `extend type Goods { "  \t " x: Int }`},
	{"unicode", `enum E { "naïve 🚀 \u00e9" A } type T { "ü" f: E } extend type Goods { "tab\there" x: T }`},
	{"string defaults", `extend type Goods { a: String @default(value: "\u0000\"\\\n") b: String @default(value: """block "quoted" text""") }`},
	{"number defaults", `extend type Goods { a: ID @default(value: 123456789012345678901234567890) b: Float @default(value: -0.0e-3) c: Int @default(value: -0) }`},
	{"list of one default", `extend type Goods { a: [[Int!]] @default(value: 1) }`},
	{"deprecated", `enum E { A @deprecated(reason: "no\nmore") B } extend type Goods { a: E @deprecated b: Int @deprecated(reason: """x""") }`},
}

// TestCompileSDLRoundTrip checks that the SDL of roundTripCases loads to
// the same schema.
func TestCompileSDLRoundTrip(t *testing.T) {
	for _, tt := range roundTripCases {
		t.Run(tt.name, func(t *testing.T) {
			srcs := []*ast.Source{{Name: "tenants/t/goods.graphqls", Input: tt.sdl}}
			s, err := loader.Compile(srcs)
			require.NoError(t, err)
			checkSDL(t, s, srcs)
		})
	}
}
