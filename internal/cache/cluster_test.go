package cache_test

import (
	"testing"

	"github.com/tenantgraph/tenantgraph/internal/testenv"
)

// TestOnRedisCluster runs the tests of the cache that use Redis on a Redis
// Cluster of three masters, where a command may only name keys of one
// hash slot and a subscriber may be connected to another node than the
// publisher.
func TestOnRedisCluster(t *testing.T) {
	rc := testenv.StartRedisCluster(t, 3)
	for _, tt := range []struct {
		name string
		test func(*testing.T, redisEnv)
	}{
		{"GetResolvesThroughLevels", testGetResolvesThroughLevels},
		{"GetLoadsOnceForConcurrentCallers", testGetLoadsOnceForConcurrentCallers},
		{"RedisHoldsNoPlaintextAndEveryKeyExpires", testRedisHoldsNoPlaintextAndEveryKeyExpires},
		{"BrokenEntriesAreDroppedAndReloaded", testBrokenEntriesAreDroppedAndReloaded},
		{"EntriesOfAnotherMasterKeyAreReloaded", testEntriesOfAnotherMasterKeyAreReloaded},
		{"NotFoundIsCachedBriefly", testNotFoundIsCachedBriefly},
		{"LoadErrorsAreNotCached", testLoadErrorsAreNotCached},
		{"GetReturnsWhenCallerGivesUp", testGetReturnsWhenCallerGivesUp},
		{"LoadPanicReachesCaller", testLoadPanicReachesCaller},
		{"InvalidateReachesOtherInstances", testInvalidateReachesOtherInstances},
		{"InvalidateNamespaceBeatsSlowLoad", testInvalidateNamespaceBeatsSlowLoad},
		{"QueryCache", testQueryCache},
	} {
		t.Run(tt.name, func(t *testing.T) { tt.test(t, rc.URLFor) })
	}
}
