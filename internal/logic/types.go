package logic

import (
	"cel.dev/cel-go/cel"
	"cel.dev/cel-go/common/types"
	"cel.dev/cel-go/common/types/ref"
	"github.com/vektah/gqlparser/v2/ast"
)

// goodsTypeName is the CEL type of self.
const goodsTypeName = "tenantgraph.Goods"

// FieldReader is a value whose fields the programs read: a goods, as the
// executor and the resolvers hold it. FieldValue returns what
// dynamic.Object's does: values, pointers to them, nil for null.
type FieldReader interface {
	FieldValue(name string) any
}

// celType returns the CEL type of a value of the GraphQL type t: Int is
// int, Float double, String and ID string, Boolean bool, DateTime
// timestamp, an enum string, a value object map(string, dyn), a list a
// list of its element's type. A nullable scalar is its wrapper type, which
// the checker lets an expression compare with null and use as the scalar.
func celType(schema *ast.Schema, t *ast.Type) *cel.Type {
	if t.Elem != nil {
		return cel.ListType(celType(schema, t.Elem))
	}
	var ct *cel.Type
	switch t.NamedType {
	case "Int":
		ct = cel.IntType
	case "Float":
		ct = cel.DoubleType
	case "String", "ID":
		ct = cel.StringType
	case "Boolean":
		ct = cel.BoolType
	case "DateTime":
		return cel.TimestampType
	default:
		if def := schema.Types[t.NamedType]; def != nil && def.Kind == ast.Enum {
			ct = cel.StringType
		} else {
			return cel.MapType(cel.StringType, cel.DynType)
		}
	}
	if !t.NonNull {
		return types.NewNullableType(ct)
	}
	return ct
}

// goodsProvider is the CEL type provider of a tenant's schema: the standard
// types, and Goods with a field for each field of the tenant's Goods that
// self may read.
type goodsProvider struct {
	*types.Registry
	fields map[string]*types.FieldType
	names  []string
}

var _ types.Provider = (*goodsProvider)(nil)

func newGoodsProvider(schema *ast.Schema, readable []*ast.FieldDefinition) (*goodsProvider, error) {
	reg, err := types.NewRegistry()
	if err != nil {
		return nil, err
	}
	p := &goodsProvider{Registry: reg, fields: make(map[string]*types.FieldType, len(readable))}
	for _, f := range readable {
		name, typ := f.Name, f.Type
		p.names = append(p.names, name)
		p.fields[name] = &types.FieldType{
			Type: celType(schema, typ),
			IsSet: func(target any) bool {
				r, ok := target.(FieldReader)
				return ok && fromGo(schema, typ, r.FieldValue(name)) != nil
			},
			GetFrom: func(target any) (any, error) {
				r, ok := target.(FieldReader)
				if !ok {
					return nil, errNoGoods
				}
				return fromGo(schema, typ, r.FieldValue(name)), nil
			},
		}
	}
	return p, nil
}

// FindStructType implements types.Provider.
func (p *goodsProvider) FindStructType(name string) (*types.Type, bool) {
	if name == goodsTypeName {
		return types.NewTypeTypeWithParam(types.NewObjectType(goodsTypeName)), true
	}
	return p.Registry.FindStructType(name)
}

// FindStructFieldNames implements types.Provider.
func (p *goodsProvider) FindStructFieldNames(name string) ([]string, bool) {
	if name == goodsTypeName {
		return p.names, true
	}
	return p.Registry.FindStructFieldNames(name)
}

// FindStructFieldType implements types.Provider.
func (p *goodsProvider) FindStructFieldType(name, field string) (*types.FieldType, bool) {
	if name == goodsTypeName {
		f, ok := p.fields[field]
		return f, ok
	}
	return p.Registry.FindStructFieldType(name, field)
}

// NewValue implements types.Provider: expressions cannot make goods.
func (p *goodsProvider) NewValue(name string, fields map[string]ref.Val) ref.Val {
	if name == goodsTypeName {
		return types.NewErr("goods cannot be created in an expression")
	}
	return p.Registry.NewValue(name, fields)
}
