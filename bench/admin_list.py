"""How long the admin's activity list takes on a seeded database, with its date drill-down as the
portal draws it (one probe per period, activities.admin.DrillDownActivities) and as Django alone
draws it (a DISTINCT over every activity), alternately in one run; the raw SQL of each drill-down
beside them.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/DB .venv/bin/python bench/admin_list.py [--runs 7]
"""

import sys
from unittest import mock

import page_runs
from dashboard import PLAIN_STATIC, get_page, page_client, raw_connection, timed  # noqa: I001 (sets up Django)
from django.db.models import QuerySet
from django.test.utils import override_settings

from activities.admin import DrillDownActivities

URL = "/admin/activities/activity/"
DISTINCT = "SELECT DISTINCT date_trunc('year', start_date) FROM activities_activity ORDER BY 1"
PROBES = """
    SELECT p::date FROM generate_series(
        (SELECT date_trunc('year', min(start_date)) FROM activities_activity),
        (SELECT max(start_date) FROM activities_activity), interval '1 year') p
    WHERE EXISTS (SELECT 1 FROM activities_activity a
                  WHERE a.start_date >= p AND a.start_date < p + interval '1 year')"""


@override_settings(STORAGES=PLAIN_STATIC)
def main():
    options = page_runs.options(__doc__, "admin")
    client = page_client(options.user)
    # Django's own drill-down: the portal's queryset answering dates() as any QuerySet does.
    django_alone = mock.patch.object(DrillDownActivities, "dates", QuerySet.dates)
    times = {"page, drill-down by probes": [], "page, Django's DISTINCT": [], "raw SQL, probes": []}
    times["raw SQL, DISTINCT"] = []
    with raw_connection() as raw, raw.cursor() as cursor:
        total = cursor.execute("SELECT count(*) FROM activities_activity").fetchone()[0]
        probed = cursor.execute(PROBES).fetchall()
        if probed != [(row[0].date(),) for row in cursor.execute(DISTINCT).fetchall()]:
            raise SystemExit("the raw probes do not find the years the DISTINCT finds")
        print(f"{total:,} activities; {URL} as {options.user!r}, {options.runs} runs after a warm-up")
        get_page(client, URL)
        for _ in range(options.runs):
            times["page, drill-down by probes"].append(timed(lambda: get_page(client, URL)))
            with django_alone:
                times["page, Django's DISTINCT"].append(timed(lambda: get_page(client, URL)))
            times["raw SQL, probes"].append(timed(lambda: cursor.execute(PROBES).fetchall()))
            times["raw SQL, DISTINCT"].append(timed(lambda: cursor.execute(DISTINCT).fetchall()))
    for name, found in times.items():
        print(f"  {name}: {page_runs.series_ms(found)}")


if __name__ == "__main__":
    sys.exit(main())
