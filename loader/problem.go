package loader

import (
	"cmp"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"

	"github.com/vektah/gqlparser/v2/ast"
	"github.com/vektah/gqlparser/v2/gqlerror"
)

// CompileError is the error Compile returns when a tenant's extension files
// do not parse or break the extension policy. It holds every problem found,
// not just the first, sorted by position.
type CompileError struct {
	Problems []Problem
}

// Error returns one "file:line:col: message" line per problem.
func (e *CompileError) Error() string {
	var b strings.Builder
	for i, p := range e.Problems {
		if i > 0 {
			b.WriteByte('\n')
		}
		b.WriteString(p.String())
	}
	return b.String()
}

// Problem is one problem in a tenant's extension files.
type Problem struct {
	// File is the name of the source, such as
	// "tenants/customerA/goods.graphqls".
	File string
	// Line and Column locate the problem, counting from 1; they are 0 when
	// unknown.
	Line, Column int
	// Message says what is wrong, naming the thing at fault.
	Message string
}

// String returns the problem as "file:line:col: message", the form editors
// and CI logs link to.
func (p Problem) String() string {
	var b strings.Builder
	b.WriteString(p.File)
	if p.Line > 0 {
		b.WriteByte(':')
		b.WriteString(strconv.Itoa(p.Line))
		if p.Column > 0 {
			b.WriteByte(':')
			b.WriteString(strconv.Itoa(p.Column))
		}
	}
	b.WriteString(": ")
	b.WriteString(p.Message)
	return b.String()
}

// problems collects the problems of one compilation.
type problems struct {
	list []Problem
}

// addf records a problem at pos, which may be nil.
func (ps *problems) addf(pos *ast.Position, format string, args ...any) {
	p := Problem{Message: fmt.Sprintf(format, args...)}
	if pos != nil {
		p.Line, p.Column = pos.Line, pos.Column
		if pos.Src != nil {
			p.File = pos.Src.Name
		}
	}
	ps.list = append(ps.list, p)
}

// addGQL records an error of gqlparser's about src.
func (ps *problems) addGQL(src *ast.Source, err error) {
	p := Problem{File: src.Name, Message: err.Error()}
	var gerr *gqlerror.Error
	if errors.As(err, &gerr) {
		p.Message = gerr.Message
		if len(gerr.Locations) > 0 && gerr.Locations[0].Line > 0 {
			p.Line, p.Column = gerr.Locations[0].Line, gerr.Locations[0].Column
		}
		if file, _ := gerr.Extensions["file"].(string); file != "" {
			p.File = file
		}
	}
	ps.list = append(ps.list, p)
}

// err returns the problems as a *CompileError sorted by position, or nil if
// there are none. Problems at the same position keep the order they were
// found in.
func (ps *problems) err() error {
	if len(ps.list) == 0 {
		return nil
	}
	list := slices.Clone(ps.list)
	slices.SortStableFunc(list, func(a, b Problem) int {
		return cmp.Or(
			cmp.Compare(a.File, b.File),
			cmp.Compare(a.Line, b.Line),
			cmp.Compare(a.Column, b.Column),
		)
	})
	return &CompileError{Problems: list}
}
