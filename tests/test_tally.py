"""The tallies (reports.tally): after any mix of writes, through every path that writes an activity
(the services, a status change, the admin's save and delete, partner links from either side, the
spreadsheet import, a partner deleted), they equal a recount of the activities one by one; a write
that fails or is rolled back leaves them as they were; the rebuild gives the same."""

import datetime
import random
import threading
from collections import Counter

import pytest
from django.core.management import call_command
from django.db import IntegrityError, connection, transaction

from activities import importing
from activities.models import PARTICIPANT_FIELDS, Activity, Institution, SupportNetwork
from activities.services import activity_create, activity_save, activity_transition
from programs.models import Objective
from regions.models import Region
from reports import tally
from reports.models import NetworkTally, PartnerTally, Tally

from .factories import (
    ActivityFactory,
    EvidenceFactory,
    InstitutionFactory,
    SupportNetworkFactory,
    UserFactory,
    coordinator,
)

Status = Activity.Status
SEEDS = (1, 2, 3, 4)


def exact():
    return tally.tallied() == tally.recount()


class Campaign:
    """Two regions with their partners, a coordinator of both, a reviewer, and a random source."""

    def __init__(self, seed):
        self.rng = random.Random(seed)
        self.done = Counter()
        self.regions = list(Region.objects.filter(slug__in=["amazonas", "puno"]).order_by("slug"))
        self.objectives = list(Objective.objects.prefetch_related("services").order_by("order"))
        self.coordinator = coordinator(f"tally-coordinator-{seed}", *self.regions)
        self.reviewer = UserFactory(username=f"tally-reviewer-{seed}", role="ministry")
        for region in self.regions:
            for n in range(3):
                InstitutionFactory(region=region, name=f"Institución {region.slug} {seed} {n}")
                SupportNetworkFactory(region=region, name=f"Red {region.slug} {seed} {n}", leaders=n + 4)

    def fields(self, region):
        rng = self.rng
        objective = rng.choice(self.objectives)
        day = datetime.date(2025, rng.randint(1, 12), rng.randint(1, 28))
        networks = list(SupportNetwork.objects.filter(region=region))
        return {
            "objective": objective,
            "service": rng.choice(list(objective.services.all())),
            "start_date": day,
            "end_date": day,
            "support_network": rng.choice([None, *networks]),
            **{field: rng.randint(0, 9) for field in PARTICIPANT_FIELDS},
            "women": rng.randint(4, 9),
            "families": rng.randint(0, 3),
            "description": "Sesión con madres y padres.",
            "place_name": "Local comunal",
        }

    def partners(self, region):
        return self.rng.sample(list(Institution.objects.filter(region=region)), self.rng.randint(0, 2))

    def activity(self):
        return self.rng.choice(list(Activity.objects.all())) if Activity.objects.exists() else None

    # --- the writes ---------------------------------------------------------------------------

    def create(self):
        region = self.rng.choice(self.regions)
        if self.rng.random() < 0.5:
            activity = ActivityFactory(region=region, status=Status.DRAFT, **self.fields(region))
            EvidenceFactory(activity=activity)
            activity.institutions.set(self.partners(region))
        else:
            data = {**self.fields(region), "title": "Taller"}
            activity = activity_create(
                data=data, region=region, created_by=self.coordinator, institutions=self.partners(region)
            )
            EvidenceFactory(activity=activity)

    def step(self):
        """Submit, approve, return or reopen a random activity, if it may be."""
        movable = Activity.objects.exclude(evidence=None).exclude(start_date=None)
        activity = self.rng.choice(list(movable)) if movable.exists() else None
        if activity is None:
            return
        by = self.reviewer if activity.status in (Status.SUBMITTED, Status.APPROVED) else self.coordinator
        action = {
            Status.DRAFT: "submit",
            Status.RETURNED: "submit",
            Status.SUBMITTED: self.rng.choice(["approve", "approve", "return"]),
            Status.APPROVED: "reopen",
        }[activity.status]
        if action == "submit" and activity.submission_problems():
            return
        activity_transition(activity=activity, action=action, by=by, comment="Revisar las cifras.")
        self.done[action] += 1

    def edit(self):
        """A coordinator's edit of an open activity, or the admin's of any (an approved one too):
        region, objective, service, date, counts, network and partners may all change."""
        activity = self.activity()
        if activity is None:
            return
        region = self.rng.choice(self.regions)
        for name, value in self.fields(region).items():
            setattr(activity, name, value)
        activity.region = region
        partners = self.partners(region)
        self.done[f"edit {activity.status}"] += 1
        if activity.is_open_for_editing and self.rng.random() < 0.7:
            activity_save(activity=activity, expected_version=activity.version, institutions=partners)
        else:
            # What the admin's change form does: save the row, then set the partner links.
            with transaction.atomic():
                activity.save()
                activity.institutions.set(partners)

    def relink(self):
        """Partner links changed from the institution's side."""
        institution = self.rng.choice(list(Institution.objects.filter(region__in=self.regions)))
        same_region = list(Activity.objects.filter(region=institution.region)[:5])
        action = self.rng.choice(["add", "remove", "clear"])
        if action == "clear":
            institution.activities.clear()
        elif same_region:
            getattr(institution.activities, action)(*self.rng.sample(same_region, min(2, len(same_region))))

    def delete(self):
        activity = self.activity()
        if activity is None:
            return
        if self.rng.random() < 0.5:
            activity.delete()
        else:
            # The admin's "delete selected": a queryset delete.
            Activity.objects.filter(pk=activity.pk).delete()

    def load(self):
        """The spreadsheet import's writer: drafts in bulk, with their partner links."""
        region = self.rng.choice(self.regions)
        activities, links = [], []
        for n in range(self.rng.randint(1, 4)):
            activities.append(
                Activity(region=region, created_by=self.coordinator, title=f"Fila {n}", **self.fields(region))
            )
            links.append([i.pk for i in self.partners(region)])
        with transaction.atomic():
            importing.store(activities, links, self.coordinator)

    def undated_draft(self):
        region = self.rng.choice(self.regions)
        ActivityFactory(
            region=region, status=Status.DRAFT, start_date=None, end_date=None, objective=None, service=None
        )

    def drop_partner(self):
        """A network or institution deleted in the admin: activities lose it (SET NULL, cascade)."""
        if self.rng.random() < 0.5:
            network = SupportNetwork.objects.filter(region__in=self.regions).order_by("?").first()
            if network is not None:
                network.delete()
        else:
            institution = Institution.objects.filter(region__in=self.regions).order_by("?").first()
            if institution is not None:
                institution.delete()


@pytest.mark.parametrize("seed", SEEDS)
def test_the_tallies_equal_a_recount_after_random_workflows(db, seed):
    campaign = Campaign(seed)
    writes = [campaign.create] * 5 + [campaign.step] * 8 + [campaign.edit] * 4
    writes += [campaign.relink, campaign.delete, campaign.load, campaign.undated_draft]
    for n in range(150):
        write = campaign.rng.choice(writes)
        write()
        if n % 20 == 0:
            assert exact(), f"after {write.__name__}"
    campaign.drop_partner()
    # The workflows did what they are for: approvals, returns, reopenings, approved activities edited.
    assert min(campaign.done[what] for what in ("approve", "return", "reopen", "edit approved")) > 0, campaign.done
    assert exact()
    assert Tally.objects.filter(status=Status.APPROVED).exists()


def test_the_recount_sees_what_the_tallies_would_miss(db, amazonas):
    # The reference must be able to fail: a write around Django leaves the tallies behind.
    activity = ActivityFactory(region=amazonas, status=Status.APPROVED)
    assert exact()
    Activity.objects.filter(pk=activity.pk).update(women=99)
    assert not exact()
    tally.rebuild()
    assert exact()


def test_an_approval_moves_the_counts_to_the_approved_cell(db, amazonas, staff):
    network = SupportNetworkFactory(region=amazonas)
    partner = InstitutionFactory(region=amazonas)
    activity = ActivityFactory(region=amazonas, status=Status.SUBMITTED, women=7, support_network=network)
    activity.institutions.add(partner)
    activity_transition(activity=activity, action="approve", by=staff)

    (cell,) = Tally.objects.exclude(activities=0)
    assert (cell.status, cell.activities, cell.women, cell.month) == (Status.APPROVED, 1, 7, datetime.date(2025, 3, 1))
    assert NetworkTally.objects.get(status=Status.APPROVED, support_network=network).activities == 1
    assert PartnerTally.objects.get(status=Status.APPROVED, institution=partner).activities == 1
    assert not Tally.objects.filter(status=Status.SUBMITTED).exclude(activities=0).exists()


def test_a_rolled_back_approval_leaves_the_tallies_as_they_were(db, amazonas, staff):
    activity = ActivityFactory(region=amazonas, status=Status.SUBMITTED)
    before = tally.tallied()
    with pytest.raises(RuntimeError), transaction.atomic():
        activity_transition(activity=activity, action="approve", by=staff)
        assert tally.tallied() != before
        raise RuntimeError("the request failed after the approval")
    assert tally.tallied() == before
    assert exact()


def test_a_refused_write_leaves_the_tallies_as_they_were(db, amazonas):
    activity = ActivityFactory(region=amazonas, status=Status.APPROVED)
    before = tally.tallied()
    activity.women = 40
    activity.end_date = activity.start_date - datetime.timedelta(days=1)
    with pytest.raises(IntegrityError), transaction.atomic():
        activity.save()
    assert tally.tallied() == before
    assert exact()


def test_the_rebuild_command_recounts_every_tally(db, amazonas, puno):
    for region in (amazonas, puno):
        activity = ActivityFactory(
            region=region, status=Status.APPROVED, support_network=SupportNetworkFactory(region=region)
        )
        activity.institutions.add(InstitutionFactory(region=region))
    ActivityFactory(region=puno, status=Status.DRAFT, objective=None, service=None)
    expected = tally.tallied()
    Tally.objects.update(women=0)
    NetworkTally.objects.all().delete()
    assert tally.tallied() != expected

    call_command("rebuild_tallies", stdout=open("/dev/null", "w"))  # noqa: SIM115

    assert tally.tallied() == expected == tally.recount()


def test_the_rebuild_command_reads_the_workflow_times_again_when_asked(db, amazonas, coord_amazonas, staff):
    activity = ActivityFactory(region=amazonas, status=Status.DRAFT, with_evidence=True)
    activity.transition("submit", by=coord_amazonas)
    activity.transition("approve", by=staff)
    expected = tally.tallied()
    assert expected["timings"]
    # As an older release writing steps would leave them: the steps there, the times not.
    Activity.objects.update(submitted_at=None, decided_at=None)
    call_command("rebuild_tallies", stdout=open("/dev/null", "w"))  # noqa: SIM115
    assert tally.tallied()["timings"] == {}

    call_command("rebuild_tallies", "--times", stdout=open("/dev/null", "w"))  # noqa: SIM115

    assert tally.tallied() == expected == tally.recount()


@pytest.mark.skipif(connection.vendor != "postgresql", reason="SQLite lets one writer in at a time")
@pytest.mark.django_db(transaction=True)
def test_two_approvals_at_once_in_one_cell_both_count(amazonas, staff):
    activities = [ActivityFactory(region=amazonas, status=Status.SUBMITTED, women=5) for _ in range(6)]
    barrier = threading.Barrier(len(activities))
    errors = []

    def approve(activity):
        try:
            barrier.wait()
            activity_transition(activity=activity, action="approve", by=staff)
        except Exception as exc:  # noqa: BLE001 - reported below
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=approve, args=(a,)) for a in activities]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert errors == []
    cell = Tally.objects.get(status=Status.APPROVED)
    assert (cell.activities, cell.women) == (6, 30)
    assert exact()


# --- The figures read from the tallies equal the live count --------------------------------------


def live_figures(*, date_from=None, date_to=None, region=None, objective=None, regions=None):
    """The reference: the approved activities one by one, added up in Python."""
    activities = Activity.objects.approved().select_related("support_network").prefetch_related("institutions")
    if date_from:
        activities = activities.filter(start_date__gte=date_from)
    if date_to:
        activities = activities.filter(start_date__lte=date_to)
    if region is not None:
        activities = activities.filter(region=region)
    if objective is not None:
        activities = activities.filter(objective=objective)
    if regions is not None:
        activities = activities.filter(region__in=regions)
    figures = dict.fromkeys(("activities", *PARTICIPANT_FIELDS, "families"), 0)
    networks, institutions = {}, set()
    for activity in activities:
        figures["activities"] += 1
        for field in (*PARTICIPANT_FIELDS, "families"):
            figures[field] += getattr(activity, field)
        if activity.support_network:
            networks[activity.support_network_id] = activity.support_network.leaders
        institutions.update(i.pk for i in activity.institutions.all())
    figures["participants"] = sum(figures[field] for field in PARTICIPANT_FIELDS)
    figures.update(networks=len(networks), network_leaders=sum(networks.values()), institutions=len(institutions))
    return figures


RANGES = [
    {},
    {"date_from": datetime.date(2025, 1, 1), "date_to": datetime.date(2025, 12, 31)},
    {"date_from": datetime.date(2025, 4, 1), "date_to": datetime.date(2025, 6, 30)},
    # Ranges that cut months: their edges are counted from the activities.
    {"date_from": datetime.date(2025, 3, 15), "date_to": datetime.date(2025, 8, 10)},
    {"date_from": datetime.date(2025, 5, 2), "date_to": datetime.date(2025, 5, 20)},
    {"date_from": datetime.date(2025, 5, 20), "date_to": datetime.date(2025, 6, 5)},
    {"date_to": datetime.date(2025, 9, 14)},
    {"date_from": datetime.date(2025, 2, 14)},
]


@pytest.fixture
def worked(db):
    """A campaign after random workflows, and its regions."""
    campaign = Campaign(7)
    writes = [campaign.create] * 5 + [campaign.step] * 8 + [campaign.edit] * 3 + [campaign.relink]
    for _ in range(120):
        campaign.rng.choice(writes)()
    assert Activity.objects.approved().count() >= 5
    return campaign


@pytest.mark.parametrize("days", RANGES, ids=[str(n) for n in range(len(RANGES))])
def test_the_figures_equal_the_live_count(worked, days):
    from reports.selectors import approved_breakdown, approved_figures

    amazonas, puno = worked.regions
    oe1 = Objective.objects.get(code="OE1")
    for narrowed in ({}, {"region": puno}, {"objective": oe1}, {"regions": Region.objects.filter(pk=amazonas.pk)}):
        assert approved_figures(**days, **narrowed) == live_figures(**days, **narrowed), narrowed
    figures = live_figures(**days)
    for by in ("region", "objective", "service", "month"):
        rows = approved_breakdown(by, **days)
        assert sum(row["activities"] for row in rows) == figures["activities"]
        assert sum(row["participants"] for row in rows) == figures["participants"]
    for row in approved_breakdown("region", **days):
        region = Region.objects.get(pk=row["region"]["id"])
        live = live_figures(**days, region=region)
        assert {key: row[key] for key in ("activities", "women", "families")} == {
            key: live[key] for key in ("activities", "women", "families")
        }


@pytest.mark.parametrize(("quarter", "until"), [(0, None), (2, None), (0, datetime.date(2025, 8, 17))])
def test_the_indicators_equal_the_live_count(worked, quarter, until):
    from programs.models import Indicator
    from reports.selectors import _period_dates, indicator_progress

    date_from, date_to = _period_dates(2025, quarter)
    date_to = min(date_to, until) if until else date_to
    rows = indicator_progress(year=2025, quarter=quarter, until=until)
    assert rows
    computations = set()
    for row in rows:
        indicator = Indicator.objects.get(pk=row["indicator"]["id"])
        live = live_figures(
            date_from=date_from, date_to=date_to, region=row["region"]["id"], objective=indicator.objective_id
        )
        assert row["actual"] == live[indicator.computation], (indicator.code, row["region"]["name"])
        computations.add(indicator.computation)
    assert {"activities", "participants", "networks", "institutions"} <= computations


def test_the_release_atoms_equal_the_live_count_at_any_cut_off(db, amazonas, puno, staff):
    from django.db.models import Count, Sum
    from django.db.models.functions import TruncMonth
    from django.utils import timezone

    from publication.services import atoms_counted

    now = timezone.now()
    for n, region in enumerate((amazonas, puno, amazonas)):
        ActivityFactory(region=region, status=Status.APPROVED, approved_at=now - datetime.timedelta(days=10 - n))
    late = ActivityFactory(region=puno, status=Status.APPROVED, women=40, approved_at=now - datetime.timedelta(days=1))
    ActivityFactory(region=puno, status=Status.SUBMITTED)

    def live(cut_off):
        rows = (
            Activity.objects.released(cut_off)
            .annotate(month=TruncMonth("start_date"))
            .values_list("region_id", "objective_id", "service_id", "month")
            .annotate(Count("pk"), *(Sum(field) for field in (*PARTICIPANT_FIELDS, "families")))
            .order_by("region_id", "objective_id", "service_id", "month")
        )
        return [(r, o, s, m.strftime("%Y-%m"), *counts) for r, o, s, m, *counts in rows]

    for cut_off in (
        now,
        now - datetime.timedelta(days=2),
        now - datetime.timedelta(days=9, hours=12),
        now - datetime.timedelta(days=30),
    ):
        assert atoms_counted(cut_off) == live(cut_off), cut_off
    assert atoms_counted(now) != atoms_counted(now - datetime.timedelta(days=2))
    assert late.women == 40


def test_a_release_rebuilds_tallies_that_activities_written_around_them_left_behind(db, amazonas):
    from django.utils import timezone

    from publication.services import release_state

    ActivityFactory(region=amazonas, status=Status.APPROVED, women=3)
    written = ActivityFactory.build(region=amazonas, status=Status.APPROVED, women=9, approved_at=timezone.now())
    Activity.objects.bulk_create([written])
    assert not exact()

    state = release_state(timezone.now())

    assert exact()
    assert sum(state.values["activities"]) == 2 == len(state.members)
    assert sum(state.values["women"]) == 12
