package jsonlex

import (
	"encoding/json"
	"math"
	"math/rand/v2"
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

// TestAppendFloat checks AppendFloat against encoding/json over random
// doubles of every magnitude and the edges.
func TestAppendFloat(t *testing.T) {
	fs := []float64{0, math.Copysign(0, -1), 1e-7, 1e-6, 1e21, 1e20, 5e-324, math.MaxFloat64, 0.1, -2.5}
	r := rand.New(rand.NewPCG(3, 4))
	for range 5000 {
		if f := math.Float64frombits(r.Uint64()); !math.IsInf(f, 0) && !math.IsNaN(f) {
			fs = append(fs, f)
		}
	}
	for _, f := range fs {
		want, err := json.Marshal(f)
		if err != nil {
			t.Fatal(err)
		}
		if got := AppendFloat(nil, f); string(got) != string(want) {
			t.Errorf("%v: got %s, encoding/json writes %s", f, got, want)
		}
	}
}
