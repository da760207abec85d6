"""How long the staff dashboard takes to render, beside the raw SQL of the figures it shows.

Run against a database seeded by `seed_demo` (bench/dashboard.sh makes one):

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/DB .venv/bin/python bench/dashboard.py \
        [--year 2025] [--quarter 0] [--runs 5]

The page compares its period with earlier ones (reports.dashboard.Scope.earlier): a whole year
with the year before, a quarter with the quarter before and the same quarter a year before. So
the raw SQL reads them too. Times, in the same run and alternately so that the machine's load
weighs on both alike:
- the page: GET /es/panel/dashboard/?year=YEAR[&quarter=Q] for a ministry user (all regions),
  through Django's test client and the whole middleware stack, with DEBUG off;
- the raw SQL: the aggregate queries the page's figures need, written by hand and run on a
  psycopg cursor of their own, and the page's numbers made from their rows: for the period and
  each earlier one, the headline figures and each indicator computation by region and objective;
  for the period alone, the months, its targets, the waiting activities, the recent reports and
  the reference rows. Each figure has several ways of asking for it (once per period; once for
  all the periods, grouped by a period number; the activities' figures all from one scan of
  groups fine enough to add up to each): after the warm-up each way is timed and the fastest is
  the baseline, so the baseline is the fastest on this machine and this data, not a guess. The
  ways must give the same rows.
- the raw SQL over the tallies: the same figures from reports_tally, reports_networktally and
  reports_partnertally (reports.tally), which the page reads, period by period: the floor for
  a page that reads them.
Before timing, one untimed load of the page is checked against both raw SQLs (so the tallies
are checked against a full scan of the activities too): every number it
shows (headline and its earlier values, people by sex and age, months, each indicator's actual,
target and earlier values by region and in total, waiting activities, recent reports) must be
the one the raw SQL gives, or the benchmark stops. Each side is run once to warm the caches, then
`--runs` times; the medians and their ratio are printed, then the page's own queries one by one
(from a run that is not timed) for looking into a slow one.
"""

import argparse
import calendar
import os
import statistics
import sys
import time
from dataclasses import dataclass
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
from django.test.utils import (  # noqa: E402
    CaptureQueriesContext,
    override_settings,
    setup_test_environment,
    teardown_test_environment,
)

PEOPLE = "a.girls + a.boys + a.adolescent_girls + a.adolescent_boys + a.women + a.men"
SIX = ("girls", "boys", "adolescent_girls", "adolescent_boys", "women", "men")


@dataclass(frozen=True)
class Period:
    year: int
    quarter: int  # 0: the whole year

    def dates(self):
        if not self.quarter:
            return date(self.year, 1, 1), date(self.year, 12, 31)
        last_month = 3 * self.quarter
        last_day = calendar.monthrange(self.year, last_month)[1]
        return date(self.year, last_month - 2, 1), date(self.year, last_month, last_day)

    def label(self):
        return f"Q{self.quarter} {self.year}" if self.quarter else str(self.year)

    def earlier(self):
        """The periods the page compares this one with, the previous one first: the year before
        for a year; the quarter before and the same quarter a year before for a quarter. Written
        out here rather than imported, so that the check below also checks the page's choice."""
        year_before = Period(self.year - 1, self.quarter)
        if not self.quarter:
            return [year_before]
        previous = Period(self.year, self.quarter - 1) if self.quarter > 1 else Period(self.year - 1, 4)
        return [previous, year_before]


HEADLINE = "headline: activities, six counts, families, networks and their leaders"
BY_CELL = "indicators: activities, people, families by region and objective"
NETWORKS_BY_CELL = "indicators: networks and leaders by region and objective"
INSTITUTIONS = "partner institutions by region and objective, for the indicators and the headline"
MONTHS, TARGETS = "activities by month", "targets of the period"
WAITING, REPORTS = "activities waiting for review", "recent reports"
REFERENCE = "regions (with boundaries), objectives, indicators"


def in_period(number):
    return f"a.start_date BETWEEN %(first{number})s AND %(last{number})s"


# The figures the page shows for its period and each earlier one, as a person who knows the schema
# would ask PostgreSQL for them. Each is written for {period} (a number in the output) and {dates}
# (a condition on a.start_date): once per period (its number, its dates), or once for all of them
# (a CASE that numbers the periods, their dates OR-ed).
COMPARED = {
    HEADLINE: """
        SELECT period, sum(n), sum(girls), sum(boys), sum(adolescent_girls), sum(adolescent_boys), sum(women),
               sum(men), sum(families), count(network), coalesce(sum(leaders), 0)
        FROM (SELECT {period} AS period, a.support_network_id AS network, s.leaders, count(*) AS n,
                     sum(a.girls) AS girls, sum(a.boys) AS boys, sum(a.adolescent_girls) AS adolescent_girls,
                     sum(a.adolescent_boys) AS adolescent_boys, sum(a.women) AS women, sum(a.men) AS men,
                     sum(a.families) AS families
              FROM activities_activity a LEFT JOIN activities_supportnetwork s ON s.id = a.support_network_id
              WHERE a.status = 'approved' AND ({dates})
              GROUP BY 1, 2, 3) AS by_network
        GROUP BY 1""",
    BY_CELL: """
        SELECT {period}, a.region_id, a.objective_id, count(*), sum({people}), sum(a.families)
        FROM activities_activity a WHERE a.status = 'approved' AND ({dates}) GROUP BY 1, 2, 3""",
    NETWORKS_BY_CELL: """
        SELECT cell.period, cell.region_id, cell.objective_id, count(*), sum(s.leaders)
        FROM (SELECT DISTINCT {period} AS period, a.region_id, a.objective_id, a.support_network_id
              FROM activities_activity a
              WHERE a.status = 'approved' AND ({dates}) AND a.support_network_id IS NOT NULL) AS cell
        JOIN activities_supportnetwork s ON s.id = cell.support_network_id
        GROUP BY 1, 2, 3""",
    # The distinct (period, region, objective, institution) themselves, some hundreds: counted by cell
    # for the indicators and by period for the headline, whose partners are those of all the cells.
    # A DISTINCT, which PostgreSQL runs in parallel, where it does not run count(DISTINCT).
    INSTITUTIONS: """
        SELECT DISTINCT {period}, a.region_id, a.objective_id, l.institution_id
        FROM activities_activity_institutions l JOIN activities_activity a ON a.id = l.activity_id
        WHERE a.status = 'approved' AND ({dates})""",
}

# The months of the page's own period only (period 0).
MONTHS_SQL = f"""
    SELECT date_trunc('month', a.start_date), count(*), sum(a.girls), sum(a.boys), sum(a.adolescent_girls),
           sum(a.adolescent_boys), sum(a.women), sum(a.men), sum(a.families)
    FROM activities_activity a WHERE a.status = 'approved' AND {in_period(0)} GROUP BY 1 ORDER BY 1"""

# The headline, the months and the indicators but the institutions from one read of the activities:
# groups fine enough (period, region, objective, month, network) that each of those figures is a
# sum of them, added up in Python (split_scan). About 1,700 groups for two years.
ONE_SCAN = "headline, months, indicators by region and objective (not institutions): one scan"
ONE_SCAN_SQL = """
    SELECT {period}, a.region_id, a.objective_id, date_trunc('month', a.start_date), a.support_network_id,
           s.leaders, count(*), sum(a.girls), sum(a.boys), sum(a.adolescent_girls), sum(a.adolescent_boys),
           sum(a.women), sum(a.men), sum(a.families)
    FROM activities_activity a LEFT JOIN activities_supportnetwork s ON s.id = a.support_network_id
    WHERE a.status = 'approved' AND ({dates})
    GROUP BY 1, 2, 3, 4, 5, 6"""

# What the page shows of its own period only.
ONCE = {
    TARGETS: """
        SELECT indicator_id, region_id, value FROM programs_target WHERE year = %(year)s AND quarter = %(quarter)s""",
    WAITING: """
        SELECT count(*) FROM activities_activity WHERE status = 'submitted'""",
    REPORTS: """
        SELECT r.id, r.kind, r.format, r.status, r.created_at, g.name
        FROM reports_report r LEFT JOIN regions_region g ON g.id = r.region_id
        ORDER BY r.created_at DESC, r.id DESC LIMIT 5""",
    REFERENCE: """
        SELECT 'region', g.id, g.name, g.slug, g.boundary, NULL, NULL, NULL::bigint FROM regions_region g
        UNION ALL SELECT 'objective', o.id, o.code, o.title, NULL, o.title_en, NULL, NULL FROM programs_objective o
        UNION ALL SELECT 'indicator', i.id, i.code, i.name, NULL, i.name_en, i.computation, i.objective_id
                  FROM programs_indicator i""",
}


# The same figures from the staff figures' tallies (reports.tally), as a person who knows them would
# ask: the approved cells of each period's months added up, each network and institution probed
# for one approved row of the period. Period by period; {dates} is a condition on a.month.
TALLIED_NETWORKS = """
    FROM activities_supportnetwork s
    WHERE EXISTS (SELECT 1 FROM reports_networktally n WHERE n.support_network_id = s.id AND n.status = 'approved'
                  AND n.activities > 0 AND ({dates}))"""
TALLIED = {
    HEADLINE: """
        SELECT {period}, coalesce(sum(a.activities), 0), coalesce(sum(a.girls), 0), coalesce(sum(a.boys), 0),
               coalesce(sum(a.adolescent_girls), 0), coalesce(sum(a.adolescent_boys), 0),
               coalesce(sum(a.women), 0), coalesce(sum(a.men), 0), coalesce(sum(a.families), 0),
               (SELECT count(*) {networks}), (SELECT coalesce(sum(s.leaders), 0) {networks})
        FROM reports_tally a WHERE a.status = 'approved' AND ({dates})""",
    BY_CELL: """
        SELECT {period}, a.region_id, a.objective_id, sum(a.activities), sum({people}), sum(a.families)
        FROM reports_tally a WHERE a.status = 'approved' AND ({dates}) GROUP BY 1, 2, 3""",
    NETWORKS_BY_CELL: """
        SELECT cell.period, cell.region_id, cell.objective_id, count(*), sum(s.leaders)
        FROM (SELECT DISTINCT {period} AS period, a.region_id, a.objective_id, a.support_network_id
              FROM reports_networktally a WHERE a.status = 'approved' AND a.activities > 0 AND ({dates})) AS cell
        JOIN activities_supportnetwork s ON s.id = cell.support_network_id
        GROUP BY 1, 2, 3""",
    INSTITUTIONS: """
        SELECT DISTINCT {period}, a.region_id, a.objective_id, a.institution_id
        FROM reports_partnertally a WHERE a.status = 'approved' AND a.activities > 0 AND ({dates})""",
}
TALLIED_MONTHS = """
    SELECT a.month::timestamp, sum(a.activities), sum(a.girls), sum(a.boys), sum(a.adolescent_girls),
           sum(a.adolescent_boys), sum(a.women), sum(a.men), sum(a.families)
    FROM reports_tally a WHERE a.status = 'approved' AND a.month BETWEEN %(first0)s AND %(last0)s
    GROUP BY 1 ORDER BY 1"""
TALLIED_WAITING = "SELECT coalesce(sum(activities), 0) FROM reports_tally WHERE status = 'submitted'"


def tallied_statements(periods):
    """(name, label, sql) of every figure from the tallies, period by period."""
    statements = [(MONTHS, periods[0].label(), TALLIED_MONTHS)]
    for number, period in enumerate(periods):
        dates = f"a.month BETWEEN %(first{number})s AND %(last{number})s"
        networks = TALLIED_NETWORKS.format(dates=dates.replace("a.", "n."))
        for name, sql in TALLIED.items():
            filled = sql.format(period=f"%(period{number})s::int", dates=dates, people=PEOPLE, networks=networks)
            statements.append((name, period.label(), filled))
    once = {**ONCE, WAITING: TALLIED_WAITING}
    return statements + [(name, periods[0].label() if name == TARGETS else "", sql) for name, sql in once.items()]


def describe_tallies(cursor):
    """The tallies' rows, and whether PostgreSQL has statistics on them (no autovacuum here)."""
    found = []
    for table in ("reports_tally", "reports_networktally", "reports_partnertally"):
        rows = cursor.execute(f"SELECT count(*) FROM {table}").fetchone()[0]
        analyzed = cursor.execute(
            "SELECT coalesce(last_analyze, last_autoanalyze) IS NOT NULL FROM pg_stat_user_tables WHERE relname = %s",
            [table],
        ).fetchone()[0]
        found.append(f"{table} {rows:,} rows ({'analyzed' if analyzed else 'NOT ANALYZED'})")
    print("tallies: " + ", ".join(found))


def parameters_of(periods):
    values = {"year": periods[0].year, "quarter": periods[0].quarter}
    for number, period in enumerate(periods):
        values[f"first{number}"], values[f"last{number}"] = period.dates()
        values[f"period{number}"] = number
    return values


def statements_per_period(name, periods, sql=None):
    """(name, label, sql) of one figure asked for period by period."""
    sql = sql or COMPARED[name]
    return [(name, p.label(), fill(sql, f"%(period{n})s::int", in_period(n))) for n, p in enumerate(periods)]


def statement_across(name, periods, sql=None):
    """(name, label, sql) of one figure asked for all the periods at once, grouped by period."""
    numbered = " ".join(f"WHEN {in_period(n)} THEN {n}" for n in range(len(periods)))
    dates = " OR ".join(in_period(n) for n in range(len(periods)))
    return (name, "all periods", fill(sql or COMPARED[name], f"CASE {numbered} END", dates))


def fill(sql, period, dates):
    return sql.format(period=period, dates=dates, people=PEOPLE)


# --- Running -----------------------------------------------------------------------------------


def timed(action):
    start = time.perf_counter()
    action()
    return time.perf_counter() - start


def run_raw(cursor, statements, parameters):
    """{figure: rows}: the rows of a figure asked period by period put together, the one scan's
    groups split into the rows of the queries it stands for."""
    results = {}
    for name, _label, sql in statements:
        cursor.execute(sql, parameters)
        rows = cursor.fetchall()
        for figure, figure_rows in (split_scan(rows) if name == ONE_SCAN else {name: rows}).items():
            results.setdefault(figure, []).extend(figure_rows)
    return results


def split_scan(groups):
    """The one scan's groups as the headline's, the cells', the networks' and the months' rows."""
    headline, cells, networks, months = {}, {}, {}, {}
    for period, region, objective, month, network, leaders, n, *six, families in groups:
        counts = (n, *six, families)
        headline[period] = [a + b for a, b in zip(headline.get(period, [0] * 8), counts, strict=True)]
        cell = cells.setdefault((period, region, objective), [0, 0, 0])
        cell[0], cell[1], cell[2] = cell[0] + n, cell[1] + sum(six), cell[2] + families
        if network is not None:
            networks.setdefault((period, region, objective), {})[network] = leaders
        if period == 0:
            months[month] = [a + b for a, b in zip(months.get(month, [0] * 8), counts, strict=True)]
    named = {}  # {period: {network: leaders}}: a network counts once in a period, whatever its cells
    for (period, _region, _objective), found in networks.items():
        named.setdefault(period, {}).update(found)
    return {
        HEADLINE: [
            (period, *counts, len(named.get(period, {})), sum(named.get(period, {}).values()))
            for period, counts in headline.items()
        ],
        BY_CELL: [(*cell, *values) for cell, values in cells.items()],
        NETWORKS_BY_CELL: [(*cell, len(found), sum(found.values())) for cell, found in networks.items()],
        MONTHS: [(month, *counts) for month, counts in sorted(months.items())],
    }


def fastest(cursor, title, ways, parameters, runs):
    """The statements of the fastest of `ways` ({way: statements}), timed here alternately, median
    of `runs` after one run of each; every way must give the same rows."""
    rows = {way: run_raw(cursor, statements, parameters) for way, statements in ways.items()}
    first, *others = rows.values()
    for found in others:
        if found.keys() != first.keys() or any(sorted(found[f]) != sorted(first[f]) for f in first):
            raise SystemExit(f"{title}: the ways of asking for it disagree; fix the benchmark's SQL.")
    seconds = {way: [] for way in ways}
    for _ in range(runs):
        for way, statements in ways.items():
            seconds[way].append(timed(lambda statements=statements: run_raw(cursor, statements, parameters)))
    medians = {way: statistics.median(times) for way, times in seconds.items()}
    best = min(medians, key=medians.get)
    print(f"  {title}: {', '.join(f'{way} {median:.3f} s' for way, median in medians.items())}: {best}")
    return ways[best]


def fastest_statements(cursor, periods, parameters, runs=3):
    """The baseline's statements: of each figure's ways of asking PostgreSQL for it, the fastest here.
    Which is fastest depends on the period's length and the machine's load: measured, not assumed.
    First each compared figure on its own (per period, or all periods at once), then those together
    against the one scan that gives them all."""
    print(f"the ways of asking for the figures (median of {runs} each), the fastest used:")
    chosen, separately = [], [(MONTHS, periods[0].label(), MONTHS_SQL)]
    for name in COMPARED:
        ways = {"per period": statements_per_period(name, periods), "all periods": [statement_across(name, periods)]}
        statements = fastest(cursor, name, ways, parameters, runs)
        (chosen if name == INSTITUTIONS else separately).extend(statements)
    ways = {
        "separately": separately,
        "one scan per period": statements_per_period(ONE_SCAN, periods, ONE_SCAN_SQL),
        "one scan": [statement_across(ONE_SCAN, periods, ONE_SCAN_SQL)],
    }
    chosen += fastest(cursor, "headline, months, indicators but institutions", ways, parameters, runs)
    return chosen + [(name, periods[0].label() if name == TARGETS else "", sql) for name, sql in ONCE.items()]


# --- The page ----------------------------------------------------------------------------------


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


def page_context(client, url):
    """The template context of one load of the page. Django records it only with its test
    instrumentation of templates, which costs time: on for this untimed load only."""
    setup_test_environment()
    try:
        return get_page(client, url).context
    finally:
        teardown_test_environment()


# --- The check: the page shows what the raw SQL gives ---------------------------------------------


def shown_by_page(context):
    """The numbers the page shows, keyed alike on both sides."""
    numbers = {"earlier periods": len(context["earlier"]), "waiting": context["pending"]}
    numbers["recent reports"] = [report.pk for report in context["reports"]]
    for row in context["headline"]:
        numbers["headline", row["key"]] = [row["value"], *(change.base for change in row["changes"])]
    for field in SIX:
        numbers["people by sex and age", field] = context["figures"][field]
    numbers["months"] = [(m["activities"], m["participants"], m["families"]) for m in context["months"]]
    for entry in context["indicators"]:
        indicator = entry["indicator"]["id"]
        numbers["indicator total", indicator] = [
            entry["total"]["actual"],
            *(change.base for change in entry["total"]["changes"]),
        ]
        for row in entry["regions"]:
            region = row["region"]["id"]
            numbers["indicator", indicator, region] = [row["actual"], row["change"].base]
            numbers["target", indicator, region] = row["target"]
    return numbers


def given_by_raw_sql(results, periods):
    """The same numbers from the raw SQL's rows."""
    count = len(periods)
    figures = [dict.fromkeys(("activities", *SIX, "families", "networks", "network_leaders", "institutions"), 0)]
    figures += [dict(figures[0]) for _ in range(count - 1)]
    for period, n, *six, families, networks, leaders in results[HEADLINE]:
        figures[period].update(activities=n, **dict(zip(SIX, six, strict=True)), families=families)
        figures[period].update(networks=networks, network_leaders=leaders)
    partners = {}
    for period, _region, _objective, institution in results[INSTITUTIONS]:
        partners.setdefault(period, set()).add(institution)
    for period, found in partners.items():
        figures[period]["institutions"] = len(found)
    for period_figures in figures:
        period_figures["participants"] = sum(period_figures[field] for field in SIX)

    numbers = {"earlier periods": count - 1, "waiting": results[WAITING][0][0]}
    numbers["recent reports"] = [row[0] for row in results[REPORTS]]
    for key in ("activities", "participants", "families", "networks", "network_leaders", "institutions"):
        numbers["headline", key] = [period_figures[key] for period_figures in figures]
    for field in SIX:
        numbers["people by sex and age", field] = figures[0][field]
    numbers["months"] = _months(results[MONTHS], periods[0])

    actuals = _actuals(results)
    reference = results[REFERENCE]
    regions = [row[1] for row in reference if row[0] == "region"]
    targets = {(indicator, region): value for indicator, region, value in results[TARGETS]}
    for _kind, indicator, *_names, computation, objective in (row for row in reference if row[0] == "indicator"):
        by_period = [
            {region: actuals.get((period, computation, region, objective), 0) for region in regions}
            for period in range(count)
        ]
        numbers["indicator total", indicator] = [sum(values.values()) for values in by_period]
        for region in regions:
            numbers["indicator", indicator, region] = [by_period[0][region], by_period[1][region]]
            numbers["target", indicator, region] = targets.get((indicator, region))
    return numbers


def _months(rows, period):
    found = {month.date().month: (n, sum(six), families) for month, n, *six, families in rows}
    first, last = period.dates()
    return [found.get(month, (0, 0, 0)) for month in range(first.month, last.month + 1)]


def _actuals(results):
    """{(period, computation, region, objective): value}, as the indicators compute them."""
    actuals = {}
    for period, region, objective, n, people, families in results[BY_CELL]:
        for computation, value in (("activities", n), ("participants", people), ("families", families)):
            actuals[period, computation, region, objective] = value
    for period, region, objective, networks, leaders in results[NETWORKS_BY_CELL]:
        actuals[period, "networks", region, objective] = networks
        actuals[period, "network_leaders", region, objective] = leaders
    for period, region, objective, _institution in results[INSTITUTIONS]:
        cell = (period, "institutions", region, objective)
        actuals[cell] = actuals.get(cell, 0) + 1
    return actuals


def check(page, raw):
    differences = [
        f"  {key}: page {page.get(key)!r}, raw SQL {raw.get(key)!r}"
        for key in sorted(set(page) | set(raw), key=repr)
        if page.get(key) != raw.get(key)
    ]
    if differences:
        print("the page and the raw SQL disagree:", *differences[:20], sep="\n")
        raise SystemExit(f"{len(differences)} numbers differ: the baseline does not produce the page's output.")
    indicators = sum(1 for key in page if key[0] == "indicator")
    print(f"checked: the page's {len(page)} figures ({indicators} indicator cells) equal the raw SQL's")


# --- Main ----------------------------------------------------------------------------------------


def raw_connection():
    database = settings.DATABASES["default"]
    return psycopg.connect(
        dbname=database["NAME"],
        user=database["USER"],
        password=database["PASSWORD"] or None,
        host=database["HOST"],
        port=database["PORT"] or None,
        autocommit=True,
        # Each query planned for its own dates, as Django's are: psycopg would otherwise prepare a
        # query run 5 times, and PostgreSQL then falls back on a generic plan, which for the
        # institutions' probe is a scan of every link per institution (seconds, not milliseconds).
        prepare_threshold=None,
    )


def describe_queries(client, url, cursor, statements, parameters):
    """The page's queries and the raw ones, each timed once, slowest first for the page's."""
    with CaptureQueriesContext(connection) as captured:
        get_page(client, url)
    # Their total beside the page's median says how much of the page is Python (rendering, formatting).
    total = sum(float(query["time"]) for query in captured.captured_queries)
    print(f"\nthe page's {len(captured)} queries, {total:.3f} s in all (one untimed run, DEBUG-style capture):")
    for query in sorted(captured.captured_queries, key=lambda q: -float(q["time"])):
        print(f"  {float(query['time']):7.3f} s  {' '.join(query['sql'].split())[:150]}")
    print(f"\nthe {len(statements)} raw queries:")
    for name, label, sql in statements:
        seconds = timed(lambda sql=sql: (cursor.execute(sql, parameters), cursor.fetchall()))
        print(f"  {seconds:7.3f} s  {name}{f' ({label})' if label else ''}")


def describe_data(cursor, periods, parameters, url, user):
    total = cursor.execute("SELECT count(*) FROM activities_activity").fetchone()[0]
    approved = []
    for number, period in enumerate(periods):
        sql = f"SELECT count(*) FROM activities_activity a WHERE a.status = 'approved' AND {in_period(number)}"
        approved.append(f"{cursor.execute(sql, parameters).fetchone()[0]:,} in {period.label()}")
    print(f"{total:,} activities; approved: {', '.join(approved)}; {url} as {user!r}")
    print(f"the page compares {periods[0].label()} with {' and '.join(p.label() for p in periods[1:])}")


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
    parser.add_argument("--quarter", type=int, default=0, choices=range(5), help="1-4, or 0 for the whole year")
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--user", default="staff", help="a ministry user (seed_demo makes `staff`)")
    parser.add_argument("--lang", default="es")
    options = parser.parse_args()
    if connection.vendor != "postgresql":
        raise SystemExit("The benchmark compares against PostgreSQL: set DATABASE_URL to a seeded database.")

    period = Period(options.year, options.quarter)
    periods = [period, *period.earlier()]
    parameters = parameters_of(periods)
    url = f"/{options.lang}/panel/dashboard/?year={options.year}"
    url += f"&quarter={options.quarter}" if options.quarter else ""
    client = page_client(options.user)
    with raw_connection() as raw, raw.cursor() as cursor:
        describe_data(cursor, periods, parameters, url, options.user)
        describe_tallies(cursor)
        # Warm-up: the first run reads the tables from disk and fills Python's caches.
        get_page(client, url)
        statements = fastest_statements(cursor, periods, parameters)

        # The baseline's output is the page's numbers, made from its rows (a millisecond of Python).
        def baseline():
            return given_by_raw_sql(run_raw(cursor, statements, parameters), periods)

        tallied = tallied_statements(periods)

        def tallied_baseline():
            return given_by_raw_sql(run_raw(cursor, tallied, parameters), periods)

        shown = shown_by_page(page_context(client, url))
        check(shown, baseline())
        check(shown, tallied_baseline())
        page_times, raw_times, tallied_times = [], [], []
        for _ in range(options.runs):
            page_times.append(timed(lambda: get_page(client, url)))
            raw_times.append(timed(baseline))
            tallied_times.append(timed(tallied_baseline))
        page, raw_sql, tallied_sql = (statistics.median(t) for t in (page_times, raw_times, tallied_times))
        print(f"page:                 median {page:.3f} s of {', '.join(f'{t:.3f}' for t in page_times)}")
        print(f"raw SQL, activities:  median {raw_sql:.3f} s of {', '.join(f'{t:.3f}' for t in raw_times)}")
        print(f"raw SQL, tallies:     median {tallied_sql:.3f} s of {', '.join(f'{t:.3f}' for t in tallied_times)}")
        print(f"ratio page / raw SQL over the activities: {page / raw_sql:.2f}")
        print(f"ratio page / raw SQL over the tallies: {page / tallied_sql:.2f}")
        describe_queries(client, url, cursor, statements, parameters)


if __name__ == "__main__":
    main()
