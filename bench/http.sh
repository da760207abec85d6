#!/usr/bin/env bash
# Throughput and latency of the public pages and the API under gunicorn with the production
# configuration, each beside the bare endpoint /livez (no database, no cache: the ceiling of
# Django and gunicorn on this machine) measured just before it in the same run.
#
# Usage: bench/http.sh [ACTIVITIES]   (default 1000000; DURATION=10 s per measurement,
# CONNECTIONS=32). Needs wrk (Debian package) and a PostgreSQL role that may create databases.
# The seeded database is kept for the next run (bench/lib.sh).
set -euo pipefail
cd "$(dirname "$0")/.."
source bench/lib.sh

ACTIVITIES="${1:-1000000}"
DURATION="${DURATION:-10}"
CONNECTIONS="${CONNECTIONS:-32}"
trap cleanup EXIT

# "requests/s p50_ms p99_ms errors" of one wrk run; errors are non-2xx/3xx answers plus socket errors.
load() {
    wrk --threads 2 --connections "$CONNECTIONS" --duration "${DURATION}s" --latency "$1" | awk '
        function ms(v) {
            if (v ~ /us$/) return v / 1000
            if (v ~ /ms$/) return v + 0
            if (v ~ /m$/) return v * 60000
            return v * 1000
        }
        $1 == "50%" { p50 = ms($2) }
        $1 == "99%" { p99 = ms($2) }
        /^Requests\/sec/ { rps = $2 }
        /Non-2xx or 3xx responses/ { errors += $NF }
        /Socket errors/ { gsub(",", ""); errors += $4 + $6 + $8 + $10 }
        END { printf "%.0f %.1f %.1f %d", rps, p50, p99, errors }'
}

prepare_db "$ACTIVITIES"
region=$(sql "SELECT slug FROM regions_region WHERE in_campaign ORDER BY slug LIMIT 1")
start_web
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
)
# Every endpoint answers once before timing, so that a cached page is measured from the cache.
for entry in "${endpoints[@]}"; do
    wait_for "$BENCH_URL${entry#*|}" 120
done

echo
printf "%-40s %9s %8s %8s %6s | %9s %8s %8s | %s\n" "endpoint" "req/s" "p50 ms" "p99 ms" "errors" \
    "bare r/s" "p50 ms" "p99 ms" "of bare"
for entry in "${endpoints[@]}"; do
    read -r brps bp50 bp99 berr <<<"$(load "$BENCH_URL/livez")"
    read -r rps p50 p99 err <<<"$(load "$BENCH_URL${entry#*|}")"
    printf "%-40s %9s %8s %8s %6s | %9s %8s %8s | %5.0f%%\n" "${entry%%|*}" "$rps" "$p50" "$p99" "$err" \
        "$brps" "$bp50" "$bp99" "$(awk -v a="$rps" -v b="$brps" 'BEGIN { print 100 * a / b }')"
    [ "$berr" = 0 ] || echo "  the bare endpoint had $berr errors in that run" >&2
done
echo "load average after the runs: $(cut -d' ' -f1-3 /proc/loadavg)"
