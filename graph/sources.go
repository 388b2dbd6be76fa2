package graph

import (
	"embed"
	"io/fs"
	"path"
	"slices"
	"sync"

	"github.com/vektah/gqlparser/v2/ast"
)

//go:embed *.graphqls
var sdl embed.FS

// Sources returns the base schema's SDL files, each named by its path in
// the repository ("graph/schema.graphqls") so that schema errors point at
// the file. The Sources are shared by every call, so that the positions of
// every tenant's parsed base definitions point at one copy of the text,
// and must not be modified; what is parsed from them is the caller's own
// (gqlparser mutates parsed definitions, so those must never be shared
// between tenants while they are merged).
func Sources() []*ast.Source {
	return slices.Clone(sharedSources())
}

var sharedSources = sync.OnceValue(func() []*ast.Source {
	names, err := fs.Glob(sdl, "*.graphqls")
	if err != nil {
		panic(err) // the pattern is constant and valid
	}
	srcs := make([]*ast.Source, 0, len(names))
	for _, name := range names {
		b, err := sdl.ReadFile(name)
		if err != nil {
			panic(err) // embedded files are always readable
		}
		srcs = append(srcs, &ast.Source{Name: path.Join("graph", name), Input: string(b)})
	}
	return srcs
})
