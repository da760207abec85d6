#!/usr/bin/env bash
# The 99th percentile of the bare endpoint and two kept public pages under gunicorn's production
# configuration, with the master's objects frozen out of the garbage collector before each fork
# (deploy/gunicorn.conf.py, pre_fork) and without, alternately: the machine drifts, so each pair
# is measured back to back, a fresh server each time.
#
# Usage: bench/tails.sh [ACTIVITIES]   (default 1000000; PAIRS=2, DURATION=10 s, CONNECTIONS=32,
# 3 rounds of the three addresses per server). Same database and settings as bench/http.sh
# (bench/lib.sh); run it under the benchmark lock: `flock /tmp/bench.lock bench/tails.sh`.
set -euo pipefail
cd "$(dirname "$0")/.."
source bench/lib.sh

ACTIVITIES="${1:-1000000}"
DURATION="${DURATION:-10}"
CONNECTIONS="${CONNECTIONS:-32}"
PAIRS="${PAIRS:-2}"
PATHS=(/livez /es/ /es/mapa/)
trap cleanup EXIT

prepare_db "$ACTIVITIES"
machine
printf "%-8s %-10s %9s %8s %8s %6s\n" "frozen" "address" "req/s" "p50 ms" "p99 ms" "errors"
for _pair in $(seq "$PAIRS"); do
    for freeze in 1 0; do
        GUNICORN_GC_FREEZE=$freeze start_web
        for path in "${PATHS[@]}"; do DURATION=2 load "$BENCH_URL$path" >/dev/null; done
        for _round in 1 2 3; do
            for path in "${PATHS[@]}"; do
                read -r rps p50 p99 err _timeouts <<<"$(load "$BENCH_URL$path")"
                printf "%-8s %-10s %9s %8s %8s %6s\n" "$([ $freeze = 1 ] && echo yes || echo no)" "$path" \
                    "$rps" "$p50" "$p99" "$err"
            done
        done
        stop_web
    done
done
echo "load average after the runs: $(cut -d' ' -f1-3 /proc/loadavg)"
