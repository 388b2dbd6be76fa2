package loader

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/vektah/gqlparser/v2/ast"
	"github.com/vektah/gqlparser/v2/parser"

	"github.com/tenantgraph/tenantgraph/internal/upstream"
)

// sdlTimeout bounds the fetch of an upstream's SDL when its tenant loads.
const sdlTimeout = 2 * time.Second

// upstreamFields returns the fields of Goods that each upstream resolves,
// by upstream name, from the @upstream directives of s.
func upstreamFields(s *ast.Schema) map[string][]*ast.FieldDefinition {
	var out map[string][]*ast.FieldDefinition
	for _, f := range s.Types[goodsName].Fields {
		dir := f.Directives.ForName(upstreamDirective)
		if dir == nil {
			continue
		}
		name := dir.Arguments.ForName("name").Value.Raw
		if out == nil {
			out = map[string][]*ast.FieldDefinition{}
		}
		out[name] = append(out[name], f)
	}
	return out
}

// Upstreams returns the names of the tenant's upstreams that fields of s
// use, and those fields' names.
func (s *Schema) Upstreams() map[string][]string {
	out := map[string][]string{}
	for name, fields := range upstreamFields(s.Authoring) {
		for _, f := range fields {
			out[name] = append(out[name], f.Name)
		}
	}
	return out
}

// upstreams returns the clients of the upstreams of a tenant being loaded
// from src with the schema rt. It refuses an @upstream naming no upstream
// of the tenant.yaml, and an upstream URL its guard refuses; when an
// upstream answers, it checks that the types it gives the fields match
// the tenant's (one that does not answer is logged, and checked when it
// does at a later load).
func (r *Registry) upstreams(src *tenantSource, rt *Runtime) (map[string]*upstream.Client, error) {
	cfg := src.config
	used := upstreamFields(rt.Schema.Authoring)
	if len(cfg.Upstreams) == 0 && len(used) == 0 {
		return nil, nil
	}
	if err := undeclaredUpstreams(cfg, used); err != nil {
		return nil, err
	}
	yamlPath := filepath.Join(src.dir, ConfigFile)
	secrets := slices.Collect(maps.Keys(cfg.Secrets))
	var errs []error
	clients := make(map[string]*upstream.Client, len(cfg.Upstreams))
	kept := false
	defer func() {
		// On an error, or a panic on its way to the load's recover.
		if !kept {
			closeAll(clients)
		}
	}()
	for _, name := range slices.Sorted(maps.Keys(cfg.Upstreams)) {
		spec := cfg.Upstreams[name]
		if err := spec.Validate(r.opts.Guard, secrets); err != nil {
			for _, e := range unjoin(err) {
				key, _, _ := strings.Cut(e.Error(), ":")
				errs = append(errs, fmt.Errorf("%s: upstreams.%s.%v", position(yamlPath, src.rawConfig, "$.upstreams."+name+"."+key), name, e))
			}
			continue
		}
		if r.opts.NewUpstream == nil {
			errs = append(errs, fmt.Errorf("%s: upstreams are not enabled in this gateway", yamlPath))
			break
		}
		c, err := r.opts.NewUpstream(src.id, cfg.Secrets, name, spec)
		if err != nil {
			errs = append(errs, fmt.Errorf("%s: upstreams.%s: %w", yamlPath, name, err))
			continue
		}
		clients[name] = c
	}
	if err := errors.Join(errs...); err != nil {
		return nil, err
	}
	// Sources that compiled before were checked then: an upstream that
	// answers otherwise for a moment (a rolling deploy) must not take a
	// tenant that compiles again after an eviction out of service.
	if !src.typesChecked.Load() {
		if err := r.checkUpstreamTypes(src.id, rt.Schema.Authoring, used, clients); err != nil {
			return nil, err
		}
	}
	kept = true
	return clients, nil
}

// undeclaredUpstreams reports @upstream fields naming no upstream of cfg.
func undeclaredUpstreams(cfg TenantConfig, used map[string][]*ast.FieldDefinition) error {
	var ps problems
	for _, name := range slices.Sorted(maps.Keys(used)) {
		if _, ok := cfg.Upstreams[name]; !ok {
			for _, f := range used[name] {
				ps.addf(f.Directives.ForName(upstreamDirective).Position,
					"@upstream on Goods.%s: tenant.yaml declares no upstream %q under upstreams", f.Name, name)
			}
		}
	}
	return ps.err()
}

func closeAll(clients map[string]*upstream.Client) {
	for _, c := range clients {
		c.Close()
	}
}

// checkUpstreamTypes fetches the SDL of every upstream that fields use, at
// once, and reports each field whose type the upstream's does not match.
func (r *Registry) checkUpstreamTypes(tenantID string, s *ast.Schema, used map[string][]*ast.FieldDefinition, clients map[string]*upstream.Client) error {
	ctx, cancel := context.WithTimeout(context.Background(), sdlTimeout)
	defer cancel()
	var mu sync.Mutex
	var ps problems
	var wg sync.WaitGroup
	for name, fields := range used {
		c := clients[name]
		wg.Go(func() {
			defer func() {
				// As when the upstream gives no schema: its types are
				// not checked, and the tenant loads.
				if p := recover(); p != nil {
					r.panicked(tenantID, "checking the schema of upstream "+name, p)
				}
			}()
			sdl, err := c.SDL(ctx)
			if err != nil {
				r.opts.Logger.Warn("upstream did not give its schema; the types of its fields are not checked",
					"tenant", tenantID, "upstream", name, "error", err)
				return
			}
			doc, err := parser.ParseSchema(&ast.Source{Name: name, Input: sdl})
			if err != nil {
				mu.Lock()
				defer mu.Unlock()
				ps.addf(fields[0].Directives.ForName(upstreamDirective).Position, "upstream %s gives a schema that does not parse: %v", name, err)
				return
			}
			m := &typeMatcher{tenant: s, upstream: definitions(doc)}
			for _, f := range fields {
				if msg := m.field(goodsName, f); msg != "" {
					func() {
						mu.Lock()
						defer mu.Unlock() // even through a panic: see above
						ps.addf(f.Position, "Goods.%s: upstream %s %s", f.Name, name, msg)
					}()
				}
			}
		})
	}
	wg.Wait()
	return ps.err()
}

// definitions returns the fields of the types of a parsed SDL, by type,
// definitions and extensions merged.
func definitions(doc *ast.SchemaDocument) map[string]*ast.Definition {
	defs := map[string]*ast.Definition{}
	for _, list := range []ast.DefinitionList{doc.Definitions, doc.Extensions} {
		for _, d := range list {
			if prev := defs[d.Name]; prev != nil {
				merged := *prev
				merged.Fields = append(slices.Clip(prev.Fields), d.Fields...)
				merged.EnumValues = append(slices.Clip(prev.EnumValues), d.EnumValues...)
				defs[d.Name] = &merged
				continue
			}
			defs[d.Name] = d
		}
	}
	return defs
}

// typeMatcher compares the tenant's types with an upstream's.
type typeMatcher struct {
	tenant   *ast.Schema
	upstream map[string]*ast.Definition
}

// field returns why the upstream's field f of type typ does not match the
// tenant's f, or "".
func (m *typeMatcher) field(typ string, f *ast.FieldDefinition) string {
	def := m.upstream[typ]
	if def == nil {
		return "has no type " + typ
	}
	uf := def.Fields.ForName(f.Name)
	if uf == nil {
		return fmt.Sprintf("has no field %s.%s", typ, f.Name)
	}
	if msg := m.typ(f.Type, uf.Type); msg != "" {
		return fmt.Sprintf("gives %s.%s the type %s: %s", typ, f.Name, uf.Type.String(), msg)
	}
	return ""
}

// typ returns why values of the upstream's type up cannot be served as the
// tenant's type want, or "". The upstream may be stricter (non-null where
// the tenant is nullable, fewer enum values, more fields), not looser.
func (m *typeMatcher) typ(want, up *ast.Type) string {
	if want.NonNull && !up.NonNull {
		return "it may be null, and the field is non-null"
	}
	if (want.Elem == nil) != (up.Elem == nil) {
		return "one is a list and the other is not"
	}
	if want.Elem != nil {
		return m.typ(want.Elem, up.Elem)
	}
	if want.NamedType != up.NamedType {
		return "the field is of type " + want.NamedType
	}
	def := m.tenant.Types[want.NamedType]
	if def == nil || def.BuiltIn {
		return ""
	}
	udef := m.upstream[up.NamedType]
	switch def.Kind {
	case ast.Enum:
		if udef == nil {
			return "its schema has no enum " + up.NamedType
		}
		for _, v := range udef.EnumValues {
			if def.EnumValues.ForName(v.Name) == nil {
				return fmt.Sprintf("it has a value %s.%s the tenant does not", up.NamedType, v.Name)
			}
		}
	case ast.Object:
		for _, f := range def.Fields {
			if msg := m.field(def.Name, f); msg != "" {
				return "it " + msg
			}
		}
	}
	return ""
}
