package loader_test

import (
	"fmt"
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/tenantgraph/tenantgraph/loader"
)

// writeDistinctTenants writes n tenants, t00000 on, each whose Goods has a
// field of its own (t00042Code for t00042) besides one all share, so that
// no two share a compiled schema.
func writeDistinctTenants(t testing.TB, dir string, n int) []string {
	t.Helper()
	ids := make([]string, n)
	for i := range ids {
		id := fmt.Sprintf("t%05d", i)
		ids[i] = id
		d := filepath.Join(dir, id)
		require.NoError(t, os.Mkdir(d, 0o755))
		require.NoError(t, os.WriteFile(filepath.Join(d, loader.ConfigFile), []byte("name: Tenant "+id+"\n"), 0o644))
		require.NoError(t, os.WriteFile(filepath.Join(d, "goods.graphqls"), fmt.Appendf(nil,
			"extend type Goods {\n  %sCode: String @filterable\n  sharedCode: String\n}\n", id), 0o644))
	}
	return ids
}

// TestTenThousandTenants loads 10,000 tenants with distinct schemas, of
// which a replica holds 64 compiled, and checks that every tenant looked
// up sees exactly its own fields, through evictions and a reload that
// changes tenants resident and not.
func TestTenThousandTenants(t *testing.T) {
	const n, resident = 10000, 64
	dir := t.TempDir()
	ids := writeDistinctTenants(t, dir, n)
	reg, compiles := countingRegistry(t, dir, resident)
	states := reg.States()
	require.Len(t, states, n)
	for _, st := range states {
		require.True(t, st.Serving, st.ID)
		require.False(t, st.Resident, st.ID)
	}
	require.Zero(t, compiles.Load(), "start-up compiles nothing")

	// A sample spread over all tenants, more than the registry holds,
	// looked up twice: the second pass finds each evicted, and compiles
	// it again.
	var sample []string
	for i := 0; i < n; i += 97 {
		sample = append(sample, ids[i])
	}
	sample = append(sample, ids[n-1])
	own := func(id string) []string {
		tn, ok := reg.Lookup(id)
		require.True(t, ok, id)
		require.Equal(t, id, tn.ID)
		return ownFields(tn)
	}
	for pass := range 2 {
		for _, id := range sample {
			require.Equal(t, []string{id + "Code", "sharedCode"}, own(id), "pass %d", pass)
			require.LessOrEqual(t, len(reg.Tenants()), resident)
		}
	}
	require.EqualValues(t, 2*len(sample), compiles.Load())

	// A reload after edits to tenants both resident (the sample's last
	// ones) and not (its first ones).
	edited := append(sample[:5:5], sample[len(sample)-5:]...)
	for _, id := range edited {
		require.NoError(t, os.WriteFile(filepath.Join(dir, id, "goods.graphqls"), fmt.Appendf(nil,
			"extend type Goods {\n  %sCode: String @filterable\n  %sNewCode: Int\n}\n", id, id), 0o644))
	}
	require.NoError(t, reg.Reload())
	for _, id := range edited {
		require.Equal(t, []string{id + "Code", id + "NewCode"}, own(id))
	}
	for _, id := range sample[5 : len(sample)-5] {
		require.Equal(t, []string{id + "Code", "sharedCode"}, own(id))
	}
}
