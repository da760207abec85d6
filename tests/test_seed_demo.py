"""seed_demo: a development portal filled with plausible, deterministic demo data."""

import io
from collections import Counter

import pytest
from django.contrib.auth import get_user_model
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import connection

from activities import demo
from activities.models import PARTICIPANT_FIELDS, Activity, ActivityTransition, Evidence, Institution, SupportNetwork
from programs.models import Indicator, Target
from regions.models import Region, RegionMembership

N = 200
Status = Activity.Status


@pytest.fixture(autouse=True)
def debug_on(settings, db):
    # pytest-django turns DEBUG off; the command is made for a development portal, where it is on.
    settings.DEBUG = True
    return settings


def seed(*args):
    out = io.StringIO()
    call_command("seed_demo", *args, stdout=out)
    return out.getvalue()


def fingerprint():
    """What two runs with one seed must agree on, without the ids a database hands out."""
    rows = Activity.objects.order_by("id").values_list(
        "title", "start_date", "end_date", "status", "client_uuid", "region__slug", "service__slug",
        "modality", "place_name", "district", "latitude", "longitude", *PARTICIPANT_FIELDS, "families",
        "support_network__name", "review_comment",
    )  # fmt: skip
    links = Activity.institutions.through.objects.order_by("activity_id", "institution__name")
    return list(rows), list(links.values_list("activity__client_uuid", "institution__name"))


def test_seeding_creates_the_requested_number_of_activities_that_pass_validation():
    seed("--activities", str(N), "--seed", "1")

    activities = Activity.objects.select_related("region", "objective", "support_network")
    assert activities.count() == N
    for activity in activities.prefetch_related("institutions"):
        activity.full_clean()
        activity.validate_institutions(list(activity.institutions.all()))


def test_seeded_activities_have_every_status_mostly_approved():
    seed("--activities", str(N), "--seed", "1")

    statuses = Counter(Activity.objects.values_list("status", flat=True))
    assert set(statuses) == set(Status.values)
    assert statuses.most_common(1)[0][0] == Status.APPROVED


def test_seeded_activities_look_like_the_campaigns_field_work():
    seed("--activities", str(N), "--seed", "1")

    activities = Activity.objects.select_related("region", "objective")
    assert activities.values("region").distinct().count() >= 10
    assert (
        activities.filter(region__slug="lima-metropolitana").count()
        > activities.filter(region__slug="madre-de-dios").count()
    )
    assert all(a.objective.services.filter(pk=a.service_id).exists() for a in activities)
    assert not activities.filter(objective__code="OE3", support_network=None).exists()
    assert not activities.filter(objective__code="OE4", institutions=None).exists()
    with_point = activities.exclude(latitude=None)
    assert 0.55 < with_point.count() / N < 0.85
    assert all(abs(a.latitude - a.region.latitude) <= 0.3 for a in with_point)
    assert all(abs(a.longitude - a.region.longitude) <= 0.3 for a in with_point)
    assert not activities.filter(modality=Activity.Modality.VIRTUAL).exclude(latitude=None).exists()


def test_points_stay_inside_a_loaded_region_boundary():
    amazonas = Region.objects.get(slug="amazonas")
    lat, lon = float(amazonas.latitude), float(amazonas.longitude)
    # A square smaller than the jitter: most jittered points fall outside it.
    corners = [(lon - 0.1, lat - 0.1), (lon + 0.1, lat - 0.1), (lon + 0.1, lat + 0.1), (lon - 0.1, lat + 0.1)]
    amazonas.boundary = {"type": "Polygon", "coordinates": [[*corners, corners[0]]]}
    amazonas.save()

    seed("--activities", str(N), "--seed", "1")

    points = Activity.objects.filter(region=amazonas).exclude(latitude=None).values_list("latitude", "longitude")
    assert points
    assert all(amazonas.contains(lat, lon) for lat, lon in points)


def test_every_region_has_a_coordinator_with_a_membership_and_the_demo_password(settings):
    seed("--activities", "0")

    User = get_user_model()
    for region in Region.objects.in_campaign():
        coordinator = User.objects.get(username=f"coord-{region.slug}")
        assert coordinator.role == User.Role.COORDINATOR
        assert list(RegionMembership.objects.filter(user=coordinator).values_list("region", flat=True)) == [region.pk]
        assert coordinator.check_password(settings.DEMO_PASSWORD)
    assert User.objects.get(username="staff").role == User.Role.MINISTRY
    admin = User.objects.get(username="admin")
    assert admin.is_superuser and admin.role == User.Role.ADMIN


def test_a_demo_user_that_exists_keeps_its_password():
    User = get_user_model()
    User.objects.create_user("staff", password="changed-on-purpose", role=User.Role.MINISTRY)

    seed("--activities", "0")

    assert User.objects.get(username="staff").check_password("changed-on-purpose")


def test_partners_and_targets_cover_every_region():
    seed("--activities", "0")

    regions = Region.objects.in_campaign()
    for region in regions:
        sectors = set(Institution.objects.filter(region=region).values_list("sector", flat=True))
        assert sectors == {Institution.Sector.PUBLIC, Institution.Sector.PRIVATE}
        assert SupportNetwork.objects.filter(region=region, leaders__gt=0).count() >= 2
    assert Institution.objects.exclude(actuemos_ya_since=None).exists()
    assert Target.objects.filter(quarter=Target.WHOLE_YEAR, value__gt=0).count() == (
        Indicator.objects.count() * regions.count() * len(demo.TARGET_YEARS)
    )


def test_the_same_seed_gives_the_same_activities_and_another_seed_others():
    seed("--activities", str(N), "--seed", "7")
    first = fingerprint()

    seed("--activities", str(N), "--seed", "7", "--reset")
    again = fingerprint()
    seed("--activities", str(N), "--seed", "8", "--reset")
    other = fingerprint()

    assert len(first[0]) == N
    assert again == first
    assert other[0] != first[0]


def test_a_second_run_without_reset_adds_nothing():
    seed("--activities", str(N), "--seed", "1")
    counts = [m.objects.count() for m in (Activity, ActivityTransition, Institution, SupportNetwork, Target)]

    output = seed("--activities", str(N), "--seed", "2")

    assert "none added" in output
    assert [m.objects.count() for m in (Activity, ActivityTransition, Institution, SupportNetwork, Target)] == counts


def test_reset_replaces_activities_with_their_status_changes_and_evidence():
    seed("--activities", str(N), "--seed", "1")
    activity = Activity.objects.first()
    Evidence.objects.create(activity=activity, file="evidence/x.jpg", content_type="image/jpeg", size=10)

    output = seed("--activities", "50", "--seed", "1", "--reset")

    assert f"Deleted {N} activities" in output
    assert Activity.objects.count() == 50
    assert not Evidence.objects.exists()
    assert not ActivityTransition.objects.exclude(activity__in=Activity.objects.all()).exists()


def test_status_changes_lead_to_each_activitys_status():
    seed("--activities", str(N), "--seed", "1")
    staff = get_user_model().objects.get(username="staff")

    for activity in Activity.objects.prefetch_related("transitions"):
        steps = [(t.from_status, t.to_status, t.by_id, t.comment) for t in activity.transitions.all()]
        submitted = (Status.DRAFT, Status.SUBMITTED, activity.created_by_id, "")
        expected = {
            Status.DRAFT: [],
            Status.SUBMITTED: [submitted],
            Status.APPROVED: [submitted, (Status.SUBMITTED, Status.APPROVED, staff.pk, "")],
            Status.RETURNED: [submitted, (Status.SUBMITTED, Status.RETURNED, staff.pk, activity.review_comment)],
        }[activity.status]
        assert steps == expected
        assert activity.created_by.username == f"coord-{activity.region.slug}"
    assert not Activity.objects.filter(status=Status.RETURNED, review_comment="").exists()


def test_each_activity_keeps_the_times_of_its_steps():
    seed("--activities", str(N), "--seed", "1")
    written = list(Activity.objects.order_by("pk").values_list("submitted_at", "decided_at"))

    Activity.objects.times_from_steps()

    assert list(Activity.objects.order_by("pk").values_list("submitted_at", "decided_at")) == written
    assert Activity.objects.filter(status=Status.SUBMITTED, submitted_at__isnull=False).exists()
    assert not Activity.objects.filter(status=Status.DRAFT, submitted_at__isnull=False).exists()


def test_refuses_to_run_with_debug_off(settings):
    settings.DEBUG = False

    with pytest.raises(CommandError, match="DEBUG"):
        seed("--activities", "10")

    assert not Activity.objects.exists()


def test_runs_with_debug_off_when_forced(settings):
    settings.DEBUG = False

    seed("--activities", "10", "--force")

    assert Activity.objects.count() == 10


@pytest.mark.skipif(connection.vendor != "postgresql", reason="COPY is PostgreSQL's")
def test_copy_and_bulk_create_write_the_same_activities(monkeypatch):
    seed("--activities", str(N), "--seed", "3")
    copied = fingerprint()

    monkeypatch.setattr(demo, "CopyWriter", demo.BulkCreateWriter)
    seed("--activities", str(N), "--seed", "3", "--reset")

    assert fingerprint() == copied


def test_seeding_leaves_the_staff_figures_tallies_exact_and_analyzed():
    from reports import tally
    from reports.models import Tally

    out = seed("--activities", str(N), "--seed", "1")

    assert "Tallies rebuilt" in out
    assert Tally.objects.filter(status=Status.APPROVED).exists()
    assert tally.tallied() == tally.recount()
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT relname FROM pg_stat_user_tables WHERE last_analyze IS NOT NULL AND relname = ANY(%s)",
                [["activities_activity", "reports_tally", "reports_partnertally"]],
            )
            assert {row[0] for row in cursor.fetchall()} == {
                "activities_activity",
                "reports_tally",
                "reports_partnertally",
            }
