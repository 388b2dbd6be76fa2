//go:build !race

package validation_test

// raceEnabled reports whether the race detector is on: it makes code ten
// times slower, so timing assertions are skipped.
const raceEnabled = false
