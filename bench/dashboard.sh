#!/usr/bin/env bash
# The staff dashboard on 1,000,000 activities: its render time beside the raw SQL of the figures it
# shows, measured side by side in one run (bench/dashboard.py).
#
# Usage: bench/dashboard.sh [ACTIVITIES] [YEAR]   (defaults 1000000 and 2025)
# Needs a PostgreSQL role that may create databases: PGHOST, PGPORT and PGUSER (defaults
# 127.0.0.1, 5432, postgres). Creates a throwaway database, seeds it with
# `seed_demo --activities ACTIVITIES --seed 1` (2-3 minutes for a million), and drops it at the
# end, even on failure. To measure again on a database already seeded, run bench/dashboard.py
# with DATABASE_URL pointing at it.
set -euo pipefail
cd "$(dirname "$0")/.."

ACTIVITIES="${1:-1000000}"
YEAR="${2:-2025}"
export PGHOST="${PGHOST:-127.0.0.1}" PGPORT="${PGPORT:-5432}" PGUSER="${PGUSER:-postgres}"
PYTHON="${PYTHON:-.venv/bin/python}"
DB="bench_dashboard_$$"
export DATABASE_URL="postgres://${PGUSER}@${PGHOST}:${PGPORT}/${DB}"

createdb "$DB"
trap 'dropdb --if-exists "$DB"' EXIT
sql() { psql -X -q -t -A -v ON_ERROR_STOP=1 -d "$DB" -c "$1"; }

echo "machine: $(nproc) cores, $(. /etc/os-release && echo "$PRETTY_NAME"), PostgreSQL $(sql 'SHOW server_version')," \
    "Python $("$PYTHON" -c 'import platform; print(platform.python_version())')," \
    "Django $("$PYTHON" -c 'import django; print(django.get_version())'), load average $(cut -d' ' -f1-3 /proc/loadavg)"
DJANGO_DEBUG=1 "$PYTHON" manage.py migrate --verbosity 0
DJANGO_DEBUG=1 "$PYTHON" manage.py seed_demo --activities "$ACTIVITIES" --seed 1 | tail -n 1
# What autovacuum would have done by the time anyone opens the dashboard: planner statistics,
# and the visibility map that lets PostgreSQL skip the heap for index-only scans.
sql "VACUUM ANALYZE"
echo "load average before timing: $(cut -d' ' -f1-3 /proc/loadavg)"
"$PYTHON" bench/dashboard.py --year "$YEAR"
