#!/usr/bin/env bash
# The installed panel on a phone: first-visit transfer and offline load of the form, against the
# portal served as in production (gunicorn, DEBUG off, compressed static files) on a small seeded
# database of its own (BENCH_DB, default bench_panel).
#
# Usage: bench/panel_offline.sh [ACTIVITIES]   (default 3000). Needs Debian's chromium.
set -euo pipefail
cd "$(dirname "$0")/.."
export BENCH_DB="${BENCH_DB:-bench_panel}"
source bench/lib.sh

ACTIVITIES="${1:-3000}"
trap cleanup EXIT

prepare_db "$ACTIVITIES"
machine
start_web
"$PYTHON" bench/panel_offline.py --url "$BENCH_URL"
