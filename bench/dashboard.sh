#!/usr/bin/env bash
# The staff dashboard on 1,000,000 activities: its render time beside the raw SQL of the figures it
# shows, its own period's and the earlier periods' it compares them with, over the activities and
# over the tallies the page reads (reports.tally; migrate and seed_demo fill them), measured side by
# side in one run and checked to be the same numbers (bench/dashboard.py).
#
# Usage: bench/dashboard.sh [ACTIVITIES] [YEAR] [QUARTER]   (defaults 1000000, 2025 and 0, the whole year)
# Needs a PostgreSQL role that may create databases: PGHOST, PGPORT and PGUSER (defaults
# 127.0.0.1, 5432, postgres). Seeds the benchmarks' database (bench/lib.sh; 3-5 minutes for a
# million on 2 cores, kept for the next run). bench/dashboard.py alone measures any seeded DATABASE_URL.
set -euo pipefail
cd "$(dirname "$0")/.."
source bench/lib.sh

ACTIVITIES="${1:-1000000}"
YEAR="${2:-2025}"
QUARTER="${3:-0}"
trap cleanup EXIT

prepare_db "$ACTIVITIES"
machine
DATABASE_URL="$(db_url)" "$PYTHON" bench/dashboard.py --year "$YEAR" --quarter "$QUARTER"
