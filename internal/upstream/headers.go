package upstream

import (
	"fmt"
	"maps"
	"net/http"
	"slices"
	"strings"
)

// reservedHeaders are headers an upstream's headers may not set: the
// client sets them itself, or they belong to the connection.
var reservedHeaders = map[string]bool{
	"Accept":              true,
	"Accept-Encoding":     true,
	"Connection":          true,
	"Content-Encoding":    true,
	"Content-Length":      true,
	"Content-Type":        true,
	"Host":                true,
	"Idempotency-Key":     true,
	"Keep-Alive":          true,
	"Proxy-Authorization": true,
	"Proxy-Connection":    true,
	"Te":                  true,
	"Trailer":             true,
	"Transfer-Encoding":   true,
	"Upgrade":             true,
}

// part is a piece of a header's value: literal text, or a reference to
// the secret named secret.
type part struct {
	lit    string
	secret string
}

// header is a parsed header template.
type header struct {
	name  string // as written
	key   string // canonical
	parts []part
}

// parseHeaders parses every template of tmpl, in the order of their
// names, and returns them with an error for each problem, each starting
// with "headers.NAME: ".
func parseHeaders(tmpl map[string]string) ([]header, []error) {
	var hs []header
	var errs []error
	seen := make(map[string]string, len(tmpl))
	for _, name := range slices.Sorted(maps.Keys(tmpl)) {
		bad := func(format string, args ...any) {
			errs = append(errs, fmt.Errorf("headers.%s: %s", name, fmt.Sprintf(format, args...)))
		}
		if !validHeaderName(name) {
			bad("%q is not a valid header name", name)
			continue
		}
		key := http.CanonicalHeaderKey(name)
		if reservedHeaders[key] {
			bad("%s is set by the gateway and may not be given", key)
			continue
		}
		if other, ok := seen[key]; ok {
			bad("the same header as %s", other)
			continue
		}
		seen[key] = name
		parts, err := parseTemplate(tmpl[name])
		if err != nil {
			bad("%v", err)
			continue
		}
		hs = append(hs, header{name: name, key: key, parts: parts})
	}
	return hs, errs
}

// parseTemplate splits v into literal text and ${secret:NAME} references.
// "${" always begins a reference; any other form is an error.
func parseTemplate(v string) ([]part, error) {
	var parts []part
	for v != "" {
		i := strings.Index(v, "${")
		if i < 0 {
			parts = append(parts, part{lit: v})
			break
		}
		if i > 0 {
			parts = append(parts, part{lit: v[:i]})
		}
		end := strings.IndexByte(v[i:], '}')
		if end < 0 {
			return nil, fmt.Errorf("%q is not closed by }", clip(v[i:]))
		}
		ref := v[i+2 : i+end]
		name, ok := strings.CutPrefix(ref, "secret:")
		if !ok {
			return nil, fmt.Errorf("${%s} is not a secret reference; only ${secret:NAME} is expanded", clip(ref))
		}
		if !validSecretName(name) {
			return nil, fmt.Errorf("secret name %q must be a letter then up to 63 letters, digits, '_' or '-'", clip(name))
		}
		parts = append(parts, part{secret: name})
		v = v[i+end+1:]
	}
	for _, p := range parts {
		if p.secret == "" && !validHeaderValue(p.lit) {
			return nil, fmt.Errorf("has a control character (a line break?)")
		}
	}
	return parts, nil
}

// expand returns the value of h with each secret reference replaced by
// its value from secret.
func (h header) expand(secret func(name string) (string, error)) (string, error) {
	if len(h.parts) == 1 && h.parts[0].secret == "" {
		return h.parts[0].lit, nil
	}
	var b strings.Builder
	for _, p := range h.parts {
		if p.secret == "" {
			b.WriteString(p.lit)
			continue
		}
		if secret == nil {
			return "", fmt.Errorf("headers.%s: secret %q: no secrets are available", h.name, p.secret)
		}
		v, err := secret(p.secret)
		if err != nil {
			return "", fmt.Errorf("headers.%s: secret %q: %w", h.name, p.secret, err)
		}
		if !validHeaderValue(v) {
			return "", fmt.Errorf("headers.%s: secret %q holds a control character (a line break?), which a header can't carry", h.name, p.secret)
		}
		b.WriteString(v)
	}
	return b.String(), nil
}

// ExpandHeaders returns the headers of tmpl (header name to value, as in
// tenant.yaml) with every ${secret:NAME} in a value replaced by
// secret(NAME). secret is called once per reference, so a rotated secret
// shows at the next call; it may be nil if no value refers to a secret.
// Errors start with "headers.NAME: " and never hold a secret's value.
func ExpandHeaders(tmpl map[string]string, secret func(name string) (string, error)) (http.Header, error) {
	hs, errs := parseHeaders(tmpl)
	if len(errs) > 0 {
		return nil, errs[0]
	}
	return expandHeaders(hs, secret)
}

// expandHeaders is ExpandHeaders of parsed templates.
func expandHeaders(hs []header, secret func(name string) (string, error)) (http.Header, error) {
	out := make(http.Header, len(hs)+2)
	for _, h := range hs {
		v, err := h.expand(secret)
		if err != nil {
			return nil, err
		}
		out[h.key] = []string{v}
	}
	return out, nil
}

// validHeaderName reports whether s is an HTTP token (RFC 9110, 5.6.2).
func validHeaderName(s string) bool {
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case 'a' <= c && c <= 'z', 'A' <= c && c <= 'Z', '0' <= c && c <= '9':
		case strings.IndexByte("!#$%&'*+-.^_`|~", c) >= 0:
		default:
			return false
		}
	}
	return true
}

// validHeaderValue reports whether s has no control characters but tabs
// (RFC 9110, 5.5).
func validHeaderValue(s string) bool {
	for i := 0; i < len(s); i++ {
		if c := s[i]; (c < ' ' && c != '\t') || c == 0x7f {
			return false
		}
	}
	return true
}

// validSecretName reports whether s is a secret's name, as tenant.yaml's
// secrets: a letter then up to 63 letters, digits, '_' or '-'.
func validSecretName(s string) bool {
	if s == "" || len(s) > 64 {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case 'a' <= c && c <= 'z', 'A' <= c && c <= 'Z':
		case i > 0 && ('0' <= c && c <= '9' || c == '_' || c == '-'):
		default:
			return false
		}
	}
	return true
}

// clip shortens s for an error message.
func clip(s string) string {
	const n = 40
	if len(s) <= n {
		return s
	}
	return s[:n] + "..."
}
