#!/usr/bin/env bash
# The completeness page on 1,000,000 activities: its render time and its selector's beside the
# fastest raw SQL of the same table, measured side by side in one run (bench/completeness.py).
#
# Usage: bench/completeness.sh [ACTIVITIES] [FROM] [TO]   (defaults 1000000 and the last six months)
# FROM and TO are months as YYYY-MM. Needs a PostgreSQL role that may create databases: PGHOST,
# PGPORT and PGUSER (defaults 127.0.0.1, 5432, postgres). Seeds the benchmarks' database (BENCH_DB,
# bench/lib.sh; 2-3 minutes for a million, kept for the next run). bench/completeness.py alone
# measures any seeded DATABASE_URL.
set -euo pipefail
cd "$(dirname "$0")/.."
source bench/lib.sh

ACTIVITIES="${1:-1000000}"
RANGE=()
[ -n "${2:-}" ] && RANGE+=(--from "$2")
[ -n "${3:-}" ] && RANGE+=(--to "$3")
trap cleanup EXIT

prepare_db "$ACTIVITIES"
machine
DATABASE_URL="$(db_url)" "$PYTHON" bench/completeness.py "${RANGE[@]}"
