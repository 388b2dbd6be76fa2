package rediskey_test

import (
	"net/url"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/tenantgraph/tenantgraph/internal/rediskey"
)

func TestEscape(t *testing.T) {
	for _, tc := range []struct {
		name, in, want string
	}{
		{"empty", "", ""},
		{"tenant ID", "acme", "acme"},
		{"every safe byte", "azAZ09_.-", "azAZ09_.-"},
		{"hash tag", "we{ir}d", "we%7Bir%7Dd"},
		{"colon and space", "a:b c", "a%3Ab%20c"},
		{"percent", "100%", "100%25"},
		{"first byte", "{x", "%7Bx"},
		{"UTF-8", "é", "%C3%A9"},
		{"control and high bytes", "\x00\x7f\xff", "%00%7F%FF"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			require.Equal(t, tc.want, rediskey.Escape(tc.in))
		})
	}
}

func TestEscapeNoAllocation(t *testing.T) {
	s := strings.Repeat("tenant-1.a_B", 4)
	require.Zero(t, testing.AllocsPerRun(100, func() { _ = rediskey.Escape(s) }))
}

// FuzzEscape checks that Escape's output holds only safe bytes and '%', and
// that percent-decoding gives the input back, so distinct names never
// share a key.
func FuzzEscape(f *testing.F) {
	for _, s := range []string{"", "acme", "we{ir}d:x y", "100%", "\xff\x00é"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		e := rediskey.Escape(s)
		for i := 0; i < len(e); i++ {
			ch := e[i]
			ok := 'a' <= ch && ch <= 'z' || 'A' <= ch && ch <= 'Z' || '0' <= ch && ch <= '9' ||
				ch == '_' || ch == '.' || ch == '-' || ch == '%'
			if !ok {
				t.Fatalf("Escape(%q) = %q: byte %q at %d", s, e, ch, i)
			}
		}
		back, err := url.PathUnescape(e)
		if err != nil || back != s {
			t.Fatalf("Escape(%q) = %q, which decodes to %q, %v", s, e, back, err)
		}
	})
}
