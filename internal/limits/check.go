package limits

import (
	"fmt"

	"github.com/tenantgraph/tenantgraph/internal/apperr"
)

// Check compares a document's measures with l. It returns nil if every
// measure is within its limit, and otherwise an *apperr.Error for the
// first limit exceeded, in this order: MaxDepth (MAX_DEPTH_LIMIT),
// MaxAliases (MAX_ALIASES_LIMIT), MaxRootFields (MAX_ROOT_FIELDS_LIMIT),
// MaxFields (MAX_HEIGHT_LIMIT), MaxDocumentFields (MAX_HEIGHT_LIMIT),
// MaxDirectives (MAX_DIRECTIVES_LIMIT) and
// MaxOperationName (MAX_OPERATION_NAME_LIMIT). A zero limit is no limit.
//
// The message states the measure and the limit, as in "the operation has
// depth 25, more than the tenant's limit of 20", and never any text of the
// document.
//
// Check bounds the operation names written in the document; the gateway
// checks a request's operationName against MaxOperationName itself.
func (l Limits) Check(m Measures) error {
	checks := [...]struct {
		code    apperr.Code
		limit   int
		measure int
		format  string
	}{
		{apperr.MaxDepthLimit, l.MaxDepth, m.Depth, "the operation has depth %d"},
		{apperr.MaxAliasesLimit, l.MaxAliases, m.Aliases, "the operation has %d aliases"},
		{apperr.MaxRootFieldsLimit, l.MaxRootFields, m.RootFields, "the operation has %d root fields"},
		{apperr.MaxHeightLimit, l.MaxFields, m.Fields, "the operation has %d selections, fragments expanded"},
		{apperr.MaxHeightLimit, l.MaxDocumentFields(), m.Total, "the document's operations and fragments have %d selections together, fragments expanded"},
		{apperr.MaxDirectivesLimit, l.MaxDirectives, m.Directives, "the operation has %d directives at one location"},
		{apperr.MaxOperationNameLimit, l.MaxOperationName, m.OperationName, "an operation name has %d bytes"},
	}
	for _, c := range checks {
		if c.limit > 0 && c.measure > c.limit {
			return &apperr.Error{
				Code:    c.code,
				Message: fmt.Sprintf(c.format+", more than the tenant's limit of %d", c.measure, c.limit),
			}
		}
	}
	return nil
}
