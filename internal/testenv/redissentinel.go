package testenv

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"
)

// SentinelMaster is the name under which a RedisSentinel's Sentinel
// monitors its master.
const SentinelMaster = "tgmaster"

// SentinelDownAfter is how long a RedisSentinel's master must be silent
// before its Sentinel deems it down and fails over to the replica.
const SentinelDownAfter = time.Second

// RedisSentinel is a Redis master with one replica, watched by one
// Sentinel (quorum 1) that fails over to the replica when the master dies.
type RedisSentinel struct {
	t        testing.TB
	Master   *RedisServer
	Replica  *RedisServer
	Sentinel *RedisServer
}

// StartRedisSentinel starts a master, its replica and a Sentinel on free
// ports of the loopback interface, and waits until the Sentinel knows the
// replica and the replica is in sync; t.Cleanup ends them. It skips t when
// redis-server is not installed, or fails it under
// TENANTGRAPH_REQUIRE_SERVICES=1.
func StartRedisSentinel(t testing.TB) *RedisSentinel {
	t.Helper()
	s := &RedisSentinel{t: t}
	s.Master = startRedisServer(t, freePort(t))
	s.Replica = startRedisServer(t, freePort(t), "--replicaof", "127.0.0.1", strconv.Itoa(s.Master.port))
	// Sentinel rewrites its configuration file, which must be its own.
	conf := filepath.Join(t.TempDir(), "sentinel.conf")
	text := fmt.Sprintf("sentinel monitor %[1]s 127.0.0.1 %[2]d 1\n"+
		"sentinel down-after-milliseconds %[1]s %[3]d\n"+
		"sentinel failover-timeout %[1]s 10000\n",
		SentinelMaster, s.Master.port, SentinelDownAfter.Milliseconds())
	if err := os.WriteFile(conf, []byte(text), 0o600); err != nil {
		t.Fatal(err)
	}
	port := freePort(t)
	s.Sentinel = &RedisServer{t: t, port: port, dir: t.TempDir(), conf: conf, args: []string{"--sentinel"}}
	s.Sentinel.Start()
	t.Cleanup(func() {
		if s.Sentinel.cmd != nil {
			s.Sentinel.cmd.Process.Kill()
			s.Sentinel.cmd.Wait()
		}
	})

	replica := redis.NewClient(&redis.Options{Addr: s.Replica.Addr()})
	defer replica.Close()
	sentinel := redis.NewSentinelClient(&redis.Options{Addr: s.Sentinel.Addr()})
	defer sentinel.Close()
	Eventually(t, 30*time.Second, func() bool {
		info, err := replica.Info(context.Background(), "replication").Result()
		if err != nil || !strings.Contains(info, "master_link_status:up") {
			return false
		}
		replicas, err := sentinel.Replicas(context.Background(), SentinelMaster).Result()
		return err == nil && len(replicas) == 1 && replicas[0]["flags"] == "slave"
	}, "the replica of %s to be in sync and known to the Sentinel", s.Master.Addr())
	return s
}

// URL returns the URL of the Sentinel's master in the form of go-redis's
// ParseFailoverURL: the Sentinel's address and the master's name.
func (s *RedisSentinel) URL() string {
	return "redis://" + s.Sentinel.Addr() + "/0?master_name=" + SentinelMaster
}

// URLFor is RedisURL on the Sentinel's master: it returns its URL and a
// key prefix unique to t, whose keys are deleted when t and its subtests
// have finished.
func (s *RedisSentinel) URLFor(t testing.TB) (url, keyPrefix string) {
	t.Helper()
	return s.URL(), ownKeyPrefix(t, s.URL())
}

// MasterAddr returns the address of the master as the Sentinel names it.
func (s *RedisSentinel) MasterAddr() string {
	s.t.Helper()
	sentinel := redis.NewSentinelClient(&redis.Options{Addr: s.Sentinel.Addr()})
	defer sentinel.Close()
	addr, err := sentinel.GetMasterAddrByName(context.Background(), SentinelMaster).Result()
	if err != nil {
		s.t.Fatalf("testenv: master of the Sentinel: %v", err)
	}
	return addr[0] + ":" + addr[1]
}
