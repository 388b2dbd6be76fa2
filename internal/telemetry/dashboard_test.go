package telemetry_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/prometheus/client_golang/prometheus"
	dto "github.com/prometheus/client_model/go"
	"github.com/stretchr/testify/require"

	"github.com/tenantgraph/tenantgraph/internal/apperr"
	"github.com/tenantgraph/tenantgraph/internal/auth"
	"github.com/tenantgraph/tenantgraph/internal/cache"
	"github.com/tenantgraph/tenantgraph/internal/gateway"
	"github.com/tenantgraph/tenantgraph/internal/ratelimit"
	"github.com/tenantgraph/tenantgraph/internal/telemetry"
	"github.com/tenantgraph/tenantgraph/loader"
)

// dashboardFile is the Grafana dashboard of the gateway's metrics.
const dashboardFile = "../../deploy/grafana/tenantgraph.json"

// TestDashboard checks the Grafana dashboard against the registry the
// gateway serves on /metrics: every metric a query names is exported,
// with the type its functions need (counters and histogram series
// through rate(), gauges as they are), every label it filters, groups or
// names in a legend is a label of that metric, and every fixed label
// value it compares with is one the gateway exports. A renamed metric,
// label or value breaks it, and so does a new metric on no panel.
func TestDashboard(t *testing.T) {
	raw, err := os.ReadFile(dashboardFile)
	require.NoError(t, err)
	var dash dashboard
	require.NoError(t, json.Unmarshal(raw, &dash), "the dashboard is not JSON")
	exported := exportedFamilies(t)

	require.Equal(t, "tenantgraph", dash.UID)
	require.GreaterOrEqual(t, dash.SchemaVersion, 39)

	// Template variables: a Prometheus data source to pick, and tenants
	// read from the requests counter, all or several at once.
	vars := make(map[string]variable)
	for _, v := range dash.Templating.List {
		vars[v.Name] = v
	}
	require.Equal(t, "datasource", vars["datasource"].Type)
	require.Equal(t, `"prometheus"`, string(vars["datasource"].Query))
	tenant := vars["tenant"]
	require.Equal(t, "query", tenant.Type)
	require.True(t, tenant.IncludeAll && tenant.Multi, "the tenant variable offers All and several tenants")
	require.Equal(t, ".*", tenant.AllValue, "All is one regexp, not a list of 10,000 tenants")
	var query struct{ Query string }
	require.NoError(t, json.Unmarshal(tenant.Query, &query), "the tenant variable's query")
	m := labelValuesRE.FindStringSubmatch(query.Query)
	require.NotNil(t, m, "tenant variable: %s", query.Query)
	requireLabel(t, exported, m[1], m[2])

	ids := make(map[int]string)
	used := make(map[string]bool)
	var walk func([]panel)
	walk = func(panels []panel) {
		for _, p := range panels {
			require.NotEmpty(t, p.Title, "panel %d has no title", p.ID)
			require.Positive(t, p.ID, "panel %q has no id", p.Title)
			if other, ok := ids[p.ID]; ok {
				t.Errorf("panels %q and %q share id %d", other, p.Title, p.ID)
			}
			ids[p.ID] = p.Title
			walk(p.Panels)
			if p.Type == "row" {
				continue
			}
			require.NotEmpty(t, p.Targets, "panel %q has no query", p.Title)
			require.Equal(t, "${datasource}", p.Datasource.UID, "panel %q uses the datasource variable", p.Title)
			for _, tg := range p.Targets {
				require.Equal(t, "${datasource}", tg.Datasource.UID, "panel %q, query %s", p.Title, tg.RefID)
				for _, name := range checkExpr(t, exported, p.Title, tg.Expr, tg.LegendFormat) {
					used[name] = true
				}
			}
		}
	}
	walk(dash.Panels)

	for name := range exported {
		if strings.HasPrefix(name, "tenantgraph_") && !used[name] {
			t.Errorf("%s is exported but on no panel of %s", name, dashboardFile)
		}
	}
}

// dashboard is the part of a Grafana dashboard the test reads.
type dashboard struct {
	UID           string  `json:"uid"`
	SchemaVersion int     `json:"schemaVersion"`
	Panels        []panel `json:"panels"`
	Templating    struct {
		List []variable `json:"list"`
	} `json:"templating"`
}

type panel struct {
	ID         int        `json:"id"`
	Type       string     `json:"type"`
	Title      string     `json:"title"`
	Datasource datasource `json:"datasource"`
	Targets    []struct {
		RefID        string     `json:"refId"`
		Datasource   datasource `json:"datasource"`
		Expr         string     `json:"expr"`
		LegendFormat string     `json:"legendFormat"`
	} `json:"targets"`
	Panels []panel `json:"panels"` // of a collapsed row
}

type datasource struct {
	UID string `json:"uid"`
}

type variable struct {
	Name       string          `json:"name"`
	Type       string          `json:"type"`
	Query      json.RawMessage `json:"query"`
	IncludeAll bool            `json:"includeAll"`
	Multi      bool            `json:"multi"`
	AllValue   string          `json:"allValue"`
}

// family is what the registry says of one metric: its type, and the
// values each of its labels takes.
type family struct {
	typ    dto.MetricType
	labels map[string]map[string]bool
}

// exportedFamilies builds the gateway's metrics as server.go does, every
// source registered (without Redis: which series a source exports does
// not depend on its state), observes one of everything (the series of a
// labelled metric exist only once observed), and gathers them.
func exportedFamilies(t *testing.T) map[string]family {
	t.Helper()
	ctx := context.Background()
	logger := slog.New(slog.DiscardHandler)
	m := telemetry.New()
	m.ObserveRequest("acme", "query", "", time.Millisecond)
	m.ObserveRequest("acme", "", apperr.RateLimited, time.Millisecond)
	m.ObserveError(string(apperr.MaxDepthLimit))
	m.ObserveLoad("acme", time.Millisecond, nil)
	m.ObserveLoad("broken", time.Millisecond, errors.New("no"))

	var refusals gateway.Refusals
	refusals.Add("acme", apperr.RateLimited)
	c, err := cache.New(ctx, cache.Config{Logger: logger})
	require.NoError(t, err)
	t.Cleanup(func() { c.Close() })
	rl, err := ratelimit.New(ratelimit.Options{Logger: logger})
	require.NoError(t, err)
	t.Cleanup(func() { rl.Close() })
	verifier, err := auth.NewVerifier(auth.NewDevConfig())
	require.NoError(t, err)
	// A pool that never connects: only its statistics are read.
	pool, err := pgxpool.New(ctx, "postgres://127.0.0.1:1/none")
	require.NoError(t, err)
	t.Cleanup(pool.Close)
	require.NoError(t, m.Register(telemetry.Sources{
		Refusals: &refusals, Cache: c, RateLimiter: rl, Tokens: verifier,
		Documents: new(gateway.CacheCounts), PersistedQueries: new(gateway.CacheCounts),
		Tenants: tenantStates{{ID: "acme", Serving: true, Resident: true}},
		Pool:    pool,
	}))

	// A pedantic registry also checks that every metric collected was
	// described, as Describe is what the registry checks collisions by.
	pedantic := prometheus.NewPedanticRegistry()
	require.NoError(t, pedantic.Register(m.Registry()))
	fams, err := pedantic.Gather()
	require.NoError(t, err)
	out := make(map[string]family, len(fams))
	for _, f := range fams {
		fam := family{typ: f.GetType(), labels: make(map[string]map[string]bool)}
		for _, s := range f.GetMetric() {
			for _, l := range s.GetLabel() {
				if fam.labels[l.GetName()] == nil {
					fam.labels[l.GetName()] = make(map[string]bool)
				}
				fam.labels[l.GetName()][l.GetValue()] = true
			}
		}
		out[f.GetName()] = fam
	}
	return out
}

// tenantStates is a telemetry.Sources.Tenants of fixed states.
type tenantStates []loader.State

func (s tenantStates) States() []loader.State { return s }

var (
	// selectorRE matches a series selector of the gateway's registry:
	// the metric name, its label matchers and its range, if any.
	selectorRE = regexp.MustCompile(`\b((?:tenantgraph|go|process)_[a-z0-9_]+)\b(\{[^}]*\})?(\[[^\]]*\])?`)
	matcherRE  = regexp.MustCompile(`([a-zA-Z_][a-zA-Z0-9_]*)\s*(=~|!~|!=|=)\s*"((?:[^"\\]|\\.)*)"`)
	// byRE matches the start of an aggregation's grouping, which must
	// come before its argument: sum by (code) (...).
	byRE          = regexp.MustCompile(`\bby\s*\(([^)]*)\)\s*\(`)
	rangeFuncRE   = regexp.MustCompile(`\b(?:rate|increase)\(\s*$`)
	legendRE      = regexp.MustCompile(`\{\{\s*([a-zA-Z_][a-zA-Z0-9_]*)\s*\}\}`)
	labelValuesRE = regexp.MustCompile(`^label_values\(\s*([a-zA-Z_:][a-zA-Z0-9_:]*)\s*,\s*([a-zA-Z_][a-zA-Z0-9_]*)\s*\)$`)
)

// targetLabels are the labels Prometheus adds to every scraped series.
var targetLabels = []string{"instance", "job"}

// series is one selector of a query, resolved to its family.
type series struct {
	name   string // as written, e.g. tenantgraph_request_duration_seconds_bucket
	family string // as exported, e.g. tenantgraph_request_duration_seconds
	fam    family
	suffix string // "", "_bucket", "_count" or "_sum"
}

// labels reports whether s has label l: one of its family, le of a
// classic histogram's buckets, quantile of a summary, or a target label.
func (s series) hasLabel(l string) bool {
	switch {
	case s.fam.labels[l] != nil, slices.Contains(targetLabels, l):
		return true
	case l == "le":
		return s.suffix == "_bucket"
	case l == "quantile":
		return s.fam.typ == dto.MetricType_SUMMARY && s.suffix == ""
	}
	return false
}

// checkExpr checks one PromQL expression and its legend against the
// exported families, and returns the families it uses.
func checkExpr(t *testing.T, exported map[string]family, title, expr, legend string) []string {
	t.Helper()
	where := fmt.Sprintf("panel %q: %s", title, expr)
	var used []string
	// Groupings: sum by (code) (...), with the span of their argument.
	type grouping struct {
		labels   []string
		from, to int
	}
	var groupings []grouping
	for _, m := range byRE.FindAllStringSubmatchIndex(expr, -1) {
		g := grouping{from: m[1] - 1, to: closingParen(t, expr, m[1]-1)}
		for _, l := range strings.Split(expr[m[2]:m[3]], ",") {
			g.labels = append(g.labels, strings.TrimSpace(l))
		}
		groupings = append(groupings, g)
	}

	var all []series
	for _, m := range selectorRE.FindAllStringSubmatchIndex(expr, -1) {
		name, matchers, rng := expr[m[2]:m[3]], sub(expr, m[4], m[5]), sub(expr, m[6], m[7])
		s, ok := resolveSeries(exported, name)
		if !ok {
			t.Errorf("%s: %s is not a metric the gateway exports", where, name)
			continue
		}
		all = append(all, s)
		used = append(used, s.family)

		if rng != "" && !rangeFuncRE.MatchString(expr[:m[0]]) {
			t.Errorf("%s: the range of %s is not the argument of rate() or increase()", where, name)
		}
		switch typ := s.fam.typ; {
		case typ == dto.MetricType_COUNTER, s.suffix != "":
			if rng == "" {
				t.Errorf("%s: %s is a counter: read it through rate()", where, name)
			}
		case typ == dto.MetricType_HISTOGRAM:
			// The series of a native histogram: only its rate means
			// something.
			if rng == "" {
				t.Errorf("%s: %s is a native histogram: read it through rate()", where, name)
			}
		default: // gauges, and a summary's quantiles
			if rng != "" {
				t.Errorf("%s: %s is a %s: read it as it is, not through rate()", where, name, typ)
			}
		}

		for _, mm := range matcherRE.FindAllStringSubmatch(matchers, -1) {
			label, op, value := mm[1], mm[2], mm[3]
			if !s.hasLabel(label) {
				t.Errorf("%s: %s has no label %s", where, name, label)
				continue
			}
			fixed := (op == "=" || op == "!=") && !strings.Contains(value, "$")
			if fixed && s.fam.labels[label] != nil && !s.fam.labels[label][value] {
				t.Errorf("%s: %s never has %s=%q (it has %v)", where, name, label, value, keys(s.fam.labels[label]))
			}
		}

		// Every label of a grouping is a label of each series it
		// aggregates, and buckets are summed by le.
		byLE := false
		for _, g := range groupings {
			if m[0] < g.from || m[1] > g.to {
				continue
			}
			for _, l := range g.labels {
				if !s.hasLabel(l) {
					t.Errorf("%s: grouped by %s, a label %s does not have", where, l, name)
				}
				byLE = byLE || l == "le"
			}
		}
		if s.suffix == "_bucket" && !byLE {
			t.Errorf("%s: sum the buckets of %s by (le, ...)", where, name)
		}
	}
	if !selectorRE.MatchString(expr) {
		t.Errorf("%s: no metric of the gateway", where)
	}

	// A legend names labels some series of the query has.
	for _, m := range legendRE.FindAllStringSubmatch(legend, -1) {
		if !slices.ContainsFunc(all, func(s series) bool { return s.hasLabel(m[1]) }) {
			t.Errorf("%s: legend %q names %s, a label of none of its metrics", where, legend, m[1])
		}
	}
	return used
}

// resolveSeries finds the family of a series name, a histogram's or a
// summary's _bucket, _count and _sum series included.
func resolveSeries(exported map[string]family, name string) (series, bool) {
	if f, ok := exported[name]; ok {
		return series{name: name, family: name, fam: f}, true
	}
	for _, suffix := range []string{"_bucket", "_count", "_sum"} {
		base, ok := strings.CutSuffix(name, suffix)
		if !ok {
			continue
		}
		f, ok := exported[base]
		if ok && (f.typ == dto.MetricType_HISTOGRAM || f.typ == dto.MetricType_SUMMARY && suffix != "_bucket") {
			return series{name: name, family: base, fam: f, suffix: suffix}, true
		}
	}
	return series{}, false
}

// requireLabel checks that metric name is exported with label l.
func requireLabel(t *testing.T, exported map[string]family, name, l string) {
	t.Helper()
	s, ok := resolveSeries(exported, name)
	require.True(t, ok, "%s is not a metric the gateway exports", name)
	require.True(t, s.hasLabel(l), "%s has no label %s", name, l)
}

// closingParen returns the index of the parenthesis that closes the one
// at open.
func closingParen(t *testing.T, s string, open int) int {
	t.Helper()
	depth := 0
	for i := open; i < len(s); i++ {
		switch s[i] {
		case '(':
			depth++
		case ')':
			depth--
			if depth == 0 {
				return i
			}
		}
	}
	require.Failf(t, "unbalanced parentheses", "%s", s)
	return 0
}

func sub(s string, from, to int) string {
	if from < 0 {
		return ""
	}
	return s[from:to]
}

func keys(m map[string]bool) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	slices.Sort(out)
	return out
}
