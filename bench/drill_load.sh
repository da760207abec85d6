#!/usr/bin/env bash
# Fault drill "60 s of load at 64 connections: zero errors". gunicorn with the production
# configuration serves a mix of the public pages and API endpoints (wrk hands them out in turn)
# for DURATION seconds; any answer other than 2xx/3xx, any socket error (connect, read, write, or
# a request slower than wrk's TIMEOUT), or a worker timeout or traceback in gunicorn's log fails
# the drill.
#
# Usage: bench/drill_load.sh [ACTIVITIES]   (default 1000000; DURATION=60 s, CONNECTIONS=64,
# TIMEOUT=2s as wrk's default, BENCH_PORT=8781). Needs wrk (Debian package) and a PostgreSQL role that may create
# databases; the seeded database is kept for the next run (bench/lib.sh).
#
# RUNS=10 bench/drill_load.sh runs the drill ten times in a row, each with its own gunicorn, and
# prints a line per run and how many passed (exit status 0 only if all did). A verdict on an
# intermittent failure needs that many: a stall that came in 2 runs of 10 passed 8 of them.
# RUN_WRAPPER is put in front of each run, e.g. RUN_WRAPPER="flock /tmp/bench.lock" on a machine
# shared with other measurements, which then take turns between two runs.
set -euo pipefail
cd "$(dirname "$0")/.."
export BENCH_PORT="${BENCH_PORT:-8781}"

RUNS="${RUNS:-1}"
if [ "$RUNS" -gt 1 ]; then
    passed=0
    for run in $(seq "$RUNS"); do
        out=$(mktemp)
        started=$(date -u +%H:%M:%S)
        # shellcheck disable=SC2086 # RUN_WRAPPER is a command and its arguments
        if RUNS=1 ${RUN_WRAPPER:-} bench/drill_load.sh "$@" >"$out" 2>&1; then passed=$((passed + 1)); fi
        echo "run $run of $RUNS, started $started UTC: $(grep -E '^(requests|non-2xx|gunicorn|load average|PASS|FAIL)' "$out" \
            | paste -sd ' ')"
        grep -q '^PASS' "$out" || tail -n 30 "$out"
        rm -f "$out"
    done
    echo "$passed of $RUNS runs passed"
    [ "$passed" = "$RUNS" ]
    exit
fi

source bench/lib.sh

ACTIVITIES="${1:-1000000}"
DURATION="${DURATION:-60}"
CONNECTIONS="${CONNECTIONS:-64}"
TIMEOUT="${TIMEOUT:-2s}"
# Workers are renewed far more often than in production (50,000 requests), so that several are
# replaced under the load: a renewal must cost no request either.
export GUNICORN_MAX_REQUESTS="${GUNICORN_MAX_REQUESTS:-5000}"
trap cleanup EXIT

prepare_db "$ACTIVITIES"
region=$(sql "SELECT slug FROM regions_region WHERE in_campaign ORDER BY slug LIMIT 1")
paths=(/es/ "/es/regiones/$region/" /es/estadisticas/ /es/mapa/ /en/ "/api/v1/activities/?page_size=50"
    "/api/v1/statistics/?by=region" /api/v1/regions/geojson/ /livez /healthz)
start_web
machine
# Every URL answers once before the load, so that a cached page is then served from the cache.
# Copies kept in BENCH_REDIS_URL by an earlier run or by bench/http.sh (same pages, same database)
# are served as they are, and may come to the end of their 10 minutes during this run's minute, as
# they do in production: that is how 2 runs in 10 stalled (docs/PERFORMANCE.md, load drill).
for path in "${paths[@]}"; do wait_for "$BENCH_URL$path" 120; done

{
    echo "local paths = {"
    printf '  "%s",\n' "${paths[@]}"
    echo "}"
    cat <<'LUA'
local n = 0
request = function()
  n = n + 1
  return wrk.format("GET", paths[n % #paths + 1])
end
LUA
} >"$BENCH_WORK/mix.lua"

workers_before=$(pgrep -P "$WEB_PID" | paste -sd ' ')
echo "wrk: $CONNECTIONS connections, 2 threads, ${DURATION} s, timeout $TIMEOUT, ${#paths[@]} URLs in turn: ${paths[*]}"
wrk --threads 2 --connections "$CONNECTIONS" --duration "${DURATION}s" --timeout "$TIMEOUT" --latency \
    --script "$BENCH_WORK/mix.lua" "$BENCH_URL" >"$BENCH_WORK/wrk.out" 2>&1 \
    || { cat "$BENCH_WORK/wrk.out"; echo "FAIL: wrk did not run"; exit 1; }
read -r requests rps p50 p99 max bad connect read write timeout <<<"$(wrk_figures "$BENCH_WORK/wrk.out")"

# Workers replaced during the run (GUNICORN_MAX_REQUESTS above).
replaced=$(comm -23 <(tr ' ' '\n' <<<"$workers_before" | sort) <(pgrep -P "$WEB_PID" | sort) | wc -l)
echo "requests: $requests, $rps req/s; latency p50 $p50 ms, p99 $p99 ms, max $max ms"
echo "non-2xx/3xx answers: $bad; socket errors: connect $connect, read $read, write $write, timeout $timeout"
# gunicorn logs at WARNING here: a worker it had to kill, or a request that raised, shows up.
problems=$(grep -cE "WORKER TIMEOUT|Traceback|Internal Server Error|Worker .* (was sent|exited)" "$BENCH_WORK/gunicorn.log" || true)
echo "gunicorn: $replaced of its $(wc -w <<<"$workers_before") workers replaced during the run (max_requests);" \
    "log: $problems worker timeouts, tracebacks or lost workers"
[ "$problems" = 0 ] || grep -E -A3 "WORKER TIMEOUT|Traceback|Internal Server Error|Worker .* (was sent|exited)" "$BENCH_WORK/gunicorn.log" | head -n 40
echo "load average after the run: $(cut -d' ' -f1-3 /proc/loadavg)"

errors=$((bad + connect + read + write + timeout + problems))
if [ "$requests" -eq 0 ] || [ "$errors" -ne 0 ]; then
    echo "FAIL: $errors errors in $requests requests"
    exit 1
fi
echo "PASS: $requests requests, zero errors"
