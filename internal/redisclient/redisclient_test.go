package redisclient_test

import (
	"testing"
	"time"

	"github.com/redis/go-redis/v9"
	"github.com/stretchr/testify/require"

	"github.com/tenantgraph/tenantgraph/internal/redisclient"
)

func TestBounded(t *testing.T) {
	o := &redis.UniversalOptions{
		Addrs:       []string{"127.0.0.1:6379"},
		Password:    "secret",
		PoolSize:    7,
		DialTimeout: time.Minute,
		ReadTimeout: -1, // no timeout: what Bounded must replace
		MaxRetries:  10,
	}
	orig := *o
	got := redisclient.Bounded(o, 50*time.Millisecond, 100*time.Millisecond)

	want := orig
	want.ContextTimeoutEnabled = true
	want.DialTimeout = 100 * time.Millisecond
	want.DialerRetries = 1
	want.ReadTimeout = 50 * time.Millisecond
	want.WriteTimeout = 50 * time.Millisecond
	want.PoolTimeout = 50 * time.Millisecond
	want.MaxRetries = 1
	want.MinRetryBackoff = time.Millisecond
	want.MaxRetryBackoff = 5 * time.Millisecond
	require.Equal(t, &want, got)
	require.Equal(t, &orig, o, "o is not modified")
}
