package ratelimit_test

import (
	"testing"

	"github.com/tenantgraph/tenantgraph/internal/testenv"
)

// TestOnRedisCluster runs the tests of the Limiter's keys and of the budget
// shared by replicas on a Redis Cluster of three masters: the GCRA script
// names one key, whose hash tag is the tenant, so it runs on the master of
// that tenant's slot. (The algorithm's tests need not run there: a script
// runs on one node as on a single server.)
func TestOnRedisCluster(t *testing.T) {
	rc := testenv.StartRedisCluster(t, 3)
	t.Run("Keys", func(t *testing.T) { testKeys(t, rc.URLFor) })
	t.Run("ReplicasShareOneBudget", func(t *testing.T) { testReplicasShareOneBudget(t, rc.URLFor) })
}
