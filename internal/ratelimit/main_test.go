package ratelimit_test

import (
	"log/slog"
	"os"
	"testing"

	"github.com/redis/go-redis/v9"

	"github.com/tenantgraph/tenantgraph/internal/cache"
)

func TestMain(m *testing.M) {
	// The fault tests make go-redis fail to dial, which it reports on
	// standard error each time; the tests check the Limiter's own log.
	redis.SetLogger(cache.RedisLogger{Logger: slog.New(slog.DiscardHandler)})
	os.Exit(m.Run())
}
