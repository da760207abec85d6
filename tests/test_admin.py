"""Staff work in the admin: every model has a page, in Spanish and English, that
loads with a bounded number of queries; the access rule decides who may change what."""

import datetime

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from activities.admin import DrillDownActivities
from activities.models import Activity, Evidence, Institution, SupportNetwork
from programs.models import Indicator, Objective, Program, Service, Target
from regions.models import Region, RegionMembership

from .factories import ActivityFactory, InstitutionFactory, SupportNetworkFactory

MODELS = [Region, RegionMembership, Objective, Program, Service, Indicator, Target, Institution, SupportNetwork,
          Activity, Evidence]  # fmt: skip


def admin_url(model, view, *args):
    return reverse(f"admin:{model._meta.app_label}_{model._meta.model_name}_{view}", args=args)


@pytest.fixture
def some_activities(coord_amazonas, amazonas):
    institution = InstitutionFactory(region=amazonas)
    network = SupportNetworkFactory(region=amazonas)
    activities = ActivityFactory.create_batch(60, created_by=coord_amazonas, support_network=network)
    for activity in activities:
        activity.institutions.add(institution)
    return activities


@pytest.mark.parametrize("model", MODELS, ids=lambda m: m._meta.model_name)
@pytest.mark.parametrize("language", ["es", "en"])
def test_staff_can_open_every_list_in_both_languages(client, staff, model, language, some_activities):
    client.force_login(staff)
    client.cookies["django_language"] = language
    response = client.get(admin_url(model, "changelist"))
    assert response.status_code == 200
    assert response["Content-Language"] == language


def test_admin_index_speaks_spanish_by_default(client, staff):
    client.force_login(staff)
    response = client.get(reverse("admin:index"))
    assert "Regiones" in response.content.decode()
    assert "Actividades comunitarias" in response.content.decode()


def test_activity_list_loads_with_a_bounded_number_of_queries(
    client, staff, some_activities, django_assert_max_num_queries
):
    client.force_login(staff)
    # Session, user, the filters' choices, count, rows, the date hierarchy (its range twice, then its
    # periods' probes in one query): none per row.
    with django_assert_max_num_queries(13):
        response = client.get(admin_url(Activity, "changelist"))
    assert response.status_code == 200
    assert some_activities[-1].title in response.content.decode()


def test_activity_list_searches_titles(client, staff, some_activities):
    client.force_login(staff)
    target = some_activities[7]
    response = client.get(admin_url(Activity, "changelist"), {"q": target.title})
    assert target.title in response.content.decode()
    assert some_activities[8].title not in response.content.decode()


def test_related_regions_are_chosen_by_autocomplete_not_a_full_list(client, admin_user, some_activities):
    client.force_login(admin_user)
    response = client.get(admin_url(Activity, "change", some_activities[0].pk))
    assert response.status_code == 200
    html = response.content.decode()
    assert 'data-ajax--url="/admin/autocomplete/"' in html
    response = client.get("/admin/autocomplete/", {"term": "Amaz", "app_label": "activities",
                                                  "model_name": "activity", "field_name": "region"})  # fmt: skip
    assert [r["text"] for r in response.json()["results"]] == ["Amazonas"]


def test_coordinators_cannot_use_the_admin(client, coord_amazonas):
    client.force_login(coord_amazonas)
    response = client.get(admin_url(Activity, "changelist"))
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("admin:login"))


def test_staff_edit_reference_data(client, staff, amazonas):
    client.force_login(staff)
    response = client.get(admin_url(Region, "change", amazonas.pk))
    assert response.status_code == 200
    assert 'name="capital"' in response.content.decode()


def test_staff_read_activities_but_do_not_edit_them_in_the_admin(client, staff, some_activities):
    client.force_login(staff)
    activity = some_activities[0]
    response = client.get(admin_url(Activity, "change", activity.pk))
    assert response.status_code == 200
    assert 'name="title"' not in response.content.decode()
    response = client.post(admin_url(Activity, "change", activity.pk), {"title": "changed"})
    assert response.status_code == 403
    activity.refresh_from_db()
    assert activity.title != "changed"


def test_only_administrators_manage_users(client, staff, admin_user):
    client.force_login(staff)
    assert client.get(reverse("admin:accounts_user_add")).status_code == 403
    client.force_login(admin_user)
    assert client.get(reverse("admin:accounts_user_add")).status_code == 200


@pytest.fixture
def spread(amazonas, puno):
    """Activities on scattered days of three years, in two regions and two statuses."""
    days = ["2024-02-29", "2024-12-31", "2025-01-01", "2025-06-15", "2025-06-30", "2026-03-03"]
    for number, day in enumerate(days):
        ActivityFactory(
            region=amazonas if number % 2 else puno,
            status="approved" if number % 3 else "draft",
            start_date=datetime.date.fromisoformat(day),
            end_date=datetime.date.fromisoformat(day),
        )


@pytest.mark.parametrize(
    "filters",
    [{}, {"status": "approved"}, {"region__slug": "puno"}, {"start_date__year": 2025}, {"title": "no such title"}],
    ids=["all", "approved", "puno", "2025", "none"],
)
@pytest.mark.parametrize("kind", ["year", "month", "day"])
@pytest.mark.parametrize("order", ["ASC", "DESC"])
def test_the_drill_down_finds_the_periods_a_scan_finds(spread, filters, kind, order):
    probed = DrillDownActivities(Activity).filter(**filters)
    scanned = Activity.objects.filter(**filters)
    assert list(probed.dates("start_date", kind, order)) == list(scanned.dates("start_date", kind, order))


def test_the_changelist_drills_down_by_year_then_month_with_the_same_links(client, staff, spread):
    client.force_login(staff)
    client.cookies["django_language"] = "en"
    years = client.get(admin_url(Activity, "changelist")).content.decode()
    assert all(f"?start_date__year={year}" in years for year in (2024, 2025, 2026))
    months = client.get(admin_url(Activity, "changelist"), {"start_date__year": 2025}).content.decode()
    assert "start_date__month=1" in months and "start_date__month=6" in months
    assert "start_date__month=3" not in months


@pytest.mark.skipif(connection.vendor != "postgresql", reason="the probes are PostgreSQL's")
def test_the_drill_down_reads_no_distinct_over_the_rows(client, staff, spread):
    client.force_login(staff)
    with CaptureQueriesContext(connection) as captured:
        assert client.get(admin_url(Activity, "changelist")).status_code == 200
    drill = [q["sql"] for q in captured.captured_queries if "DATE_TRUNC" in q["sql"].upper() or "UNION" in q["sql"]]
    assert len(drill) == 1 and "UNION ALL" in drill[0] and "DISTINCT" not in drill[0].upper()
