"""The public release as a publication: numbered, cut off at a time, counting only what was
approved by then, stored and never changed afterwards (DESIGN.md, "Privacy")."""

import datetime

import pytest
from celery.schedules import crontab
from django.conf import settings
from django.core.exceptions import ValidationError
from django.utils import timezone

from programs.models import Objective
from publication.models import Release
from publication.selectors import current_release, release_numbered
from publication.services import release_publish
from reports.selectors import approved_figures

from ..factories import ActivityFactory

pytestmark = pytest.mark.django_db

ZERO = dict.fromkeys(("girls", "boys", "adolescent_girls", "adolescent_boys", "women", "men", "families"), 0)


def activity(region, status="approved", objective="OE1", day=datetime.date(2025, 3, 10), **counts):
    return ActivityFactory(
        status=status,
        region=region,
        objective=Objective.objects.get(code=objective),
        start_date=day,
        end_date=day,
        **{**ZERO, **counts},
    )


@pytest.fixture
def few(amazonas, puno):
    """A few approved activities, some counts small."""
    return [
        activity(amazonas, women=12, men=8, girls=3, families=9),
        activity(amazonas, objective="OE2", women=7, boys=2, families=6, day=datetime.date(2025, 5, 2)),
        activity(puno, women=15, men=11, adolescent_girls=6, families=14),
        activity(puno, objective="OE2", men=9, adolescent_boys=4, families=5, day=datetime.date(2024, 11, 20)),
    ]


def approve(staff, region, **counts):
    """Submit and approve one activity of large counts only: no change between releases is small,
    so these tests never depend on how the protection hides a small difference."""
    new = activity(region, status="submitted", **{"women": 10, "men": 9, "families": 7, **counts})
    new.transition("approve", by=staff)
    return new


def public_figures(public):
    """Every figure of a release as the public reads it."""
    cells = public.keys()  # a PublicRelease, not a dict: its cells' keys
    return {key: public.figures(*key) for key in cells}


def listed(public):
    return set(public.activities().values_list("pk", flat=True))


def test_publishing_now_stores_the_next_number_with_its_cut_off(few, staff):
    before = timezone.now()
    first = release_publish(by=staff)
    after = timezone.now()
    second = release_publish()

    assert (first.number, second.number) == (1, 2)
    assert before <= first.cut_off <= after < second.cut_off
    assert first.published_by == staff and second.published_by is None
    assert first.activities == second.activities == len(few)
    assert list(Release.objects.values_list("number", flat=True).order_by("number")) == [1, 2]
    assert current_release().number == 2
    assert current_release().figures()["activities"].value == len(few)


@pytest.mark.parametrize("earlier", [datetime.timedelta(0), datetime.timedelta(days=1)])
def test_a_cut_off_not_after_the_latest_is_refused_and_stores_nothing(few, earlier):
    first = release_publish()

    with pytest.raises(ValidationError):
        release_publish(cut_off=first.cut_off - earlier)

    assert list(Release.objects.values_list("number", flat=True)) == [1]
    # The refused release did not clear what the next one needs from the latest.
    assert Release.objects.get(number=1).members is not None
    assert current_release().number == 1


def test_a_release_counts_only_what_was_approved_by_its_cut_off(amazonas, staff):
    before = activity(amazonas, women=12, men=8, families=9)
    cut_off = timezone.now()
    late = approve(staff, amazonas, women=20)
    assert before.approved_at <= cut_off < late.approved_at

    release = release_publish(cut_off=cut_off)

    # Staff see the approval at once, live and exact.
    assert approved_figures()["activities"] == 2
    assert approved_figures()["women"] == 32
    # The public does not, until the next release.
    public = current_release()
    assert release.activities == 1
    assert listed(public) == {before.pk}
    assert public.figures()["activities"].value == 1
    assert public.figures()["women"].value == 12

    release_publish()
    public = current_release()
    assert public.number == 2
    assert listed(public) == {before.pk, late.pk}
    assert public.figures()["women"].value == 32


def test_a_reopened_activity_leaves_the_public_list_at_once(few, staff):
    release_publish()
    reopened = few[2]
    published = public_figures(current_release())

    reopened.refresh_from_db()
    reopened.transition("reopen", by=staff, comment="Los conteos de adolescentes no cuadran.")

    assert reopened.pk not in listed(current_release())
    assert listed(current_release()) == {a.pk for a in few} - {reopened.pk}
    # The release's figures are a publication: they change with the next release, not before.
    assert public_figures(current_release()) == published

    release_publish()
    assert current_release().figures()["activities"].value == len(few) - 1
    assert reopened.pk not in listed(current_release())


def test_earlier_releases_stay_readable_and_unchanged(few, staff, puno):
    release_publish()
    first = public_figures(release_numbered(1))
    first_cells = Release.objects.get(number=1).cells

    approve(staff, puno)
    release_publish()

    old = release_numbered(1)
    assert old.number == 1 and current_release().number == 2
    assert public_figures(old) == first
    assert Release.objects.get(number=1).cells == first_cells
    assert old.figures()["activities"].value == len(few)
    assert release_numbered(2).figures()["activities"].value == len(few) + 1
    assert len(listed(old)) == len(few)
    assert release_numbered(3) is None


def test_the_private_members_are_kept_on_the_latest_release_only(few, staff, amazonas):
    release_publish()
    assert Release.objects.get(number=1).members is not None

    approve(staff, amazonas)
    release_publish()

    members = dict(Release.objects.values_list("number", "members"))
    assert members[1] is None
    assert members[2] is not None
    # Nothing public reads the private columns.
    assert {"atoms", "members"} <= Release.objects.public().query.deferred_loading[0]


def test_building_twice_with_no_change_between_gives_the_same_tables(few):
    first = release_publish()
    second = release_publish()

    assert second.cells == first.cells
    assert second.organisations == first.organisations
    assert public_figures(release_numbered(2)) == public_figures(release_numbered(1))


def test_a_release_with_no_change_since_the_last_repeats_its_tables(amazonas, staff):
    # Release 2 hides the girls everywhere (10 -> 11 would tell release 1's readers the new
    # activity's 1 girl). Nothing changes before release 3, which must then repeat release 2:
    # showing 11 again would give the 1 girl away to anyone who kept release 1.
    activity(amazonas, girls=10)
    release_publish()
    new = activity(amazonas, status="submitted", girls=1, boys=8)
    new.transition("approve", by=staff)
    second = release_publish()
    third = release_publish()

    assert third.cells == second.cells


def test_the_schedule_publishes_a_release():
    tasks = pytest.importorskip(
        "publication.tasks", reason="publication.tasks (the scheduled release) is not written yet"
    )

    entries = [entry for entry in settings.CELERY_BEAT_SCHEDULE.values() if entry["task"] == tasks.publish_release.name]
    assert len(entries) == 1
    assert entries[0]["schedule"] == crontab.from_string(settings.PUBLIC_RELEASE_SCHEDULE)


def test_the_scheduled_task_publishes_the_next_release(few, eager_tasks):
    tasks = pytest.importorskip(
        "publication.tasks", reason="publication.tasks (the scheduled release) is not written yet"
    )

    before = timezone.now()
    tasks.publish_release.delay().get()
    tasks.publish_release.delay().get()

    releases = list(Release.objects.order_by("number"))
    assert [r.number for r in releases] == [1, 2]
    assert all(r.published_by is None and r.cut_off >= before for r in releases)
    assert current_release().figures()["activities"].value == len(few)
