package breaker_test

import (
	"context"
	"errors"
	"log/slog"
	"os"
	"time"

	"github.com/tenantgraph/tenantgraph/internal/breaker"
)

func Example() {
	// A JSON log without times, so that the output is the same each run.
	logger := slog.New(slog.NewJSONHandler(os.Stdout, &slog.HandlerOptions{
		ReplaceAttr: func(_ []string, a slog.Attr) slog.Attr {
			if a.Key == slog.TimeKey || a.Key == "since" || a.Key == "unavailable_for" {
				return slog.Attr{}
			}
			return a
		},
	}))
	b := breaker.New(breaker.Config{
		Name:         "cache",
		Fallback:     "serving from process memory and the source",
		Threshold:    2,
		WarnInterval: 30 * time.Second,
		Logger:       logger,
	})
	ctx := context.Background()
	down := errors.New("dial tcp 127.0.0.1:6379: connection refused")

	// Around each Redis call:
	for range 3 {
		if !b.Allow() {
			continue // serve without Redis
		}
		b.Record(ctx, down) // the outcome of the call
	}
	// In the owner's probe loop, while b.Allow() is false:
	b.ProbeFailed(down)
	b.WarnIfDue(time.Now().Add(time.Minute))
	b.Recover() // the probe succeeded
	// Output:
	// {"level":"WARN","msg":"cache: redis unavailable; serving from process memory and the source","consecutive_failures":2,"error":"dial tcp 127.0.0.1:6379: connection refused"}
	// {"level":"WARN","msg":"cache: redis still unavailable; serving from process memory and the source","error":"dial tcp 127.0.0.1:6379: connection refused"}
	// {"level":"INFO","msg":"cache: redis available again"}
}
