#!/usr/bin/env bash
# `make bench`: every benchmark on 1,000,000 demo activities, one after the other, and their
# printed figures written into docs/PERFORMANCE.md (the section between the "make bench" markers)
# with the commands and the machine. About 20 minutes on 2 cores, most of it seeding once; the
# seeded databases are kept, so a second run takes about 10.
#
# Needs PostgreSQL (PGHOST, PGPORT, PGUSER; a role that may create databases), Redis on
# 127.0.0.1:6379 (database 12) and the Debian packages wrk and time, which are installed when
# missing and running as root.
set -euo pipefail
cd "$(dirname "$0")/.."

ACTIVITIES="${ACTIVITIES:-1000000}"
missing=()
command -v wrk >/dev/null || missing+=(wrk)
command -v chromium >/dev/null || missing+=(chromium)
[ -x /usr/bin/time ] || missing+=(time)
if [ ${#missing[@]} -gt 0 ]; then
    [ "$(id -u)" = 0 ] || { echo "bench needs the Debian packages: ${missing[*]}" >&2; exit 1; }
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}" >/dev/null
fi

OUT="$(mktemp)"
trap 'rm -f "$OUT"' EXIT
run() {
    echo "### \`$*\`" >>"$OUT"
    echo '```' >>"$OUT"
    "$@" 2>&1 | grep -v ' INFO ' | tee -a "$OUT"
    echo '```' >>"$OUT"
}
{
    echo "Written by \`make bench\` on $(date -u '+%Y-%m-%d %H:%M UTC'); the analysis of each figure is in"
    echo "the sections above. Every run prints its machine line and its baseline."
    echo
} >"$OUT"
run bench/seed_demo.sh "$ACTIVITIES"
run bench/http.sh "$ACTIVITIES"
run bench/export_csv.sh "$ACTIVITIES"
run bench/dashboard.sh "$ACTIVITIES"
run bench/release.sh "$ACTIVITIES"
run bench/completeness.sh "$ACTIVITIES"
run bench/panel_offline.sh

.venv/bin/python - "$OUT" <<'PY'
import re, sys
from pathlib import Path

doc = Path("docs/PERFORMANCE.md")
begin, end = "<!-- make bench: begin -->", "<!-- make bench: end -->"
figures = Path(sys.argv[1]).read_text()
text = doc.read_text()
block = f"{begin}\n{figures}{end}"
if begin in text:
    text = re.sub(re.escape(begin) + ".*?" + re.escape(end), lambda _: block, text, flags=re.S)
else:
    text = text.rstrip("\n") + "\n\n## The latest `make bench`\n\n" + block + "\n"
doc.write_text(text)
print(f"written into {doc}")
PY
