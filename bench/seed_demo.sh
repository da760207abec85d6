#!/usr/bin/env bash
# How fast `manage.py seed_demo` fills PostgreSQL, beside what PostgreSQL itself can do on the
# same machine in the same run: a raw INSERT ... SELECT generate_series of as many rows into a
# table as wide as activities_activity, once bare and once with the same indexes.
#
# Usage: bench/seed_demo.sh [ACTIVITIES]   (default 1000000)
# Needs a PostgreSQL role that may create databases: PGHOST, PGPORT and PGUSER (defaults
# 127.0.0.1, 5432, postgres). The throwaway database is dropped at the end, even on failure.
set -euo pipefail
cd "$(dirname "$0")/.."

ACTIVITIES="${1:-1000000}"
export PGHOST="${PGHOST:-127.0.0.1}" PGPORT="${PGPORT:-5432}" PGUSER="${PGUSER:-postgres}"
PYTHON="${PYTHON:-.venv/bin/python}"
DB="bench_seed_demo_$$"
export DATABASE_URL="postgres://${PGUSER}@${PGHOST}:${PGPORT}/${DB}"

createdb "$DB"
trap 'dropdb --if-exists "$DB"' EXIT
sql() { psql -X -q -t -A -v ON_ERROR_STOP=1 -d "$DB" -c "$1"; }
now() { date +%s.%N; }
rate() { awk -v n="$1" -v s="$2" 'BEGIN { printf "%.0f", n / s }'; }
seconds() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.2f", b - a }'; }

echo "machine: $(nproc) cores, $(. /etc/os-release && echo "$PRETTY_NAME"), $(sql 'SHOW server_version')"
"$PYTHON" manage.py migrate --verbosity 0

start=$(now)
"$PYTHON" manage.py seed_demo --activities "$ACTIVITIES" --seed 1
elapsed=$(seconds "$start" "$(now)")
activities=$(sql "SELECT count(*) FROM activities_activity")
rows=$(sql "SELECT (SELECT count(*) FROM activities_activity) + (SELECT count(*) FROM activities_activitytransition)
                 + (SELECT count(*) FROM activities_activity_institutions)")

# One row as wide as an activity: the same columns, text of the same length, a random UUID.
baseline() {
    sql "CREATE TABLE bench_baseline (LIKE activities_activity $1)"
    local begin; begin=$(now)
    sql "INSERT INTO bench_baseline (id, region_id, objective_id, service_id, title, description, start_date,
             end_date, modality, place_name, district, latitude, longitude, girls, boys, adolescent_girls,
             adolescent_boys, women, men, families, support_network_id, status, review_comment, created_by_id,
             created_at, updated_at, version, client_uuid)
         SELECT g, 1 + g % 15, 1 + g % 4, 1 + g % 9, 'Taller de habilidades parentales — Comas ' || g,
             'Actividad de Familias con Punche (OE2) con la comunidad de Comas. Dato de demostración.',
             date '2024-06-14' + g % 870, date '2024-06-14' + g % 870, 'in_person',
             'Local comunal de Comas', 'Comas', -12.0453 + (g % 600) / 1000.0, -77.0308 + (g % 600) / 1000.0,
             g % 9, g % 7, g % 11, g % 13, g % 40, g % 30, g % 20, NULL, 'approved', '', 1 + g % 15,
             now(), now(), 1, gen_random_uuid()
         FROM generate_series(1, $ACTIVITIES) AS g"
    seconds "$begin" "$(now)"
    sql "DROP TABLE bench_baseline"
}
bare=$(baseline "INCLUDING DEFAULTS")
indexed=$(baseline "INCLUDING DEFAULTS INCLUDING CONSTRAINTS INCLUDING INDEXES")

echo
echo "seed_demo --activities $ACTIVITIES: ${elapsed} s for the whole command (start-up, users, partners, commit)"
echo "  $(rate "$activities" "$elapsed") activities/s; $(rate "$rows" "$elapsed") rows/s over $rows rows" \
    "(activities, status changes, partner links)"
echo "baseline INSERT ... SELECT generate_series, $ACTIVITIES rows as wide as an activity:"
echo "  bare table:            ${bare} s, $(rate "$ACTIVITIES" "$bare") rows/s"
echo "  with the same indexes: ${indexed} s, $(rate "$ACTIVITIES" "$indexed") rows/s"
