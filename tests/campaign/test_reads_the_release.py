"""Every public channel reads the release: no anonymous page, file or API answer sums, groups or
counts people over the activities table. Listing activities (the public records) and counting
them (activities are public events) is allowed; adding up their participants is not."""

import re

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from tests.factories import ActivityFactory

from .public import DOWNLOADS, LANGUAGES, PAGES, text

API = [
    "/api/v1/statistics/",
    "/api/v1/statistics/?by=region",
    "/api/v1/statistics/?by=month",
    "/api/v1/statistics/?region=amazonas&by=year",
    "/api/v1/regions/geojson/",
    "/api/v1/activities/geojson/",
    "/api/v1/activities/",
]
# An aggregate over the activities or over their staff tallies (reports.tally, exact counts by
# cell): a SUM of any column, or a GROUP BY, where either is read.
LIVE = r'"(activities_activity|reports_tally|reports_networktally|reports_partnertally)"'
AGGREGATE = re.compile(rf"(SUM\(|GROUP BY).*{LIVE}|{LIVE}.*(SUM\(|GROUP BY)", re.S)


@pytest.fixture
def released(amazonas, puno, publish):
    ActivityFactory(status="approved", region=amazonas, girls=3, latitude="-6.23", longitude="-77.87")
    ActivityFactory(status="approved", region=puno, women=20)
    publish()


def aggregates(client, url):
    with CaptureQueriesContext(connection) as queries:
        response = client.get(url)
        assert response.status_code == 200, url
        text(response)  # a streamed file runs its queries while it is read
    return [q["sql"] for q in queries.captured_queries if AGGREGATE.search(q["sql"])]


@pytest.mark.parametrize("path", [f"/{lang}/{page}" for lang in LANGUAGES for page in PAGES + DOWNLOADS] + API)
def test_no_public_output_aggregates_activities(client, released, path):
    assert aggregates(client, path) == []


def test_the_check_finds_an_aggregate_over_activities(client, released, staff):
    # The staff dashboard sums the live tallies: the same check must see it.
    client.force_login(staff)
    assert aggregates(client, "/es/panel/dashboard/")
