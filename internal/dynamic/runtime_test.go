package dynamic

import (
	"bytes"
	"math"
	"testing"
	"time"

	"github.com/99designs/gqlgen/graphql"

	"github.com/tenantgraph/tenantgraph/graph/model"
)

// The executor writes strings, floats and DateTimes itself, into its
// buffer; these fuzz tests hold that output to gqlgen's Marshal functions
// and graph/model's, which generated code uses, byte for byte.

func FuzzAppendQuoted(f *testing.F) {
	for _, s := range []string{"", "plain", `"quoted" \ back`, "tab\tnl\nnul\x00esc\x1b", "<b>&</b>", "é 料理 🔥", "\xff\xfe invalid \xc3", "\u2028\u2029", "\x7f"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		var want bytes.Buffer
		graphql.MarshalString(s).MarshalGQL(&want)
		if got := appendQuoted(nil, s); !bytes.Equal(got, want.Bytes()) {
			t.Errorf("appendQuoted(%q) = %s, want %s", s, got, want.Bytes())
		}
	})
}

func FuzzAppendFloat(f *testing.F) {
	for _, v := range []float64{0, math.Copysign(0, -1), 1, -1.5, 49.99, 1e21, 1e20, 1e-7, 1e-5, 123456789, 0.30000000000000004, math.MaxFloat64, math.SmallestNonzeroFloat64, 1e6, 999999, 100000} {
		f.Add(v)
	}
	f.Fuzz(func(t *testing.T, v float64) {
		if math.IsInf(v, 0) || math.IsNaN(v) {
			return // not written: an error instead
		}
		var want bytes.Buffer
		graphql.MarshalFloat(v).MarshalGQL(&want)
		if got := appendFloat(nil, v); !bytes.Equal(got, want.Bytes()) {
			t.Errorf("appendFloat(%v) = %s, want %s", v, got, want.Bytes())
		}
	})
}

func FuzzDateTime(f *testing.F) {
	f.Add(int64(0), int64(0), 0)
	f.Add(time.Date(2026, 3, 1, 9, 0, 0, 125_000, time.UTC).Unix(), int64(125_000), 3600)
	f.Add(int64(-62135596800), int64(999_999_999), -7200) // year 1
	f.Add(int64(253402300800), int64(1), 0)               // year 10000
	f.Add(int64(-62167219200-86400), int64(0), 0)         // year -1
	f.Fuzz(func(t *testing.T, sec, nsec int64, offset int) {
		tm := time.Unix(sec, nsec).In(time.FixedZone("", offset%86400))
		var want bytes.Buffer
		model.MarshalDateTime(tm).MarshalGQL(&want)
		w := &writer{}
		ex := &execution{}
		ex.writeScalar(t.Context(), w, &typeRef{kind: kindScalar, scalar: scalarDateTime}, tm)
		if !bytes.Equal(w.buf, want.Bytes()) {
			t.Errorf("DateTime %v = %s, want %s", tm, w.buf, want.Bytes())
		}
	})
}
