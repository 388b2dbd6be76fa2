package cost

import (
	"errors"
	"math"
	"strconv"
)

// amount is a cost in millionths, so that decimal weights such as "0.5"
// add up exactly. Arithmetic on amounts saturates at maxAmount, which
// stands for "more than any budget".
type amount int64

const (
	// unit is the amount of a cost of 1.
	unit amount = 1_000_000
	// maxAmount is where amounts saturate.
	maxAmount amount = math.MaxInt64
)

// add returns a+b, saturating. Amounts are never negative.
func add(a, b amount) amount {
	if a > maxAmount-b {
		return maxAmount
	}
	return a + b
}

// mul returns n×a, saturating. n and a are never negative.
func mul(n int64, a amount) amount {
	switch {
	case n == 0 || a == 0:
		return 0
	case n == 1:
		return a
	case int64(a) > int64(maxAmount)/n:
		return maxAmount
	}
	return amount(n) * a
}

// ints returns a as the cost Operation reports: rounded up to an int, and
// math.MaxInt if it saturated or does not fit an int.
func (a amount) ints() int {
	if a == maxAmount {
		return math.MaxInt
	}
	n := int64(a / unit)
	if a%unit != 0 {
		n++
	}
	if n > int64(math.MaxInt) {
		return math.MaxInt
	}
	return int(n)
}

// Errors of ParseWeight.
var (
	// ErrWeightSyntax is returned for a weight that is not a decimal number.
	ErrWeightSyntax = errors.New("not a decimal number")
	// ErrWeightNegative is returned for a negative weight.
	ErrWeightNegative = errors.New("negative")
	// ErrWeightRange is returned for a weight too large to be a float64.
	ErrWeightRange = errors.New("out of range")
)

// ParseWeight parses the weight of a @cost directive: a decimal number
// >= 0, written as a GraphQL Int or Float without a sign ("3", "0.25",
// "1e3"), as IBM's cost specification has it in a String. It returns
// ErrWeightSyntax, ErrWeightNegative or ErrWeightRange for other strings.
func ParseWeight(s string) (float64, error) {
	if len(s) > 0 && s[0] == '-' {
		if _, err := ParseWeight(s[1:]); err == nil {
			return 0, ErrWeightNegative
		}
		return 0, ErrWeightSyntax
	}
	if !decimal(s) {
		return 0, ErrWeightSyntax
	}
	w, err := strconv.ParseFloat(s, 64)
	if err != nil || math.IsInf(w, 0) {
		return 0, ErrWeightRange
	}
	return w, nil
}

// decimal reports whether s is digits, optionally followed by a fraction
// and an exponent: the syntax of GraphQL's Int and Float without a sign
// (leading zeros allowed).
func decimal(s string) bool {
	i := digits(s, 0)
	if i == 0 {
		return false
	}
	if i < len(s) && s[i] == '.' {
		j := digits(s, i+1)
		if j == i+1 {
			return false
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
			return false
		}
		i = j
	}
	return i == len(s)
}

// digits returns the index of the first byte of s from i on that is not a
// decimal digit.
func digits(s string, i int) int {
	for i < len(s) && '0' <= s[i] && s[i] <= '9' {
		i++
	}
	return i
}

// weightAmount converts a weight of ParseWeight to an amount, rounding up
// to a millionth (a weight of 1e-9 costs a millionth, not nothing) but
// not past a decimal that float64 nearly holds ("0.1" is 100000).
func weightAmount(w float64) amount {
	x := w * float64(unit)
	if x >= float64(maxAmount) {
		return maxAmount
	}
	r := math.Round(x)
	if math.Abs(x-r) <= 1e-6 {
		return amount(r)
	}
	return amount(math.Ceil(x))
}
