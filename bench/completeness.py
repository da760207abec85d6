"""How long the completeness page takes, beside the fastest raw SQL that produces the same table.

Run against a database seeded by `seed_demo` (bench/completeness.sh makes or reuses one):

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/DB .venv/bin/python bench/completeness.py \
        [--from 2026-07 --to 2026-12] [--runs 7]

Times, in the same run and alternately so that the machine's load weighs on both alike:
- the page: GET /es/panel/dashboard/completeness/?from=..&to=.. for a ministry user, through Django's
  test client and the whole middleware stack, with DEBUG off;
- the selector alone: reports.completeness.completeness() for the same months (its four queries and
  the Python that shapes the rows);
- the raw SQL: the regions, the activity targets, and the table with both medians, written by hand and
  run on a psycopg cursor of its own: once over the tallies (the medians from their histograms, in
  SQL), and once as a scan of the activities (with PostgreSQL's JIT on and off), as it was read before
  the tallies; the fastest one's median is the reference.
Each is run once to warm the caches, then `--runs` times; medians and ratios are printed. The raw
grouped rows are checked against the selector's before timing: the same table, or the run stops.
"""

import argparse
import datetime
import statistics
import sys

from dashboard import PLAIN_STATIC, get_page, page_client, raw_connection, timed  # noqa: I001 (sets up Django)
from django.db import connection
from django.test.utils import CaptureQueriesContext, override_settings
from django.utils import timezone

from reports import completeness

# The table from the activities themselves, as it was read before the tallies: each activity's
# latest submission and decision are its own columns (Activity.submitted_at, decided_at).
SCANNED = """
    SELECT a.region_id, date_trunc('month', a.start_date)::date AS month,
           count(*),
           count(*) FILTER (WHERE a.status = 'draft'),
           count(*) FILTER (WHERE a.status = 'submitted'),
           count(*) FILTER (WHERE a.status = 'approved'),
           count(*) FILTER (WHERE a.status = 'returned'),
           percentile_cont(0.5) WITHIN GROUP (ORDER BY (a.submitted_at AT TIME ZONE %(zone)s)::date - a.end_date),
           percentile_cont(0.5) WITHIN GROUP (ORDER BY floor(extract(epoch FROM a.decided_at - a.submitted_at) / 3600))
               FILTER (WHERE a.decided_at >= a.submitted_at) / 24
    FROM activities_activity a
    WHERE a.start_date >= %(first)s AND a.start_date < %(after)s
    GROUP BY 1, 2"""
# The same table from the tallies, all in SQL: the statuses summed, and each histogram's median
# found by a running sum (the middle value, or the mean of the two middle ones).
TALLIED = """
    WITH statuses AS (
        SELECT region_id, month,
               sum(activities) AS logged,
               sum(activities) FILTER (WHERE status = 'draft') AS drafts,
               sum(activities) FILTER (WHERE status = 'submitted') AS submitted,
               sum(activities) FILTER (WHERE status = 'approved') AS approved,
               sum(activities) FILTER (WHERE status = 'returned') AS returned
        FROM reports_tally WHERE month >= %(first)s AND month < %(after)s
        GROUP BY 1, 2
    ), running AS (
        SELECT region_id, month, kind, value,
               sum(activities) OVER (PARTITION BY region_id, month, kind ORDER BY value) AS upto,
               sum(activities) OVER (PARTITION BY region_id, month, kind) AS total
        FROM reports_timingtally WHERE month >= %(first)s AND month < %(after)s AND activities > 0
    ), medians AS (
        SELECT region_id, month, kind,
               (min(value) FILTER (WHERE upto > (total - 1) / 2) + min(value) FILTER (WHERE upto > total / 2)) / 2.0
                   AS median
        FROM running GROUP BY 1, 2, 3
    )
    SELECT s.region_id, s.month, coalesce(s.logged, 0), coalesce(s.drafts, 0), coalesce(s.submitted, 0),
           coalesce(s.approved, 0), coalesce(s.returned, 0), d.median, h.median / 24
    FROM statuses s
    LEFT JOIN medians d ON (d.region_id, d.month, d.kind) = (s.region_id, s.month, 'submit')
    LEFT JOIN medians h ON (h.region_id, h.month, h.kind) = (s.region_id, s.month, 'decide')"""
# name: (query, JIT on): PostgreSQL's default compiles the query to machine code, which costs seconds
# on a scan; the tallies' query is the reference (the fastest).
VARIANTS = {
    "over the tallies": (TALLIED, False),
    "a scan of the activities, JIT off": (SCANNED, False),
    "a scan of the activities, JIT on": (SCANNED, True),
}
REFERENCE = {
    "regions": "SELECT id, name, slug, launched_on FROM regions_region ORDER BY name",
    "activity targets": """
        SELECT t.indicator_id, t.region_id, t.year, t.quarter, t.value
        FROM programs_target t JOIN programs_indicator i ON i.id = t.indicator_id
        WHERE i.computation = 'activities' AND t.year = ANY(%(years)s)""",
}


def month(text):
    year, number = text.split("-")
    return datetime.date(int(year), int(number), 1)


def run_raw(cursor, variant, parameters):
    grouped, jit = VARIANTS[variant]
    cursor.execute(f"SET jit = {'on' if jit else 'off'}")
    rows = None
    for sql in (*REFERENCE.values(), grouped):
        cursor.execute(sql, parameters)
        rows = cursor.fetchall()
    return rows


def as_cells(rows):
    return {
        (region, day): [*counts, None if a is None else round(float(a), 1), None if b is None else round(float(b), 1)]
        for region, day, *counts, a, b in rows
    }


def selector_cells(first, last):
    table = completeness.completeness(first=first, last=last)
    keys = ("logged", "drafts", "submitted", "approved", "returned", "days_to_submit", "days_to_decide")
    return {(r["region"]["id"], r["month"]): [r[k] for k in keys] for r in table.rows if r["logged"]}


def statistics_note(cursor):
    cursor.execute(
        "SELECT relname, coalesce(greatest(last_analyze, last_autoanalyze)::text, 'never') FROM pg_stat_user_tables "
        "WHERE relname IN ('activities_activity', 'activities_activitytransition') ORDER BY relname"
    )
    return ", ".join(f"{table} analysed {when}" for table, when in cursor.fetchall())


def series(times):
    return f"median {statistics.median(times):.3f} s of {', '.join(f'{t:.3f}' for t in times)}"


@override_settings(STORAGES=PLAIN_STATIC)
def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    default_first, default_last = completeness.default_range()
    parser.add_argument("--from", dest="first", type=month, default=default_first, help="YYYY-MM")
    parser.add_argument("--to", dest="last", type=month, default=default_last, help="YYYY-MM")
    parser.add_argument("--runs", type=int, default=7)
    parser.add_argument("--user", default="staff", help="a ministry user (seed_demo makes `staff`)")
    parser.add_argument("--lang", default="es")
    options = parser.parse_args()
    if connection.vendor != "postgresql":
        raise SystemExit("The benchmark compares against PostgreSQL: set DATABASE_URL to a seeded database.")

    first, last = options.first, options.last
    months = completeness.months_between(first, last)
    url = f"/{options.lang}/panel/dashboard/completeness/?from={first:%Y-%m}&to={last:%Y-%m}"
    parameters = {
        "first": first,
        "after": completeness.add_months(last, 1),
        "years": sorted({m.year for m in months}),
        "zone": timezone.get_current_timezone_name(),
    }
    client = page_client(options.user)
    with raw_connection() as raw, raw.cursor() as cursor:
        total = cursor.execute("SELECT count(*) FROM activities_activity").fetchone()[0]
        in_range = cursor.execute(
            "SELECT count(*) FROM activities_activity WHERE start_date >= %(first)s AND start_date < %(after)s",
            parameters,
        ).fetchone()[0]
        transitions = cursor.execute("SELECT count(*) FROM activities_activitytransition").fetchone()[0]
        print(f"{total:,} activities ({in_range:,} starting {first:%Y-%m} to {last:%Y-%m}), ", end="")
        print(f"{transitions:,} status changes")
        print(f"statistics: {statistics_note(cursor)}")
        print(f"{url} as {options.user!r}, {options.runs} runs after one warm-up")

        expected = selector_cells(first, last)
        for name in VARIANTS:
            if as_cells(run_raw(cursor, name, parameters)) != expected:
                raise SystemExit(f"the raw SQL ({name}) does not give the selector's table")

        get_page(client, url)
        raw_times = {name: [] for name in VARIANTS}
        page_times, selector_times = [], []
        for _ in range(options.runs):
            page_times.append(timed(lambda: get_page(client, url)))
            selector_times.append(timed(lambda: completeness.completeness(first=first, last=last)))
            for name in VARIANTS:
                raw_times[name].append(timed(lambda name=name: run_raw(cursor, name, parameters)))

        for name, times in raw_times.items():
            print(f"raw SQL, {name}: {series(times)}")
        fastest = min(raw_times, key=lambda name: statistics.median(raw_times[name]))
        raw_sql = statistics.median(raw_times[fastest])
        page, selector = statistics.median(page_times), statistics.median(selector_times)
        print(f"selector: {series(selector_times)}")
        print(f"page:     {series(page_times)}")
        print(f"ratio selector / fastest raw SQL ({fastest}): {selector / raw_sql:.2f}")
        print(f"ratio page / fastest raw SQL: {page / raw_sql:.2f}")

        with CaptureQueriesContext(connection) as captured:
            get_page(client, url)
        print(f"\nthe page's {len(captured)} queries (one untimed run):")
        for query in sorted(captured.captured_queries, key=lambda q: -float(q["time"])):
            print(f"  {float(query['time']):7.3f} s  {' '.join(query['sql'].split())[:150]}")


if __name__ == "__main__":
    sys.exit(main())
