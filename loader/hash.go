package loader

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"hash"
	"path/filepath"

	"github.com/vektah/gqlparser/v2/ast"

	"github.com/tenantgraph/tenantgraph/graph"
)

// baseHash hashes the base schema, which is fixed for the life of the
// binary.
var baseHash = func() []byte {
	h := sha256.New()
	writeSources(h, graph.Sources(), false)
	return h.Sum(nil)
}()

// SourcesHash identifies the schema made of the base schema and a
// tenant's extension files: the hex SHA-256 of the base SDL and of the
// files' base names and contents. Files that differ only in their
// directory hash the same, so tenants with identical files share one
// compiled runtime.
func SourcesHash(files []*ast.Source) string {
	h := sha256.New()
	h.Write(baseHash)
	writeSources(h, files, true)
	return hex.EncodeToString(h.Sum(nil))
}

func writeSources(h hash.Hash, srcs []*ast.Source, baseNames bool) {
	for _, s := range srcs {
		name := s.Name
		if baseNames {
			name = filepath.Base(name)
		}
		fmt.Fprintf(h, "%d:%s%d:%s", len(name), name, len(s.Input), s.Input)
	}
}

// hashParts returns the hex SHA-256 of the parts, length-prefixed.
func hashParts(parts ...string) string {
	h := sha256.New()
	for _, p := range parts {
		fmt.Fprintf(h, "%d:%s", len(p), p)
	}
	return hex.EncodeToString(h.Sum(nil))
}
