package graph

import (
	"embed"
	"io/fs"
	"path"

	"github.com/vektah/gqlparser/v2/ast"
)

//go:embed *.graphqls
var sdl embed.FS

// Sources returns the base schema's SDL files, each named by its path in
// the repository ("graph/schema.graphqls") so that schema errors point at
// the file. Each call returns new Sources: gqlparser mutates what it
// parses, so parsed base definitions must never be shared between tenants.
func Sources() []*ast.Source {
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
}
