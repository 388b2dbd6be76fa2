package loader

import (
	"cmp"
	"fmt"
	"slices"
	"strings"
	"sync"

	"github.com/vektah/gqlparser/v2/ast"
	"github.com/vektah/gqlparser/v2/formatter"
	"github.com/vektah/gqlparser/v2/parser"
	"github.com/vektah/gqlparser/v2/validator"

	"github.com/tenantgraph/tenantgraph/graph"
	"github.com/tenantgraph/tenantgraph/internal/authz"
	"github.com/tenantgraph/tenantgraph/internal/cost"
	"github.com/tenantgraph/tenantgraph/internal/extension"
	"github.com/tenantgraph/tenantgraph/internal/logic"
)

// Schema is a tenant's effective schema: the base schema, the tenant's
// extensions and what the loader derives from them. A Schema is immutable
// once Compile returns it, and its methods may be called concurrently.
type Schema struct {
	// AST is the effective schema as clients see it: introspection,
	// validation and /schema.graphql use it. It has no authoring
	// directives (see clientSchema).
	AST *ast.Schema
	// Authoring is the effective schema with the authoring directives
	// and their uses (@cost, @requiresScopes, @upstream, ...), validated by
	// gqlparser: what the loader, the policy and the logic read.
	Authoring *ast.Schema
	// Ext describes the tenant's extension fields of Goods: an empty Set
	// for the base schema.
	Ext *extension.Set
	// Cost is the cost model of AST: the static cost of an operation
	// (Cost.Operation), from the @cost and @listSize directives of the
	// base schema, of the tenant's files and of the derivation.
	Cost *cost.Model
	// Logic holds the programs of the tenant's @computed fields and
	// @validate rules, or nil when it has none.
	Logic *logic.Set

	// costBase is Cost as the models of other schemas share it: set on
	// the base schema (baseSchema) only.
	costBase *cost.Base

	sdlOnce sync.Once
	sdl     string
}

// view returns s serving a, a view of s.AST (see Tenant.View): the same
// extension fields, cost model and logic.
func (s *Schema) view(a *ast.Schema) *Schema {
	return &Schema{AST: clientSchema(a), Authoring: a, Ext: s.Ext, Cost: s.Cost, Logic: s.Logic}
}

// SDL returns the effective schema as clients see it (AST), as SDL printed
// by gqlparser's formatter: directives, then types, each sorted by name,
// without the built-in ones. The output is stable: the same sources give
// the same text. It is what /schema.graphql serves.
func (s *Schema) SDL() string {
	s.sdlOnce.Do(func() {
		var b strings.Builder
		formatter.NewFormatter(&b).FormatSchema(s.AST)
		s.sdl = b.String()
	})
	return s.sdl
}

// Compile parses the base schema afresh (graph.Sources(): gqlparser
// mutates parsed definitions when merging extensions, so a shared parsed
// base would leak one tenant's fields into another), checks the tenant's
// files against the extension policy, derives the rest of the tenant's
// schema, and loads the result.
//
// files are the tenant's extension files, each named by its path (such as
// "tenants/customerA/goods.graphqls") so that problems point at it. They
// are read in order of name; Compile does not modify them. With no files,
// Compile returns the base schema.
//
// What a tenant may write, and what Compile derives from it, is described
// in DESIGN.md, section 3. In short: a tenant adds fields to Goods with
// `extend type Goods { ... }`, and may define the enums and object types
// (value objects) those fields use; @default, @filterable and @sortable on
// those fields add them to CreateGoodsInput, GoodsFilter and
// GoodsSortField, and every field is added to CreateGoodsInput and
// UpdateGoodsInput.
//
// The tenant may weigh its fields and types with @cost and @listSize; the
// derivation weighs what it derives (see derive), and Compile builds the
// schema's cost model.
//
// If the files do not parse or break the policy, Compile returns a
// *CompileError with every problem it found. Compile may be called
// concurrently.
//
// Definitions that come out the same as the base schema's are shared with
// every other tenant (see share).
func Compile(files []*ast.Source) (*Schema, error) {
	base, err := baseSchema()
	if err != nil {
		return nil, fmt.Errorf("compile base schema: %w", err)
	}
	return compile(files, base)
}

// compile is Compile, sharing definitions with shareWith unless it is nil.
func compile(files []*ast.Source, shareWith *Schema) (*Schema, error) {
	base, err := parseBase()
	if err != nil {
		return nil, err
	}

	files = slices.SortedStableFunc(slices.Values(files), func(a, b *ast.Source) int {
		return cmp.Compare(a.Name, b.Name)
	})
	var ps problems
	docs := make([]*ast.SchemaDocument, 0, len(files))
	incomplete := false
	for _, f := range files {
		doc, err := parser.ParseSchema(f)
		if err != nil {
			ps.addGQL(f, err)
			incomplete = true
			continue
		}
		docs = append(docs, doc)
	}

	// The policy check reads the base schema as parsed, before anything is
	// merged into it: merging creates the types that extensions name, and
	// appends the fields of extensions to the base definitions.
	t := check(base, docs, incomplete, &ps)
	if err := ps.err(); err != nil {
		return nil, err
	}

	derived, set := derive(base, t)
	for _, doc := range docs {
		base.Merge(doc)
	}
	base.Merge(derived)
	s, err := validator.ValidateSchemaDocument(base)
	if err == nil {
		pruneLeafPossibleTypes(s)
	}
	if err == nil && shareWith != nil {
		share(s, shareWith.Authoring)
	}
	if err != nil {
		// The policy check refuses whatever gqlparser would, in terms a
		// tenant understands, and FuzzCompile checks that it does. Should
		// it miss something, report gqlparser's error as it is.
		ps.addGQL(&ast.Source{}, err)
		ps.list[0].Message = "invalid schema: " + ps.list[0].Message
		return nil, ps.err()
	}
	var model *cost.Model
	var costBase *cost.Base
	if shareWith == nil {
		// The base schema: its model is the one others share.
		if costBase, err = cost.NewBase(s); err == nil {
			model = costBase.Model
		}
	} else {
		model, err = shareWith.costBase.New(s)
	}
	if err != nil {
		// Likewise: the policy check refuses every weight that the cost
		// model cannot read.
		errs := []error{err}
		if joined, ok := err.(interface{ Unwrap() []error }); ok {
			errs = joined.Unwrap()
		}
		for _, err := range errs {
			ps.addGQL(&ast.Source{}, err)
			ps.list[len(ps.list)-1].Message = "invalid schema: " + ps.list[len(ps.list)-1].Message
		}
		return nil, ps.err()
	}
	rules, lps := logic.Compile(s)
	for _, p := range lps {
		ps.addf(p.Pos, "%s", p.Message)
	}
	checkComputedScopes(s, rules, &ps)
	if err := ps.err(); err != nil {
		return nil, err
	}
	if !rules.Any() {
		rules = nil
	}
	client := clientSchema(s)
	if shareWith != nil {
		share(client, shareWith.AST)
	}
	return &Schema{AST: client, Authoring: s, Ext: set, Cost: model, Logic: rules, costBase: costBase}, nil
}

// pruneLeafPossibleTypes removes from s.PossibleTypes the entries of
// scalars, enums and input objects, each the type itself, which gqlparser
// adds for every type: what reads possible types (gqlparser's and our
// validation rules, gqlgen's introspection, the executor) asks only for
// those of object, interface and union types, and the entries took half
// of the map's memory.
func pruneLeafPossibleTypes(s *ast.Schema) {
	composite := func(name string) bool {
		def := s.Types[name]
		return def != nil && def.IsCompositeType()
	}
	n := 0
	for name := range s.PossibleTypes {
		if composite(name) {
			n++
		}
	}
	kept := make(map[string][]*ast.Definition, n)
	for name, defs := range s.PossibleTypes {
		if composite(name) {
			kept[name] = defs
		}
	}
	s.PossibleTypes = kept
}

// checkComputedScopes reports @computed fields that read a field restricted
// by @requiresScopes without requiring at least its scopes themselves: the
// computed value would tell callers who may not read the field about it.
func checkComputedScopes(s *ast.Schema, rules *logic.Set, ps *problems) {
	goods := s.Types[goodsName]
	for _, f := range goods.Fields {
		dir := f.Directives.ForName(logic.ComputedDirective)
		if dir == nil {
			continue
		}
		own := requirementOf(f)
		for _, name := range rules.Reads(f.Name) {
			read := goods.Fields.ForName(name)
			if read == nil {
				continue
			}
			if need := requirementOf(read); need != nil && !own.Implies(need) {
				ps.addf(dir.Position, "@computed of Goods.%s reads Goods.%s, which requires scopes; give Goods.%s a @requiresScopes that requires them too", f.Name, name, f.Name)
			}
		}
	}
}

// requirementOf returns the requirement of f's @requiresScopes, or nil.
func requirementOf(f *ast.FieldDefinition) authz.Requirement {
	dir := f.Directives.ForName(authz.DirectiveName)
	if dir == nil {
		return nil
	}
	req, _, err := authz.ParseDirective(dir)
	if err != nil {
		return nil
	}
	return req
}

// parseBase parses gqlparser's prelude and the base schema into one new
// document.
func parseBase() (*ast.SchemaDocument, error) {
	doc := validator.PreludeDocument()
	fixPrelude(doc)
	for _, src := range graph.Sources() {
		d, err := parser.ParseSchema(src)
		if err != nil {
			return nil, fmt.Errorf("parse base schema: %w", err)
		}
		doc.Merge(d)
	}
	return doc, nil
}

// AuthoringSDL returns the effective schema with its authoring directives
// and their uses, as SDL, for the platform team (tenantgraph schema
// --authoring).
func (s *Schema) AuthoringSDL() string {
	var b strings.Builder
	formatter.NewFormatter(&b).FormatSchema(s.Authoring)
	return b.String()
}
