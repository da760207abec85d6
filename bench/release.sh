#!/usr/bin/env bash
# The public release on 1,000,000 activities: its build time beside a raw SQL GROUP BY of the same
# tables, in one run (bench/release.py).
#
# Usage: bench/release.sh [ACTIVITIES]   (default 1000000). Needs what bench/lib.sh needs.
set -euo pipefail
cd "$(dirname "$0")/.."
source bench/lib.sh

ACTIVITIES="${1:-1000000}"
trap cleanup EXIT

prepare_db "$ACTIVITIES"
machine
DATABASE_URL="$(db_url)" DJANGO_DEBUG=0 DJANGO_SECRET_KEY=bench-only DJANGO_HTTPS=0 "$PYTHON" bench/release.py
