"""How long a public release takes to build, beside a raw SQL GROUP BY of the same tables.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/DB .venv/bin/python bench/release.py [--runs 3]

Times, alternately in the same run:
- the release: publication.services.release_publish() (the atoms' GROUP BY, the members, the
  tables, the protection and storing the row), inside a transaction rolled back afterwards;
- the baseline: one SQL query with GROUPING SETS that sums the same cells of the same tables (the
  fastest way to the same figures, unprotected), on a psycopg cursor of its own.
"""

import argparse
import os
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "prevent_protect.settings")

import django  # noqa: E402

django.setup()

import psycopg  # noqa: E402
from django.conf import settings  # noqa: E402
from django.db import transaction  # noqa: E402

from publication.services import release_publish  # noqa: E402

MONTH = "date_trunc('month', start_date)"
RAW = f"""
    SELECT region_id, objective_id, service_id, extract(year FROM start_date) AS year,
           extract(quarter FROM start_date) AS quarter, {MONTH} AS month, count(*),
           sum(girls), sum(boys), sum(adolescent_girls), sum(adolescent_boys), sum(women), sum(men),
           sum(girls + boys + adolescent_girls + adolescent_boys + women + men), sum(families)
    FROM activities_activity
    WHERE status = 'approved' AND approved_at <= now()
    GROUP BY GROUPING SETS (
        (region_id, objective_id), (region_id), (objective_id), (), (objective_id, service_id),
        (objective_id, year), (year), (year, quarter), ({MONTH}), (region_id, year))
"""


class Rollback(Exception):
    pass


def release():
    started = time.perf_counter()
    try:
        with transaction.atomic():
            built = release_publish()
            cells, hidden = len(built.cells), sum(isinstance(v, str) for row in built.cells for v in row[5:])
            raise Rollback
    except Rollback:
        pass
    return time.perf_counter() - started, f"{built.activities:,} activities, {cells} cells, {hidden} counts hidden"


def raw(dsn):
    started = time.perf_counter()
    with psycopg.connect(dsn) as conn, conn.cursor() as cursor:
        cursor.execute(RAW)
        rows = len(cursor.fetchall())
    return time.perf_counter() - started, f"{rows} cells"


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=3)
    runs = parser.parse_args().runs
    db = settings.DATABASES["default"]
    dsn = f"host={db['HOST']} port={db['PORT']} user={db['USER']} dbname={db['NAME']}"
    times = {"release": [], "raw": []}
    for _ in range(runs):
        seconds, release_note = release()
        times["release"].append(seconds)
        seconds, raw_note = raw(dsn)
        times["raw"].append(seconds)
    build, sql = statistics.median(times["release"]), statistics.median(times["raw"])
    print(f"release build: median {build:.2f} s of {runs} ({release_note})")
    print(f"raw SQL GROUP BY GROUPING SETS of the same tables: median {sql:.2f} s ({raw_note})")
    print(f"release / raw: {build / sql:.1f}x; goal: the release under 60 s")


if __name__ == "__main__":
    main()
