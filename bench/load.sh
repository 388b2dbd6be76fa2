#!/usr/bin/env bash
# load.sh: a mixed load across many tenants against the gateway binary on
# PostgreSQL and Redis, with wrk: 80% reads (goods by ID, by query text and
# by persisted-query hash; a goodsList page), 20% writes (createGoods,
# updateGoods), each request to a tenant picked at random. Prints wrk's
# throughput, latencies and errors, then the hit rates of the parsed
# document cache and of the persisted queries (APQ) from the gateway's
# Prometheus metrics. See bench/README.md.
#
# Settings (environment): TENANTS (100), PER_TENANT (20 goods created per
# tenant first), DURATION (60s), THREADS (2), CONNS (64), PG_URL
# (postgres://postgres@127.0.0.1:5432, where a database of its own is
# created and dropped), PG_POOL (pool_max_conns; unset: pgx's default),
# REDIS_ADDR (127.0.0.1:6379), REDIS_DB (9, flushed first and last), GW_ADDR
# (127.0.0.1:18482), METRICS_ADDR (127.0.0.1:18492), PIN_SERVER and PIN_WRK
# (CPU lists for taskset), GATEWAY_LOG_LEVEL (info), GATEWAY_ENV (more
# VAR=value settings of the gateway, space-separated), KEEP_WORK (1: keep
# the temporary directory, the database and Redis's keys).
source "$(dirname "$0")/lib.sh"

TENANTS=${TENANTS:-100} PER_TENANT=${PER_TENANT:-20} DURATION=${DURATION:-60s}
THREADS=${THREADS:-2} CONNS=${CONNS:-64}
PG_URL=${PG_URL:-postgres://postgres@127.0.0.1:5432}
REDIS_ADDR=${REDIS_ADDR:-127.0.0.1:6379} REDIS_DB=${REDIS_DB:-9}
GW_ADDR=${GW_ADDR:-127.0.0.1:18482} METRICS_ADDR=${METRICS_ADDR:-127.0.0.1:18492}

need go wrk curl psql redis-cli
[[ -z "${PIN_SERVER:-}${PIN_WRK:-}" ]] || need taskset
port_free "$GW_ADDR"
port_free "$METRICS_ADDR"
bench_init
DB=tenantgraph_load_$$
bench_cleanup_hook() {
  if [[ -z "${KEEP_WORK:-}" ]]; then
    psql -q "$PG_URL/postgres?sslmode=disable" -c "DROP DATABASE IF EXISTS $DB" || true
    redis-cli -h "${REDIS_ADDR%:*}" -p "${REDIS_ADDR##*:}" -n "$REDIS_DB" flushdb >/dev/null || true
  else
    echo "kept database $DB and Redis database $REDIS_DB" >&2
  fi
}
bench_build

"$WORK/prepare" tenants -dir "$WORK/tenants" -n "$TENANTS"
psql -q "$PG_URL/postgres?sslmode=disable" -c "CREATE DATABASE $DB"
redis_host=${REDIS_ADDR%:*} redis_port=${REDIS_ADDR##*:}
redis-cli -h "$redis_host" -p "$redis_port" -n "$REDIS_DB" flushdb >/dev/null
database_url="$PG_URL/$DB?sslmode=disable${PG_POOL:+&pool_max_conns=$PG_POOL}"
JWT_SECRET=$(head -c 48 /dev/urandom | base64 | tr -d '\n')

# The gateway as deployed, on its defaults but for the addresses; its
# Redis keys (and invalidation channel) have a prefix of their own, since
# pub/sub is not scoped by database.
# shellcheck disable=SC2086
start_bg gateway env -i PATH="$PATH" HOME="$HOME" \
  TENANTGRAPH_ADDR="$GW_ADDR" TENANTGRAPH_METRICS_ADDR="$METRICS_ADDR" \
  TENANTGRAPH_TENANTS_DIR="$WORK/tenants" TENANTGRAPH_WATCH=false \
  DATABASE_URL="$database_url" \
  REDIS_URL="redis://$REDIS_ADDR/$REDIS_DB" TENANTGRAPH_REDIS_PREFIX="tenantgraph:load:$$:" \
  TENANTGRAPH_MASTER_KEY="$(head -c 32 /dev/urandom | base64)" \
  JWT_SECRET="$JWT_SECRET" \
  TENANTGRAPH_LOG_LEVEL="${GATEWAY_LOG_LEVEL:-info}" TENANTGRAPH_LOG_FORMAT=json \
  ${GATEWAY_ENV:-} "$WORK/tenantgraph"
wait_ok "http://$GW_ADDR/readyz"
GW_PID=${PIDS[-1]}

echo "minting $TENANTS tokens, creating $PER_TENANT goods per tenant ..." >&2
for dir in "$WORK"/tenants/*/; do
  id=$(basename "$dir")
  echo "$id $(env -i PATH="$PATH" JWT_SECRET="$JWT_SECRET" TENANTGRAPH_TENANTS_DIR="$WORK/tenants" \
    "$WORK/tenantgraph" token --tenant "$id" --ttl 2h)"
done >"$WORK/tokens"
"$WORK/prepare" load -url "http://$GW_ADDR/graphql" -tokens "$WORK/tokens" -per-tenant "$PER_TENANT" -out "$WORK/data.lua"

# cache_counts: "cache result count" lines of tenantgraph_cache_lookups_total.
cache_counts() {
  curl -fsS "http://$METRICS_ADDR/metrics" |
    sed -n 's/^tenantgraph_cache_lookups_total{cache="\([a-z_]*\)",result="\([a-z]*\)"} \([0-9.e+]*\)$/\1 \2 \3/p'
}
cache_counts >"$WORK/cache.before"

echo "wrk -t $THREADS -c $CONNS -d $DURATION across $TENANTS tenants; pinned: server ${PIN_SERVER:-no}, wrk ${PIN_WRK:-no}" >&2
export BENCH_DATA="$WORK/data.lua"
t0=$(cpu_ticks "$GW_PID")
line=$(run_wrk "$BENCH/load.lua" "http://$GW_ADDR/graphql" -t "$THREADS" -c "$CONNS" -d "$DURATION" --timeout 5s)
t1=$(cpu_ticks "$GW_PID")
cache_counts >"$WORK/cache.after"

echo "$line"
f() { result_field "$line" "$1"; }
echo
printf 'throughput   %s req/s (%s requests in %s s)\n' "$(f rps)" "$(f requests)" "$(f duration_s)"
printf 'latency      p50 %s ms   p90 %s ms   p99 %s ms   max %s ms\n' "$(f p50_ms)" "$(f p90_ms)" "$(f p99_ms)" "$(f max_ms)"
printf 'gateway CPU  %s us per request (its own process only: not Postgres, Redis or wrk)\n' \
  "$(awk -v t="$((t1 - t0))" -v hz="$(getconf CLK_TCK)" -v n="$(f requests)" 'BEGIN{printf "%.0f", t / hz * 1e6 / n}')"
printf 'errors       non-2xx %s   200 with errors %s   socket %s\n' "$(f non2xx)" "$(f gql_errors)" "$(f socket_errors)"
printf 'sent         byId %s   persisted %s   list %s   create %s   update %s\n' \
  "$(f sent_byId)" "$(f sent_persisted)" "$(f sent_list)" "$(f sent_create)" "$(f sent_update)"
echo
echo "cache lookups during the load (and since start), tenantgraph_cache_lookups_total:"
awk 'NR==FNR {before[$1" "$2]=$3; next}
     {after[$1" "$2]=$3; caches[$1]=1}
     END {
       for (c in caches) {
         h=after[c" hit"]-before[c" hit"]; m=after[c" miss"]-before[c" miss"]
         th=after[c" hit"]; tm=after[c" miss"]
         printf "  %-13s hits %9d  misses %7d  hit rate %7s   (since start: %d / %d, %s)\n", c, h, m,
           (h+m ? sprintf("%.2f%%", 100*h/(h+m)) : "-"), th, tm, (th+tm ? sprintf("%.2f%%", 100*th/(th+tm)) : "-")
       }
     }' "$WORK/cache.before" "$WORK/cache.after" | sort
