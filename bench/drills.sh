#!/usr/bin/env bash
# `make drills`: the four fault drills one after the other (about 6 minutes, plus seeding the
# benchmarks' databases the first time); stops at the first that fails. Each prints what it saw.
set -euo pipefail
cd "$(dirname "$0")/.."
command -v wrk >/dev/null || { echo "the drills need wrk (Debian package wrk)" >&2; exit 1; }
for drill in load worker_kill redis_restart postgres_restart; do
    echo "=== bench/drill_$drill.sh"
    "bench/drill_$drill.sh"
done
echo "every drill passed"
