package cost

import (
	"errors"
	"math"
	"strconv"
	"strings"

	"github.com/vektah/gqlparser/v2/ast"
	"github.com/vektah/gqlparser/v2/gqlerror"
)

// DefaultListSize is the number of items assumed of a list field that has
// no @listSize and gets no size from a parent's sizedFields.
const DefaultListSize = 10

// mutationCost is the base cost of a mutation operation, as Apollo Router
// has it.
const mutationCost = 10 * unit

// Model is the cost model of one schema: every field's weight, argument
// weights and list sizing, resolved from the schema's @cost and @listSize
// directives when New builds it, so that costing an operation is a walk of
// its document. A Model is immutable; its methods may be called
// concurrently. Use New; the zero Model is not usable.
type Model struct {
	types        map[string]*typeInfo
	query        *typeInfo
	mutation     *typeInfo
	subscription *typeInfo
}

// typeInfo is an object, interface or union type.
type typeInfo struct {
	// fields is searched in order when short, else through byName: a
	// type has a handful of fields, which a map of took 250 to 500
	// bytes against 100 to 250 for the list, and found them no faster.
	fields []namedField
	byName map[string]*fieldInfo // nil up to linearFields fields
}

// linearFields is the most fields of a typeInfo searched in order.
const linearFields = 16

// namedField is a field of a typeInfo.
type namedField struct {
	name string
	info *fieldInfo
}

// field returns the field of t named name, or nil.
func (t *typeInfo) field(name string) *fieldInfo {
	if t.byName != nil {
		return t.byName[name]
	}
	for i := range t.fields {
		if t.fields[i].name == name {
			return t.fields[i].info
		}
	}
	return nil
}

// fieldInfo is what costing a field of a typeInfo needs.
type fieldInfo struct {
	// weight is the field's @cost, else its type's, else 1 for composite
	// types and 0 for scalars and enums.
	weight amount
	// list reports whether the field's type is a list; a list of lists
	// has as many instances as a list, as Apollo Router counts them.
	list bool
	// child is the field's named type if it is composite, else nil.
	child *typeInfo
	// args are the field's arguments that may cost something, in
	// definition order.
	args []*argInfo
	// listSize is the field's @listSize, or nil.
	listSize *listSize
}

// listSize is a @listSize directive.
type listSize struct {
	// assumed is assumedSize, or -1.
	assumed int64
	// slicing are the slicing arguments.
	slicing []slicingArg
	// sized are the sizedFields: children of the field that get its size.
	sized []string
}

// slicingArg is a slicing argument of a field.
type slicingArg struct {
	name string
	// def is the size the argument's default stands for, or -1.
	def int64
}

// argInfo is an argument or an input field.
type argInfo struct {
	name string
	// weight is the @cost of the argument or of its named type; hasWeight
	// tells a weight of 0 from no weight (an input object costs 1 without
	// one).
	weight    amount
	hasWeight bool
	// input is the fields of the argument's named type if that is an
	// input object, else nil.
	input map[string]*argInfo
}

// free reports whether no value of a can cost anything: it has no weight
// and is not an input object (which costs 1).
func (a *argInfo) free() bool { return !a.hasWeight && a.input == nil }

// New builds the cost model of schema, reading its @cost and @listSize
// directives (IBM's GraphQL Cost Directives). It returns an error for a
// directive that it cannot read: a weight that is not a decimal number
// >= 0 (ParseWeight), a negative assumedSize, slicingArguments that are
// not arguments of the field, or sizedFields that are not fields of its
// type. Each problem is a *gqlerror.Error at the directive's position;
// the error joins them all.
//
// New does not keep schema, and does not modify it.
func New(schema *ast.Schema) (*Model, error) {
	b := newBuilder(schema, nil)
	return b.build()
}

// Base is the cost model of a base schema, whose parts the models of
// schemas derived from it share (Base.New). A Base is immutable; its
// methods may be called concurrently.
type Base struct {
	*Model
	schema *ast.Schema
	// inputs and leaves are the builder's, which the builders of derived
	// models start from.
	inputs map[string]map[string]*argInfo
	leaves map[leafKey]*fieldInfo
}

// NewBase builds the cost model of schema as New does, for derived
// schemas' models to share. It keeps schema, which must not be modified
// afterwards.
func NewBase(schema *ast.Schema) (*Base, error) {
	b := newBuilder(schema, nil)
	m, err := b.build()
	if err != nil {
		return nil, err
	}
	return &Base{Model: m, schema: schema, inputs: b.inputs, leaves: b.leaves}, nil
}

// New builds the cost model of schema as New (the function) does,
// sharing with the base model the parts that come out the same: those of
// the types whose definitions are the very ones of the base schema (as
// schemas that share definitions have them, see loader.Compile), and
// that refer only to such types and to scalars and enums of the same
// weight. The model is the same as New's; it only takes less memory.
//
// Base.New does not keep schema, and does not modify it.
func (base *Base) New(schema *ast.Schema) (*Model, error) {
	b := newBuilder(schema, base)
	return b.build()
}

// noFields is the fields of an input object type none of whose fields
// may cost anything. It is never modified.
var noFields = map[string]*argInfo{}

func newBuilder(schema *ast.Schema, base *Base) *builder {
	b := &builder{
		schema: schema,
		inputs: map[string]map[string]*argInfo{},
		types:  map[string]typeWeight{},
		leaves: map[leafKey]*fieldInfo{},
	}
	if base != nil {
		b.shared = sharedTypes(schema, base.schema)
		for name := range b.shared {
			if in, ok := base.inputs[name]; ok {
				b.inputs[name] = in
			}
		}
		for k, fi := range base.leaves {
			b.leaves[k] = fi
		}
		b.base = base
	}
	return b
}

func (b *builder) build() (*Model, error) {
	schema := b.schema
	n := 0
	for name, def := range schema.Types {
		if !strings.HasPrefix(name, "__") && composite(def) {
			n++
		}
	}
	b.m = &Model{types: make(map[string]*typeInfo, n)}
	for name, def := range schema.Types {
		if strings.HasPrefix(name, "__") || !composite(def) {
			continue // introspection: costed by the walk
		}
		if b.shared[name] {
			b.m.types[name] = b.base.types[name]
			continue
		}
		b.m.types[name] = &typeInfo{}
	}
	for name, t := range b.m.types {
		if b.shared[name] {
			continue
		}
		def := schema.Types[name]
		t.fields = make([]namedField, 0, len(def.Fields))
		for _, f := range def.Fields {
			if strings.HasPrefix(f.Name, "__") {
				continue
			}
			t.fields = append(t.fields, namedField{f.Name, b.field(def, f)})
		}
		if len(t.fields) > linearFields {
			t.byName = make(map[string]*fieldInfo, len(t.fields))
			for _, f := range t.fields {
				t.byName[f.name] = f.info
			}
		}
	}
	root := func(def *ast.Definition) *typeInfo {
		if def == nil {
			return nil
		}
		return b.m.types[def.Name]
	}
	b.m.query, b.m.mutation, b.m.subscription = root(schema.Query), root(schema.Mutation), root(schema.Subscription)
	if len(b.errs) > 0 {
		return nil, errors.Join(b.errs...)
	}
	return b.m, nil
}

// composite reports whether def is an object, interface or union type.
func composite(def *ast.Definition) bool {
	switch def.Kind {
	case ast.Object, ast.Interface, ast.Union:
		return true
	}
	return false
}

// sharedTypes returns the names of the object, interface, union and input
// object types of schema whose parts of the cost model are those of
// base's: their definitions are base's own, and every type they refer to
// (by their fields and the fields' arguments) is such a type too, or a
// scalar or enum with the same @cost as in base.
func sharedTypes(schema, base *ast.Schema) map[string]bool {
	same := make(map[string]bool)
	for name, def := range schema.Types {
		b := base.Types[name]
		switch {
		case b == nil || strings.HasPrefix(name, "__"):
		case def.Kind == ast.Scalar || def.Kind == ast.Enum:
			same[name] = b.Kind == def.Kind && sameCost(def.Directives, b.Directives)
		default:
			same[name] = def == b
		}
	}
	// The greatest fixed point: drop the types that refer to one not
	// the same until none does.
	for changed := true; changed; {
		changed = false
		for name, ok := range same {
			if !ok {
				continue
			}
			def := schema.Types[name]
			for _, f := range def.Fields {
				refs := same[f.Type.Name()]
				for _, a := range f.Arguments {
					refs = refs && same[a.Type.Name()]
				}
				if !refs && !strings.HasPrefix(f.Name, "__") {
					same[name], changed = false, true
					break
				}
			}
		}
	}
	for name, ok := range same {
		if !ok || !composite(schema.Types[name]) && schema.Types[name].Kind != ast.InputObject {
			delete(same, name)
		}
	}
	return same
}

// sameCost reports whether the @cost directives of a and b, if any, are
// the same.
func sameCost(a, b ast.DirectiveList) bool {
	da, db := a.ForName("cost"), b.ForName("cost")
	if da == nil || db == nil {
		return da == db
	}
	wa, wb := da.Arguments.ForName("weight"), db.Arguments.ForName("weight")
	return wa != nil && wb != nil && wa.Value != nil && wb.Value != nil &&
		wa.Value.Kind == wb.Value.Kind && wa.Value.Raw == wb.Value.Raw
}

// builder builds a Model.
type builder struct {
	schema *ast.Schema
	m      *Model
	// base is the model to share with, and shared the types whose parts
	// are base's (sharedTypes); both nil for a model of its own.
	base   *Base
	shared map[string]bool
	// inputs holds the fields of input object types by type name, built
	// on first use (input types may refer to themselves).
	inputs map[string]map[string]*argInfo
	// types holds the @cost of types, read on first use.
	types map[string]typeWeight
	// leaves holds the fieldInfos of fields without arguments, sizing or
	// selections, which fields of the same weight share.
	leaves map[leafKey]*fieldInfo
	errs   []error
}

// leafKey is what tells shared fieldInfos apart.
type leafKey struct {
	weight amount
	list   bool
}

// typeWeight is the @cost of a type, if it has one.
type typeWeight struct {
	weight amount
	ok     bool
}

func (b *builder) errorf(pos *ast.Position, format string, args ...any) {
	b.errs = append(b.errs, gqlerror.ErrorPosf(pos, format, args...))
}

// field builds the fieldInfo of field f of type parent.
func (b *builder) field(parent *ast.Definition, f *ast.FieldDefinition) *fieldInfo {
	what := parent.Name + "." + f.Name
	named := b.schema.Types[f.Type.Name()]
	fi := &fieldInfo{list: f.Type.Elem != nil}
	if named != nil {
		fi.child = b.m.types[named.Name]
	}

	w, ok := b.weight(f.Directives, "field "+what)
	if !ok && named != nil {
		w, ok = b.typeWeight(named)
	}
	switch {
	case ok:
		fi.weight = w
	case fi.child != nil:
		fi.weight = unit
	}

	for _, a := range f.Arguments {
		if ai := b.arg(a.Name, a.Type, a.Directives, what+"("+a.Name+":)"); !ai.free() {
			fi.args = append(fi.args, ai)
		}
	}
	if dir := f.Directives.ForName("listSize"); dir != nil {
		fi.listSize = b.listSize(dir, f, named, what)
	}
	if fi.child == nil && len(fi.args) == 0 && fi.listSize == nil {
		key := leafKey{fi.weight, fi.list}
		if shared := b.leaves[key]; shared != nil {
			return shared
		}
		b.leaves[key] = fi
	}
	return fi
}

// arg builds the argInfo of an argument or input field.
func (b *builder) arg(name string, t *ast.Type, dirs ast.DirectiveList, what string) *argInfo {
	ai := &argInfo{name: name}
	named := b.schema.Types[t.Name()]
	ai.weight, ai.hasWeight = b.weight(dirs, what)
	if !ai.hasWeight && named != nil {
		ai.weight, ai.hasWeight = b.typeWeight(named)
	}
	if named != nil && named.Kind == ast.InputObject {
		ai.input = b.input(named)
	}
	return ai
}

// input returns the fields of the input object type def.
func (b *builder) input(def *ast.Definition) map[string]*argInfo {
	if fields, ok := b.inputs[def.Name]; ok {
		return fields
	}
	// Fields that cost nothing whatever their value are left out: an
	// input field not in the map costs nothing.
	fields := make(map[string]*argInfo)
	b.inputs[def.Name] = fields
	for _, f := range def.Fields {
		if ai := b.arg(f.Name, f.Type, f.Directives, def.Name+"."+f.Name); !ai.free() {
			fields[f.Name] = ai
		}
	}
	if len(fields) == 0 {
		b.inputs[def.Name] = noFields
		return noFields
	}
	return fields
}

// typeWeight returns the @cost of type def, if it has one.
func (b *builder) typeWeight(def *ast.Definition) (amount, bool) {
	tw, seen := b.types[def.Name]
	if !seen {
		tw.weight, tw.ok = b.weight(def.Directives, strings.ToLower(string(def.Kind))+" "+def.Name)
		b.types[def.Name] = tw
	}
	return tw.weight, tw.ok
}

// weight returns the weight of the @cost in dirs, if there is one. what
// names the place of dirs for errors.
func (b *builder) weight(dirs ast.DirectiveList, what string) (amount, bool) {
	dir := dirs.ForName("cost")
	if dir == nil {
		return 0, false
	}
	arg := dir.Arguments.ForName("weight")
	if arg == nil || arg.Value == nil || (arg.Value.Kind != ast.StringValue && arg.Value.Kind != ast.BlockValue) {
		b.errorf(dir.Position, "@cost on %s: weight must be a string holding a decimal number >= 0, such as \"2.5\"", what)
		return 0, false
	}
	w, err := ParseWeight(arg.Value.Raw)
	if err != nil {
		b.errorf(arg.Value.Position, "@cost on %s: weight %q is %v", what, arg.Value.Raw, err)
		return 0, false
	}
	return weightAmount(w), true
}

// listSize reads the @listSize dir of field f, whose named type is named.
func (b *builder) listSize(dir *ast.Directive, f *ast.FieldDefinition, named *ast.Definition, what string) *listSize {
	ls := &listSize{assumed: -1}
	if arg := dir.Arguments.ForName("assumedSize"); arg != nil && arg.Value != nil && arg.Value.Kind != ast.NullValue {
		n, err := strconv.ParseInt(arg.Value.Raw, 10, 32)
		if arg.Value.Kind != ast.IntValue || err != nil || n < 0 {
			b.errorf(arg.Value.Position, "@listSize on %s: assumedSize must be an Int >= 0, not %s", what, arg.Value.String())
		} else {
			ls.assumed = n
		}
	}
	for _, name := range b.strings(dir, "slicingArguments", what) {
		a := f.Arguments.ForName(name)
		if a == nil {
			b.errorf(dir.Position, "@listSize on %s: slicingArguments names %q, which is not an argument of the field", what, name)
			continue
		}
		ls.slicing = append(ls.slicing, slicingArg{name: name, def: literalSize(a.DefaultValue)})
	}
	for _, name := range b.strings(dir, "sizedFields", what) {
		var sf *ast.FieldDefinition
		if named != nil {
			sf = named.Fields.ForName(name)
		}
		if sf == nil {
			b.errorf(dir.Position, "@listSize on %s: sizedFields names %q, which is not a field of %s", what, name, f.Type.Name())
			continue
		}
		ls.sized = append(ls.sized, name)
	}
	return ls
}

// strings returns the strings of the list argument name of dir (a single
// string stands for a list of one, as in input coercion).
func (b *builder) strings(dir *ast.Directive, name, what string) []string {
	arg := dir.Arguments.ForName(name)
	if arg == nil || arg.Value == nil || arg.Value.Kind == ast.NullValue {
		return nil
	}
	values := []*ast.Value{arg.Value}
	if arg.Value.Kind == ast.ListValue {
		values = values[:0]
		for _, c := range arg.Value.Children {
			values = append(values, c.Value)
		}
	}
	var out []string
	for _, v := range values {
		if v == nil || (v.Kind != ast.StringValue && v.Kind != ast.BlockValue) {
			b.errorf(arg.Position, "@listSize on %s: %s must be a list of strings", what, name)
			return nil
		}
		out = append(out, v.Raw)
	}
	return out
}

// literalSize returns the size a literal slicing argument stands for: an
// Int's value (0 if negative), a list's length; -1 for null, a variable
// or no value.
func literalSize(v *ast.Value) int64 {
	if v == nil {
		return -1
	}
	switch v.Kind {
	case ast.IntValue:
		n, err := strconv.ParseInt(v.Raw, 10, 64)
		if err != nil {
			if len(v.Raw) > 0 && v.Raw[0] == '-' {
				return 0
			}
			return math.MaxInt64
		}
		return max(n, 0)
	case ast.ListValue:
		return int64(len(v.Children))
	}
	return -1
}
