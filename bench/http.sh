#!/usr/bin/env bash
# Throughput and latency of the public pages and the API under gunicorn with the production
# configuration, each beside the bare endpoint /livez (no database, no cache: the ceiling of
# Django and gunicorn on this machine) measured just before it in the same run. Every request
# says `Accept-Encoding: gzip`, as browsers and map clients do.
#
# Usage: bench/http.sh [ACTIVITIES]   (default 1000000; DURATION=10 s per measurement,
# CONNECTIONS=32, ROUNDS=2 tables: this machine's speed drifts by a third from minute to minute,
# so compare each figure with the bare endpoint's beside it, and the rounds with each other;
# ONLY=REGEX keeps the endpoints whose name matches, e.g. ONLY=cached for the public pages).
# Needs wrk (Debian package) and a PostgreSQL role that may create databases.
# The seeded database is kept for the next run (bench/lib.sh).
set -euo pipefail
cd "$(dirname "$0")/.."
source bench/lib.sh

ACTIVITIES="${1:-1000000}"
DURATION="${DURATION:-10}"
CONNECTIONS="${CONNECTIONS:-32}"
ROUNDS="${ROUNDS:-2}"
trap cleanup EXIT

prepare_db "$ACTIVITIES"
region=$(sql "SELECT slug FROM regions_region WHERE in_campaign ORDER BY slug LIMIT 1")
start_web
# Signed-in callers are never served a kept answer: the ministry's demo user measures the work.
token=$(staff_token)
machine
echo "gunicorn: $(production_env; "$PYTHON" -c 'import runpy; c = runpy.run_path("deploy/gunicorn.conf.py");
print(c["workers"], "processes x", c["threads"], "threads,", c["worker_class"])'), $CONNECTIONS connections, ${DURATION} s each, wrk on the same machine"

endpoints=(
    "home page (cached)|/es/"
    "region page (cached)|/es/regiones/$region/"
    "statistics page (cached)|/es/estadisticas/"
    "map page (cached)|/es/mapa/"
    "API activity list, page of 50|/api/v1/activities/?page_size=50"
    "API activity list, page 100|/api/v1/activities/?page_size=50&page=100"
    "API public statistics|/api/v1/statistics/"
    "API regions GeoJSON|/api/v1/regions/geojson/"
    "API activities GeoJSON (5,000 points)|/api/v1/activities/geojson/"
    "API activity list, staff (not cached)|/api/v1/activities/?page_size=50|Authorization: Token $token"
)
if [ -n "${ONLY:-}" ]; then
    chosen=()
    for entry in "${endpoints[@]}"; do [[ ! "${entry%%|*}" =~ $ONLY ]] || chosen+=("$entry"); done
    endpoints=("${chosen[@]}")
fi
path() { local rest="${1#*|}"; echo "${rest%%|*}"; }
header() { local rest="${1#*|}"; [ "$rest" = "${rest#*|}" ] || echo "${rest#*|}"; }
# Every endpoint is loaded for 2 s before timing, so that a cached page is measured from the cache
# and every gunicorn process has served it once.
for entry in "${endpoints[@]}"; do
    wait_for "$BENCH_URL$(path "$entry")" 120
    DURATION=2 load "$BENCH_URL$(path "$entry")" >/dev/null
done

for round in $(seq "$ROUNDS"); do
    echo
    printf "round %s of %s\n%-40s %9s %8s %8s %6s | %9s %8s %8s | %s\n" "$round" "$ROUNDS" "endpoint" "req/s" \
        "p50 ms" "p99 ms" "errors" "bare r/s" "p50 ms" "p99 ms" "of bare"
    for entry in "${endpoints[@]}"; do
        read -r brps bp50 bp99 berr _ <<<"$(load "$BENCH_URL/livez")"
        args=("$BENCH_URL$(path "$entry")")
        [ -z "$(header "$entry")" ] || args+=(--header "$(header "$entry")")
        read -r rps p50 p99 err _ <<<"$(load "${args[@]}")"
        [ "$err" = 0 ] || grep -E "Non-2xx|Socket errors" "$BENCH_WORK/wrk.out" >&2
        printf "%-40s %9s %8s %8s %6s | %9s %8s %8s | %5.0f%%\n" "${entry%%|*}" "$rps" "$p50" "$p99" "$err" \
            "$brps" "$bp50" "$bp99" "$(awk -v a="$rps" -v b="$brps" 'BEGIN { print 100 * a / b }')"
        [ "$berr" = 0 ] || echo "  the bare endpoint had $berr errors in that run" >&2
    done
done
echo "load average after the runs: $(cut -d' ' -f1-3 /proc/loadavg)"
