"""How long the staff dashboard takes to render, beside the raw SQL of the figures it shows.

Run against a database seeded by `seed_demo` (bench/dashboard.sh makes a throwaway one):

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/DB .venv/bin/python bench/dashboard.py [--year 2025] [--runs 5]

Times, in the same run and alternately so that the machine's load weighs on both alike:
- the page: GET /es/panel/dashboard/?year=YEAR for a ministry user (all regions), through
  Django's test client and the whole middleware stack, with DEBUG off;
- the raw SQL: the aggregate queries the page's figures need, written by hand and run on a
  psycopg cursor of their own (headline figures, institutions, months, each indicator
  computation by region and objective, targets, waiting activities, recent reports, and the
  reference rows the page names).
Each is run once to warm the caches, then `--runs` times; the medians and their ratio are printed,
then the page's own queries one by one (from a run that is not timed) for looking into a slow one.
"""

import argparse
import os
import statistics
import sys
import time
from datetime import date
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
# The page as it is served: no debug toolbar of queries kept in memory, no template debugging.
os.environ.setdefault("DJANGO_DEBUG", "0")
os.environ.setdefault("DJANGO_SECRET_KEY", "bench-only")
os.environ.setdefault("DJANGO_ALLOWED_HOSTS", "localhost")
os.environ.setdefault("DJANGO_HTTPS", "0")
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "prevent_protect.settings")

import django  # noqa: E402

django.setup()

import psycopg  # noqa: E402
from django.conf import settings  # noqa: E402
from django.contrib.auth import get_user_model  # noqa: E402
from django.db import connection  # noqa: E402
from django.test import Client  # noqa: E402
from django.test.utils import CaptureQueriesContext, override_settings  # noqa: E402

APPROVED_IN_YEAR = "a.status = 'approved' AND a.start_date BETWEEN %(first)s AND %(last)s"
PEOPLE = "a.girls + a.boys + a.adolescent_girls + a.adolescent_boys + a.women + a.men"

# What the page shows, as a person who knows the schema would ask PostgreSQL for it.
RAW_QUERIES = {
    "headline: activities, six counts, families, networks and their leaders": f"""
        SELECT sum(n), sum(girls), sum(boys), sum(adolescent_girls), sum(adolescent_boys), sum(women), sum(men),
               sum(families), count(network), sum(leaders)
        FROM (SELECT a.support_network_id AS network, s.leaders, count(*) AS n, sum(a.girls) AS girls,
                     sum(a.boys) AS boys, sum(a.adolescent_girls) AS adolescent_girls,
                     sum(a.adolescent_boys) AS adolescent_boys, sum(a.women) AS women, sum(a.men) AS men,
                     sum(a.families) AS families
              FROM activities_activity a LEFT JOIN activities_supportnetwork s ON s.id = a.support_network_id
              WHERE {APPROVED_IN_YEAR}
              GROUP BY 1, 2) AS by_network""",
    # From the hundred-odd institutions, each probed for one approved activity: milliseconds, where
    # a DISTINCT over every partner link of the year takes a scan of them all.
    "headline: distinct partner institutions": f"""
        SELECT count(*) FROM activities_institution i
        WHERE i.id IN (SELECT l.institution_id
                       FROM activities_activity_institutions l JOIN activities_activity a ON a.id = l.activity_id
                       WHERE {APPROVED_IN_YEAR})""",
    "activities by month": f"""
        SELECT date_trunc('month', a.start_date), count(*), sum(a.girls), sum(a.boys), sum(a.adolescent_girls),
               sum(a.adolescent_boys), sum(a.women), sum(a.men), sum(a.families)
        FROM activities_activity a WHERE {APPROVED_IN_YEAR} GROUP BY 1 ORDER BY 1""",
    "indicators: activities, people, families by region and objective": f"""
        SELECT a.region_id, a.objective_id, count(*), sum({PEOPLE}), sum(a.families)
        FROM activities_activity a WHERE {APPROVED_IN_YEAR} GROUP BY 1, 2""",
    "indicators: networks and leaders by region and objective": f"""
        SELECT cell.region_id, cell.objective_id, count(*), sum(s.leaders)
        FROM (SELECT DISTINCT a.region_id, a.objective_id, a.support_network_id
              FROM activities_activity a WHERE {APPROVED_IN_YEAR} AND a.support_network_id IS NOT NULL) AS cell
        JOIN activities_supportnetwork s ON s.id = cell.support_network_id
        GROUP BY 1, 2""",
    # DISTINCT in a subquery, then count: PostgreSQL runs that in parallel, count(DISTINCT) it does not.
    "indicators: institutions by region and objective": f"""
        SELECT region_id, objective_id, count(*)
        FROM (SELECT DISTINCT a.region_id, a.objective_id, l.institution_id
              FROM activities_activity_institutions l JOIN activities_activity a ON a.id = l.activity_id
              WHERE {APPROVED_IN_YEAR}) AS cell
        GROUP BY 1, 2""",
    "targets of the year": """
        SELECT indicator_id, region_id, value FROM programs_target WHERE year = %(year)s AND quarter = 0""",
    "activities waiting for review": """
        SELECT count(*) FROM activities_activity WHERE status = 'submitted'""",
    "recent reports": """
        SELECT r.id, r.kind, r.format, r.status, r.created_at, g.name
        FROM reports_report r LEFT JOIN regions_region g ON g.id = r.region_id
        ORDER BY r.created_at DESC, r.id DESC LIMIT 5""",
    "regions (with boundaries), objectives, indicators": """
        SELECT g.id, g.name, g.slug, g.boundary, NULL, NULL FROM regions_region g
        UNION ALL SELECT o.id, o.code, o.title, NULL, o.title_en, NULL FROM programs_objective o
        UNION ALL SELECT i.id, i.code, i.name, NULL, i.name_en, i.computation FROM programs_indicator i""",
}


def timed(action):
    start = time.perf_counter()
    action()
    return time.perf_counter() - start


def page_client(username):
    """Signed in as the user, past the second factor the portal asks of ministry staff (a confirmed
    authenticator device made for the benchmark, as the verify step would record it)."""
    from django_otp import DEVICE_ID_SESSION_KEY
    from django_otp.plugins.otp_totp.models import TOTPDevice

    user = get_user_model().objects.get(username=username)
    client = Client(HTTP_HOST="localhost")
    client.force_login(user)
    device, _created = TOTPDevice.objects.get_or_create(user=user, name="bench", defaults={"confirmed": True})
    session = client.session
    session[DEVICE_ID_SESSION_KEY] = device.persistent_id
    session.save()
    return client


def get_page(client, url):
    response = client.get(url)
    if response.status_code != 200:
        raise SystemExit(f"{url} answered {response.status_code}")
    return response


def run_raw(cursor, parameters):
    for sql in RAW_QUERIES.values():
        cursor.execute(sql, parameters)
        cursor.fetchall()


def raw_connection():
    database = settings.DATABASES["default"]
    return psycopg.connect(
        dbname=database["NAME"],
        user=database["USER"],
        password=database["PASSWORD"] or None,
        host=database["HOST"],
        port=database["PORT"] or None,
        autocommit=True,
    )


def describe_queries(client, url, cursor, parameters):
    """The page's queries and the raw ones, each timed once, slowest first."""
    with CaptureQueriesContext(connection) as captured:
        get_page(client, url)
    print(f"\nthe page's {len(captured)} queries (one untimed run, DEBUG-style capture):")
    for query in sorted(captured.captured_queries, key=lambda q: -float(q["time"])):
        print(f"  {float(query['time']):7.3f} s  {' '.join(query['sql'].split())[:150]}")
    print(f"\nthe {len(RAW_QUERIES)} raw queries:")
    for name, sql in RAW_QUERIES.items():
        seconds = timed(lambda sql=sql: (cursor.execute(sql, parameters), cursor.fetchall()))
        print(f"  {seconds:7.3f} s  {name}")


# Hashed static names need `collectstatic`, which a throwaway checkout has not run; the lookup
# costs the same either way.
PLAIN_STATIC = {
    **settings.STORAGES,
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}


@override_settings(STORAGES=PLAIN_STATIC)
def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--year", type=int, default=2025)
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--user", default="staff", help="a ministry user (seed_demo makes `staff`)")
    parser.add_argument("--lang", default="es")
    options = parser.parse_args()
    if connection.vendor != "postgresql":
        raise SystemExit("The benchmark compares against PostgreSQL: set DATABASE_URL to a seeded database.")

    url = f"/{options.lang}/panel/dashboard/?year={options.year}"
    parameters = {"year": options.year, "first": date(options.year, 1, 1), "last": date(options.year, 12, 31)}
    client = page_client(options.user)
    with raw_connection() as raw, raw.cursor() as cursor:
        approved = cursor.execute(
            f"SELECT count(*) FROM activities_activity a WHERE {APPROVED_IN_YEAR}", parameters
        ).fetchone()[0]
        total = cursor.execute("SELECT count(*) FROM activities_activity").fetchone()[0]
        print(f"{total:,} activities, {approved:,} approved in {options.year}; {url} as {options.user!r}")
        # Warm-up: the first run reads the tables from disk and fills Python's caches.
        get_page(client, url)
        run_raw(cursor, parameters)
        page_times, raw_times = [], []
        for _ in range(options.runs):
            page_times.append(timed(lambda: get_page(client, url)))
            raw_times.append(timed(lambda: run_raw(cursor, parameters)))
        page, raw_sql = statistics.median(page_times), statistics.median(raw_times)
        print(f"page:    median {page:.3f} s of {', '.join(f'{t:.3f}' for t in page_times)}")
        print(f"raw SQL: median {raw_sql:.3f} s of {', '.join(f'{t:.3f}' for t in raw_times)}")
        print(f"ratio page / raw SQL: {page / raw_sql:.2f}")
        describe_queries(client, url, cursor, parameters)


if __name__ == "__main__":
    main()
