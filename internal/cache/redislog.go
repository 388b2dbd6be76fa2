package cache

import (
	"context"
	"fmt"
	"log/slog"
)

// RedisLogger adapts a *slog.Logger to go-redis's logger, so that the
// client's own messages (such as one per failed dial, which go-redis
// otherwise writes to standard error) go to the gateway's log at Level.
// go-redis has one logger per process; install it once, in main:
//
//	redis.SetLogger(cache.RedisLogger{Logger: logger, Level: slog.LevelDebug})
type RedisLogger struct {
	Logger *slog.Logger
	Level  slog.Level
}

// Printf logs the formatted message.
func (l RedisLogger) Printf(ctx context.Context, format string, v ...any) {
	if !l.Logger.Enabled(ctx, l.Level) {
		return
	}
	l.Logger.LogAttrs(ctx, l.Level, "redis: "+fmt.Sprintf(format, v...))
}
