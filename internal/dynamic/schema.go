package dynamic

import (
	"fmt"
	"runtime"
	"strings"

	"github.com/99designs/gqlgen/graphql"
	"github.com/vektah/gqlparser/v2/ast"
)

// objectType is an object type of the schema, compiled for execution.
type objectType struct {
	name string
	def  *ast.Definition
	// satisfies lists the type conditions of fragments that apply to the
	// type: its name, its interfaces and the unions it belongs to, as
	// generated code's "implementors".
	satisfies []string
	fields    fieldTable
	// typename is the name as a JSON string, the value of __typename.
	typename []byte
	// introspection marks the __ types, whose values are gqlgen's
	// introspection model rather than Objects.
	introspection bool
	// callsResolvers reports whether completing a value of the type may
	// call a resolver, at any depth.
	callsResolvers bool
}

// fieldTable is the fields of an object type: a list, which a short one
// is searched in order, and a map by name besides for a long one. A type
// has a handful of fields, which a map of took 250 to 500 bytes against
// 80 to 220 for the list, and found them no faster.
type fieldTable struct {
	list   []*fieldInfo
	byName map[string]*fieldInfo // nil up to linearFields fields
}

// linearFields is the most fields a fieldTable searches in order.
const linearFields = 16

// get returns the field named name, or nil.
func (t *fieldTable) get(name string) *fieldInfo {
	if t.byName != nil {
		return t.byName[name]
	}
	for _, f := range t.list {
		if f.name == name {
			return f
		}
	}
	return nil
}

// index makes t's map by name, if it has more than linearFields fields.
func (t *fieldTable) index() {
	if len(t.list) <= linearFields {
		return
	}
	t.byName = make(map[string]*fieldInfo, len(t.list))
	for _, f := range t.list {
		t.byName[f.name] = f
	}
}

// fieldInfo is a field of an object type.
type fieldInfo struct {
	name string
	// object is the name of the type that has the field.
	object string
	def    *ast.FieldDefinition
	typ    *typeRef
	// resolve is the field's resolver, if any.
	resolve FieldResolver
	// get reads the field of an introspection value.
	get func(obj any, args map[string]any) any
	// compute computes the field from its parent value (Config.Computed).
	compute func(parent any) (any, error)
	// batch resolves the field with others of many values (Config.Batches).
	batch *Batch
	// root is set on the introspection fields of the query type.
	root rootField
}

type rootField uint8

const (
	rootNone rootField = iota
	rootSchema
	rootType
)

// typeKind is what a typeRef is.
type typeKind uint8

const (
	kindScalar typeKind = iota
	kindEnum
	kindObject
	kindAbstract
	kindList
)

// scalarKind tells the scalars the executor coerces itself.
type scalarKind uint8

const (
	scalarCustom scalarKind = iota
	scalarString
	scalarInt
	scalarFloat
	scalarBoolean
	scalarID
	scalarDateTime
)

// typeRef is an output type: a named type or a list, nullable or not.
type typeRef struct {
	nonNull bool
	kind    typeKind
	// name is the named type's name; empty for lists.
	name string
	elem *typeRef // kindList

	scalar scalarKind
	custom *Scalar // scalarCustom

	enum map[string]struct{} // kindEnum: the enum's values

	object   *objectType            // kindObject
	possible map[string]*objectType // kindAbstract: the possible types by name
}

// callsResolvers reports whether completing a value of t may call a
// resolver.
func (t *typeRef) callsResolvers() bool {
	switch t.kind {
	case kindList:
		return t.elem.callsResolvers()
	case kindObject:
		return t.object.callsResolvers
	case kindAbstract:
		for _, o := range t.possible {
			if o.callsResolvers {
				return true
			}
		}
	}
	return false
}

// builtinScalars are the scalars the executor coerces itself, by name.
var builtinScalars = map[string]scalarKind{
	"String":  scalarString,
	"Int":     scalarInt,
	"Float":   scalarFloat,
	"Boolean": scalarBoolean,
	"ID":      scalarID,
}

// compile builds an ExecutableSchema from cfg.
func compile(cfg Config) *ExecutableSchema {
	s := cfg.Schema
	e := &ExecutableSchema{
		schema:  s,
		objects: make(map[string]*objectType),
	}
	switch e.cacheBytes = cfg.IntrospectionCacheBytes; {
	case e.cacheBytes == 0:
		e.cacheBytes = DefaultIntrospectionCacheBytes
	case e.cacheBytes < 0:
		e.cacheBytes = 0
	}
	e.id = schemaIDs.Add(1)
	switch e.planBytes = cfg.PlanCacheBytes; {
	case e.planBytes == 0:
		e.planBytes = DefaultPlanCacheBytes
	case e.planBytes < 0:
		e.planBytes = 0
	}
	if c := cfg.PlanCache; c != nil {
		e.planCache.Store(c.c)
		e.planBytes = c.c.max
		// The plans of a schema no longer used go with it. Plans refer
		// to the schema's types, never to e itself, so e can become
		// unreachable while they are cached.
		runtime.AddCleanup(e, c.c.forget, e.id)
	}
	if cfg.IntrospectionCache != nil {
		e.cache.Store(cfg.IntrospectionCache.c)
		e.cacheBytes = cfg.IntrospectionCache.c.max
	}
	if len(cfg.Scalars) > 0 {
		e.scalars = make(map[string]*Scalar, len(cfg.Scalars))
	}
	for name, sc := range cfg.Scalars {
		e.scalars[name] = &sc
	}

	prev := lastCompiled.Load()
	shared := sharedObjects(&cfg, prev)
	for name, def := range s.Types {
		if def.Kind != ast.Object {
			continue
		}
		if o := shared[name]; o != nil {
			e.objects[name] = o
			continue
		}
		e.objects[name] = &objectType{
			name:          name,
			def:           def,
			satisfies:     []string{name},
			fields:        fieldTable{list: make([]*fieldInfo, 0, len(def.Fields))},
			typename:      appendQuoted(nil, name),
			introspection: strings.HasPrefix(name, "__"),
		}
	}
	for _, def := range s.Types {
		switch def.Kind {
		case ast.Object:
			if shared[def.Name] != nil {
				continue
			}
			o := e.objects[def.Name]
			o.satisfies = append(o.satisfies, def.Interfaces...)
		case ast.Union:
			for _, member := range def.Types {
				if o := e.objects[member]; o != nil {
					o.satisfies = append(o.satisfies, def.Name)
				}
			}
		}
	}

	refs := make(map[typeKey]*typeRef) // named types
	for _, o := range e.objects {
		if shared[o.name] != nil {
			continue
		}
		for _, fd := range o.def.Fields {
			o.fields.list = append(o.fields.list, &fieldInfo{
				name:   fd.Name,
				object: o.name,
				def:    fd,
				typ:    e.typeRef(fd.Type, refs),
			})
		}
	}
	if s.Query != nil {
		e.query = e.objects[s.Query.Name]
		if f := e.query.fields.get("__schema"); f != nil {
			f.root = rootSchema
		}
		if f := e.query.fields.get("__type"); f != nil {
			f.root = rootType
		}
	}
	if s.Mutation != nil {
		e.mutation = e.objects[s.Mutation.Name]
	}

	for key, get := range introspectionFields {
		typeName, fieldName, _ := strings.Cut(key, ".")
		if o := e.objects[typeName]; o != nil && shared[typeName] == nil {
			if f := o.fields.get(fieldName); f != nil {
				f.get = get
			}
		}
	}
	for name, def := range s.Types {
		if def.Kind == ast.Enum && !def.BuiltIn {
			e.enums = append(e.enums, name)
		}
	}
	for _, b := range cfg.Batches {
		o := e.objects[b.Type]
		if o == nil {
			continue
		}
		for _, name := range b.Fields {
			if f := o.fields.get(name); f != nil {
				f.batch = b
			}
		}
	}
	for key, c := range cfg.Computed {
		typeName, fieldName, ok := strings.Cut(key, ".")
		if !ok {
			panic(fmt.Sprintf("dynamic: computed field key %q is not of the form Type.field", key))
		}
		if o := e.objects[typeName]; o != nil && o.fields.get(fieldName) != nil {
			o.fields.get(fieldName).compute = c
		}
	}
	for key, r := range cfg.Resolvers {
		typeName, fieldName, ok := strings.Cut(key, ".")
		if !ok {
			panic(fmt.Sprintf("dynamic: resolver key %q is not of the form Type.field", key))
		}
		o := e.objects[typeName]
		if o == nil || o.fields.get(fieldName) == nil {
			continue // a view of a schema without the field
		}
		o.fields.get(fieldName).resolve = r
	}

	// callsResolvers is a fixed point over the type graph.
	for changed := true; changed; {
		changed = false
		for _, o := range e.objects {
			if o.callsResolvers || shared[o.name] != nil {
				continue
			}
			for _, f := range o.fields.list {
				if f.resolve != nil || f.typ.callsResolvers() {
					o.callsResolvers = true
					changed = true
					break
				}
			}
		}
	}

	// Once compiled, what other schemas may share (share.go).
	if len(cfg.Scalars) == 0 && prev != nil {
		for name, o := range e.objects {
			if shared[name] == nil {
				shareFields(o, prev)
			}
		}
	}
	for name, o := range e.objects {
		if shared[name] == nil {
			o.fields.index()
		}
	}
	if len(cfg.Scalars) == 0 {
		// The last write to what keep reaches: other compiles read it
		// from now on, concurrently.
		keep := &compiled{types: s.Types, objects: e.objects}
		if s.Query != nil {
			keep.query = s.Query.Name
		}
		lastCompiled.Store(keep)
	}
	e.objects = nil
	return e
}

// typeKey is a named type, nullable or not.
type typeKey struct {
	name    string
	nonNull bool
}

// typeRef compiles t. refs caches the named types, which are all alike.
func (e *ExecutableSchema) typeRef(t *ast.Type, refs map[typeKey]*typeRef) *typeRef {
	if t.Elem != nil {
		return &typeRef{nonNull: t.NonNull, kind: kindList, elem: e.typeRef(t.Elem, refs)}
	}
	key := typeKey{t.NamedType, t.NonNull}
	if ref := refs[key]; ref != nil {
		return ref
	}
	named := refs[typeKey{name: t.NamedType}]
	if named == nil {
		named = e.namedType(t.NamedType)
		refs[typeKey{name: t.NamedType}] = named
	}
	if !t.NonNull {
		return named
	}
	nn := *named
	nn.nonNull = true
	refs[key] = &nn
	return &nn
}

func (e *ExecutableSchema) namedType(name string) *typeRef {
	t := &typeRef{name: name}
	def := e.schema.Types[name]
	switch def.Kind {
	case ast.Scalar:
		t.kind = kindScalar
		if k, ok := builtinScalars[name]; ok {
			t.scalar = k
		} else if sc, ok := e.scalars[name]; ok {
			t.custom = sc
		} else if name == "DateTime" {
			t.scalar = scalarDateTime
		} else {
			t.custom = &anyScalar
		}
	case ast.Enum:
		t.kind = kindEnum
		t.enum = make(map[string]struct{}, len(def.EnumValues))
		for _, v := range def.EnumValues {
			t.enum[v.Name] = struct{}{}
		}
	case ast.Object:
		t.kind = kindObject
		t.object = e.objects[name]
	case ast.Interface, ast.Union:
		t.kind = kindAbstract
		t.possible = make(map[string]*objectType)
		for _, pt := range e.schema.GetPossibleTypes(def) {
			t.possible[pt.Name] = e.objects[pt.Name]
		}
	default:
		panic(fmt.Sprintf("dynamic: %s is a %s, not an output type", name, def.Kind))
	}
	return t
}

// anyScalar is gqlgen's Any, the model of the DefaultValue scalar: the
// coercion of custom scalars without a Config.Scalars entry.
var anyScalar = Scalar{
	Unmarshal: func(v any) (any, error) { return graphql.UnmarshalAny(v) },
	Marshal:   func(v any) (graphql.Marshaler, error) { return graphql.MarshalAny(v), nil },
}
