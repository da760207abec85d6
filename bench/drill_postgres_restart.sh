#!/usr/bin/env bash
# Fault drill "restart PostgreSQL under load: the portal recovers without being restarted, and
# /healthz says 503 while the database is down". On a private, throwaway PostgreSQL cluster,
# gunicorn (production configuration) serves wrk, which alternates /healthz and a page of the
# activity list for an API client with a token (never cached, so every request reads the
# database). After 10 s the cluster is stopped (fast: the portal's connections are cut) and
# /healthz is polled every 0.5 s; 10 s later the cluster starts again. The drill fails unless
# /healthz said 503 naming the database while it was down, was 200 again within RECOVERY seconds
# of the database's return, with the same gunicorn master and workers, and a second wrk run
# after the recovery sees no error at all. Errors while the database is down are expected;
# they are counted, not failed.
#
# Usage: bench/drill_postgres_restart.sh [ACTIVITIES]   (default 20000; PG_PORT=5441,
# REDIS_PORT=6393, BENCH_PORT=8783, CONNECTIONS=16, RECOVERY=15). Needs root (the cluster runs as
# the postgres user), PostgreSQL's server binaries (/usr/lib/postgresql/*/bin), redis-server and
# wrk. The machine's own PostgreSQL and Redis are not touched; the private cluster is deleted at
# the end, even on failure.
set -euo pipefail
cd "$(dirname "$0")/.."
export BENCH_DB="${BENCH_DB:-bench_drills}" BENCH_PORT="${BENCH_PORT:-8783}"
export PGHOST=127.0.0.1 PGPORT="${PG_PORT:-5441}"
source bench/lib.sh

ACTIVITIES="${1:-20000}"
CONNECTIONS="${CONNECTIONS:-16}"
RECOVERY="${RECOVERY:-15}"
PG_BIN=$(ls -d /usr/lib/postgresql/*/bin | sort -V | tail -n 1)
PG_DIR=$(mktemp -d)
cluster() { runuser -u postgres -- "$PG_BIN/pg_ctl" -D "$PG_DIR/data" -l "$PG_DIR/postgres.log" -w "$@" >/dev/null; }
finish() {
    cleanup
    cluster stop -m immediate 2>/dev/null || true
    rm -rf "$PG_DIR"
}
trap finish EXIT

chown postgres: "$PG_DIR"
runuser -u postgres -- "$PG_BIN/initdb" -D "$PG_DIR/data" --auth=trust --username=postgres >/dev/null
cluster -o "-p $PGPORT -k $PG_DIR -c listen_addresses=127.0.0.1" start
prepare_db "$ACTIVITIES"
start_redis "${REDIS_PORT:-6393}"
# No recycling of gunicorn workers after N requests: the drill checks that the very processes
# that lost their connections serve again, not fresh ones.
export GUNICORN_MAX_REQUESTS=0
start_web
machine
token=$(curl -sf -d username=staff -d "password=${DEMO_PASSWORD:-prevenir-2024}" "$BENCH_URL/api/v1/auth/token/" \
    | "$PYTHON" -c 'import json, sys; print(json.load(sys.stdin)["token"])')
api="/api/v1/activities/?page_size=20"
cat >"$BENCH_WORK/mix.lua" <<LUA
local n = 0
request = function()
  n = n + 1
  if n % 2 == 0 then return wrk.format("GET", "/healthz") end
  return wrk.format("GET", "$api", {Authorization = "Token $token"})
end
LUA
workers() { pgrep -P "$WEB_PID" | sort | paste -sd ' ' || true; }
workers_before=$(workers)
# Kept in the cache before the outage, as a visited home page would be.
wait_for "$BENCH_URL/es/"

T0=$(date +%s.%N)
elapsed() { awk -v t0="$T0" -v now="$(date +%s.%N)" 'BEGIN { printf "%.1f", now - t0 }'; }
# "requests non-2xx/3xx socket-errors" of a wrk output.
wrk_counts() { wrk_figures "$1" | awk '{ print $1, $6, $7 + $8 + $9 + $10 }'; }
healthz() { curl -s -o "$BENCH_WORK/healthz.json" -w '%{http_code}' --max-time 5 "$BENCH_URL/healthz" || true; }
status() { curl -s -o /dev/null -w '%{http_code}' --max-time 5 "$BENCH_URL$1" || true; }
api_status() { curl -s -o /dev/null -w '%{http_code}' --max-time 5 -H "Authorization: Token $token" "$BENCH_URL$api" || true; }

wrk --threads 2 --connections "$CONNECTIONS" --duration 40s --script "$BENCH_WORK/mix.lua" "$BENCH_URL" >"$BENCH_WORK/wrk-outage.out" &
wrk_pid=$!
echo "$(elapsed) s: wrk started, $CONNECTIONS connections for 40 s: /healthz and $api with a token, in turn"
sleep 10

cluster stop -m fast
down=$(elapsed)
echo "$down s: PostgreSQL stopped (fast)"
codes=() first_503="" body_503="" up="" first_200=""
while :; do
    code=$(healthz)
    codes+=("$code")
    if [ "$code" = 503 ] && [ -z "$first_503" ]; then
        first_503=$(elapsed) body_503=$(cat "$BENCH_WORK/healthz.json")
        echo "$first_503 s: /healthz 503: $body_503"
        echo "          meanwhile /livez answers $(status /livez), the cached home page $(status /es/), the API page $(api_status)"
    fi
    if [ -z "$up" ] && awk -v now="$(elapsed)" -v down="$down" 'BEGIN { exit !(now >= down + 10) }'; then
        cluster start
        up=$(elapsed)
        echo "$up s: PostgreSQL started again"
    fi
    if [ -n "$up" ] && [ "$code" = 200 ]; then
        first_200=$(elapsed)
        echo "$first_200 s: /healthz 200 again: $(cat "$BENCH_WORK/healthz.json")"
        break
    fi
    if [ -n "$up" ] && awk -v now="$(elapsed)" -v up="$up" -v limit="$RECOVERY" 'BEGIN { exit !(now > up + limit) }'; then
        echo "$(elapsed) s: /healthz still $code, $RECOVERY s after PostgreSQL came back"
        break
    fi
    sleep 0.5
done
echo "/healthz answers seen, every 0.5 s from the stop: $(printf '%s\n' "${codes[@]}" | uniq -c | awk '{ printf "%s%s x%s", sep, $2, $1; sep = ", " }')"
echo "$(elapsed) s: the API page answers $(api_status)"
wait "$wrk_pid" || true
read -r requests bad socket <<<"$(wrk_counts "$BENCH_WORK/wrk-outage.out")"
echo "$(elapsed) s: wrk across the outage: $requests requests, $bad non-2xx/3xx answers, $socket socket errors" \
    "(expected while the database was down, $(awk -v a="$down" -v b="$up" 'BEGIN { printf "%.1f", b - a }') s)"

wrk --threads 2 --connections "$CONNECTIONS" --duration 10s --script "$BENCH_WORK/mix.lua" "$BENCH_URL" >"$BENCH_WORK/wrk-after.out"
read -r requests_after bad_after socket_after <<<"$(wrk_counts "$BENCH_WORK/wrk-after.out")"
echo "$(elapsed) s: wrk after the recovery, 10 s: $requests_after requests, $bad_after non-2xx/3xx answers, $socket_after socket errors"

workers_after=$(workers)
timeouts=$(grep -c "WORKER TIMEOUT" "$BENCH_WORK/gunicorn.log" || true)
echo "gunicorn master $WEB_PID $(kill -0 "$WEB_PID" 2>/dev/null && echo alive || echo gone); workers before: $workers_before; after: $workers_after; worker timeouts: $timeouts"

failures=()
[ -n "$first_503" ] && grep -q '"database": "down' <<<"$body_503" || failures+=("/healthz never said 503 with the database down")
[ -n "$first_200" ] || failures+=("/healthz not 200 within $RECOVERY s of PostgreSQL's return")
[ "$workers_before" = "$workers_after" ] && kill -0 "$WEB_PID" 2>/dev/null || failures+=("gunicorn or its workers were replaced")
[ "$requests_after" -gt 0 ] && [ $((bad_after + socket_after)) = 0 ] || failures+=("errors after the recovery")
if [ ${#failures[@]} -gt 0 ]; then
    printf 'FAIL: %s\n' "${failures[@]}"
    exit 1
fi
echo "PASS: 503 $(awk -v a="$first_503" -v b="$down" 'BEGIN { printf "%.1f", a - b }') s after the stop, 200 again" \
    "$(awk -v a="$first_200" -v b="$up" 'BEGIN { printf "%.1f", a - b }') s after the start, same processes, no error afterwards"
