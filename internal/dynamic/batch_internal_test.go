package dynamic

import (
	"testing"

	"github.com/stretchr/testify/require"
)

func TestDistinctParents(t *testing.T) {
	type pair struct{ first, second int }
	p, q := &pair{}, &pair{}
	m := map[string]any{"a": 1}
	for _, tt := range []struct {
		name     string
		parents  []any
		distinct []any
		at       []int32 // nil: the identity
	}{
		{"distinct pointers are the parents themselves", []any{p, q}, []any{p, q}, nil},
		{"nulls are left out", []any{nil, p, nil, q}, []any{p, q}, []int32{-1, 0, -1, 1}},
		{"duplicates once, in the order they first appear", []any{q, p, q, nil, p}, []any{q, p}, []int32{0, 1, 0, -1, 1}},
		{"values that are not pointers", []any{"x", "y", "x"}, []any{"x", "y"}, []int32{0, 1, 0}},
		{"values that cannot be compared are left out", []any{m, p, m}, []any{p}, []int32{-1, 0, -1}},
		{"pointers of two types to one address are two values", []any{p, &p.first, p}, []any{p, &p.first}, []int32{0, 1, 0}},
		{"no parents", []any{nil}, nil, []int32{-1}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			distinct, at := distinctParents(tt.parents)
			require.Len(t, distinct, len(tt.distinct))
			for i := range distinct {
				require.True(t, distinct[i] == tt.distinct[i], "distinct[%d]", i)
			}
			require.Equal(t, tt.at, at)
		})
	}
}
