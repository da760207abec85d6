#!/usr/bin/env bash
# How fast `manage.py generate_report --kind activities --format csv` exports, beside what
# PostgreSQL itself does on the same machine in the same run: `\copy (SELECT <the same columns,
# the same joins>) CSV` in two forms (below), timed alternately with the export, RUNS times each;
# whether the export's rows are the very bytes of the second form; and
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

# Two baselines, PostgreSQL's own COPY of the export's columns with the same joins, the partner
# institutions aggregated once (GROUP BY) and merge-joined by id rather than looked up row by row,
# both without JIT, as the export runs:
# - GROUPED_SQL, the issue's yardstick: the plain columns, codes and text as stored;
# - SAME_SQL, the fastest SQL found that writes the export's very bytes (Spanish labels, blank text
#   as nothing, text a spreadsheet would run as a formula behind an apostrophe): the export's rows,
#   after its byte-order mark and header, must equal its file byte for byte.
GROUPED_SQL="\\copy (SELECT a.id, r.name, o.code, s.name, a.title, a.start_date, a.end_date, a.modality,
  a.place_name, a.district, a.latitude, a.longitude, a.girls, a.boys, a.adolescent_girls,
  a.adolescent_boys, a.women, a.men,
  a.girls + a.boys + a.adolescent_girls + a.adolescent_boys + a.women + a.men, a.families, a.status,
  p.names, n.name
  FROM activities_activity a JOIN regions_region r ON r.id = a.region_id
  JOIN programs_objective o ON o.id = a.objective_id JOIN programs_service s ON s.id = a.service_id
  LEFT JOIN activities_supportnetwork n ON n.id = a.support_network_id
  LEFT JOIN (SELECT ai.activity_id, string_agg(i.name, '; ' ORDER BY i.name) AS names
    FROM activities_activity_institutions ai JOIN activities_institution i ON i.id = ai.institution_id
    GROUP BY ai.activity_id) p ON p.activity_id = a.id
  ORDER BY a.id) TO '/dev/null' CSV"

safe() { echo "CASE WHEN left($1, 1) IN ('=', '+', '-', '@', E'\\t', E'\\r') THEN '''' || $1 ELSE NULLIF($1, '') END"; }
SAME_SQL="\\copy (SELECT a.id, r.name, o.code, s.name, $(safe a.title), a.start_date, a.end_date,
  CASE a.modality WHEN 'in_person' THEN 'Presencial' WHEN 'virtual' THEN 'Virtual' ELSE a.modality END,
  $(safe a.place_name), $(safe a.district), a.latitude, a.longitude, a.girls, a.boys, a.adolescent_girls,
  a.adolescent_boys, a.women, a.men,
  a.girls + a.boys + a.adolescent_girls + a.adolescent_boys + a.women + a.men, a.families,
  CASE a.status WHEN 'draft' THEN 'Borrador' WHEN 'submitted' THEN 'Enviada' WHEN 'approved' THEN 'Aprobada'
    WHEN 'returned' THEN 'Devuelta para cambios' ELSE a.status END,
  p.names, $(safe n.name)
  FROM activities_activity a JOIN regions_region r ON r.id = a.region_id
  JOIN programs_objective o ON o.id = a.objective_id JOIN programs_service s ON s.id = a.service_id
  LEFT JOIN activities_supportnetwork n ON n.id = a.support_network_id
  LEFT JOIN (SELECT ai.activity_id, string_agg($(safe i.name), '; ' ORDER BY i.name) AS names
    FROM activities_activity_institutions ai JOIN activities_institution i ON i.id = ai.institution_id
    GROUP BY ai.activity_id) p ON p.activity_id = a.id
  ORDER BY a.id) TO '$WORK/same.csv' CSV"

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

copy_sql() { PGOPTIONS="-c jit=off" measure "$1" psql -X -q -v ON_ERROR_STOP=1 -d "$BIG_DB" -c "$2"; }

echo
echo "GROUP-BY COPY, the issue's yardstick, as run:"
echo "$GROUPED_SQL"
echo
echo "the same bytes as the export, as run:"
echo "$SAME_SQL"
echo
echo "run  GROUP-BY COPY (s)  same-bytes COPY (s)  export (s)  export/GROUP-BY  export/same  export peak RSS (MB)"
for run in $(seq "$RUNS"); do
    # Alternate which goes first, so that neither always finds the caches the other warmed.
    if [ $((run % 2)) -eq 1 ]; then
        grouped=$(copy_sql grouped "$GROUPED_SQL")
        same=$(copy_sql same "$SAME_SQL")
        exported=$(export_csv "$BIG_DB")
    else
        exported=$(export_csv "$BIG_DB")
        same=$(copy_sql same "$SAME_SQL")
        grouped=$(copy_sql grouped "$GROUPED_SQL")
    fi
    grouped=${grouped% *} same=${same% *} rss=${exported#* } exported=${exported% *}
    printf "%-4s %-20s %-20s %-11s %-16s %-12s %s\n" "$run" "$grouped" "$same" "$exported" \
        "$(ratio "$exported" "$grouped")" "$(ratio "$exported" "$same")" "$rss"
done
echo "the export command says: $(tail -n 1 "$WORK/export.out")"
echo "the last export: $(du -m "$WORK/export.csv" | cut -f1) MB"
# The export's rows are the same-bytes COPY's file exactly: only its byte-order mark and header differ.
if tail -n +2 "$WORK/export.csv" | cmp -s - "$WORK/same.csv"; then
    echo "its rows equal the same-bytes COPY's byte for byte: sha256 $(sha256sum <"$WORK/same.csv" | cut -c1-16)"
else
    echo "MISMATCH: the export's rows differ from the same-bytes COPY's:" >&2
    tail -n +2 "$WORK/export.csv" | cmp - "$WORK/same.csv" >&2 || true
    exit 1
fi
rm -f "$WORK/same.csv"

echo
echo "peak RSS of the export command (the whole process: Python, Django and the export):"
for format in csv xlsx; do
    small=$(export_as "$SMALL_DB" "$format")
    big=$(export_as "$BIG_DB" "$format")
    echo "  $format: $SMALL activities ${small#* } MB (${small% *} s); $ACTIVITIES activities ${big#* } MB (${big% *} s)"
done
echo "load average after the runs: $(cut -d' ' -f1-3 /proc/loadavg)"
