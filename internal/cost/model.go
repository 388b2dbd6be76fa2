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
	fields map[string]*fieldInfo
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
	b := &builder{
		schema: schema,
		m:      &Model{types: make(map[string]*typeInfo, len(schema.Types))},
		inputs: map[string]map[string]*argInfo{},
		types:  map[string]typeWeight{},
		leaves: map[leafKey]*fieldInfo{},
	}
	for name, def := range schema.Types {
		if strings.HasPrefix(name, "__") {
			continue // introspection: costed by the walk
		}
		switch def.Kind {
		case ast.Object, ast.Interface, ast.Union:
			b.m.types[name] = &typeInfo{}
		}
	}
	for name, t := range b.m.types {
		def := schema.Types[name]
		t.fields = make(map[string]*fieldInfo, len(def.Fields))
		for _, f := range def.Fields {
			if strings.HasPrefix(f.Name, "__") {
				continue
			}
			t.fields[f.Name] = b.field(def, f)
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

// builder builds a Model.
type builder struct {
	schema *ast.Schema
	m      *Model
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
	fields := make(map[string]*argInfo, len(def.Fields))
	b.inputs[def.Name] = fields
	for _, f := range def.Fields {
		fields[f.Name] = b.arg(f.Name, f.Type, f.Directives, def.Name+"."+f.Name)
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
