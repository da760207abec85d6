#!/usr/bin/env bash
# How fast `manage.py generate_report --kind activities --format csv` exports, beside what
# PostgreSQL itself does on the same machine in the same run: `\copy (SELECT <the same columns,
# the same joins>) TO '/dev/null' CSV`, timed alternately with the export, RUNS times each; and
# the peak memory of the CSV and XLSX exports at SMALL activities and at ACTIVITIES, which should
# be the same.
#
# Usage: bench/export_csv.sh [ACTIVITIES] [SMALL]   (defaults 1000000 and 100000; RUNS=3)
# Needs a PostgreSQL role that may create databases: PGHOST, PGPORT and PGUSER (defaults
# 127.0.0.1, 5432, postgres), and GNU time at /usr/bin/time. The two seeded databases are kept for
# the next run (bench/lib.sh).
set -euo pipefail
cd "$(dirname "$0")/.."
source bench/lib.sh

ACTIVITIES="${1:-1000000}"
SMALL="${2:-100000}"
RUNS="${RUNS:-3}"
BIG_DB="$BENCH_DB"
SMALL_DB="${BENCH_DB}_small"
WORK="$BENCH_WORK"
trap cleanup EXIT

ratio() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.2f", a / b }'; }

# The export's columns as PostgreSQL's own COPY writes them, with the same joins: the region,
# objective code, service, every field, the participants total, the partner institutions joined
# in one cell and the support network. (The export also turns codes into labels in the report's
# language and guards text against spreadsheet formulas; this baseline does neither.)
COPY_SQL="\\copy (SELECT a.id, r.name, o.code, s.name, a.title, a.start_date, a.end_date, a.modality,
  a.place_name, a.district, a.latitude, a.longitude, a.girls, a.boys, a.adolescent_girls,
  a.adolescent_boys, a.women, a.men,
  a.girls + a.boys + a.adolescent_girls + a.adolescent_boys + a.women + a.men, a.families, a.status,
  (SELECT string_agg(i.name, '; ' ORDER BY i.name) FROM activities_activity_institutions ai
     JOIN activities_institution i ON i.id = ai.institution_id WHERE ai.activity_id = a.id),
  n.name
  FROM activities_activity a JOIN regions_region r ON r.id = a.region_id
  JOIN programs_objective o ON o.id = a.objective_id JOIN programs_service s ON s.id = a.service_id
  LEFT JOIN activities_supportnetwork n ON n.id = a.support_network_id ORDER BY a.id) TO '/dev/null' CSV HEADER"

seed() { (BENCH_DB="$1" && prepare_db "$2"); }

# Elapsed seconds and peak RSS in MB of a command, "seconds mb"; its output goes to $WORK/$1.out.
measure() {
    local name="$1"
    shift
    /usr/bin/time -f "%e %M" -o "$WORK/$name.time" "$@" >"$WORK/$name.out" 2>"$WORK/$name.err" \
        || { cat "$WORK/$name.err" >&2; exit 1; }
    awk '{ printf "%.2f %.0f", $1, $2 / 1024 }' "$WORK/$name.time"
}

export_as() {
    # As a worker runs: debug off.
    DATABASE_URL="$(db_url "$1")" DJANGO_DEBUG=0 DJANGO_SECRET_KEY=bench DJANGO_ALLOWED_HOSTS=localhost \
        measure export "$PYTHON" manage.py generate_report --kind activities --format "$2" --output "$WORK/export.$2"
}
export_csv() { export_as "$1" csv; }

seed "$SMALL_DB" "$SMALL"
seed "$BIG_DB" "$ACTIVITIES"
machine

echo
echo "run  COPY (s)  export (s)  ratio  export peak RSS (MB)  the export command says"
for run in $(seq "$RUNS"); do
    # Alternate which goes first, so that neither always finds the caches the other warmed.
    if [ $((run % 2)) -eq 1 ]; then
        copy=$(measure copy psql -X -q -d "$BIG_DB" -c "$COPY_SQL")
        exported=$(export_csv "$BIG_DB")
    else
        exported=$(export_csv "$BIG_DB")
        copy=$(measure copy psql -X -q -d "$BIG_DB" -c "$COPY_SQL")
    fi
    copy=${copy% *} rss=${exported#* } exported=${exported% *}
    echo "$run    $copy     $exported      $(ratio "$exported" "$copy")   $rss                  $(tail -n 1 "$WORK/export.out")"
done
lines=$(($(wc -l <"$WORK/export.csv") - 1))
echo "the last export: $lines rows, $(du -m "$WORK/export.csv" | cut -f1) MB"

echo
echo "peak RSS of the export command (the whole process: Python, Django and the export):"
for format in csv xlsx; do
    small=$(export_as "$SMALL_DB" "$format")
    big=$(export_as "$BIG_DB" "$format")
    echo "  $format: $SMALL activities ${small#* } MB (${small% *} s); $ACTIVITIES activities ${big#* } MB (${big% *} s)"
done
echo "load average after the runs: $(cut -d' ' -f1-3 /proc/loadavg)"
