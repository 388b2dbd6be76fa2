package dynamic

import (
	"encoding/json"
	"math"
	"math/rand/v2"
	"os/exec"
	"strings"
	"testing"
)

// TestAppendJSNumberMatchesJavaScript spells random doubles of every
// magnitude, and the edges, with appendJSNumber and with Node's String,
// which graphql-js's serializeString uses, and compares the two.
func TestAppendJSNumberMatchesJavaScript(t *testing.T) {
	node, err := exec.LookPath("node")
	if err != nil {
		t.Skip("node is not installed: the comparison with JavaScript needs it")
	}
	fs := []float64{1.5, 42, 1e21, 1e21 - 65536, 1e-7, 1e-6, 9.999999999999999e-7, math.Copysign(0, -1), 0,
		12345678901234567890, 1e-100, 123e-20, 5e-324, math.MaxFloat64, -math.MaxFloat64, 0.1, 1.0 / 3, 2 << 52}
	r := rand.New(rand.NewPCG(1, 2))
	for range 3000 {
		f := math.Float64frombits(r.Uint64())
		if math.IsInf(f, 0) || math.IsNaN(f) {
			continue
		}
		fs = append(fs, f, float64(r.Int64N(1<<60))/math.Pow10(r.IntN(30)))
	}
	in, err := json.Marshal(fs) // encoding/json's spelling reads back exactly
	if err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(node, "-e", `let s = ""; process.stdin.on("data", d => s += d).on("end", () =>
		console.log(JSON.parse(s).map(String).join("\n")))`)
	cmd.Stdin = strings.NewReader(string(in))
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("node: %v", err)
	}
	want := strings.Split(strings.TrimSuffix(string(out), "\n"), "\n")
	if len(want) != len(fs) {
		t.Fatalf("node gave %d lines for %d numbers", len(want), len(fs))
	}
	for i, f := range fs {
		if got := string(appendJSNumber(nil, f)); got != want[i] {
			t.Errorf("%v (bits %#x): got %s, JavaScript's String gives %s", f, math.Float64bits(f), got, want[i])
		}
	}
}
