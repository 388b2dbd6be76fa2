package jsonlex

import (
	"encoding/json"
	"strings"
	"testing"
)

// tokens seed FuzzToken: numbers and strings, good and bad.
var tokens = []string{
	`0`, `-0`, `12`, `-1.5e+10`, `1E3`, `01`, `1.`, `.5`, `1e`, `1e+`, `-`, `+1`, `0x1`,
	`""`, `"a"`, `"caf` + "\xc3\xa9" + `"`, `"\u00e9"`, `"\ud800"`, `"\/\b\f\n\r\t\"\\"`,
	`"\x"`, `"\u12G4"`, `"\u12"`, `"` + "\x01" + `"`, `"` + "\xff" + `"`, `"open`, `"a\"`,
}

// FuzzToken checks that a text is one JSON number or string by this
// package exactly when json.Valid says so, and that String's flags tell
// the truth.
func FuzzToken(f *testing.F) {
	for _, tok := range tokens {
		f.Add(tok)
	}
	f.Fuzz(func(t *testing.T, tok string) {
		if tok == "" || tok != strings.TrimSpace(tok) || tok[0] != '"' && tok[0] != '-' && (tok[0] < '0' || tok[0] > '9') {
			return // not a number or string token
		}
		var end int
		var ok bool
		if tok[0] == '"' {
			var escaped, ascii bool
			end, escaped, ascii, ok = String(tok, 0)
			if ok && escaped != strings.Contains(tok[:end], `\`) {
				t.Fatalf("%q: escaped %v", tok, escaped)
			}
			if ok && ascii != (strings.IndexFunc(tok[:end], func(r rune) bool { return r >= 0x80 }) < 0) {
				t.Fatalf("%q: ascii %v", tok, ascii)
			}
		} else {
			end, ok = Number([]byte(tok), 0)
		}
		whole := ok && end == len(tok)
		if valid := json.Valid([]byte(tok)); whole != valid {
			t.Fatalf("%q: scanned whole %v (end %d, ok %v), json.Valid %v", tok, whole, end, ok, valid)
		}
	})
}

func TestSpace(t *testing.T) {
	if got := Space(" \t\r\nx ", 0); got != 4 {
		t.Errorf("Space = %d, want 4", got)
	}
	if got := Space([]byte("  "), 1); got != 2 {
		t.Errorf("Space at the end = %d, want 2", got)
	}
}
