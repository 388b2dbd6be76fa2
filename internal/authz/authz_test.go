package authz_test

import (
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
	"github.com/vektah/gqlparser/v2/ast"

	"github.com/tenantgraph/tenantgraph/internal/apperr"
	"github.com/tenantgraph/tenantgraph/internal/authz"
	"github.com/tenantgraph/tenantgraph/loader"
)

// tenantSDL restricts a field of each kind: a Goods field that is
// filterable and sortable, a Goods field whose value object is reached by
// nothing else, a field of a value object and an enum value.
const tenantSDL = `
enum Grade {
  A
  B
  SECRET @requiresScopes(scopes: [["grade:secret"]])
}

type Supplier {
  name: String
}

type Box {
  width: Float
  weight: Float @requiresScopes(scopes: [["box:weight"]])
}

extend type Goods {
  grade: Grade @filterable @sortable
  purchasePrice: Float @requiresScopes(scopes: [["goods:cost"]]) @filterable @sortable
  supplier: Supplier @requiresScopes(scopes: [["goods:cost"], ["admin"]])
  box: Box
}
`

var fullConfig = &authz.Config{
	Roles: map[string][]string{
		"viewer": {"goods:read"},
		"editor": {"goods:read", "goods:write"},
		"buyer":  {"goods:read", "goods:cost"},
	},
	Operations: map[string]authz.Requirement{
		"goods":       {{"goods:read"}},
		"goodsList":   {{"goods:read"}},
		"createGoods": {{"goods:write"}},
		"updateGoods": {{"goods:write"}},
		"deleteGoods": {{"goods:write"}},
	},
}

func compile(t *testing.T, sdl string) *ast.Schema {
	t.Helper()
	s, err := loader.Compile([]*ast.Source{{Name: "tenants/t/goods.graphqls", Input: sdl}})
	require.NoError(t, err)
	return s.Authoring
}

func TestNewPolicyWithoutRestrictions(t *testing.T) {
	p := authz.NewPolicy(compile(t, `extend type Goods { note: String }`), nil)
	require.Nil(t, p, "nothing is restricted")
	g := p.Grant(authz.NewScopes())
	require.True(t, g.All())
	require.Nil(t, g.Access())
}

func TestScopes(t *testing.T) {
	p := authz.NewPolicy(compile(t, tenantSDL), fullConfig)
	s := p.Scopes([]string{"openid", "goods:cost", "profile"}, []string{"editor", "unknown-role"})
	require.Equal(t, []string{"goods:cost", "goods:read", "goods:write"}, s.List(),
		"the token's scopes and its roles', without those no requirement names")

	same := p.Grant(p.Scopes([]string{"goods:read", "email"}, nil))
	viewer := p.Grant(p.Scopes(nil, []string{"viewer"}))
	require.Equal(t, viewer, same, "callers granted the same have equal grants")
	require.Equal(t, viewer.Key(), same.Key())
	require.NotEqual(t, viewer.Key(), p.Grant(p.Scopes(nil, []string{"buyer"})).Key())
	require.False(t, viewer.All())
	all := p.Grant(authz.NewScopes([]string{"goods:read", "goods:write", "goods:cost", "grade:secret", "box:weight"}))
	require.True(t, all.All())
	met, of := viewer.Met()
	require.Equal(t, 6, of, "goods:read, goods:write, goods:cost, goods:cost|admin, grade:secret, box:weight")
	require.Equal(t, 1, met)
}

func TestRequirementMetBy(t *testing.T) {
	req := authz.Requirement{{"a", "b"}, {"c"}}
	for _, tt := range []struct {
		scopes []string
		want   bool
	}{
		{nil, false},
		{[]string{"a"}, false},
		{[]string{"a", "b"}, true},
		{[]string{"c"}, true},
		{[]string{"b", "x", "a"}, true},
		{[]string{"A", "B"}, false},
	} {
		require.Equal(t, tt.want, req.MetBy(authz.NewScopes(tt.scopes)), "%v", tt.scopes)
	}
}

func TestCheckScope(t *testing.T) {
	for s, ok := range map[string]bool{
		"goods:read":              true,
		"https://api/x.read":      true,
		"!#$%&'()*+,-./:;<=>?@[]": true,
		"":                        false,
		"two words":               false,
		`quo"te`:                  false,
		`back\slash`:              false,
		"tab\t":                   false,
		"ü":                       false,
		strings.Repeat("a", 129):  false,
	} {
		require.Equal(t, ok, authz.CheckScope(s) == nil, "%q", s)
	}
}

func TestConfigValidate(t *testing.T) {
	roots := []string{"goods", "goodsList", "createGoods"}
	require.NoError(t, (&authz.Config{Roles: fullConfig.Roles, Operations: map[string]authz.Requirement{"goods": {{"a"}}}}).Validate(roots))
	err := (&authz.Config{
		RolesClaim:   "exp",
		Unauthorized: "ignore",
		Roles:        map[string][]string{"bad role": {"ok"}, "r": {"bad scope", ""}},
		Operations: map[string]authz.Requirement{
			"goodz":       {{"a"}},
			"goods":       {},
			"createGoods": {{}},
		},
	}).Validate(roots)
	require.Error(t, err)
	for _, want := range []string{
		`rolesClaim: "exp" is a registered claim`,
		`unauthorized: "ignore" is not hide or reject`,
		`roles: role "bad role"`,
		`roles.r: scope "bad scope"`,
		`roles.r: scope ""`,
		`operations: "goodz" is not a root field`,
		`operations.goods: needs at least one list of scopes`,
		`operations.createGoods: alternative 1 is empty`,
	} {
		require.Contains(t, err.Error(), want)
	}
}

// names returns the names of the members of def: fields (but __schema and
// __type), input fields or enum values.
func names(def *ast.Definition) []string {
	var out []string
	for _, f := range def.Fields {
		if !strings.HasPrefix(f.Name, "__") {
			out = append(out, f.Name)
		}
	}
	for _, v := range def.EnumValues {
		out = append(out, v.Name)
	}
	return out
}

func TestGrantSchema(t *testing.T) {
	full := compile(t, tenantSDL)
	before := len(full.Types["Goods"].Fields)
	p := authz.NewPolicy(full, fullConfig)

	t.Run("viewer", func(t *testing.T) {
		s, ok := p.Grant(p.Scopes(nil, []string{"viewer"})).Schema()
		require.True(t, ok)
		require.Equal(t, []string{"id", "name", "price", "description", "createdAt", "updatedAt", "grade", "box"}, names(s.Types["Goods"]))
		require.Equal(t, []string{"goods", "goodsList"}, names(s.Query))
		require.Nil(t, s.Mutation, "a schema without mutation fields has no Mutation type")
		require.Nil(t, s.Types["Mutation"])
		for _, gone := range []string{"Supplier", "SupplierInput", "CreateGoodsInput", "UpdateGoodsInput", "BoxInput"} {
			require.Nil(t, s.Types[gone], "%s is reached only by what the viewer may not use", gone)
		}
		require.Equal(t, []string{"A", "B"}, names(s.Types["Grade"]))
		require.Equal(t, []string{"width"}, names(s.Types["Box"]))
		require.NotContains(t, names(s.Types["GoodsFilter"]), "purchasePrice")
		require.Contains(t, names(s.Types["GoodsFilter"]), "grade")
		require.Equal(t, []string{"eq", "in"}, names(s.Types["GradeFilter"]))
		require.NotContains(t, names(s.Types["GoodsSortField"]), "PURCHASE_PRICE")
		require.Contains(t, names(s.Types["GoodsSortField"]), "GRADE")
		require.NotNil(t, s.Types["String"], "built-in types stay")
		require.Same(t, full.Types["PageInfo"], s.Types["PageInfo"], "definitions that lose nothing are shared")
	})

	t.Run("editor", func(t *testing.T) {
		s, ok := p.Grant(p.Scopes(nil, []string{"editor"})).Schema()
		require.True(t, ok)
		require.Equal(t, []string{"createGoods", "updateGoods", "deleteGoods"}, names(s.Mutation))
		require.NotContains(t, names(s.Types["CreateGoodsInput"]), "purchasePrice")
		require.NotContains(t, names(s.Types["CreateGoodsInput"]), "supplier")
		require.NotContains(t, names(s.Types["UpdateGoodsInput"]), "purchasePrice")
		require.Equal(t, []string{"width"}, names(s.Types["BoxInput"]))
	})

	t.Run("admin sees the supplier, not the price", func(t *testing.T) {
		s, ok := p.Grant(authz.NewScopes([]string{"goods:read", "admin"})).Schema()
		require.True(t, ok)
		require.Contains(t, names(s.Types["Goods"]), "supplier")
		require.NotContains(t, names(s.Types["Goods"]), "purchasePrice")
		require.NotNil(t, s.Types["Supplier"])
	})

	t.Run("no scopes", func(t *testing.T) {
		s, ok := p.Grant(authz.NewScopes()).Schema()
		require.False(t, ok, "no field of Query is left")
		require.Nil(t, s)
	})

	t.Run("a type left empty takes its fields along", func(t *testing.T) {
		full := compile(t, `
			type Secret { a: Int @requiresScopes(scopes: [["s"]]) b: Int @requiresScopes(scopes: [["s"]]) }
			enum Hidden { X @requiresScopes(scopes: [["s"]]) }
			extend type Goods { secret: Secret hidden: Hidden @filterable note: String }`)
		p := authz.NewPolicy(full, nil)
		s, ok := p.Grant(authz.NewScopes()).Schema()
		require.True(t, ok)
		require.Equal(t, []string{"id", "name", "price", "description", "createdAt", "updatedAt", "note"}, names(s.Types["Goods"]))
		for _, gone := range []string{"Secret", "SecretInput", "Hidden", "HiddenFilter"} {
			require.Nil(t, s.Types[gone], gone)
		}
		require.NotContains(t, names(s.Types["GoodsFilter"]), "hidden")
		require.NotContains(t, names(s.Types["CreateGoodsInput"]), "secret")
	})

	require.Len(t, full.Types["Goods"].Fields, before, "filtering does not change the tenant's schema")
	require.Contains(t, names(full.Types["Grade"]), "SECRET")
	require.NotNil(t, full.Mutation)
}

func TestAccess(t *testing.T) {
	p := authz.NewPolicy(compile(t, tenantSDL), fullConfig)
	a := p.Grant(p.Scopes(nil, []string{"viewer"})).Access()
	require.NotNil(t, a)

	require.NoError(t, a.Field("Goods", "name"))
	require.NoError(t, a.Field("Query", "goodsList"))
	require.NoError(t, a.InputField("GoodsFilter", "grade"))
	require.NoError(t, a.EnumValue("Grade", "A"))
	require.False(t, a.RestrictsEnum("SortDirection"))
	require.True(t, a.RestrictsEnum("Grade"))
	require.True(t, a.RestrictsEnum("GoodsSortField"))

	for _, err := range []error{
		a.Field("Goods", "purchasePrice"),
		a.Field("Mutation", "createGoods"),
		a.InputField("GoodsFilter", "purchasePrice"),
		a.InputField("BoxInput", "weight"),
		a.EnumValue("GoodsSortField", "PURCHASE_PRICE"),
		a.EnumValue("Grade", "SECRET"),
	} {
		ae, ok := apperr.As(err)
		require.True(t, ok, "%v", err)
		require.Equal(t, apperr.Forbidden, ae.Code)
	}
	err := a.EnumValue("Grade", "SECRET")
	require.NotContains(t, err.Error(), "SECRET", "the error of a value in a result does not name the value")

	buyer := p.Grant(p.Scopes(nil, []string{"buyer"})).Access()
	require.NoError(t, buyer.Field("Goods", "purchasePrice"))
	require.NoError(t, buyer.Field("Goods", "supplier"))
	require.Error(t, buyer.Field("Mutation", "createGoods"))
	require.True(t, buyer.RestrictsEnum("Grade"), "buyers do not hold grade:secret")
}
