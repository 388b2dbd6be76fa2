// Package rediskey writes names that callers do not control, such as
// tenant IDs and cache namespaces, into Redis keys. Packages cache and
// ratelimit put such a name between braces, as the key's Redis Cluster
// hash tag:
//
//	key := prefix + "{" + rediskey.Escape(tenant) + "}:" + rediskey.Escape(bucket)
package rediskey

import "strings"

// Escape returns s with every byte other than ASCII letters, digits, '_',
// '.' and '-' written as %XX (upper-case hexadecimal), as URL
// percent-encoding writes it. A name made of those bytes only, such as a
// tenant ID, stays as it is; any other name becomes one that is
// unambiguous (distinct names stay distinct) and free of braces, colons
// and white space, so nothing can move a key's hash tag or end a segment
// early. Escape does not allocate when s needs no escaping.
func Escape(s string) string {
	i := 0
	for i < len(s) && safe(s[i]) {
		i++
	}
	if i == len(s) {
		return s
	}
	const hexDigits = "0123456789ABCDEF"
	var b strings.Builder
	b.Grow(len(s) + 8)
	b.WriteString(s[:i])
	for ; i < len(s); i++ {
		if ch := s[i]; safe(ch) {
			b.WriteByte(ch)
		} else {
			b.WriteByte('%')
			b.WriteByte(hexDigits[ch>>4])
			b.WriteByte(hexDigits[ch&15])
		}
	}
	return b.String()
}

// safe reports whether Escape keeps ch as it is.
func safe(ch byte) bool {
	return 'a' <= ch && ch <= 'z' || 'A' <= ch && ch <= 'Z' || '0' <= ch && ch <= '9' || ch == '_' || ch == '.' || ch == '-'
}
