package loader_test

import (
	"errors"
	"fmt"

	"github.com/vektah/gqlparser/v2/ast"

	"github.com/tenantgraph/tenantgraph/loader"
)

func ExampleCompile() {
	s, err := loader.Compile([]*ast.Source{{
		Name: "tenants/customerA/goods.graphqls",
		Input: `extend type Goods {
  "Category code from the customer's ERP"
  categoryCode: String! @filterable @sortable
  taxRate: Float! @default(value: 0.1)
}`,
	}})
	if err != nil {
		fmt.Println(err)
		return
	}
	for _, f := range s.Ext.Fields {
		fmt.Println(f.Name, f.Type, f.Filterable, f.SortValue, f.Default)
	}
	fmt.Println(s.AST.Types["GoodsFilter"].Fields.ForName("categoryCode").Type)
	// Output:
	// categoryCode String! true CATEGORY_CODE <nil>
	// taxRate Float! false  0.1
	// StringFilter
}

func ExampleCompileError() {
	_, err := loader.Compile([]*ast.Source{{
		Name: "tenants/acme/goods.graphqls",
		Input: `extend type Query { secret: String }
extend type Goods { price: Int, weight: Float @filterable @sortable(desc: true) }`,
	}})
	var cerr *loader.CompileError
	if errors.As(err, &cerr) {
		for _, p := range cerr.Problems {
			fmt.Println(p)
		}
	}
	// Output:
	// tenants/acme/goods.graphqls:1:13: extend type Query: the root types belong to the gateway; a tenant may extend only type Goods
	// tenants/acme/goods.graphqls:2:21: field Goods.price is a base field: a tenant cannot redeclare or change it
	// tenants/acme/goods.graphqls:2:69: @sortable takes no arguments
}
