#!/usr/bin/env bash
# Staff's API list of every activity under load, each figure beside the bare endpoint /livez
# measured just before it: the first page, a deep page (OFFSET), a region's list and the last
# page (which the estimated count must not hide), with a staff token, never served from a cache.
#
# Usage: bench/staff_list.sh [ACTIVITIES]   (default 1000000; DURATION=10 s per measurement,
# CONNECTIONS=32, ROUNDS=2). Same database, server and settings as bench/http.sh (bench/lib.sh);
# run it under the machine's benchmark lock: `flock /tmp/bench.lock bench/staff_list.sh`.
# The run fails when a page answers anything but 200 or a request times out.
set -euo pipefail
cd "$(dirname "$0")/.."
source bench/lib.sh

ACTIVITIES="${1:-1000000}"
DURATION="${DURATION:-10}"
CONNECTIONS="${CONNECTIONS:-32}"
ROUNDS="${ROUNDS:-2}"
trap cleanup EXIT

prepare_db "$ACTIVITIES"
region=$(sql "SELECT id FROM regions_region WHERE in_campaign ORDER BY slug LIMIT 1")
start_web
token=$(staff_token)
auth="Authorization: Token $token"
first=$(curl -s -H "$auth" "$BENCH_URL/api/v1/activities/?page_size=50")
echo "first page: $(echo "$first" | "$PYTHON" -c 'import json, sys; b = json.load(sys.stdin)
print("count", b["count"], "count_exact", b["count_exact"], "next", b["next"])')"
machine
echo "gunicorn: $(production_env; "$PYTHON" -c 'import runpy; c = runpy.run_path("deploy/gunicorn.conf.py");
print(c["workers"], "processes x", c["threads"], "threads,", c["worker_class"])'), $CONNECTIONS connections, ${DURATION} s each, wrk on the same machine"

endpoints=(
    "staff list, page 1 of 50|/api/v1/activities/?page_size=50"
    "staff list, page 100|/api/v1/activities/?page_size=50&page=100"
    "staff list, one region|/api/v1/activities/?page_size=50&region=$region"
)
for entry in "${endpoints[@]}"; do
    [ "$(curl -s -o /dev/null -w '%{http_code}' -H "$auth" "$BENCH_URL${entry#*|}")" = 200 ]
    DURATION=2 load "$BENCH_URL${entry#*|}" --header "$auth" >/dev/null
done
# The real last page (by an exact count, here only) ends the list: no `next`, and its count is
# exact; the page after it is a 404.
rows=$(sql "SELECT count(*) FROM activities_activity")
last_page=$(((rows + 49) / 50))
echo "last page $last_page: $(curl -s -H "$auth" "$BENCH_URL/api/v1/activities/?page_size=50&page=$last_page" \
    | "$PYTHON" -c 'import json, sys; b = json.load(sys.stdin)
print("count", b["count"], "count_exact", b["count_exact"], "next", b["next"], "rows", len(b["results"]))')"
echo "page $((last_page + 1)): HTTP $(curl -s -o /dev/null -w '%{http_code}' -H "$auth" \
    "$BENCH_URL/api/v1/activities/?page_size=50&page=$((last_page + 1))")"

failed=0
for round in $(seq "$ROUNDS"); do
    echo
    printf "round %s of %s\n%-30s %9s %8s %8s %6s %8s | %9s %8s %8s | %s\n" "$round" "$ROUNDS" "endpoint" "req/s" \
        "p50 ms" "p99 ms" "errors" "timeouts" "bare r/s" "p50 ms" "p99 ms" "of bare"
    for entry in "${endpoints[@]}"; do
        read -r brps bp50 bp99 _berr _bto <<<"$(load "$BENCH_URL/livez")"
        read -r rps p50 p99 err timeouts <<<"$(load "$BENCH_URL${entry#*|}" --header "$auth")"
        [ "$err" = 0 ] || { grep -E "Non-2xx|Socket errors" "$BENCH_WORK/wrk.out" >&2; failed=1; }
        printf "%-30s %9s %8s %8s %6s %8s | %9s %8s %8s | %5.0f%%\n" "${entry%%|*}" "$rps" "$p50" "$p99" "$err" \
            "$timeouts" "$brps" "$bp50" "$bp99" "$(awk -v a="$rps" -v b="$brps" 'BEGIN { print 100 * a / b }')"
    done
done
echo "load average after the runs: $(cut -d' ' -f1-3 /proc/loadavg)"
exit "$failed"
