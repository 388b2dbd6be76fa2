package upstream

import (
	"encoding/json"
	"maps"
	"testing"

	"github.com/stretchr/testify/require"
)

// TestEntitiesRequestIsJSONMarshal holds entitiesRequest to the body
// json.Marshal makes of the same request, byte for byte.
func TestEntitiesRequestIsJSONMarshal(t *testing.T) {
	type rep struct {
		Typename string `json:"__typename"`
		ID       string `json:"id"`
	}
	query := `query($representations:[_Any!]!,$a0:Unit,$a1:[String!]){_entities(representations:$representations){...on Goods{reserved(unit:$a0,at:$a1)}}}`
	cases := map[string]struct {
		args map[string]any
		ids  []string
	}{
		"no arguments": {ids: []string{"0193b6c2-7d7e-7a3c-9d2f-000000000001", "goods-2"}},
		"arguments": {
			args: map[string]any{"a0": "BOXES", "a1": []any{"<b>", "x&y"}, "a2": nil, "a10": map[string]any{"to": json.Number("10")}},
			ids:  []string{"a"},
		},
		"ids json.Marshal escapes": {ids: []string{
			`quote"d`, `back\slash`, "new\nline", "<script>", "a&b", "caf\u00e9", "\u2028", "bad \xff utf-8", "del\x7f", "",
		}},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			vars := maps.Clone(tc.args)
			if vars == nil {
				vars = map[string]any{}
			}
			reps := make([]rep, len(tc.ids))
			for i, id := range tc.ids {
				reps[i] = rep{"Goods", id}
			}
			vars["representations"] = reps
			want, err := json.Marshal(request{Query: query, Variables: vars})
			require.NoError(t, err)
			got, err := entitiesRequest(query, tc.args, "Goods", tc.ids)
			require.NoError(t, err)
			require.Equal(t, string(want), string(got))
		})
	}
	_, err := entitiesRequest(query, map[string]any{"a0": func() {}}, "Goods", []string{"a"})
	require.Error(t, err, "a value json.Marshal refuses")
}
