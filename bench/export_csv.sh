#!/usr/bin/env bash
# How fast `manage.py generate_report --kind activities --format csv` exports, beside what
# PostgreSQL itself does on the same machine in the same run: `\copy (SELECT <the same columns,
# the same joins>) TO '/dev/null' CSV`, timed alternately with the export, RUNS times each; and
# the peak memory of the CSV and XLSX exports at SMALL activities and at ACTIVITIES, which should
# be the same.
#
# Usage: bench/export_csv.sh [ACTIVITIES] [SMALL]   (defaults 1000000 and 100000; RUNS=3)
# Needs a PostgreSQL role that may create databases: PGHOST, PGPORT and PGUSER (defaults
# 127.0.0.1, 5432, postgres), and GNU time at /usr/bin/time. The two throwaway databases are
# dropped at the end, even on failure.
set -euo pipefail
cd "$(dirname "$0")/.."

ACTIVITIES="${1:-1000000}"
SMALL="${2:-100000}"
RUNS="${RUNS:-3}"
export PGHOST="${PGHOST:-127.0.0.1}" PGPORT="${PGPORT:-5432}" PGUSER="${PGUSER:-postgres}"
PYTHON="${PYTHON:-.venv/bin/python}"
BIG_DB="bench_export_$$"
SMALL_DB="bench_export_small_$$"
WORK="$(mktemp -d)"
trap 'dropdb --if-exists "$BIG_DB"; dropdb --if-exists "$SMALL_DB"; rm -rf "$WORK"' EXIT

sql() { psql -X -q -t -A -v ON_ERROR_STOP=1 -d "$1" -c "$2"; }
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.2f", a / b }'; }
url() { echo "postgres://${PGUSER}@${PGHOST}:${PGPORT}/$1"; }

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

seed() {
    createdb "$1"
    DATABASE_URL="$(url "$1")" "$PYTHON" manage.py migrate --verbosity 0
    DATABASE_URL="$(url "$1")" "$PYTHON" manage.py seed_demo --activities "$2" --seed 1 >/dev/null
    # As autovacuum would after a bulk load; without statistics the planner reads every partner
    # link for every activity, and both sides of the comparison would measure that instead.
    sql "$1" "VACUUM ANALYZE"
}

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
    DATABASE_URL="$(url "$1")" DJANGO_DEBUG=0 DJANGO_SECRET_KEY=bench DJANGO_ALLOWED_HOSTS=localhost \
        measure export "$PYTHON" manage.py generate_report --kind activities --format "$2" --output "$WORK/export.$2"
}
export_csv() { export_as "$1" csv; }

echo "machine: $(nproc) cores, $(free -g | awk '/^Mem:/ { print $2 " GB" }'), $(. /etc/os-release && echo "$PRETTY_NAME"),"\
    "PostgreSQL $(sql postgres 'SHOW server_version'), $("$PYTHON" --version)"
echo "seeding $SMALL and $ACTIVITIES activities..."
seed "$SMALL_DB" "$SMALL"
seed "$BIG_DB" "$ACTIVITIES"
echo "load average before the runs: $(cut -d' ' -f1-3 /proc/loadavg)"

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
