package loader

import (
	"fmt"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/vektah/gqlparser/v2/ast"
	"github.com/vektah/gqlparser/v2/lexer"

	"github.com/tenantgraph/tenantgraph/internal/authz"
	"github.com/tenantgraph/tenantgraph/internal/cost"
	"github.com/tenantgraph/tenantgraph/internal/logic"
)

// The extension policy: what a tenant's extension files may contain
// (DESIGN.md, section 3). The check runs on the parsed files and the base
// schema as parsed, before anything is merged: gqlparser creates the type an
// extension names if it does not exist, and gives up at the first problem,
// while a tenant should learn of every problem at once.

// Names of the base schema that the policy and the derivation rely on.
const (
	goodsName       = "Goods"
	createInputName = "CreateGoodsInput"
	updateInputName = "UpdateGoodsInput"
	filterName      = "GoodsFilter"
	sortFieldName   = "GoodsSortField"
)

// Scalars that extension and value object fields may have, besides enums
// and object types the tenant defines. DefaultValue, the other custom
// scalar of the base schema, is only for @default.
var fieldScalars = map[string]bool{
	"String":   true,
	"Int":      true,
	"Float":    true,
	"Boolean":  true,
	"ID":       true,
	"DateTime": true,
}

// reservedNames are the names of types the derivation may add, besides
// <Enum>Filter and <Type>Input for the tenant's enums and object types.
var reservedNames = map[string]bool{
	stringFilterName: true,
	idFilterName:     true,
	intRangeName:     true,
}

// rootNames are the names GraphQL gives the root types. A type of the
// tenant's named Subscription would become the schema's subscription root.
var rootNames = map[string]bool{
	"Query":        true,
	"Mutation":     true,
	"Subscription": true,
}

// declared is what a tenant declares, as the policy check found it.
type declared struct {
	// types holds the tenant's enums and object types by name.
	types map[string]*ast.Definition
	// defs holds them in declaration order.
	defs []*ast.Definition
	// fields holds the extension fields of Goods in declaration order.
	fields []*extField
	// restricted holds the values of the tenant's enums that carry
	// @requiresScopes, by enum and value name.
	restricted map[string]map[string]bool
}

// extField is an extension field of Goods and what its directives say.
type extField struct {
	def          *ast.FieldDefinition
	defaultValue *ast.Value // the literal of @default(value:), or nil
	defaultJSON  any        // defaultValue coerced to the field's type
	filterable   bool
	sortable     bool
	sortValue    string // its value in GoodsSortField, if sortable
	// computed is the field's @computed: the field is computed from the
	// others, never stored or given.
	computed *ast.Directive
	// upstream is the field's @upstream: the field is resolved by the
	// tenant's upstream service, never stored or given.
	upstream *ast.Directive
	// requires is the field's @requiresScopes, which the derivation puts
	// on what it derives from the field, or nil.
	requires *ast.Directive
}

// checker runs the policy check of one tenant.
type checker struct {
	ps *problems
	// base holds the types of the base schema and the built-in ones.
	base map[string]*ast.Definition
	// directives holds the directives of the base schema and the
	// built-in ones.
	directives map[string]*ast.DirectiveDefinition
	// incomplete is set when a file did not parse: a type that seems not
	// to exist may be defined there.
	incomplete bool
	// refused holds the names of type definitions that were refused, so
	// that fields of those types do not add problems of their own.
	refused map[string]bool
	t       *declared
}

// check checks the tenant's parsed files against the policy, reporting
// every problem to ps, and returns what the tenant declares. base is the
// base schema as parsed, which check does not modify.
func check(base *ast.SchemaDocument, docs []*ast.SchemaDocument, incomplete bool, ps *problems) *declared {
	c := &checker{
		ps:         ps,
		base:       make(map[string]*ast.Definition, len(base.Definitions)),
		directives: make(map[string]*ast.DirectiveDefinition, len(base.Directives)),
		incomplete: incomplete,
		refused:    map[string]bool{},
		t:          &declared{types: map[string]*ast.Definition{}, restricted: map[string]map[string]bool{}},
	}
	for _, def := range base.Definitions {
		c.base[def.Name] = def
	}
	for _, dir := range base.Directives {
		c.directives[dir.Name] = dir
	}

	for _, doc := range docs {
		c.refuseSchemaAndDirectives(doc)
		for _, def := range doc.Definitions {
			c.declare(def)
		}
	}
	var goods []*ast.Definition
	for _, doc := range docs {
		for _, ext := range doc.Extensions {
			if c.extension(ext) {
				goods = append(goods, ext)
			}
		}
	}
	c.checkDerivedNames()
	for _, def := range c.t.defs {
		switch def.Kind {
		case ast.Enum:
			c.checkEnum(def)
		case ast.Object:
			c.checkObject(def)
		}
	}
	c.checkCycles()
	c.checkGoodsFields(goods)
	return c.t
}

// refuseSchemaAndDirectives reports schema and directive definitions and
// extensions, none of which a tenant may write.
func (c *checker) refuseSchemaAndDirectives(doc *ast.SchemaDocument) {
	for _, s := range doc.Schema {
		c.ps.addf(s.Position, "schema definitions are not allowed: the root types belong to the gateway")
	}
	for _, s := range doc.SchemaExtension {
		c.ps.addf(s.Position, "schema extensions are not allowed: the root types belong to the gateway")
	}
	for _, d := range doc.Directives {
		c.ps.addf(d.Position, "directive definitions are not allowed (@%s): a tenant may use only @default, @filterable, @sortable, @computed, @validate, @upstream, @cost, @listSize, @requiresScopes and @deprecated", d.Name)
	}
	for _, d := range doc.DirectiveExtensions {
		c.ps.addf(d.Position, "directive extensions are not allowed (extend directive @%s)", d.Name)
	}
}

// declare records a type definition of the tenant's.
func (c *checker) declare(def *ast.Definition) {
	kw := keyword(def.Kind)
	c.description(&def.Description, def.Position, kw+" "+def.Name)
	if def.Kind != ast.Enum && def.Kind != ast.Object {
		c.ps.addf(def.Position, "%s %s: %s definitions are not allowed; a tenant may define only enums and object types (value objects)", kw, def.Name, kw)
		c.refused[def.Name] = true
		return
	}
	if !c.typeName(def.Position, kw, def.Name) {
		c.refused[def.Name] = true
		return
	}
	if prev := c.t.types[def.Name]; prev != nil {
		c.ps.addf(def.Position, "%s %s is already defined at %s", kw, def.Name, at(prev.Position))
		return
	}
	c.t.types[def.Name] = def
	c.t.defs = append(c.t.defs, def)
}

// typeName reports whether name may name a type of the tenant's.
func (c *checker) typeName(pos *ast.Position, kw, name string) bool {
	switch base := c.base[name]; {
	case strings.HasPrefix(name, "__"):
		c.ps.addf(pos, "%s %s: names beginning with \"__\" are reserved for introspection", kw, name)
	case base != nil && base.BuiltIn:
		c.ps.addf(pos, "%s %s clashes with the built-in type %s", kw, name, name)
	case base != nil:
		c.ps.addf(pos, "%s %s clashes with the base type %s", kw, name, name)
	case reservedNames[name]:
		c.ps.addf(pos, "%s %s: the name is reserved for a type the loader derives", kw, name)
	case rootNames[name]:
		c.ps.addf(pos, "%s %s: the name is reserved for a root type, which belongs to the gateway", kw, name)
	default:
		return true
	}
	return false
}

// checkDerivedNames reports tenant types whose derived types (<Enum>Filter,
// <Type>Input) would clash with another type. The names are reserved
// whether or not the derived type is needed, so that adding @filterable
// or a field later cannot cause a clash.
func (c *checker) checkDerivedNames() {
	for _, def := range c.t.defs {
		name, what := derivedName(def)
		if base := c.base[name]; base != nil {
			c.ps.addf(def.Position, "%s %s: the name of its derived %s, %s, clashes with the base type %s", keyword(def.Kind), def.Name, what, name, name)
		}
		if other := c.t.types[name]; other != nil {
			c.ps.addf(other.Position, "%s %s clashes with the %s derived from %s %s (%s)", keyword(other.Kind), name, what, keyword(def.Kind), def.Name, at(def.Position))
		}
	}
}

// derivedName returns the name of the type derived from a tenant's type,
// and what it is.
func derivedName(def *ast.Definition) (name, what string) {
	if def.Kind == ast.Enum {
		return enumFilterName(def.Name), "filter type"
	}
	return inputName(def.Name), "input type"
}

// extension checks a type extension and reports whether it is an
// extension of Goods, whose fields checkGoodsFields checks.
func (c *checker) extension(ext *ast.Definition) bool {
	kw := keyword(ext.Kind)
	switch {
	case ext.Name == "Query" || ext.Name == "Mutation" || ext.Name == "Subscription":
		c.ps.addf(ext.Position, "extend %s %s: the root types belong to the gateway; a tenant may extend only type Goods", kw, ext.Name)
		return false
	case ext.Name == goodsName && ext.Kind != ast.Object:
		c.ps.addf(ext.Position, "extend %s %s: Goods is an object type; write extend type Goods", kw, ext.Name)
		return false
	case ext.Name == goodsName:
		for _, name := range ext.Interfaces {
			c.ps.addf(ext.Position, "extend type Goods: a tenant cannot make Goods implement an interface (%s)", name)
		}
		for _, dir := range ext.Directives {
			if dir.Name == logic.ValidateDirective {
				c.checkValidate(dir, "Goods")
				continue
			}
			c.ps.addf(dir.Position, "extend type Goods: directives on Goods itself are not allowed but @validate (@%s)", dir.Name)
		}
		return true
	case c.t.types[ext.Name] != nil:
		c.ps.addf(ext.Position, "extend %s %s: a tenant may extend only type Goods; declare the %s in the definition of %s", kw, ext.Name, members(ext.Kind), ext.Name)
	case c.base[ext.Name] != nil:
		c.ps.addf(ext.Position, "extend %s %s: a tenant may extend only type Goods", kw, ext.Name)
	case c.refused[ext.Name] || c.incomplete:
		// Reported already, or maybe defined in a file that did not parse.
	default:
		c.ps.addf(ext.Position, "extend %s %s: there is no type %s, and a tenant may extend only type Goods", kw, ext.Name, ext.Name)
	}
	return false
}

// checkEnum checks an enum of the tenant's.
func (c *checker) checkEnum(def *ast.Definition) {
	c.typeDirectives(def, "enum "+def.Name)
	if len(def.EnumValues) == 0 {
		c.ps.addf(def.Position, "enum %s has no values", def.Name)
	}
	seen := make(map[string]*ast.EnumValueDefinition, len(def.EnumValues))
	for _, v := range def.EnumValues {
		what := def.Name + "." + v.Name
		c.description(&v.Description, v.Position, "enum value "+what)
		switch {
		case strings.HasPrefix(v.Name, "__"):
			c.ps.addf(v.Position, "enum value %s: names beginning with \"__\" are reserved for introspection", what)
		case v.Name == "true" || v.Name == "false" || v.Name == "null":
			c.ps.addf(v.Position, "enum value %s: true, false and null cannot be enum values", what)
		case seen[v.Name] != nil:
			c.ps.addf(v.Position, "enum value %s is already defined at %s", what, at(seen[v.Name].Position))
		default:
			seen[v.Name] = v
		}
		for _, dir := range c.uniqueDirectives(v.Directives, "enum value "+what) {
			switch dir.Name {
			case "deprecated":
				c.checkDeprecated(dir)
			case authz.DirectiveName:
				if c.checkRequiresScopes(dir) {
					if c.t.restricted[def.Name] == nil {
						c.t.restricted[def.Name] = map[string]bool{}
					}
					c.t.restricted[def.Name][v.Name] = true
				}
			default:
				c.refuseDirective(dir, "enum value "+what)
			}
		}
	}
}

// checkObject checks an object type (value object) of the tenant's.
func (c *checker) checkObject(def *ast.Definition) {
	for _, name := range def.Interfaces {
		c.ps.addf(def.Position, "type %s: value objects cannot implement interfaces (%s)", def.Name, name)
	}
	c.typeDirectives(def, "type "+def.Name)
	if len(def.Fields) == 0 {
		c.ps.addf(def.Position, "type %s has no fields", def.Name)
	}
	seen := make(map[string]*ast.FieldDefinition, len(def.Fields))
	for _, f := range def.Fields {
		what := def.Name + "." + f.Name
		c.description(&f.Description, f.Position, "field "+what)
		switch {
		case strings.HasPrefix(f.Name, "__"):
			c.ps.addf(f.Position, "field %s: names beginning with \"__\" are reserved for introspection", what)
		case seen[f.Name] != nil:
			c.ps.addf(f.Position, "field %s is already declared at %s", what, at(seen[f.Name].Position))
		default:
			seen[f.Name] = f
		}
		c.refuseArguments(f, what)
		c.checkType(what, f.Type)
		for _, dir := range c.uniqueDirectives(f.Directives, "field "+what) {
			switch dir.Name {
			case "deprecated":
				c.checkDeprecated(dir)
			case "default", "filterable", "sortable":
				c.ps.addf(dir.Position, "@%s on %s: only extension fields of Goods take @%s, not fields of value objects", dir.Name, what, dir.Name)
			case "cost":
				c.checkCost(dir, what)
			case "listSize":
				c.checkListSize(dir, f, what)
			case authz.DirectiveName:
				if c.checkRequiresScopes(dir) && f.Type.NonNull {
					c.ps.addf(dir.Position, "@%s on %s: the field must be nullable, so that callers without the scopes can give %s without it", authz.DirectiveName, what, def.Name)
				}
			default:
				c.refuseDirective(dir, "field "+what)
			}
		}
	}
}

// checkCycles reports object types that contain themselves: their values
// would be infinite, and so would their input types.
func (c *checker) checkCycles() {
	const (
		unvisited = iota
		visiting
		visited
	)
	type edge struct {
		from  string
		field *ast.FieldDefinition
	}
	state := make(map[string]int, len(c.t.defs))
	var path []edge
	var visit func(def *ast.Definition)
	visit = func(def *ast.Definition) {
		state[def.Name] = visiting
		for _, f := range def.Fields {
			to := c.t.types[f.Type.Name()]
			if to == nil || to.Kind != ast.Object {
				continue
			}
			path = append(path, edge{def.Name, f})
			switch state[to.Name] {
			case unvisited:
				visit(to)
			case visiting:
				start := len(path) - 1
				for path[start].from != to.Name {
					start--
				}
				steps := make([]string, 0, len(path)-start+1)
				for _, e := range path[start:] {
					steps = append(steps, e.from+"."+e.field.Name)
				}
				steps = append(steps, to.Name)
				c.ps.addf(path[start].field.Position, "type %s contains itself (%s): value objects cannot be recursive", to.Name, strings.Join(steps, " -> "))
			}
			path = path[:len(path)-1]
		}
		state[def.Name] = visited
	}
	for _, def := range c.t.defs {
		if def.Kind == ast.Object && state[def.Name] == unvisited {
			visit(def)
		}
	}
}

// checkGoodsFields checks the fields of the tenant's extensions of Goods
// and records them in c.t.fields.
func (c *checker) checkGoodsFields(exts []*ast.Definition) {
	goods := c.base[goodsName]
	derivedInputs := []*ast.Definition{c.base[createInputName], c.base[updateInputName]}
	filter := c.base[filterName]
	sortField := c.base[sortFieldName]
	seen := map[string]*ast.FieldDefinition{}
	sortValues := map[string]*ast.FieldDefinition{}
	for _, ext := range exts {
	fields:
		for _, f := range ext.Fields {
			what := goodsName + "." + f.Name
			c.description(&f.Description, f.Position, "field "+what)
			switch {
			case strings.HasPrefix(f.Name, "__"):
				c.ps.addf(f.Position, "field %s: names beginning with \"__\" are reserved for introspection", what)
				continue
			case goods.Fields.ForName(f.Name) != nil:
				c.ps.addf(f.Position, "field %s is a base field: a tenant cannot redeclare or change it", what)
				continue
			case seen[f.Name] != nil:
				c.ps.addf(f.Position, "field %s is already declared at %s", what, at(seen[f.Name].Position))
				continue
			}
			seen[f.Name] = f
			for _, in := range derivedInputs {
				if in.Fields.ForName(f.Name) != nil {
					c.ps.addf(f.Position, "field %s clashes with the base field %s.%s", what, in.Name, f.Name)
					continue fields
				}
			}
			c.refuseArguments(f, what)
			typeOK := c.checkType(what, f.Type)

			ef := &extField{def: f}
			for _, dir := range c.uniqueDirectives(f.Directives, "field "+what) {
				switch dir.Name {
				case "deprecated":
					c.checkDeprecated(dir)
				case "default":
					for _, arg := range c.uniqueArguments(dir) {
						switch {
						case arg.Name != "value":
							c.ps.addf(arg.Position, "@default has no argument %s; write @default(value: ...)", arg.Name)
						case arg.Value.Kind == ast.NullValue && !f.Type.NonNull && c.nullDefaultRefused():
							c.ps.addf(arg.Value.Position, "@default of %s: the value cannot be null, as @default declares value: DefaultValue!; leave @default out: a nullable field left out is null", what)
						default:
							ef.defaultValue = arg.Value
						}
					}
					if ef.defaultValue == nil && len(dir.Arguments) == 0 {
						c.ps.addf(dir.Position, "@default on %s needs a value, as in @default(value: ...)", what)
					}
				case "filterable", "sortable":
					for _, arg := range dir.Arguments {
						c.ps.addf(arg.Position, "@%s takes no arguments", dir.Name)
					}
					if typeOK && c.comparable(dir, what, f.Type) {
						if dir.Name == "filterable" {
							ef.filterable = true
						} else {
							ef.sortable = true
						}
					}
				case "cost":
					c.checkCost(dir, what)
				case "listSize":
					c.checkListSize(dir, f, what)
				case authz.DirectiveName:
					if c.checkRequiresScopes(dir) {
						ef.requires = dir
					}
				case logic.ComputedDirective:
					c.checkArguments(dir, "expr")
					ef.computed = dir
				case upstreamDirective:
					if c.checkUpstream(dir, what) {
						ef.upstream = dir
					}
				case logic.ValidateDirective:
					c.checkValidate(dir, what)
				default:
					c.refuseDirective(dir, "field "+what)
				}
			}
			if by := notStored(ef); by != "" {
				for _, dir := range f.Directives {
					switch dir.Name {
					case "default", "filterable", "sortable", logic.ValidateDirective, logic.ComputedDirective, upstreamDirective:
						if dir.Name != by {
							c.ps.addf(dir.Position, "@%s on %s: the field is @%s, so it is never stored or given", dir.Name, what, by)
						}
					}
				}
				ef.defaultValue, ef.filterable, ef.sortable = nil, false, false
			}
			if ef.defaultValue != nil && typeOK {
				ef.defaultJSON, _ = c.coerce(what, f.Type, ef.defaultValue)
				c.checkDefaultVisible(what, f.Type, ef.defaultValue)
			}
			if ef.requires != nil && f.Type.NonNull && ef.defaultValue == nil && notStored(ef) == "" {
				c.ps.addf(ef.requires.Position, "@%s on %s: the field must be nullable or have a @default, so that callers without the scopes can still create goods", authz.DirectiveName, what)
			}
			if ef.filterable && filter.Fields.ForName(f.Name) != nil {
				c.ps.addf(f.Position, "@filterable on %s: %s already has a field %s", what, filterName, f.Name)
			}
			if ef.sortable {
				ef.sortValue = sortValue(f.Name)
				if sortField.EnumValues.ForName(ef.sortValue) != nil {
					c.ps.addf(f.Position, "@sortable on %s: its sort value %s is already a value of %s", what, ef.sortValue, sortFieldName)
				} else if other := sortValues[ef.sortValue]; other != nil {
					c.ps.addf(f.Position, "@sortable on %s: its sort value %s is already that of %s.%s (%s)", what, ef.sortValue, goodsName, other.Name, at(other.Position))
				} else {
					sortValues[ef.sortValue] = f
				}
			}
			c.t.fields = append(c.t.fields, ef)
		}
	}
}

// upstreamDirective is the name of @upstream.
const upstreamDirective = "upstream"

// notStored returns the directive that makes ef a field that is never
// stored or given (computed or upstream), or "".
func notStored(ef *extField) string {
	switch {
	case ef.computed != nil:
		return logic.ComputedDirective
	case ef.upstream != nil:
		return upstreamDirective
	}
	return ""
}

// upstreamName is the grammar of an upstream's name in tenant.yaml.
var upstreamName = regexp.MustCompile(`^[A-Za-z][A-Za-z0-9_-]{0,63}$`)

// checkUpstream checks the argument of @upstream on what; that the tenant
// declares the upstream is checked with its tenant.yaml (see
// Registry.Reload).
func (c *checker) checkUpstream(dir *ast.Directive, what string) bool {
	c.checkArguments(dir, "name")
	arg := dir.Arguments.ForName("name")
	switch {
	case arg == nil || arg.Value == nil:
		c.ps.addf(dir.Position, "@upstream on %s needs the name of an upstream of tenant.yaml, as in @upstream(name: \"inventory\")", what)
	case arg.Value.Kind != ast.StringValue || !upstreamName.MatchString(arg.Value.Raw):
		c.ps.addf(arg.Value.Position, "@upstream(name:) on %s must be the name of an upstream of tenant.yaml, not %s", what, literal(arg.Value))
	default:
		return true
	}
	return false
}

// checkArguments reports arguments of dir other than the names given, and
// given twice; the types of those it takes are gqlparser's to check.
func (c *checker) checkArguments(dir *ast.Directive, names ...string) {
	for _, arg := range c.uniqueArguments(dir) {
		if !slices.Contains(names, arg.Name) {
			c.ps.addf(arg.Position, "@%s has no argument %s; it takes %s", dir.Name, arg.Name, strings.Join(names, " and "))
		}
	}
}

// checkValidate checks the arguments of a @validate on what; its
// expression is checked with the compiled schema (logic.Compile).
func (c *checker) checkValidate(dir *ast.Directive, what string) {
	c.checkArguments(dir, "expr", "message")
	for _, name := range []string{"expr", "message"} {
		if dir.Arguments.ForName(name) == nil {
			c.ps.addf(dir.Position, "@validate on %s needs %s", what, name)
		}
	}
}

// checkRequiresScopes checks the argument of @requiresScopes, as
// authz.ParseDirective reads it, and reports whether it is well-formed.
func (c *checker) checkRequiresScopes(dir *ast.Directive) bool {
	if _, pos, err := authz.ParseDirective(dir); err != nil {
		c.ps.addf(pos, "%v", err)
		return false
	}
	return true
}

// checkDefaultVisible reports values of the tenant's enums in the default
// v of the field what, of type t, that carry @requiresScopes: the default
// would be stored for callers who may not see it, and a schema that hides
// the value could not show the default.
func (c *checker) checkDefaultVisible(what string, t *ast.Type, v *ast.Value) {
	if v == nil {
		return
	}
	if t.Elem != nil {
		if v.Kind == ast.ListValue {
			for _, child := range v.Children {
				c.checkDefaultVisible(what, t.Elem, child.Value)
			}
			return
		}
		c.checkDefaultVisible(what, t.Elem, v)
		return
	}
	if v.Kind == ast.EnumValue && c.t.restricted[t.NamedType][v.Raw] {
		c.ps.addf(v.Position, "@default of %s: %s.%s carries @%s, so it cannot be the default", what, t.NamedType, v.Raw, authz.DirectiveName)
	}
}

// nullDefaultRefused reports whether the base schema's @default refuses
// null, as the GraphQL spec says a non-null directive argument does.
func (c *checker) nullDefaultRefused() bool {
	arg := c.directives["default"].Arguments.ForName("value")
	return arg != nil && arg.Type.NonNull
}

// comparable reports whether a field of type t may be filtered or sorted
// by, as dir asks, and reports a problem if not.
func (c *checker) comparable(dir *ast.Directive, what string, t *ast.Type) bool {
	verb := "filtered"
	if dir.Name == "sortable" {
		verb = "sorted"
	}
	switch {
	case t.Elem != nil:
		c.ps.addf(dir.Position, "@%s on %s: a list field cannot be %s by", dir.Name, what, verb)
	case c.t.types[t.NamedType] != nil && c.t.types[t.NamedType].Kind == ast.Object:
		c.ps.addf(dir.Position, "@%s on %s: a value object field cannot be %s by", dir.Name, what, verb)
	default:
		return true
	}
	return false
}

// checkType reports whether t is a type that an extension or value object
// field may have, and reports a problem if not. what names the field.
func (c *checker) checkType(what string, t *ast.Type) bool {
	named := t
	for named.Elem != nil {
		named = named.Elem
	}
	name := named.NamedType
	switch {
	case fieldScalars[name] || c.t.types[name] != nil:
		return true
	case c.refused[name]:
		// The definition of the type was refused: one problem is enough.
	case c.base[name] != nil:
		c.ps.addf(named.Position, "field %s: type %s cannot be used here; fields may have the types String, Int, Float, Boolean, ID and DateTime, enums and object types the tenant defines, and lists of these", what, name)
	case !c.incomplete:
		c.ps.addf(named.Position, "field %s: unknown type %s", what, name)
	}
	return false
}

// refuseArguments reports the arguments of a field: tenant fields are
// plain data.
func (c *checker) refuseArguments(f *ast.FieldDefinition, what string) {
	if len(f.Arguments) > 0 {
		c.ps.addf(f.Arguments[0].Position, "field %s: fields cannot have arguments", what)
	}
}

// uniqueDirectives reports directives given more than once in dirs and
// returns the others. where names the place of dirs.
func (c *checker) uniqueDirectives(dirs ast.DirectiveList, where string) []*ast.Directive {
	if len(dirs) == 0 {
		return nil
	}
	seen := make(map[string]bool, len(dirs))
	out := make([]*ast.Directive, 0, len(dirs))
	for _, dir := range dirs {
		if seen[dir.Name] && dir.Name != logic.ValidateDirective { // repeatable
			c.ps.addf(dir.Position, "@%s is given twice on %s", dir.Name, where)
			continue
		}
		seen[dir.Name] = true
		out = append(out, dir)
	}
	return out
}

// uniqueArguments reports arguments given more than once to dir and
// returns the others.
func (c *checker) uniqueArguments(dir *ast.Directive) []*ast.Argument {
	seen := make(map[string]bool, len(dir.Arguments))
	out := make([]*ast.Argument, 0, len(dir.Arguments))
	for _, arg := range dir.Arguments {
		if seen[arg.Name] {
			c.ps.addf(arg.Position, "@%s: argument %s is given twice", dir.Name, arg.Name)
			continue
		}
		seen[arg.Name] = true
		out = append(out, arg)
	}
	return out
}

// checkDeprecated checks the arguments of @deprecated.
func (c *checker) checkDeprecated(dir *ast.Directive) {
	for _, arg := range c.uniqueArguments(dir) {
		switch {
		case arg.Name != "reason":
			c.ps.addf(arg.Position, "@deprecated has no argument %s; write @deprecated(reason: \"...\")", arg.Name)
		case arg.Value.Kind != ast.StringValue && arg.Value.Kind != ast.BlockValue:
			c.ps.addf(arg.Value.Position, "@deprecated(reason:) must be a string, not %s", literal(arg.Value))
		}
	}
}

// typeDirectives checks the directives of a tenant's enum or object type:
// @cost is allowed, no other.
func (c *checker) typeDirectives(def *ast.Definition, where string) {
	for _, dir := range c.uniqueDirectives(def.Directives, where) {
		if dir.Name == "cost" {
			c.checkCost(dir, where)
		} else {
			c.refuseDirective(dir, where)
		}
	}
}

// checkCost checks the arguments of @cost on what: a weight that
// cost.ParseWeight accepts, as the cost model reads it.
func (c *checker) checkCost(dir *ast.Directive, what string) {
	args := c.uniqueArguments(dir)
	var weight *ast.Argument
	for _, arg := range args {
		if arg.Name != "weight" {
			c.ps.addf(arg.Position, "@cost has no argument %s; write @cost(weight: \"2.5\")", arg.Name)
			continue
		}
		weight = arg
	}
	switch {
	case weight == nil:
		c.ps.addf(dir.Position, "@cost on %s needs a weight, as in @cost(weight: \"2.5\")", what)
	case weight.Value.Kind != ast.StringValue && weight.Value.Kind != ast.BlockValue:
		c.ps.addf(weight.Value.Position, "@cost(weight:) on %s must be a string holding a number >= 0, such as \"2.5\", not %s", what, literal(weight.Value))
	default:
		if _, err := cost.ParseWeight(weight.Value.Raw); err != nil {
			c.ps.addf(weight.Value.Position, "@cost(weight:) on %s: %s is %v; write a decimal number >= 0, such as \"2.5\"", what, literal(weight.Value), err)
		}
	}
}

// checkListSize checks @listSize on the field f of a tenant's, named what.
// A tenant's fields are lists stored in the goods row and have no
// arguments, so only assumedSize (and sizedFields naming list fields of a
// value object) can apply.
func (c *checker) checkListSize(dir *ast.Directive, f *ast.FieldDefinition, what string) {
	if f.Type.Elem == nil {
		c.ps.addf(dir.Position, "@listSize on %s: the field is not a list", what)
	}
	for _, arg := range c.uniqueArguments(dir) {
		v := arg.Value
		switch arg.Name {
		case "assumedSize":
			if v.Kind == ast.NullValue {
				continue
			}
			if n, err := strconv.ParseInt(v.Raw, 10, 32); v.Kind != ast.IntValue || err != nil || n < 0 {
				c.ps.addf(v.Position, "@listSize(assumedSize:) on %s must be an Int >= 0, not %s", what, literal(v))
			}
		case "requireOneSlicingArgument":
			if v.Kind != ast.BooleanValue && v.Kind != ast.NullValue {
				c.ps.addf(v.Position, "@listSize(requireOneSlicingArgument:) on %s must be a Boolean, not %s", what, literal(v))
			}
		case "slicingArguments":
			for _, name := range c.stringList(arg, what) {
				if f.Arguments.ForName(name.Raw) == nil {
					c.ps.addf(name.Position, "@listSize(slicingArguments:) on %s: the field has no argument %s (a tenant's fields have none: give assumedSize)", what, name.Raw)
				}
			}
		case "sizedFields":
			elem := c.t.types[f.Type.Name()]
			for _, name := range c.stringList(arg, what) {
				var sized *ast.FieldDefinition
				if elem != nil && elem.Kind == ast.Object {
					sized = elem.Fields.ForName(name.Raw)
				}
				if sized == nil || sized.Type.Elem == nil {
					c.ps.addf(name.Position, "@listSize(sizedFields:) on %s: %s has no list field %s", what, f.Type.Name(), name.Raw)
				}
			}
		default:
			c.ps.addf(arg.Position, "@listSize has no argument %s; it takes assumedSize, slicingArguments, sizedFields and requireOneSlicingArgument", arg.Name)
		}
	}
}

// stringList returns the strings of a [String!] argument of a directive,
// reporting values that are not strings. A single string stands for a list
// of one, and null for none.
func (c *checker) stringList(arg *ast.Argument, what string) []*ast.Value {
	values := []*ast.Value{arg.Value}
	switch arg.Value.Kind {
	case ast.NullValue:
		return nil
	case ast.ListValue:
		values = values[:0]
		for _, child := range arg.Value.Children {
			values = append(values, child.Value)
		}
	}
	out := values[:0:0]
	for _, v := range values {
		if v.Kind != ast.StringValue && v.Kind != ast.BlockValue {
			c.ps.addf(v.Position, "@listSize(%s:) on %s must be a list of strings, not %s", arg.Name, what, literal(arg.Value))
			continue
		}
		out = append(out, v)
	}
	return out
}

// refuseDirective reports a directive that is not allowed at where.
func (c *checker) refuseDirective(dir *ast.Directive, where string) {
	if c.directives[dir.Name] == nil {
		c.ps.addf(dir.Position, "unknown directive @%s on %s", dir.Name, where)
		return
	}
	c.ps.addf(dir.Position, "@%s cannot be used on %s", dir.Name, where)
}

// description replaces *s with the value it reads back as from the
// formatter's output, a block string, so that the effective schema's SDL
// parses to the same schema. It reports descriptions that a block string
// cannot hold.
func (c *checker) description(s *string, pos *ast.Position, what string) {
	if *s == "" {
		return
	}
	src := &ast.Source{Input: "\"\"\"\n" + strings.ReplaceAll(*s, `"""`, `\"""`) + "\n\"\"\""}
	lex := lexer.New(src)
	tok, err := lex.ReadToken()
	if err != nil || tok.Kind != lexer.BlockString {
		c.ps.addf(pos, "the description of %s has a control character, which SDL cannot hold", what)
		return
	}
	*s = tok.Value
}

// keyword returns the SDL keyword that defines a type of the given kind.
func keyword(kind ast.DefinitionKind) string {
	switch kind {
	case ast.Scalar:
		return "scalar"
	case ast.Interface:
		return "interface"
	case ast.Union:
		return "union"
	case ast.Enum:
		return "enum"
	case ast.InputObject:
		return "input"
	default:
		return "type"
	}
}

// members names what a definition of the given kind declares.
func members(kind ast.DefinitionKind) string {
	switch kind {
	case ast.Enum:
		return "values"
	case ast.Union:
		return "members"
	default:
		return "fields"
	}
}

// at returns pos as file:line:col.
func at(pos *ast.Position) string {
	if pos == nil {
		return "an unknown position"
	}
	name := ""
	if pos.Src != nil {
		name = pos.Src.Name
	}
	return fmt.Sprintf("%s:%d:%d", name, pos.Line, pos.Column)
}

// literal returns v as GraphQL, shortened for a message.
func literal(v *ast.Value) string {
	const limit = 40
	s := v.String()
	if len(s) <= limit {
		return s
	}
	cut := limit
	for cut > 0 && !utf8.RuneStart(s[cut]) {
		cut--
	}
	return s[:cut] + "..."
}
