package testenv

import (
	"testing"
	"time"
)

// Eventually polls cond every few milliseconds until it holds, and fails t
// (with the message of format and args) if it does not within timeout. It
// is for conditions that nothing signals, such as the state of a service
// or a line in a log; wait on a channel where there is one.
func Eventually(t testing.TB, timeout time.Duration, cond func() bool, format string, args ...any) {
	t.Helper()
	deadline := time.Now().Add(timeout)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("not within %v: "+format, append([]any{timeout}, args...)...)
		}
		time.Sleep(5 * time.Millisecond) // polling interval, not synchronisation
	}
}
