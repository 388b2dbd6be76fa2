# lib.sh: shared by ab.sh and load.sh. Source it; it defines:
#   bench_init       make $WORK (removed at exit) and stop started servers at exit,
#                    then call bench_cleanup_hook if the script defines one
#   bench_build      build the gateway, baseline and prepare binaries into $WORK
#   start_bg NAME CMD...   start CMD in the background, log to $WORK/NAME.log
#   wait_ok URL      poll URL until it answers 2xx, or fail after 30 s
#   result_field LINE KEY  the value of KEY=... in a RESULT line
#   median           the median of numbers on stdin, one a line

set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
BENCH="$ROOT/bench"
PIDS=()

bench_init() {
  WORK=$(mktemp -d "${TMPDIR:-/tmp}/tenantgraph-bench.XXXXXX")
  trap bench_cleanup EXIT
  trap 'exit 130' INT TERM
}

bench_cleanup() {
  local pid
  for pid in "${PIDS[@]}"; do
    kill "$pid" 2>/dev/null || true
  done
  for pid in "${PIDS[@]}"; do
    wait "$pid" 2>/dev/null || true
  done
  if declare -F bench_cleanup_hook >/dev/null; then
    bench_cleanup_hook
  fi
  if [[ -n "${KEEP_WORK:-}" ]]; then
    echo "kept $WORK" >&2
  else
    rm -rf "$WORK"
  fi
}

need() {
  local c
  for c in "$@"; do
    command -v "$c" >/dev/null || { echo "$c is not installed (see bench/README.md)" >&2; exit 1; }
  done
}

bench_build() {
  echo "building into $WORK ..." >&2
  (cd "$ROOT" && go build -o "$WORK/tenantgraph" . && go build -o "$WORK/baseline" ./bench/baseline && go build -o "$WORK/prepare" ./bench/prepare)
}

# start_bg NAME CMD...: CMD runs in the background (pinned with $PIN_SERVER
# when set) with its output in $WORK/NAME.log.
start_bg() {
  local name=$1
  shift
  if [[ -n "${PIN_SERVER:-}" ]]; then
    set -- taskset -c "$PIN_SERVER" "$@"
  fi
  "$@" >"$WORK/$name.log" 2>&1 &
  PIDS+=($!)
}

wait_ok() {
  local url=$1 deadline=$((SECONDS + 30))
  until curl -fsS -o /dev/null "$url" 2>/dev/null; do
    if ((SECONDS > deadline)); then
      echo "$url did not answer within 30 s; the logs:" >&2
      tail -n 20 "$WORK"/*.log >&2 || true
      exit 1
    fi
    sleep 0.2
  done
}

port_free() {
  if curl -s -o /dev/null --max-time 1 "http://$1/"; then
    echo "$1 is in use; choose other ports (see bench/README.md)" >&2
    exit 1
  fi
}

# run_wrk LUA URL ARGS...: wrk (pinned with $PIN_WRK when set), printing
# only its RESULT line (and FIRST_ERROR line, if any, to stderr).
run_wrk() {
  local lua=$1 url=$2 out
  shift 2
  local cmd=(wrk "$@" -s "$lua" "$url")
  if [[ -n "${PIN_WRK:-}" ]]; then
    cmd=(taskset -c "$PIN_WRK" "${cmd[@]}")
  fi
  out=$("${cmd[@]}")
  grep '^FIRST_ERROR' <<<"$out" >&2 || true
  grep '^RESULT' <<<"$out"
}

result_field() {
  local line=$1 key=$2
  sed -n "s/.* $key=\([^ ]*\).*/\1/p" <<<" ${line#RESULT}"
}

# cpu_ticks PID: user plus system CPU time of process PID so far, in clock
# ticks (getconf CLK_TCK a second), all its threads together.
cpu_ticks() {
  awk '{sub(/.*\) /, ""); print $12 + $13}' "/proc/$1/stat"
}

median() {
  sort -g | awk '{v[NR]=$1} END {if (NR==0) exit 1; if (NR%2) print v[(NR+1)/2]; else printf "%.6g\n", (v[NR/2]+v[NR/2+1])/2}'
}
