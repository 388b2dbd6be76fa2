package testenv

import (
	"bytes"
	"context"
	"os/exec"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"
)

// ClusterNodeTimeout is the cluster-node-timeout of the nodes of a
// RedisCluster: how long a master may be silent before the others mark it
// as failing.
const ClusterNodeTimeout = 2 * time.Second

// RedisCluster is a Redis Cluster of a test's own, of masters without
// replicas, whose masters the test may kill. Its nodes are configured
// with cluster-require-full-coverage no: when a master is lost, the
// others go on serving their own slots, and only the lost master's slots
// are out of reach.
type RedisCluster struct {
	t testing.TB
	// Masters are the cluster's nodes, each serving a third (for three)
	// of the hash slots.
	Masters []*RedisServer
}

// StartRedisCluster starts masters redis-servers without persistence in
// cluster mode on free ports of the loopback interface, joins them into
// a cluster with redis-cli --cluster create, and waits until every node
// reports the cluster ok; t.Cleanup ends them. It skips t when
// redis-server or redis-cli is not installed, or fails it under
// TENANTGRAPH_REQUIRE_SERVICES=1.
func StartRedisCluster(t testing.TB, masters int) *RedisCluster {
	t.Helper()
	if _, err := exec.LookPath("redis-cli"); err != nil {
		unavailable(t, "redis-cli", "not installed", "cluster tests create a Redis Cluster with redis-cli; install it with apt-get install redis-tools")
	}
	c := &RedisCluster{t: t}
	addrs := make([]string, masters)
	for i := range masters {
		s := startRedisServer(t, freePort(t),
			"--cluster-enabled", "yes",
			"--cluster-config-file", "nodes.conf",
			// The bus port is port+10000 by default, which may be taken.
			"--cluster-port", strconv.Itoa(freePort(t)),
			"--cluster-node-timeout", strconv.Itoa(int(ClusterNodeTimeout/time.Millisecond)),
			"--cluster-require-full-coverage", "no")
		c.Masters = append(c.Masters, s)
		addrs[i] = s.Addr()
	}
	var out bytes.Buffer
	create := exec.Command("redis-cli", append(append([]string{"--cluster", "create"}, addrs...), "--cluster-replicas", "0", "--cluster-yes")...)
	create.Stdout, create.Stderr = &out, &out
	if err := create.Run(); err != nil {
		t.Fatalf("redis-cli --cluster create: %v\n%s", err, out.String())
	}
	for _, s := range c.Masters {
		rdb := redis.NewClient(&redis.Options{Addr: s.Addr()})
		Eventually(t, 30*time.Second, func() bool {
			info, err := rdb.ClusterInfo(context.Background()).Result()
			return err == nil && strings.Contains(info, "cluster_state:ok") &&
				strings.Contains(info, "cluster_known_nodes:"+strconv.Itoa(masters)+"\r\n")
		}, "cluster_state:ok on %s", s.Addr())
		rdb.Close()
	}
	return c
}

// URL returns the cluster's URL in the form of go-redis's ParseClusterURL:
// the first master, and the others as addr parameters.
func (c *RedisCluster) URL() string {
	u := "redis://" + c.Masters[0].Addr()
	for i, s := range c.Masters[1:] {
		sep := "&"
		if i == 0 {
			sep = "?"
		}
		u += sep + "addr=" + s.Addr()
	}
	return u
}

// URLFor is RedisURL on the cluster: it returns the cluster's URL and a key
// prefix unique to t, whose keys are deleted when t and its subtests have
// finished.
func (c *RedisCluster) URLFor(t testing.TB) (url, keyPrefix string) {
	t.Helper()
	return c.URL(), ownKeyPrefix(t, c.URL())
}

// Master returns the index in Masters of the master that serves key (by
// its hash slot, as CLUSTER KEYSLOT computes it).
func (c *RedisCluster) Master(key string) int {
	c.t.Helper()
	ctx := context.Background()
	rdb := redis.NewClusterClient(&redis.ClusterOptions{Addrs: []string{c.Masters[0].Addr()}})
	defer rdb.Close()
	m, err := rdb.MasterForKey(ctx, key)
	if err != nil {
		c.t.Fatalf("testenv: master of %q: %v", key, err)
	}
	for i, s := range c.Masters {
		if s.Addr() == m.Options().Addr {
			return i
		}
	}
	c.t.Fatalf("testenv: master of %q is %s, not one of the cluster's", key, m.Options().Addr)
	return -1
}

// Keys returns the keys that match pattern, as SCAN matches them, on a
// single server or on every master of a cluster.
func Keys(ctx context.Context, rdb redis.UniversalClient, pattern string) ([]string, error) {
	var (
		mu   sync.Mutex
		keys []string
	)
	scan := func(ctx context.Context, rdb redis.UniversalClient) error {
		iter := rdb.Scan(ctx, 0, pattern, 1000).Iterator()
		for iter.Next(ctx) {
			mu.Lock()
			keys = append(keys, iter.Val())
			mu.Unlock()
		}
		return iter.Err()
	}
	var err error
	if cc, ok := rdb.(*redis.ClusterClient); ok {
		err = cc.ForEachMaster(ctx, func(ctx context.Context, m *redis.Client) error { return scan(ctx, m) })
	} else {
		err = scan(ctx, rdb)
	}
	return keys, err
}

// Subscribers returns the number of clients subscribed to channel, on a
// single server or on all masters of a cluster together (each reports
// its own clients only).
func Subscribers(ctx context.Context, rdb redis.UniversalClient, channel string) (int64, error) {
	count := func(ctx context.Context, rdb redis.UniversalClient) (int64, error) {
		m, err := rdb.PubSubNumSub(ctx, channel).Result()
		return m[channel], err
	}
	cc, ok := rdb.(*redis.ClusterClient)
	if !ok {
		return count(ctx, rdb)
	}
	var n atomic.Int64
	err := cc.ForEachMaster(ctx, func(ctx context.Context, m *redis.Client) error {
		k, err := count(ctx, m)
		n.Add(k)
		return err
	})
	return n.Load(), err
}
