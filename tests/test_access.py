"""The one access rule (regions.access) as a table: each persona × the region of the
object × each action → allowed or not, written out from DESIGN.md's "Who may do what",
not derived from the code under test.

Anonymous visitors are refused everything here: what the public reads (approved
figures, coarse points) is served by the public selectors' approved() filter, never
by this private rule.
"""

import pytest

from activities.models import Activity, Evidence
from regions import access
from regions.models import Region

from .factories import ActivityFactory, UserFactory, coordinator

AM, PU = "amazonas", "puno"
BOTH, NONE = {AM, PU}, set()

PERSONAS = {
    "anonymous": "an anonymous visitor",
    "coord_amazonas": "the coordinator of Amazonas",
    "coord_puno": "the coordinator of Puno",
    "coord_both": "a coordinator of Amazonas and Puno",
    "inactive_coord_amazonas": "a deactivated coordinator of Amazonas",
    "staff": "ministry staff",
    "admin_user": "an administrator",
}

ACTIONS = {
    "read_region": ("read {r}", lambda u, r, o: access.can_read_region(u, r)),
    "view_activity": ("view an activity of {r}", lambda u, r, o: access.can_view_activity(u, o["draft"])),
    "edit_draft": ("edit a draft activity of {r}", lambda u, r, o: access.can_edit_activity(u, o["draft"])),
    "edit_returned": ("edit a returned activity of {r}", lambda u, r, o: access.can_edit_activity(u, o["returned"])),
    "edit_submitted": ("edit a submitted activity of {r}", lambda u, r, o: access.can_edit_activity(u, o["submitted"])),
    "edit_approved": ("edit an approved activity of {r}", lambda u, r, o: access.can_edit_activity(u, o["approved"])),
    "review": ("review a submitted activity of {r}", lambda u, r, o: access.can_review_activity(u, o["submitted"])),
    "view_evidence": (
        "view the evidence of an activity of {r}",
        lambda u, r, o: access.can_view_evidence(u, Evidence(activity=o["approved"])),
    ),
    "add_evidence": ("add evidence to a draft of {r}", lambda u, r, o: access.can_add_evidence(u, o["draft"])),
    "region_report": ("request a report for {r}", lambda u, r, o: access.can_request_report(u, r)),
    "national_report": (
        "request a national report while working on {r}",
        lambda u, r, o: access.can_request_report(u, None),
    ),
    "edit_content": ("edit content while working on {r}", lambda u, r, o: access.can_edit_content(u)),
    "manage_users": ("manage users while working on {r}", lambda u, r, o: access.can_manage_users(u)),
}

# persona -> action -> the regions (of the object) where the action is allowed.
# National actions (national report, content, users) do not depend on the region:
# they are allowed in both or in neither.
EXPECTED = {
    "anonymous": {action: NONE for action in ACTIONS},
    "coord_amazonas": {
        "read_region": {AM},
        "view_activity": {AM},
        "edit_draft": {AM},
        "edit_returned": {AM},
        "edit_submitted": NONE,
        "edit_approved": NONE,
        "review": NONE,
        "view_evidence": {AM},
        "add_evidence": {AM},
        "region_report": {AM},
        "national_report": NONE,
        "edit_content": NONE,
        "manage_users": NONE,
    },
    "coord_puno": {
        "read_region": {PU},
        "view_activity": {PU},
        "edit_draft": {PU},
        "edit_returned": {PU},
        "edit_submitted": NONE,
        "edit_approved": NONE,
        "review": NONE,
        "view_evidence": {PU},
        "add_evidence": {PU},
        "region_report": {PU},
        "national_report": NONE,
        "edit_content": NONE,
        "manage_users": NONE,
    },
    "coord_both": {
        "read_region": BOTH,
        "view_activity": BOTH,
        "edit_draft": BOTH,
        "edit_returned": BOTH,
        "edit_submitted": NONE,
        "edit_approved": NONE,
        "review": NONE,
        "view_evidence": BOTH,
        "add_evidence": BOTH,
        "region_report": BOTH,
        "national_report": NONE,
        "edit_content": NONE,
        "manage_users": NONE,
    },
    # Deactivating an account ends its access at once, memberships or not.
    "inactive_coord_amazonas": {action: NONE for action in ACTIONS},
    # Staff read and review everything, but logging activities is the regions' work.
    "staff": {
        "read_region": BOTH,
        "view_activity": BOTH,
        "edit_draft": NONE,
        "edit_returned": NONE,
        "edit_submitted": NONE,
        "edit_approved": NONE,
        "review": BOTH,
        "view_evidence": BOTH,
        "add_evidence": NONE,
        "region_report": BOTH,
        "national_report": BOTH,
        "edit_content": BOTH,
        "manage_users": NONE,
    },
    # Administrators may do everything, except edit what is locked: approved is reopened first.
    "admin_user": {
        "read_region": BOTH,
        "view_activity": BOTH,
        "edit_draft": BOTH,
        "edit_returned": BOTH,
        "edit_submitted": NONE,
        "edit_approved": NONE,
        "review": BOTH,
        "view_evidence": BOTH,
        "add_evidence": BOTH,
        "region_report": BOTH,
        "national_report": BOTH,
        "edit_content": BOTH,
        "manage_users": BOTH,
    },
}


def matrix():
    for persona, label in PERSONAS.items():
        for action, (action_label, _) in ACTIONS.items():
            for region in (AM, PU):
                allowed = region in EXPECTED[persona][action]
                verb = "may" if allowed else "may not"
                sentence = f"{label} {verb} {action_label.format(r=region.capitalize())}"
                yield pytest.param(persona, action, region, allowed, id=sentence)


@pytest.fixture
def inactive_coord_amazonas(amazonas):
    user = coordinator("coord-amazonas-former", amazonas)
    user.is_active = False
    user.save()
    return user


@pytest.fixture
def coord_both(amazonas, puno):
    return coordinator("coord-amazonas-puno", amazonas, puno)


@pytest.fixture
def activities(amazonas, puno):
    """One activity in each status in each region, keyed by region slug then status."""
    return {
        region.slug: {
            status: ActivityFactory(region=region, status=status, title=f"{region.name} {status}")
            for status in ("draft", "submitted", "approved", "returned")
        }
        for region in (amazonas, puno)
    }


def test_the_table_covers_every_persona_and_action():
    assert set(EXPECTED) == set(PERSONAS)
    for persona, row in EXPECTED.items():
        assert set(row) == set(ACTIONS), persona


@pytest.mark.parametrize("persona, action, region, allowed", list(matrix()))
def test_access(request, activities, persona, action, region, allowed):
    user = request.getfixturevalue(persona)
    region_obj = Region.objects.get(slug=region)
    _, check = ACTIONS[action]
    assert check(user, region_obj, activities[region]) is allowed


@pytest.mark.parametrize("persona", PERSONAS)
def test_regions_may_be_given_as_objects_or_ids_with_the_same_answer(request, amazonas, persona):
    user = request.getfixturevalue(persona)
    assert access.can_read_region(user, amazonas) == access.can_read_region(user, amazonas.pk)
    assert access.can_request_report(user, amazonas) == access.can_request_report(user, amazonas.pk)


VISIBLE = {
    "anonymous": NONE,
    "coord_amazonas": {AM},
    "coord_puno": {PU},
    "coord_both": BOTH,
    "inactive_coord_amazonas": NONE,
    "staff": BOTH,
    "admin_user": BOTH,
}


def _names(regions):
    return " and ".join(sorted(r.capitalize() for r in regions)) or "no region"


@pytest.mark.parametrize(
    "persona, regions",
    [
        pytest.param(p, VISIBLE[p], id=f"{label} sees the activities of {_names(VISIBLE[p])} in every status")
        for p, label in PERSONAS.items()
    ],
)
def test_visible_to_returns_exactly_the_activities_of_the_readable_regions(request, activities, persona, regions):
    user = request.getfixturevalue(persona)
    expected = {a.pk for region in regions for a in activities[region].values()}
    assert set(Activity.objects.visible_to(user).values_list("pk", flat=True)) == expected


@pytest.mark.parametrize(
    "persona, expected",
    [
        pytest.param("anonymous", NONE, id="an anonymous visitor reads no region"),
        pytest.param("coord_amazonas", {AM}, id="the coordinator of Amazonas reads Amazonas only"),
        pytest.param("coord_puno", {PU}, id="the coordinator of Puno reads Puno only"),
        pytest.param("coord_both", BOTH, id="a coordinator of two regions reads both"),
        pytest.param("inactive_coord_amazonas", NONE, id="a deactivated coordinator reads no region"),
    ],
)
def test_readable_regions_of_a_coordinator_are_their_memberships(request, persona, expected):
    user = request.getfixturevalue(persona)
    assert set(access.readable_regions(user).values_list("slug", flat=True)) == expected


@pytest.mark.parametrize("persona", ["staff", "admin_user"], ids=["ministry staff", "an administrator"])
def test_national_users_read_all_fifteen_regions(request, persona):
    user = request.getfixturevalue(persona)
    assert access.readable_regions(user).count() == Region.objects.count() == 15


def test_a_deactivated_staff_member_reads_nothing_and_reviews_nothing(db, activities):
    former = UserFactory(username="staff-former", role="ministry", is_active=False)
    assert not access.readable_regions(former).exists()
    assert not Activity.objects.visible_to(former).exists()
    assert not access.can_review_activity(former, activities[AM]["submitted"])
    assert not access.can_edit_content(former)


def test_a_new_membership_is_seen_on_the_next_request(amazonas, puno):
    # The rule caches memberships on the user object, i.e. per request: a fresh load sees the change.
    user = coordinator("coord-new", amazonas)
    assert not access.can_read_region(user, puno)
    coordinator("coord-new", puno)
    reloaded = type(user).objects.get(pk=user.pk)
    assert access.can_read_region(reloaded, puno)
