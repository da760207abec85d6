"""How long a page of staff's review queue takes on a seeded database, beside the raw SQL of the
same page.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/DB .venv/bin/python bench/review_queue.py [--runs 7]

Times, in the same run and alternately, for the first page, page 100 and the last page:
- the page: GET /es/panel/review/?page=N as the ministry user, through Django's test client and the
  whole middleware stack, with DEBUG off;
- the raw SQL of the page's rows: the submitted activities by their latest submission, which each
  activity keeps (Activity.submitted_at), read from the queue's index, on a psycopg cursor of its own;
- the same rows ordered as the queue was before that column: by each activity's latest submission
  step, a subquery per submitted activity.
The page's ids are checked against both raw queries before timing: the same rows, or the run stops.
"""

import sys

import page_runs
from dashboard import PLAIN_STATIC, get_page, page_client, raw_connection, timed  # noqa: I001 (sets up Django)
from django.test.utils import override_settings, setup_test_environment, teardown_test_environment

from activities.views import PAGE_SIZE

STORED = """
    SELECT a.id FROM activities_activity a
    WHERE a.status = 'submitted'
    ORDER BY a.submitted_at ASC NULLS FIRST, a.id
    LIMIT %(limit)s OFFSET %(offset)s"""
BY_STEPS = """
    SELECT a.id FROM activities_activity a
    WHERE a.status = 'submitted'
    ORDER BY (SELECT x.at FROM activities_activitytransition x
              WHERE x.activity_id = a.id AND x.to_status = 'submitted'
              ORDER BY x.at DESC, x.id DESC LIMIT 1) ASC NULLS FIRST, a.id
    LIMIT %(limit)s OFFSET %(offset)s"""
WAYS = {"raw SQL, the stored time (index)": STORED, "raw SQL, a subquery per activity (before)": BY_STEPS}


def page_ids(client, url):
    setup_test_environment()
    try:
        return [activity.pk for activity in get_page(client, url).context["page"].object_list]
    finally:
        teardown_test_environment()


def raw_ids(cursor, sql, number):
    cursor.execute(sql, {"limit": PAGE_SIZE, "offset": (number - 1) * PAGE_SIZE})
    return [row[0] for row in cursor.fetchall()]


@override_settings(STORAGES=PLAIN_STATIC)
def main():
    options = page_runs.options(__doc__, "staff")
    client = page_client(options.user)
    with raw_connection() as raw, raw.cursor() as cursor:
        waiting = cursor.execute("SELECT count(*) FROM activities_activity WHERE status = 'submitted'").fetchone()[0]
        last = max(1, -(-waiting // PAGE_SIZE))
        print(f"{waiting:,} submitted activities, {last:,} pages of {PAGE_SIZE}; {options.runs} runs after a warm-up")
        for number in sorted({1, min(100, last), last}):
            url = f"/es/panel/review/?page={number}"
            shown = page_ids(client, url)
            for name, sql in WAYS.items():
                if raw_ids(cursor, sql, number) != shown:
                    raise SystemExit(f"{name} does not give the rows of {url}")
            times = {"page": [], **{name: [] for name in WAYS}}
            for _ in range(options.runs):
                times["page"].append(timed(lambda url=url: get_page(client, url)))
                for name, sql in WAYS.items():
                    times[name].append(timed(lambda sql=sql, number=number: raw_ids(cursor, sql, number)))
            print(f"\n{url}")
            for name, found in times.items():
                print(f"  {name}: {page_runs.series_ms(found)}")


if __name__ == "__main__":
    sys.exit(main())
