"""The panel's pages cost a fixed number of queries, however many activities they list:
a coordinator in Puno or Loreto waits on every round trip. Each page is measured with 5 rows
and with 50; the counts must be equal (no query per row) and stay under a small ceiling."""

import io

from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import translation
from PIL import Image

from activities.evidence import evidence_attach
from activities.models import Activity

from .factories import ActivityFactory, InstitutionFactory, SupportNetworkFactory

# The counts measured on SQLite and PostgreSQL, plus a margin of 2. Each page spends two on
# the session and the user; the rest is its own: the panel counts by status and lists what was
# returned; the lists count, fetch a page and fill the filters' region, objective and service
# choices; the detail page reads the activity, then its partners, steps, history and files.
MAX_QUERIES = {
    "panel": 6 + 2,
    "list": 8 + 2,
    "review_queue": 7 + 2,
    "detail": 9 + 2,
}


def url(name, *args):
    with translation.override("es"):
        return reverse(f"activities:{name}", args=args)


def jpeg():
    out = io.BytesIO()
    Image.new("RGB", (16, 16), "green").save(out, "JPEG")
    return out.getvalue()


def count_queries(client, path):
    with CaptureQueriesContext(connection) as queries:
        response = client.get(path)
    assert response.status_code == 200
    return len(queries)


def add_activities(region, n, *, status, with_partners=0):
    """n activities; the first `with_partners` get institutions, a support network and evidence."""
    activities = ActivityFactory.create_batch(n, region=region, status=status, review_comment="Revise la fecha.")
    for activity in activities[:with_partners]:
        activity.institutions.set(InstitutionFactory.create_batch(2, region=region))
        activity.support_network = SupportNetworkFactory(region=region)
        activity.save()
    return activities


def assert_fixed_cost(client, name, path, add_more, django_assert_max_num_queries):
    with_5 = count_queries(client, path)
    add_more()
    with django_assert_max_num_queries(MAX_QUERIES[name]):
        response = client.get(path)
    with_50 = count_queries(client, path)
    assert with_50 == with_5, f"{name}: {with_5} queries with 5 rows, {with_50} with 50"
    return response


class TestPagesCostTheSameWithFiveOrFiftyRows:
    def test_the_panel_home(self, amazonas_client, amazonas, django_assert_max_num_queries):
        add_activities(amazonas, 3, status="draft", with_partners=1)
        add_activities(amazonas, 2, status="returned", with_partners=1)
        response = assert_fixed_cost(
            amazonas_client,
            "panel",
            url("panel"),
            lambda: (add_activities(amazonas, 25, status="draft"), add_activities(amazonas, 20, status="returned")),
            django_assert_max_num_queries,
        )
        assert len(response.context["returned"]) == 20

    def test_the_list(self, amazonas_client, amazonas, django_assert_max_num_queries):
        add_activities(amazonas, 5, status="draft", with_partners=3)
        response = assert_fixed_cost(
            amazonas_client,
            "list",
            url("list"),
            lambda: add_activities(amazonas, 45, status="submitted", with_partners=3),
            django_assert_max_num_queries,
        )
        assert len(response.context["page"].object_list) == 50

    def test_the_review_queue(self, staff_client, amazonas, puno, django_assert_max_num_queries):
        add_activities(amazonas, 5, status="submitted", with_partners=2)
        response = assert_fixed_cost(
            staff_client,
            "review_queue",
            url("review_queue"),
            lambda: (
                add_activities(amazonas, 25, status="submitted", with_partners=2),
                add_activities(puno, 20, status="submitted"),
            ),
            django_assert_max_num_queries,
        )
        assert len(response.context["page"].object_list) == 50

    def test_the_detail_page_with_many_partners_files_and_steps(
        self, amazonas_client, coord_amazonas, staff, amazonas, django_assert_max_num_queries
    ):
        add_activities(amazonas, 50, status="draft")
        activity = ActivityFactory(region=amazonas, created_by=coord_amazonas)
        path = url("detail", activity.pk)

        def attach(n):
            for _ in range(n):
                file = SimpleUploadedFile("foto.jpg", jpeg(), content_type="image/jpeg")
                evidence_attach(activity=activity, uploaded_file=file, caption="", by=coord_amazonas)

        def go_round(n):
            for _ in range(n):
                activity.transition("submit", by=coord_amazonas)
                activity.transition("return", by=staff, comment="Falta la lista de asistencia.")

        activity.institutions.set(InstitutionFactory.create_batch(1, region=amazonas))
        activity.support_network = SupportNetworkFactory(region=amazonas)
        activity.save()
        attach(1)
        go_round(1)

        def add_more():
            activity.institutions.add(*InstitutionFactory.create_batch(9, region=amazonas))
            attach(9)
            go_round(5)

        response = assert_fixed_cost(amazonas_client, "detail", path, add_more, django_assert_max_num_queries)
        assert len(response.context["evidence"]) == 10
        assert len(response.context["transitions"]) == 12
        assert Activity.objects.get(pk=activity.pk).status == "returned"
