package ratelimit_test

import (
	"context"
	"fmt"
	"net/http"
	"time"

	"github.com/tenantgraph/tenantgraph/internal/limits"
	"github.com/tenantgraph/tenantgraph/internal/ratelimit"
)

func Example() {
	// Without Options.Redis the Limiter decides in process; with it, every
	// replica draws from one budget in Redis.
	l, err := ratelimit.New(ratelimit.Options{})
	if err != nil {
		panic(err)
	}
	defer l.Close()

	rate := limits.Rate{Requests: 2, Per: time.Minute}
	for range 3 {
		res := l.AllowN(context.Background(), "acme", "requests", rate, 1)
		h := http.Header{}
		res.Headers(h, "requests", rate)
		fmt.Printf("allowed=%v RateLimit: %s Retry-After: %q\n", res.Allowed, h.Get("RateLimit"), h.Get("Retry-After"))
	}
	// Output:
	// allowed=true RateLimit: "requests";r=1;t=30 Retry-After: ""
	// allowed=true RateLimit: "requests";r=0;t=60 Retry-After: ""
	// allowed=false RateLimit: "requests";r=0;t=30 Retry-After: "30"
}
