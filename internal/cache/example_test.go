package cache_test

import (
	"context"
	"errors"
	"fmt"

	"github.com/tenantgraph/tenantgraph/internal/cache"
)

func ExampleCache_Get() {
	ctx := context.Background()
	// No Redis: the cache lives in process. With Redis, set Config.Redis
	// (see ParseRedisURL) and Config.Sealer.
	c, err := cache.New(ctx, cache.Config{})
	if err != nil {
		panic(err)
	}
	defer c.Close()

	load := func(ctx context.Context) ([]byte, error) {
		fmt.Println("loading acme's config")
		return []byte(`{"name":"Acme"}`), nil
	}
	c.Get(ctx, "acme", "config", load)
	cfg, err := c.Get(ctx, "acme", "config", load)
	fmt.Println(string(cfg), err)

	_, err = c.Get(ctx, "acme", "secret/stripe", func(ctx context.Context) ([]byte, error) {
		return nil, fmt.Errorf("secret %q: %w", "stripe", cache.ErrNotFound)
	})
	fmt.Println(errors.Is(err, cache.ErrNotFound))

	// After acme's configuration changed:
	c.InvalidateNamespace(ctx, "acme")
	c.Get(ctx, "acme", "config", load)
	// Output:
	// loading acme's config
	// {"name":"Acme"} <nil>
	// true
	// loading acme's config
}

func ExampleSealer() {
	// In production: cache.ParseMasterKey(os.Getenv(cache.MasterKeyEnv)).
	key, err := cache.ParseMasterKey("q83vEjRWeJCrze8SNFZ4kKvN7xI0VniQq83vEjRWeJA=")
	if err != nil {
		panic(err)
	}
	s, err := cache.NewSealer(key)
	if err != nil {
		panic(err)
	}
	sealed := s.Seal([]byte("s3cr3t"), "acme/db-password")
	plaintext, err := s.Open(sealed, "acme/db-password")
	fmt.Println(string(plaintext), err)
	_, err = s.Open(sealed, "globex/db-password")
	fmt.Println(err)
	// Output:
	// s3cr3t <nil>
	// cache: sealed value cannot be opened (wrong key, or altered)
}
