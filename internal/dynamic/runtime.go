package dynamic

// This file holds what the executor mirrors of gqlgen's runtime
// (github.com/99designs/gqlgen/graphql, v0.17.95) beyond its documented
// API: messages, error wrapping and output formats that generated code
// produces and the executor must reproduce byte for byte. They move
// between gqlgen releases; when upgrading gqlgen, check each against the
// file named in its comment, then run the differential test.

import (
	"context"
	"errors"
	"io"
	"strconv"

	"github.com/99designs/gqlgen/graphql"
	"github.com/vektah/gqlparser/v2/ast"
	"github.com/vektah/gqlparser/v2/gqlerror"
)

const (
	// msgUnsupportedOperation answers subscriptions (generated Exec).
	msgUnsupportedOperation = "unsupported GraphQL operation"
	// msgIntrospectionDisabled is the resolver error of __schema and
	// __type when OperationContext.DisableIntrospection is set
	// (execution_context_state.go).
	msgIntrospectionDisabled = "introspection disabled"
	// msgNullValue is the error of a null value in a non-null position
	// (generated marshalN* functions).
	msgNullValue = "the requested element is null which the schema does not allow"
	// msgMustNotBeNull is the error of a resolver's nil result for a
	// non-null field (resolve_field.go).
	msgMustNotBeNull = "must not be null"
	// msgNonFiniteFloat is the error of an infinite or NaN Float, added
	// when the response is marshalled, not when the field is resolved, and
	// without null propagation (float.go, MarshalFloatContext).
	msgNonFiniteFloat = "cannot marshal infinite no NaN float values"
)

// errorOnPath is graphql.ErrorOnPath (error.go) with the path given
// rather than read from a context: a *gqlerror.Error in err's chain gets
// path if it has none; any other error is wrapped in one.
func errorOnPath(path ast.Path, err error) error {
	if err == nil {
		return nil
	}
	if gqlErr, ok := errors.AsType[*gqlerror.Error](err); ok {
		if gqlErr.Path == nil {
			gqlErr.Path = path
		}
		return err
	}
	return gqlerror.WrapPath(path, err)
}

// appendQuoted appends s as a JSON string, escaped exactly as gqlgen's
// MarshalString (string.go, writeQuotedString): control characters,
// backslash and quote, nothing else. Bytes that are not valid UTF-8 pass
// unchanged, as there.
func appendQuoted(buf []byte, s string) []byte {
	appendQuotedTo(&buf, s)
	return buf
}

// appendQuotedTo is appendQuoted appending to *buf in place, which costs
// a store of the length alone unless the buffer grows (see writer).
func appendQuotedTo(buf *[]byte, s string) {
	*buf = append(*buf, '"')
	start := 0
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c >= 0x20 && c != '\\' && c != '"' {
			continue
		}
		*buf = append(*buf, s[start:i]...)
		switch c {
		case '\t':
			*buf = append(*buf, '\\', 't')
		case '\r':
			*buf = append(*buf, '\\', 'r')
		case '\n':
			*buf = append(*buf, '\\', 'n')
		case '\\':
			*buf = append(*buf, '\\', '\\')
		case '"':
			*buf = append(*buf, '\\', '"')
		default:
			*buf = append(*buf, '\\', 'u', '0', '0', hexDigits[c>>4], hexDigits[c&0xf])
		}
		start = i + 1
	}
	*buf = append(*buf, s[start:]...)
	*buf = append(*buf, '"')
}

const hexDigits = "0123456789ABCDEF"

// appendFloat appends f as gqlgen's MarshalFloat does (float.go:
// fmt.Fprintf(w, "%g", f)), for finite f.
func appendFloat(buf []byte, f float64) []byte {
	return strconv.AppendFloat(buf, f, 'g', -1, 64)
}

// A writer is an io.Writer, for graphql.Marshaler.
var _ io.Writer = (*writer)(nil)

// The functions below are gqlgen's runtime API that the executor uses,
// gathered here to keep the one place to look when gqlgen changes.

// collectFields is graphql.CollectFields: the fields of sel that apply to
// an object whose type satisfies the given type conditions, merged by
// response name, after @skip and @include.
func collectFields(oc *graphql.OperationContext, sel ast.SelectionSet, satisfies []string) []graphql.CollectedField {
	return graphql.CollectFields(oc, sel, satisfies)
}

// withFieldContext returns ctx with fc, whose parent becomes ctx's
// FieldContext.
func withFieldContext(ctx context.Context, fc *graphql.FieldContext) context.Context {
	return graphql.WithFieldContext(ctx, fc)
}

// rootFieldContext is the FieldContext generated code puts above the
// fields of the root type typeName.
func rootFieldContext(typeName string) *graphql.FieldContext {
	return &graphql.FieldContext{Object: typeName}
}

// resolverFieldContext is the FieldContext of a resolver-backed field, as
// generated code's fieldContext_* functions make it.
func resolverFieldContext(object string, cf graphql.CollectedField, args map[string]any, isResolver bool) *graphql.FieldContext {
	return &graphql.FieldContext{Object: object, Field: cf, Args: args, IsMethod: true, IsResolver: isResolver}
}

// valueFieldContext and indexFieldContext are the FieldContexts of a field
// read from its parent and of a list element, made only as the parents of
// a resolver-backed field's FieldContext.
func valueFieldContext(object string, cf graphql.CollectedField) *graphql.FieldContext {
	return &graphql.FieldContext{Object: object, Field: cf}
}

func indexFieldContext(i int) *graphql.FieldContext {
	return &graphql.FieldContext{Index: &i}
}

// withRootFieldContext returns ctx with the RootFieldContext of the root
// field cf, as generated code makes it (Object is the field's name there).
func withRootFieldContext(ctx context.Context, cf graphql.CollectedField) context.Context {
	return graphql.WithRootFieldContext(ctx, &graphql.RootFieldContext{Object: cf.Name, Field: cf})
}

// addError reports err through the server's error presenter.
func addError(ctx context.Context, err error) { graphql.AddError(ctx, err) }

// hasFieldError reports whether an error was reported at fc's path.
func hasFieldError(ctx context.Context, fc *graphql.FieldContext) bool {
	return graphql.HasFieldError(ctx, fc)
}

// addFieldLocation gives a resolver's error the location of the field in
// ctx's FieldContext, as gqlgen's resolveField does.
func addFieldLocation(ctx context.Context, err error) error {
	return graphql.AddFieldLocationToError(ctx, err)
}
