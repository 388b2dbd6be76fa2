//go:build race

package main

// raceEnabled reports whether the tests run with the race detector, which
// slows the gateway's CPU work several times over: timing comparisons
// mean nothing then.
const raceEnabled = true
