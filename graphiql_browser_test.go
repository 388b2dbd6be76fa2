package main

import (
	"net"
	"regexp"
	"slices"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/tenantgraph/tenantgraph/internal/testenv"
)

// goodsFieldsInDocs opens GraphiQL's documentation explorer at the type
// Goods and returns its field names, or null while it is on its way there.
const goodsFieldsInDocs = `
const docs = document.querySelector('.graphiql-doc-explorer');
if (!docs) {
  const button = document.querySelector('[aria-label="Show Documentation Explorer"]');
  if (button) button.click();
  return null;
}
const title = docs.querySelector('.graphiql-doc-explorer-title');
if (title && title.textContent.trim() === 'Goods') {
  return [...docs.querySelectorAll('.graphiql-doc-explorer-field-name')].map(e => e.textContent.trim());
}
const back = docs.querySelector('.graphiql-doc-explorer-back');
if (back) { back.click(); return null; }
const link = [...docs.querySelectorAll('a.graphiql-doc-explorer-type-name')].find(a => a.textContent.trim() === 'Goods');
if (link) link.click();
return null;`

// pick selects the option labelled label in the select element with the
// given id, as a person would.
const pick = `
const [id, label] = arguments;
const sel = document.getElementById(id);
if (!sel || sel.closest('[hidden]')) return false;
const opt = [...sel.options].find(o => o.textContent === label);
if (!opt) return false;
if (sel.value !== opt.value) {
  sel.value = opt.value;
  sel.dispatchEvent(new Event('change', {bubbles: true}));
}
return true;`

// TestGraphiQLInBrowser uses GraphiQL in headless Chromium against the
// gateway in dev mode, with the shipped tenants: picking a tenant and a
// role shows exactly that tenant's and role's fields of Goods in the
// docs; after a restart of the gateway, the page says its dev tokens are
// void and offers a reload, which brings it back.
func TestGraphiQLInBrowser(t *testing.T) {
	b := testenv.StartBrowser(t)
	l, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	addr := l.Addr().String()
	l.Close()
	env := map[string]string{"TENANTGRAPH_TENANTS_DIR": "tenants", "TENANTGRAPH_ADDR": addr}
	g := start(t, env)

	// What each dev token of the banner may see of Goods, as the gateway
	// says.
	fields := func(who string) []string {
		t.Helper()
		tokens := map[string]string{}
		for _, m := range regexp.MustCompile(`(?m)^\s+(\w+(?: \(\w+\))?)\s+(ey[\w.-]+)$`).FindAllStringSubmatch(g.stdout.String(), -1) {
			tokens[m[1]] = m[2]
		}
		data := g.graphql(t, tokens[who], `{ __type(name: "Goods") { fields { name } } }`)
		var names []string
		for _, f := range data["__type"].(map[string]any)["fields"].([]any) {
			names = append(names, f.(map[string]any)["name"].(string))
		}
		return names
	}
	docs := func(what string, want []string) {
		t.Helper()
		var got []string
		testenv.Eventually(t, 20*time.Second, func() bool {
			got = nil
			b.Eval(&got, goodsFieldsInDocs)
			return slices.Equal(got, want)
		}, "%s: docs of Goods show %q, want %q", what, got, want)
	}

	b.Open(g.url)
	b.WaitFor(20*time.Second, "GraphiQL renders", `return !!document.querySelector('.graphiql-container')`)

	acme := fields("acme")
	require.NotContains(t, acme, "categoryCode")
	b.WaitFor(5*time.Second, "pick acme", pick, "graphiql-tenant", "acme")
	docs("acme", acme)

	b.WaitFor(5*time.Second, "pick customerA", pick, "graphiql-tenant", "customerA")
	docs("customerA, all roles", fields("customerA"))
	for _, role := range []string{"viewer", "editor", "buyer"} {
		want := fields("customerA (" + role + ")")
		require.Equal(t, role == "buyer", slices.Contains(want, "purchasePrice"), "only a buyer sees purchasePrice")
		b.WaitFor(5*time.Second, "pick "+role, pick, "graphiql-role", role)
		docs("customerA, "+role, want)
	}

	// A restart makes a new signing key: the page's tokens are void.
	g.stop(t)
	g = start(t, env)
	b.WaitFor(5*time.Second, "pick viewer", pick, "graphiql-role", "viewer")
	b.WaitFor(20*time.Second, "the restart hint", `
const n = document.getElementById('graphiql-notice');
return !!n && !n.hidden && n.textContent.includes('restarted') && !!n.querySelector('button');`)
	b.Eval(nil, `document.querySelector('#graphiql-notice button').click()`)
	b.WaitFor(20*time.Second, "GraphiQL renders after the reload", `return !!document.querySelector('.graphiql-container')`)
	docs("customerA, viewer, after the reload", fields("customerA (viewer)"))
	var hidden bool
	b.Eval(&hidden, `return document.getElementById('graphiql-notice').hidden`)
	require.True(t, hidden, "no hint once the page has the new tokens")
}
