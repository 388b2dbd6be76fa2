// Package jsonlex scans the tokens of JSON text (RFC 8259) for the
// gateway's two hand-written decoders: of request bodies
// (internal/gateway) and of upstreams' answers (internal/upstream). Each
// builds its own values; both check the text as json.Valid does, and
// this package is the part of that check they share. Its functions take
// the text and an index and return the index after the token, so that
// neither a string nor a []byte is copied to scan it.
//
// It also spells floats as encoding/json does (AppendFloat), for the
// writers that append JSON by hand.
package jsonlex

import (
	"math"
	"strconv"
	"unicode/utf8"
)

// AppendFloat appends the finite f as encoding/json writes a float64
// (encode.go, floatEncoder): the shortest decimal that reads back as f,
// in exponent form below 1e-6 and from 1e21, with no leading zero in a
// negative exponent. That is how JavaScript spells numbers (ECMA-262
// Number::toString), except that encoding/json writes negative zero as
// -0 where JavaScript writes 0.
func AppendFloat(b []byte, f float64) []byte {
	format := byte('f')
	if abs := math.Abs(f); abs != 0 && (abs < 1e-6 || abs >= 1e21) {
		format = 'e'
	}
	b = strconv.AppendFloat(b, f, format, -1, 64)
	if format == 'e' {
		// Clean up e-09 to e-9.
		if n := len(b); n >= 4 && b[n-4] == 'e' && b[n-3] == '-' && b[n-2] == '0' {
			b[n-2] = b[n-1]
			b = b[:n-1]
		}
	}
	return b
}

// Text is JSON text, as a string or as bytes.
type Text interface{ ~string | ~[]byte }

// Space returns the index of the first byte of s from i on that is not
// JSON's white space (space, tab, line feed, carriage return), or len(s).
func Space[T Text](s T, i int) int {
	for i < len(s) {
		switch s[i] {
		case ' ', '\t', '\n', '\r':
			i++
			continue
		}
		break
	}
	return i
}

// String scans the string whose opening quote is s[i] and returns the
// index after its closing quote, whether it holds an escape, and whether
// all its bytes are ASCII. A string may hold no control byte and only
// JSON's escapes (\" \\ \/ \b \f \n \r \t \uXXXX); bytes that are not
// UTF-8 are allowed, as json.Valid allows them. If s[i:] starts no valid
// string, ok is false and end is where it stops being one.
func String[T Text](s T, i int) (end int, escaped, ascii, ok bool) {
	if i >= len(s) || s[i] != '"' {
		return i, false, false, false
	}
	i++
	ascii = true
	for {
		for i < len(s) && stringBytes[s[i]] == plainByte {
			i++
		}
		if i == len(s) {
			return i, false, false, false
		}
		switch stringBytes[s[i]] {
		case quoteByte:
			return i + 1, escaped, ascii, true
		case escapeByte:
			n := escapeLen(s, i+1)
			if n == 0 {
				return i + 1, false, false, false
			}
			escaped = true
			i += 1 + n
		case controlByte:
			return i, false, false, false
		default: // a byte of a non-ASCII character
			ascii = false
			i++
		}
	}
}

// escapeLen returns the length of the escape that follows a backslash at
// s[i], or 0 if there is none that JSON allows.
func escapeLen[T Text](s T, i int) int {
	if i >= len(s) {
		return 0
	}
	switch s[i] {
	case '"', '\\', '/', 'b', 'f', 'n', 'r', 't':
		return 1
	case 'u':
		if i+5 <= len(s) && isHex(s[i+1]) && isHex(s[i+2]) && isHex(s[i+3]) && isHex(s[i+4]) {
			return 5
		}
	}
	return 0
}

// The kinds of bytes in a string, in stringBytes.
const (
	plainByte   = iota // printable ASCII, but for '"' and '\\'
	quoteByte          // '"'
	escapeByte         // '\\'
	controlByte        // below ' ', which must be escaped
	otherByte          // not ASCII
)

// stringBytes holds the kind of every byte in a string.
var stringBytes = func() (kinds [256]uint8) {
	for c := range kinds {
		switch {
		case c == '"':
			kinds[c] = quoteByte
		case c == '\\':
			kinds[c] = escapeByte
		case c < ' ':
			kinds[c] = controlByte
		case c >= utf8.RuneSelf:
			kinds[c] = otherByte
		}
	}
	return kinds
}()

// Number scans the number that starts at s[i], one of JSON's:
// -?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][+-]?[0-9]+)?, and returns the index
// after it. What follows it is the caller's to check: in 01, the number
// is 0, followed by a byte that should not be there. If s[i:] starts no
// number, ok is false and end is where it stops being one.
func Number[T Text](s T, i int) (end int, ok bool) {
	if i < len(s) && s[i] == '-' {
		i++
	}
	switch {
	case i < len(s) && s[i] == '0':
		i++
	case i < len(s) && '1' <= s[i] && s[i] <= '9':
		i = digits(s, i+1)
	default:
		return i, false
	}
	if i < len(s) && s[i] == '.' {
		j := digits(s, i+1)
		if j == i+1 {
			return j, false
		}
		i = j
	}
	if i < len(s) && (s[i] == 'e' || s[i] == 'E') {
		i++
		if i < len(s) && (s[i] == '+' || s[i] == '-') {
			i++
		}
		j := digits(s, i)
		if j == i {
			return j, false
		}
		i = j
	}
	return i, true
}

// digits returns the index of the first byte of s from i on that is not
// a decimal digit, or len(s).
func digits[T Text](s T, i int) int {
	for i < len(s) && '0' <= s[i] && s[i] <= '9' {
		i++
	}
	return i
}

func isHex(c byte) bool {
	return '0' <= c && c <= '9' || 'a' <= c && c <= 'f' || 'A' <= c && c <= 'F'
}
