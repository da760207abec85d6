#!/usr/bin/env bash
# Fault drill "restart Redis while reports are queued: none is lost". With no worker running,
# staff asks for several small reports (an activities CSV and a progress XLSX for four regions,
# and the national summary in PDF), so that their jobs wait in Redis. Redis is restarted without
# saving, as the portal's Redis runs (no persistence): the jobs are gone. A worker starts and is
# left alone past the sweep's one-minute grace for queued reports, to show that nothing runs
# them by itself; then the sweep, sent through the broker as beat sends it every 5 minutes
# (the drill sends it at once), finds the queued reports whose job the broker no longer holds
# and sends them again. Fails unless every report ends done.
#
# Usage: bench/drill_redis_restart.sh [ACTIVITIES]   (default 20000; BENCH_DB=bench_drills,
# REDIS_PORT=6391). Needs a PostgreSQL role that may create databases and redis-server. Only a
# private Redis on REDIS_PORT is restarted, never the machine's. The seeded database is kept for
# the next run (`dropdb bench_drills` removes it); the drill's report rows are deleted at the end.
set -euo pipefail
cd "$(dirname "$0")/.."
export BENCH_DB="${BENCH_DB:-bench_drills}"
source bench/lib.sh

ACTIVITIES="${1:-20000}"
REPORTS=""
finish() {
    cleanup
    [ -z "$REPORTS" ] || sql "DELETE FROM reports_report WHERE id IN ($REPORTS)"
}
trap finish EXIT

T0=""
elapsed() { awk -v t0="$T0" -v now="$(date +%s.%N)" 'BEGIN { printf "%.1f", now - t0 }'; }
counts() { sql "SELECT string_agg(status || ' ' || n, ', ' ORDER BY status) FROM
    (SELECT status, count(*) AS n FROM reports_report WHERE id IN ($REPORTS) GROUP BY status) s"; }
unfinished() { sql "SELECT count(*) FROM reports_report WHERE id IN ($REPORTS) AND status NOT IN ('done', 'failed')"; }
jobs_in_redis() { redis-cli -p "$REDIS_PORT" llen celery; }

prepare_db "$ACTIVITIES"
REDIS_PORT="${REDIS_PORT:-6391}"
start_redis "$REDIS_PORT"
production_env
machine

REPORTS=$("$PYTHON" manage.py shell --no-imports -c '
from django.contrib.auth import get_user_model
from regions.models import Region
from reports.services import report_request
staff = get_user_model().objects.get(username="staff")
asked = [("national_summary", "pdf", None)]
for region in Region.objects.in_campaign().order_by("slug")[:4]:
    asked += [("activities", "csv", region), ("regional_progress", "xlsx", region)]
ids = []
for kind, format, region in asked:
    report, created = report_request(user=staff, kind=kind, format=format, region=region)
    assert created, f"report {report.pk} was already queued or running"
    ids.append(report.pk)
print(",".join(map(str, ids)))')
[[ "$REPORTS" =~ ^[0-9,]+$ ]] || { echo "FAIL: the request printed '$REPORTS', not report ids"; REPORTS=""; exit 1; }
total=$(($(tr -cd , <<<"$REPORTS" | wc -c) + 1))
T0=$(date +%s.%N)
echo "$(elapsed) s: $total reports requested, no worker running: $(counts); jobs waiting in Redis: $(jobs_in_redis)"

redis-cli -p "$REDIS_PORT" shutdown nosave >/dev/null || true
wait "$REDIS_PID" 2>/dev/null || true
start_redis "$REDIS_PORT"
echo "$(elapsed) s: Redis restarted (SHUTDOWN NOSAVE, started again); jobs waiting in Redis: $(jobs_in_redis)"

start_worker
# The sweep sends again only the jobs of reports queued for over a minute (a younger one may
# still have its first job on the way), so the worker is left alone past that.
sleep "$(awk -v t0="$T0" -v now="$(date +%s.%N)" 'BEGIN { s = t0 + 65 - now; print (s > 0 ? s : 0) }')"
echo "$(elapsed) s: a worker has been running since the restart, without the sweep: $(counts)"
[ "$(unfinished)" = "$total" ] || { echo "FAIL: some reports ran without the sweep: the restart did not lose their jobs"; exit 1; }

"$BIN/celery" -A prevent_protect call reports.sweep_reports >/dev/null
echo "$(elapsed) s: sweep sent through the broker (celery call reports.sweep_reports; beat sends it every 5 minutes)"
for _ in $(seq 900); do
    [ "$(unfinished)" = 0 ] && break
    sleep 0.2
done
echo "$(elapsed) s: $(counts); the sweep logged: $(grep -ho "Report sweep: .*" "$BENCH_WORK/worker.log" | tail -n 1)"

done_count=$(sql "SELECT count(*) FROM reports_report WHERE id IN ($REPORTS) AND status = 'done'")
if [ "$done_count" != "$total" ]; then
    echo "FAIL: $done_count of $total reports done"
    sql "SELECT id, kind, format, status, progress, attempts, error FROM reports_report WHERE id IN ($REPORTS) AND status <> 'done'"
    exit 1
fi
echo "PASS: all $total reports whose jobs Redis lost were done after the sweep"
