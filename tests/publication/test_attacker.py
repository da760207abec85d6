"""The test of the privacy rule (DESIGN.md, "Privacy"): an attacker reads everything public —
each release's tables and its list of activities — writes every figure as an equation over the
activities' counts and tries to pin a hidden one, within one release and across two.

The same attacker, run against tables protected by the one-cell rule alone, must pin something:
otherwise it proves nothing."""

import datetime

import pytest

from activities.disclosure import SMALL
from activities.privacy import SMALL_COUNT_LIMIT
from programs.models import Objective
from publication import services
from publication.services import release_publish
from publication.tables import PROTECTED
from regions.models import Region

from ..factories import ActivityFactory
from .attacker import activity_pins, difference_pins, read_releases

pytestmark = pytest.mark.django_db

# Where the one activity approved between the two releases falls: beside others in an atom the
# first release has, alone in a month nothing else has, or alone in a region nothing else has.
PLACES = {
    "existing atom": lambda campaign: {
        "region": campaign[0].region,
        "objective": campaign[0].objective,
        "service": campaign[0].service,
        "start_date": campaign[0].start_date,
    },
    "new month": lambda campaign: {
        "region": Region.objects.get(slug="amazonas"),
        "objective": Objective.objects.get(code="OE2"),
        "start_date": datetime.date(2025, 12, 4),
    },
    "new region": lambda campaign: {
        "region": Region.objects.get(slug="tumbes"),
        "objective": Objective.objects.get(code="OE1"),
        "start_date": datetime.date(2025, 5, 20),
    },
}


def one_cell_rule(current, previous=None):
    """The protection switched off: each count from 1 to 4 hidden, nothing else."""
    return {
        (key, measure): SMALL
        for key, atoms in current.cells().items()
        for measure in PROTECTED
        if 0 < current.value(atoms, measure) < SMALL_COUNT_LIMIT
    }


def approve_one_more(staff, campaign, place):
    """1 girl, 8 boys and 3 families, submitted and approved after the first release."""
    where = PLACES[place](campaign)
    activity = ActivityFactory(
        status="submitted",
        **where,
        end_date=where["start_date"],
        girls=1,
        boys=8,
        adolescent_girls=0,
        adolescent_boys=0,
        women=0,
        men=0,
        families=3,
    )
    activity.transition("approve", by=staff)
    return activity


def report(pins):
    return "pinned:\n" + "\n".join(str(pin) for pin in pins)


def test_the_attacker_pins_no_hidden_cell_of_one_release(campaign):
    release = release_publish()

    attacker, _, truth = read_releases(release.number)
    pins, checked = attacker.pinned_hidden_cells(truth)

    assert len(truth) == len(campaign) == release.activities
    assert checked >= 30, "the dataset should have many small cells to attack"
    assert not pins, report(pins)


def attack_two(listings, attacker, truth, new, changed=True):
    """What the attacker pins of two releases: hidden cells, the new activity, the changes.
    `changed` says whether the first and last releases differ (they do not when nothing was approved)."""
    hidden, checked_hidden = attacker.pinned_hidden_cells(truth)
    own, checked_own = activity_pins(attacker, new)
    first, last = min(listings), max(listings)
    changes, checked_changes = difference_pins(attacker, listings[first], listings[last], truth)
    assert checked_hidden >= 60 and checked_own == 2 and (checked_changes >= 1) == changed
    return hidden + own + changes


# "new month" is the first half of the three-release test below.
@pytest.mark.parametrize("place", ["existing atom", "new region"])
def test_the_attacker_pins_nothing_across_two_releases(campaign, staff, place):
    release_publish()
    new = approve_one_more(staff, campaign, place)
    release_publish()

    attacker, listings, truth = read_releases(1, 2)
    assert new.pk in listings[2] and new.pk not in listings[1]
    pins = attack_two(listings, attacker, truth, new)
    assert not pins, report(pins)


def test_without_the_protection_the_attacker_pins_a_hidden_cell(campaign, monkeypatch):
    monkeypatch.setattr(services, "protect", one_cell_rule)
    release = release_publish()

    attacker, _, truth = read_releases(release.number)
    pins, checked = attacker.pinned_hidden_cells(truth)

    assert checked >= 30
    assert pins, "the attacker found nothing even without the protection: it tests nothing"


@pytest.mark.parametrize("place", PLACES)
def test_without_the_protection_the_attacker_pins_the_new_activity(campaign, staff, monkeypatch, place):
    monkeypatch.setattr(services, "protect", one_cell_rule)
    release_publish()
    new = approve_one_more(staff, campaign, place)
    release_publish()

    attacker, listings, truth = read_releases(1, 2)
    own, _ = activity_pins(attacker, new)
    changes, _ = difference_pins(attacker, listings[1], listings[2], truth)

    assert own, "the new activity's small counts stayed hidden even without the protection"
    assert changes


def single_atom_activity(region, status="approved", **counts):
    """An OE1 activity of 10 March 2025 in the region: every one of them falls in the same cells."""
    objective = Objective.objects.get(code="OE1")
    people = dict.fromkeys(("girls", "boys", "adolescent_girls", "adolescent_boys", "women", "men", "families"), 0)
    day = datetime.date(2025, 3, 10)
    return ActivityFactory(
        status=status, region=region, objective=objective, start_date=day, end_date=day, **{**people, **counts}
    )


def test_a_third_release_with_nothing_new_does_not_undo_what_the_second_hid(amazonas, staff):
    # Release 1: one activity with 10 girls. Release 2 adds one with 1 girl and 8 boys, and must hide
    # the girls everywhere (10 -> 11 would give the 1 away). Release 3 is built with nothing new.
    # Every release stays public, so release 3 must not show the 11 that release 2 hid.
    single_atom_activity(amazonas, girls=10)
    release_publish()
    new = single_atom_activity(amazonas, status="submitted", girls=1, boys=8)
    new.transition("approve", by=staff)
    release_publish()
    release_publish()

    for numbers in ((1, 2), (2, 3), (1, 3), (1, 2, 3)):
        attacker, _, _ = read_releases(*numbers)
        own, _ = activity_pins(attacker, new)
        assert not own, f"releases {numbers}: {report(own)}"


def test_the_attacker_pins_nothing_across_three_releases(campaign, staff):
    # Release 3 has nothing new since release 2, but is protected only against release 2, while
    # release 1 stays public too.
    release_publish()
    new = approve_one_more(staff, campaign, "new month")
    release_publish()
    attacker, listings, truth = read_releases(1, 2)
    pins = attack_two(listings, attacker, truth, new)
    assert not pins, "releases 1 and 2: " + report(pins)

    release_publish()
    for numbers in ((2, 3), (1, 3), (1, 2, 3)):
        attacker, listings, truth = read_releases(*numbers)
        pins = attack_two(listings, attacker, truth, new, changed=1 in numbers)
        assert not pins, f"releases {numbers}: " + report(pins)


def test_a_release_that_must_hide_a_new_activity_everywhere_is_published(amazonas, staff):
    # The families of the new activity (3) show in every cell as 10 -> 13: the only safe release
    # hides every families figure it is in, which leaves the attacker no upper bound at all.
    single_atom_activity(amazonas, girls=10, families=10)
    release_publish()
    new = single_atom_activity(amazonas, status="submitted", girls=1, boys=8, families=3)
    new.transition("approve", by=staff)
    release_publish()

    attacker, _, _ = read_releases(1, 2)
    own, checked = activity_pins(attacker, new)
    assert checked == 2 and not own, report(own)
