package loader_test

import (
	"os"
	"strings"
	"testing"

	"github.com/tenantgraph/tenantgraph/loader"
)

// The tenant.yaml examples of the README parse, so that a platform team
// copying one gets a tenant that loads.
func TestReadmeTenantConfigs(t *testing.T) {
	readme, err := os.ReadFile("../README.md")
	if err != nil {
		t.Fatal(err)
	}
	blocks := 0
	for i, part := range strings.Split(string(readme), "```yaml\n")[1:] {
		block, _, ok := strings.Cut(part, "```")
		if !ok {
			t.Fatalf("yaml block %d does not end", i+1)
		}
		if !strings.HasPrefix(block, "name:") {
			block = "name: Example\n" + block // a part of a tenant.yaml
		}
		if _, err := loader.ParseConfig("README.md", []byte(block)); err != nil {
			t.Errorf("yaml block %d:\n%s\n%v", i+1, block, err)
		}
		blocks++
	}
	if blocks == 0 {
		t.Fatal("no yaml block in the README")
	}
}
