#!/usr/bin/env bash
# Fault drill "kill a Celery worker with SIGKILL during a 1,000,000-row export: the report
# completes after a worker returns, or is failed with a clear message by the sweep; none is left
# running". Staff asks for the CSV export of every activity through reports.services; once the
# report runs and shows progress, the worker's main process and its pool process both get
# SIGKILL, as a crash would. A new worker starts; the report stays running, because its job is
# delivered and unacknowledged, and Redis hands it out again only after the visibility timeout
# (kombu's default, an hour). The sweep, sent through the broker as beat sends it every 5 minutes
# (the drill sends it at once), finds the report running with nobody holding its lock and queues
# it again. Fails unless the report ends done with every row, or failed with a message.
# KILL=pool kills only the pool process, the one the OOM killer would pick: the main process
# lives on, gets the job back and runs it again without the sweep.
#
# Usage: bench/drill_worker_kill.sh [ACTIVITIES]   (default 1000000; KILL=both, REDIS_PORT=6392). Needs a
# PostgreSQL role that may create databases and redis-server. The seeded database is kept
# (bench/lib.sh); the report rows the drill made are deleted at the end, and its private Redis
# (the killed worker's job is left in it) is shut down.
set -euo pipefail
cd "$(dirname "$0")/.."
source bench/lib.sh

ACTIVITIES="${1:-1000000}"
KILL="${KILL:-both}"
REPORT=""
finish() {
    cleanup
    [ -z "$REPORT" ] || sql "DELETE FROM reports_report WHERE id = $REPORT"
}
trap finish EXIT

T0=$(date +%s.%N)
elapsed() { awk -v t0="$T0" -v now="$(date +%s.%N)" 'BEGIN { printf "%.1f", now - t0 }'; }
row() { sql "SELECT status || ' ' || progress || '% attempt ' || attempts FROM reports_report WHERE id = $REPORT"; }
status() { sql "SELECT status FROM reports_report WHERE id = $REPORT"; }
# Polls every 0.2 s, up to SECONDS, until the SQL condition on the report holds.
wait_report() {
    local holds
    for _ in $(seq $(($1 * 5))); do
        holds=$(sql "SELECT $2 FROM reports_report WHERE id = $REPORT") || exit 1
        [ "$holds" = t ] && return 0
        sleep 0.2
    done
    echo "FAIL: after $1 s the report is $(row), still not: $2"
    exit 1
}

prepare_db "$ACTIVITIES"
start_redis "${REDIS_PORT:-6392}"
production_env
# What the killed processes leave in their temporary directory goes with the work directory.
export TMPDIR="$BENCH_WORK"
machine
start_worker
first_worker=${WORKER_PIDS[0]}

T0=$(date +%s.%N)
REPORT=$("$PYTHON" manage.py shell --no-imports -c '
from django.contrib.auth import get_user_model
from reports.services import report_request
report, created = report_request(user=get_user_model().objects.get(username="staff"), kind="activities", format="csv")
assert created, f"report {report.pk} was already queued or running"
print(report.pk)')
[[ "$REPORT" =~ ^[0-9]+$ ]] || { echo "FAIL: the request printed '$REPORT', not a report id"; REPORT=""; exit 1; }
echo "$(elapsed) s: report $REPORT requested (activities, CSV, all regions) by staff"
wait_report 120 "status = 'running' AND progress > 0"
echo "$(elapsed) s: running, $(row)"

pool=$(pgrep -P "$first_worker" | paste -sd ' ')
if [ "$KILL" = pool ]; then
    kill -KILL $pool
    echo "$(elapsed) s: SIGKILL to the worker's pool process $pool (its main process $first_worker lives on)"
else
    kill -KILL "$first_worker" $pool
    wait "$first_worker" 2>/dev/null || true
    echo "$(elapsed) s: SIGKILL to the worker (main process $first_worker, pool process $pool)"
fi
sleep 1
echo "$(elapsed) s: the report is $(row); jobs delivered and unacknowledged in Redis: $(redis-cli -p "$REDIS_PORT" hlen unacked)"

# The dead worker's database session, and with it the report's advisory lock, ends when
# PostgreSQL notices the closed socket; until then the sweep must take the report as alive.
lock="NOT EXISTS (SELECT FROM pg_locks WHERE locktype = 'advisory' AND classid = $((0x5250)) AND objid = id)"
wait_report 30 "$lock"
echo "$(elapsed) s: the report's lock is released (the dead worker's session ended)"

if [ "$KILL" != pool ]; then
    start_worker
    echo "$(elapsed) s: a new worker started"
fi
echo "$(elapsed) s: waiting 15 s without the sweep"
sleep 15
echo "$(elapsed) s: the report is $(row)"
# After a crash the job stays unacknowledged: no worker may take it before the visibility timeout.
[ "$KILL" = pool ] || [ "$(status)" = running ] || { echo "FAIL: expected the report still running before the sweep"; exit 1; }

"$BIN/celery" -A prevent_protect call reports.sweep_reports >/dev/null
echo "$(elapsed) s: sweep sent through the broker (celery call reports.sweep_reports; beat sends it every 5 minutes)"
wait_report 60 "status <> 'running' OR attempts > 1"
echo "$(elapsed) s: the report is $(row)"
wait_report 300 "status IN ('done', 'failed')"
swept=$(grep -ho "Report sweep: .*" "$BENCH_WORK/worker.log" | tail -n 1 || true)
echo "$(elapsed) s: the report is $(row); the sweep logged: ${swept:-nothing (it had nothing to do)}"

read -r final rows file error <<<"$(sql "SELECT status, coalesce(row_count, 0), coalesce(nullif(file, ''), '-'), error FROM reports_report WHERE id = $REPORT" | tr '|' ' ')"
if [ "$final" = done ]; then
    lines=$(wc -l <"$BENCH_WORK/media/$file")
    echo "file: $lines lines ($rows rows and the header), $(du -m "$BENCH_WORK/media/$file" | cut -f1) MB"
    [ "$lines" = $((ACTIVITIES + 1)) ] && [ "$rows" = "$ACTIVITIES" ] \
        || { echo "FAIL: expected $((ACTIVITIES + 1)) lines"; exit 1; }
    echo "PASS: the export killed mid-run was done on attempt $(sql "SELECT attempts FROM reports_report WHERE id = $REPORT"), every row in it"
elif [ "$final" = failed ] && [ -n "$error" ]; then
    echo "PASS: the report was failed with the message: $error"
else
    echo "FAIL: the report ended $final with the message '$error'"
    exit 1
fi
