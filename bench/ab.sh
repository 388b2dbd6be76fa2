#!/usr/bin/env bash
# ab.sh: W1 (goods by ID) through the gateway's whole HTTP stack on the
# memory store (A) against bench/baseline, a plain net/http JSON handler
# answering the same bytes (B), with wrk in alternating rounds A, B, A, B...
# Prints each round, then the medians and the median ratio A/B of the
# rounds' throughputs. See bench/README.md.
#
# Settings (environment): ROUNDS (10), DURATION (5s), WARMUP (3s),
# THREADS (2), CONNS (32), GW_ADDR (127.0.0.1:18480), BASE_ADDR
# (127.0.0.1:18481), PIN_SERVER and PIN_WRK (CPU lists for taskset, unset:
# no pinning), BASELINE_JWT (1: the baseline verifies each token),
# GATEWAY_LOG_LEVEL (info), GATEWAY_ENV (more VAR=value settings of the
# gateway, space-separated), BASELINE (gateway: B is a second gateway,
# with the settings of BASELINE_GATEWAY_ENV instead of GATEWAY_ENV, to
# measure what settings cost), KEEP_WORK (1: keep the temporary
# directory).
source "$(dirname "$0")/lib.sh"

ROUNDS=${ROUNDS:-10} DURATION=${DURATION:-5s} WARMUP=${WARMUP:-3s}
THREADS=${THREADS:-2} CONNS=${CONNS:-32}
GW_ADDR=${GW_ADDR:-127.0.0.1:18480} BASE_ADDR=${BASE_ADDR:-127.0.0.1:18481}

need go wrk curl
[[ -z "${PIN_SERVER:-}${PIN_WRK:-}" ]] || need taskset
port_free "$GW_ADDR"
port_free "$BASE_ADDR"
bench_init
bench_build

# One tenant on the base schema.
mkdir -p "$WORK/tenants/bench"
printf 'name: Benchmark\nstatus: active\n' >"$WORK/tenants/bench/tenant.yaml"
JWT_SECRET=$(head -c 48 /dev/urandom | base64 | tr -d '\n')

# The gateway as deployed, but for the settings that would throttle one
# tenant under wrk: its share of requests in flight (half the CPUs by
# default, so 1 here) is raised to the connections wrk opens, and there is
# no rate limit. No Redis, no database, no metrics, no tracing.
# start_gateway NAME ADDR SETTINGS starts one with more settings.
start_gateway() {
  # shellcheck disable=SC2086
  start_bg "$1" env -i PATH="$PATH" HOME="$HOME" \
    TENANTGRAPH_ADDR="$2" TENANTGRAPH_TENANTS_DIR="$WORK/tenants" TENANTGRAPH_WATCH=false \
    JWT_SECRET="$JWT_SECRET" TENANTGRAPH_TENANT_MAX_CONCURRENT="$CONNS" \
    TENANTGRAPH_LOG_LEVEL="${GATEWAY_LOG_LEVEL:-info}" TENANTGRAPH_LOG_FORMAT=json \
    $3 "$WORK/tenantgraph"
  wait_ok "http://$2/readyz"
}
start_gateway gateway "$GW_ADDR" "${GATEWAY_ENV:-}"
GW_PID=${PIDS[-1]}

TOKEN=$(env -i PATH="$PATH" JWT_SECRET="$JWT_SECRET" TENANTGRAPH_TENANTS_DIR="$WORK/tenants" \
  "$WORK/tenantgraph" token --tenant bench --ttl 2h)
ID=$("$WORK/prepare" w1 -url "http://$GW_ADDR/graphql" -token "$TOKEN" -goods "$WORK/goods.json")

if [[ "${BASELINE:-}" == gateway ]]; then
  # B is the same gateway with other settings, holding goods of its own.
  start_gateway baseline "$BASE_ADDR" "${BASELINE_GATEWAY_ENV:-}"
  BASE_ID=$("$WORK/prepare" w1 -url "http://$BASE_ADDR/graphql" -token "$TOKEN" -goods "$WORK/goods-b.json")
else
  baseline_flags=()
  if [[ "${BASELINE_JWT:-}" == 1 ]]; then
    baseline_flags+=(-verify-jwt)
  fi
  start_bg baseline env -i PATH="$PATH" JWT_SECRET="$JWT_SECRET" \
    "$WORK/baseline" -addr "$BASE_ADDR" -goods "$WORK/goods.json" -tenant bench "${baseline_flags[@]}"
  wait_ok "http://$BASE_ADDR/healthz"
  BASE_ID=$ID
fi
BASE_PID=${PIDS[-1]}

# Both must answer the same bytes (but for the trailing newline
# encoding/json adds, and, for a second gateway, the goods' ID and times).
body() { echo '{"query":"query($id: ID!){ goods(id:$id){ id name price description createdAt updatedAt } }","variables":{"id":"'"$1"'"}}'; }
post() { curl -fsS "http://$1/graphql" -H "Authorization: Bearer $TOKEN" -H 'Content-Type: application/json' -d "$(body "$2")"; }
a=$(post "$GW_ADDR" "$ID") b=$(post "$BASE_ADDR" "$BASE_ID")
echo "gateway:  $a"
echo "baseline: $b"
if [[ "${BASELINE:-}" == gateway ]]; then
  a=$(sed -e "s/$ID/ID/" -e 's/"[0-9-]*T[0-9:.]*Z"/"TIME"/g' <<<"$a")
  b=$(sed -e "s/$BASE_ID/ID/" -e 's/"[0-9-]*T[0-9:.]*Z"/"TIME"/g' <<<"$b")
fi
if [[ "$a" != "$b" ]]; then
  echo "the gateway and the baseline answer differently" >&2
  exit 1
fi

export BENCH_TOKEN=$TOKEN
wrk_args=(-t "$THREADS" -c "$CONNS" --timeout 5s)
echo "wrk ${wrk_args[*]} -d $DURATION, $ROUNDS rounds of gateway (A) then baseline (B: ${BASELINE:-baseline}); pinned: server ${PIN_SERVER:-no}, wrk ${PIN_WRK:-no}; baseline verifies JWT: ${BASELINE_JWT:-0}"
BENCH_ID=$ID run_wrk "$BENCH/w1.lua" "http://$GW_ADDR/graphql" "${wrk_args[@]}" -d "$WARMUP" >/dev/null
BENCH_ID=$BASE_ID run_wrk "$BENCH/w1.lua" "http://$BASE_ADDR/graphql" "${wrk_args[@]}" -d "$WARMUP" >/dev/null

# Besides wrk's figures, each round reads the CPU time the server used
# (/proc/PID/stat), so as to give its CPU time per request, which other
# work on the machine disturbs far less than throughput.
tck=$(getconf CLK_TCK)
printf '%-5s %-9s %10s %9s %9s %11s %7s %7s\n' round server req/s p50_ms p99_ms cpu_us/req errors ratio
: >"$WORK/rounds"
for ((i = 1; i <= ROUNDS; i++)); do
  declare -A rps=()
  for server in gateway baseline; do
    addr=$GW_ADDR pid=$GW_PID id=$ID
    [[ $server == baseline ]] && addr=$BASE_ADDR pid=$BASE_PID id=$BASE_ID
    t0=$(cpu_ticks "$pid")
    line=$(BENCH_ID=$id run_wrk "$BENCH/w1.lua" "http://$addr/graphql" "${wrk_args[@]}" -d "$DURATION")
    t1=$(cpu_ticks "$pid")
    cpu=$(awk -v t="$((t1 - t0))" -v hz="$tck" -v n="$(result_field "$line" requests)" 'BEGIN{printf "%.1f", t / hz * 1e6 / n}')
    line="$line cpu_us=$cpu"
    r=$(result_field "$line" rps)
    errors=$(($(result_field "$line" non2xx) + $(result_field "$line" gql_errors) + $(result_field "$line" socket_errors)))
    rps[$server]=$r
    ratio=""
    [[ $server == baseline ]] && ratio=$(awk -v a="${rps[gateway]}" -v b="$r" 'BEGIN{printf "%.3f", a/b}')
    printf '%-5s %-9s %10s %9s %9s %11s %7s %7s\n' "$i" "$server" "$r" "$(result_field "$line" p50_ms)" "$(result_field "$line" p99_ms)" "$cpu" "$errors" "$ratio"
    echo "$i $server $line" >>"$WORK/rounds"
  done
done

echo
for server in gateway baseline; do
  m() { grep " $server RESULT" "$WORK/rounds" | while read -r l; do result_field "$l" "$1"; done | median; }
  printf 'median %-9s %10s req/s   p50 %s ms   p99 %s ms   %s CPU-us/request\n' "$server" "$(m rps)" "$(m p50_ms)" "$(m p99_ms)" "$(m cpu_us)"
done
# ratios KEY [inverse]: per round, the gateway's KEY over the baseline's,
# or the baseline's over the gateway's.
ratios() {
  awk -v k="$1" -v inv="${2:-}" '{for (i = 3; i <= NF; i++) if (index($i, k "=") == 1) v = substr($i, length(k) + 2)}
    $2 == "gateway" {a[$1] = v} $2 == "baseline" {printf "%.4f\n", inv ? v / a[$1] : a[$1] / v}' "$WORK/rounds"
}
r=$(ratios rps)
echo "throughput, gateway/baseline:       median $(median <<<"$r")  (rounds: $(tr '\n' ' ' <<<"$r"))"
r=$(ratios cpu_us inverse)
echo "CPU per request, baseline/gateway:  median $(median <<<"$r")  (rounds: $(tr '\n' ' ' <<<"$r"))"
