"""Demo data for a development portal: users, partners, targets and many activities.

`demo_seed()` is what `manage.py seed_demo` runs. Everything it makes up is
deterministic: the activities come from `random.Random(seed)` and fixed date
bounds (never today), and the partners and targets from fixed tables, so two
runs with one seed on an empty database give the same activities.

Privacy holds for made-up data too: participants are counts, places are
places, and no text names a person.
"""

import datetime
import functools
import random
import time
import uuid
from collections import Counter
from dataclasses import dataclass
from decimal import Decimal
from itertools import accumulate, islice
from typing import NamedTuple

from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.hashers import make_password
from django.db import connection, models, reset_queries, transaction
from django.utils import timezone

from programs.models import Indicator, Objective, Target
from programs.reference import load_reference_data
from regions import geo
from regions.models import Region, RegionMembership

from .demo_data import (
    BATCH_SIZE,
    COASTAL,
    DEFAULT_OBJECTIVE_WEIGHT,
    DEFAULT_RANGES,
    DEFAULT_REGION_WEIGHT,
    DEFAULT_TITLES,
    DISTRICTS,
    FIRST_DAY,
    INSTITUTIONS,
    JITTER,
    LAST_DAY,
    NETWORKS_PER_REGION,
    OBJECTIVE_WEIGHTS,
    PARTICIPANT_RANGES,
    PLACES,
    POINT_SHARE,
    POOL_SIZE,
    PROGRESS_EVERY,
    RECENT_DAYS,
    RECENT_STATUS_CUM_WEIGHTS,
    REGION_WEIGHTS,
    RETURN_COMMENTS,
    SERVICE_SECTORS,
    STATUS_CUM_WEIGHTS,
    STATUSES,
    TARGET_BASES,
    TARGET_YEAR_FACTORS,
    TARGET_YEARS,
    TITLES,
    VIRTUAL_PLACE,
    Status,
)
from .models import DECISIONS, PARTICIPANT_FIELDS, Activity, ActivityTransition, Institution, SupportNetwork

# The activity's columns that copy its steps' times (Activity.times_from_steps).
WORKFLOW_TIMES = ("submitted_at", "decided_at")


def report_nothing(line):
    pass


@dataclass(frozen=True)
class RegionContext:
    """What the generator needs to know about a region, read once."""

    pk: int
    slug: str
    weight: float
    coordinator_id: int
    districts: tuple
    institutions: tuple  # (pk, sector), ordered by name so that a seed picks the same ones
    network_ids: tuple
    centroid: tuple
    point_pool: tuple | None  # points inside the region's boundary, when one is loaded


@dataclass(frozen=True)
class ObjectiveContext:
    pk: int
    code: str
    weight: float
    services: tuple  # (pk, slug, name)
    titles: tuple
    ranges: tuple


class ActivityPlan(NamedTuple):
    """One activity to insert: its columns, its partner institutions and its workflow history."""

    fields: dict
    institution_ids: tuple
    transitions: tuple  # (from_status, to_status, by_id, comment)


# --- the whole run --------------------------------------------------------------------------


def demo_seed(*, activities, seed, reset=False, report=report_nothing):
    """Make the demo portal; return the activity rows written, by kind.

    All or nothing: an interrupted run leaves no half-seeded database that the next run
    would take for a finished one.
    """
    started = time.monotonic()
    with transaction.atomic():
        written = _demo_seed(activities=activities, seed=seed, reset=reset, report=report)
    if written is None:
        return Counter()
    # Measured after the commit, where PostgreSQL checks the deferred foreign keys of every row.
    seconds = time.monotonic() - started
    report(
        f"Created {written['activities']:,} activities, {written['transitions']:,} status changes and "
        f"{written['institution_links']:,} partner links in {seconds:.1f} s: "
        f"{written['activities'] / seconds:,.0f} activities/s, {written.total() / seconds:,.0f} rows/s."
    )
    return written


def _demo_seed(*, activities, seed, reset, report):
    created = load_reference_data()
    report("Reference data: created " + ", ".join(f"{n} {kind}" for kind, n in created.items()) + ".")
    regions = list(Region.objects.in_campaign().order_by("slug"))
    staff_id, coordinator_ids = demo_users_ensure(regions, report=report)
    demo_partners_ensure(regions, report=report)
    demo_targets_ensure(regions, report=report)
    if reset:
        report(f"Deleted {activities_reset():,} activities with their status changes, evidence rows and history.")
    existing = Activity.objects.count()
    if existing:
        report(f"{existing:,} activities exist; none added (pass --reset to replace them).")
        return None
    contexts = region_contexts(regions, coordinator_ids, random.Random(f"points:{seed}"))
    plans = activity_plans(
        random.Random(seed), activities, regions=contexts, objectives=objective_contexts(), reviewer_id=staff_id
    )
    return activities_write(plans, total=activities, report=report)


# --- users, partners, targets ---------------------------------------------------------------


def demo_users_ensure(regions, *, report=report_nothing):
    """The staff reviewer, the administrator and one coordinator per region.

    A user that exists keeps its password: someone may have changed it on purpose.
    Returns the staff user's id and the coordinators' ids by region id.
    """
    User = get_user_model()
    # Hashing is slow by design; every new demo user shares the one documented password.
    password = functools.cache(lambda: make_password(settings.DEMO_PASSWORD))
    before = User.objects.count()
    staff = _demo_user("staff", role=User.Role.MINISTRY, password=password)
    _demo_user("admin", role=User.Role.ADMIN, is_superuser=True, password=password)
    coordinator_ids = {}
    for region in regions:
        user = _demo_user(f"coord-{region.slug}", role=User.Role.COORDINATOR, password=password)
        RegionMembership.objects.get_or_create(user=user, region=region)
        coordinator_ids[region.pk] = user.pk
    report(
        f"Demo users: staff, admin and {len(regions)} coordinators (coord-<region>); "
        f"created {User.objects.count() - before}. New ones log in with settings.DEMO_PASSWORD."
    )
    return staff.pk, coordinator_ids


def _demo_user(username, *, password, **fields):
    user, _ = get_user_model().objects.get_or_create(
        username=username, defaults={"email": f"{username}@demo.invalid", "password": password, **fields}
    )
    return user


def demo_partners_ensure(regions, *, report=report_nothing):
    """A few public and private institutions and support networks per region, from fixed names."""
    institutions, networks = [], []
    for region in regions:
        # A region's own generator: partners do not change with the activities' seed.
        rng = random.Random(f"partners:{region.slug}")
        for pattern, sector, implements in INSTITUTIONS:
            since = _day_between(rng, FIRST_DAY, datetime.date(2025, 12, 31)) if implements else None
            name = pattern.format(capital=region.capital)
            institutions.append(Institution(name=name, sector=sector, region=region, actuemos_ya_since=since))
        for district in _districts(region)[:NETWORKS_PER_REGION]:
            networks.append(
                SupportNetwork(
                    name=f"Red de soporte comunitaria de {district}",
                    region=region,
                    formed_on=_day_between(rng, FIRST_DAY, datetime.date(2025, 6, 30)),
                    leaders=rng.randint(8, 30),
                )
            )
    made = insert_missing(Institution, institutions), insert_missing(SupportNetwork, networks)
    report(f"Partners: created {made[0]} institutions and {made[1]} support networks.")


def demo_targets_ensure(regions, *, report=report_nothing):
    """A whole-year target for every indicator in every region, scaled by the region's size."""
    mean_weight = sum(_region_weight(r) for r in regions) / max(len(regions), 1)
    targets = [
        Target(
            indicator=indicator,
            region=region,
            year=year,
            quarter=Target.WHOLE_YEAR,
            value=_round_target(
                TARGET_BASES.get(indicator.computation, 100)
                * TARGET_YEAR_FACTORS[year]
                * _region_weight(region)
                / mean_weight
            ),
        )
        for indicator in Indicator.objects.all()
        for region in regions
        for year in TARGET_YEARS
    ]
    report(f"Targets: created {insert_missing(Target, targets)}.")


def insert_missing(model, rows):
    """Insert the rows whose unique key is free; a row that exists is never changed."""
    before = model.objects.count()
    model.objects.bulk_create(rows, ignore_conflicts=True)
    return model.objects.count() - before


def _round_target(value):
    step = 1 if value < 20 else 5 if value < 100 else 10 if value < 1_000 else 50
    return max(1, round(value / step) * step)


def _region_weight(region):
    return REGION_WEIGHTS.get(region.slug, DEFAULT_REGION_WEIGHT)


def _districts(region):
    return DISTRICTS.get(region.slug, (region.capital,))


def _day_between(rng, first, last):
    return first + datetime.timedelta(days=rng.randrange((last - first).days + 1))


# --- what the generator reads once ----------------------------------------------------------


def region_contexts(regions, coordinator_ids, rng):
    institutions, networks = {}, {}
    for pk, region_id, sector in Institution.objects.order_by("name").values_list("pk", "region_id", "sector"):
        institutions.setdefault(region_id, []).append((pk, sector))
    for pk, region_id in SupportNetwork.objects.order_by("name").values_list("pk", "region_id"):
        networks.setdefault(region_id, []).append(pk)
    return tuple(
        RegionContext(
            pk=region.pk,
            slug=region.slug,
            weight=_region_weight(region),
            coordinator_id=coordinator_ids[region.pk],
            districts=_districts(region),
            institutions=tuple(institutions.get(region.pk, ())),
            network_ids=tuple(networks.get(region.pk, ())),
            centroid=(float(region.latitude), float(region.longitude)),
            point_pool=_point_pool(region, rng) if region.boundary else None,
        )
        for region in regions
    )


def _point_pool(region, rng):
    """Points inside a loaded boundary, tried once per region: testing every activity's point
    against a detailed polygon would cost more than generating the activities."""
    centroid = (float(region.latitude), float(region.longitude))
    pool = []
    for _ in range(POOL_SIZE * 8):
        lat, lon = _jittered(rng, centroid, region.slug in COASTAL)
        if region.contains(lat, lon):
            pool.append((lat, lon))
            if len(pool) == POOL_SIZE:
                break
    return tuple(pool)


def objective_contexts():
    contexts = []
    for objective in Objective.objects.prefetch_related("services").order_by("order"):
        services = tuple((s.pk, s.slug, s.name) for s in sorted(objective.services.all(), key=lambda s: s.slug))
        # An objective whose services staff unlinked cannot have a valid activity.
        if services:
            contexts.append(
                ObjectiveContext(
                    pk=objective.pk,
                    code=objective.code,
                    weight=OBJECTIVE_WEIGHTS.get(objective.code, DEFAULT_OBJECTIVE_WEIGHT),
                    services=services,
                    titles=TITLES.get(objective.code, DEFAULT_TITLES),
                    ranges=PARTICIPANT_RANGES.get(objective.code, DEFAULT_RANGES),
                )
            )
    return tuple(contexts)


# --- activities -----------------------------------------------------------------------------


def activity_plans(rng, count, *, regions, objectives, reviewer_id):
    """Yield `count` activity plans one at a time, so memory does not grow with `count`."""
    region_cum = tuple(accumulate(r.weight for r in regions))
    objective_cum = tuple(accumulate(o.weight for o in objectives))
    for _ in range(count):
        region = rng.choices(regions, cum_weights=region_cum)[0]
        objective = rng.choices(objectives, cum_weights=objective_cum)[0]
        yield activity_plan(rng, region, objective, reviewer_id)


def activity_plan(rng, region, objective, reviewer_id):
    service_id, service_slug, service_name = rng.choice(objective.services)
    district = rng.choice(region.districts)
    start, end = _dates(rng)
    status = _status(rng, start)
    comment = rng.choice(RETURN_COMMENTS) if status == Status.RETURNED else ""
    network_id = rng.choice(region.network_ids) if objective.code == "OE3" and region.network_ids else None
    fields = {
        "region_id": region.pk,
        "objective_id": objective.pk,
        "service_id": service_id,
        "title": f"{rng.choice(objective.titles)} — {district}",
        "description": (
            f"Actividad de {service_name} ({objective.code}) con la comunidad de {district}. Dato de demostración."
        ),
        "start_date": start,
        "end_date": end,
        **_location(rng, region, district),
        **_participants(rng, objective.ranges),
        "support_network_id": network_id,
        "status": status,
        "approved_at": _approved_at(end) if status == Status.APPROVED else None,
        "review_comment": comment,
        "created_by_id": region.coordinator_id,
        "version": 1,
        "client_uuid": uuid.UUID(int=rng.getrandbits(128), version=4),
    }
    institution_ids = _partner_institutions(rng, region, objective, service_slug)
    return ActivityPlan(fields, institution_ids, _transitions(status, region.coordinator_id, reviewer_id, comment))


def _approved_at(end):
    # Reviewed a few days after the activity ended, and never in the future.
    day = datetime.datetime.combine(
        end + datetime.timedelta(days=3), datetime.time(12), timezone.get_current_timezone()
    )
    return min(day, timezone.now())


def _dates(rng):
    start = FIRST_DAY + datetime.timedelta(days=rng.randrange((LAST_DAY - FIRST_DAY).days + 1))
    # Most activities last a day; trainings and fairs run over several.
    extra = rng.choices((0, 1, 2, 3, 4), cum_weights=(85, 92, 95, 98, 100))[0]
    return start, min(start + datetime.timedelta(days=extra), LAST_DAY)


def _status(rng, start):
    recent = (LAST_DAY - start).days < RECENT_DAYS
    return rng.choices(STATUSES, cum_weights=RECENT_STATUS_CUM_WEIGHTS if recent else STATUS_CUM_WEIGHTS)[0]


def _location(rng, region, district):
    if rng.random() < 0.15:
        return {"modality": Activity.Modality.VIRTUAL, "place_name": VIRTUAL_PLACE, "district": district,
                "latitude": None, "longitude": None}  # fmt: skip
    place = rng.choice(PLACES).format(district=district, number=rng.randint(10_000, 89_999))
    point = _point(rng, region) if rng.random() < POINT_SHARE else None
    latitude, longitude = (Decimal(f"{c:.6f}") for c in point) if point else (None, None)
    return {"modality": Activity.Modality.IN_PERSON, "place_name": place, "district": district,
            "latitude": latitude, "longitude": longitude}  # fmt: skip


def _point(rng, region):
    if region.point_pool is not None:
        return rng.choice(region.point_pool) if region.point_pool else None
    return _jittered(rng, region.centroid, region.slug in COASTAL)


def _jittered(rng, centroid, coastal):
    lat = centroid[0] + rng.uniform(-JITTER, JITTER)
    lon = centroid[1] + rng.uniform(0 if coastal else -JITTER, JITTER)
    bounds = geo.PERU_BOUNDS
    # A capital near the border must not send its activities abroad.
    lat = min(max(lat, float(bounds["min_lat"])), float(bounds["max_lat"]))
    lon = min(max(lon, float(bounds["min_lon"])), float(bounds["max_lon"]))
    # Rounded as stored, so that the point tested against a boundary is the point saved.
    return round(lat, 6), round(lon, 6)


def _participants(rng, ranges):
    # A fair or a school assembly draws a crowd; most activities are a room's worth.
    scale = 3 if rng.random() < 0.1 else 1
    counts = [rng.randint(low, high) * scale for low, high in ranges]
    # A family is counted when one of its adults took part.
    counts[-1] = min(counts[-1], counts[4] + counts[5])
    return dict(zip((*PARTICIPANT_FIELDS, "families"), counts, strict=True))


def _partner_institutions(rng, region, objective, service_slug):
    sector = SERVICE_SECTORS.get(service_slug)
    candidates = [pk for pk, s in region.institutions if sector is None or s == sector]
    if not candidates:
        return ()
    if objective.code == "OE4":
        return tuple(rng.sample(candidates, min(len(candidates), rng.randint(1, 3))))
    return (rng.choice(candidates),) if rng.random() < 0.25 else ()


def _transitions(status, coordinator_id, reviewer_id, comment):
    """The workflow steps that lead to `status`, as the review screens would have recorded them."""
    if status == Status.DRAFT:
        return ()
    submitted = (Status.DRAFT, Status.SUBMITTED, coordinator_id, "")
    if status == Status.SUBMITTED:
        return (submitted,)
    return submitted, (Status.SUBMITTED, status, reviewer_id, comment)


# --- writing --------------------------------------------------------------------------------


def activities_write(plans, *, total, report=report_nothing):
    """Insert the plans in batches; return the rows written, by kind."""
    writer = CopyWriter() if connection.vendor == "postgresql" else BulkCreateWriter()
    written, started, next_report = Counter(), time.monotonic(), PROGRESS_EVERY
    while batch := list(islice(plans, BATCH_SIZE)):
        written.update(writer.write(batch))
        # Under DEBUG, Django keeps every query's text: a million rows' worth would fill memory.
        reset_queries()
        if written["activities"] >= next_report:
            rate = written["activities"] / (time.monotonic() - started)
            report(f"  {written['activities']:,} of {total:,} activities ({rate:,.0f}/s)")
            next_report += PROGRESS_EVERY
    return written


class BulkCreateWriter:
    """Portable: the ORM's bulk_create, which returns the new ids on PostgreSQL and SQLite."""

    def write(self, batch):
        activities = Activity.objects.bulk_create([Activity(**plan.fields) for plan in batch])
        Link = Activity.institutions.through
        links = [
            Link(activity_id=activity.pk, institution_id=institution_id)
            for activity, plan in zip(activities, batch, strict=True)
            for institution_id in plan.institution_ids
        ]
        Link.objects.bulk_create(links)
        transitions = [
            ActivityTransition(activity_id=activity.pk, from_status=a, to_status=b, by_id=by, comment=comment)
            for activity, plan in zip(activities, batch, strict=True)
            for a, b, by, comment in plan.transitions
        ]
        ActivityTransition.objects.bulk_create(transitions)
        Activity.objects.filter(pk__in=[activity.pk for activity in activities]).times_from_steps()
        return {"activities": len(activities), "transitions": len(transitions), "institution_links": len(links)}


class CopyWriter:
    """PostgreSQL's COPY through psycopg: the same rows, without building an INSERT per batch."""

    def __init__(self):
        self.now = timezone.now()

    def write(self, batch):
        connection.ensure_connection()
        # The driver's own cursor: Django's debug cursor would format every row as SQL text.
        with connection.connection.cursor() as cursor:
            ids = _activity_ids(cursor, len(batch))
            pairs = list(zip(ids, batch, strict=True))
            unplanned = _unplanned_columns(batch[0], self.now)
            planned = [Activity._meta.get_field(name).column for name in batch[0].fields]
            columns = [Activity._meta.pk.column, *planned, *WORKFLOW_TIMES, *unplanned]
            rows = ((pk, *plan.fields.values(), *self.times(plan), *unplanned.values()) for pk, plan in pairs)
            _copy(cursor, Activity, columns, rows)
            links = [(pk, i) for pk, plan in pairs for i in plan.institution_ids]
            _copy(cursor, Activity.institutions.through, ["activity_id", "institution_id"], links)
            transitions = [(pk, *step, self.now) for pk, plan in pairs for step in plan.transitions]
            columns = ["activity_id", "from_status", "to_status", "by_id", "comment", "at"]
            _copy(cursor, ActivityTransition, columns, transitions)
        return {"activities": len(batch), "transitions": len(transitions), "institution_links": len(links)}

    def times(self, plan):
        """submitted_at and decided_at, as Activity.times_from_steps would read them from the
        steps this writer stamps with its own time."""
        submitted = any(to == Status.SUBMITTED for _from, to, *_rest in plan.transitions)
        decided = any(src == Status.SUBMITTED and to in DECISIONS for src, to, *_rest in plan.transitions)
        return (self.now if submitted else None, self.now if decided else None)


def _unplanned_columns(plan, now):
    """The activity columns a plan leaves to Django, with the values bulk_create would give them:
    COPY skips Django's defaults, and a field added to Activity later must not break seeding."""
    columns = {}
    for field in Activity._meta.concrete_fields:
        if field.primary_key or field.attname in plan.fields or field.attname in WORKFLOW_TIMES:
            continue
        stamped = getattr(field, "auto_now", False) or getattr(field, "auto_now_add", False)
        columns[field.column] = now if stamped else field.get_default()
    return columns


def _activity_ids(cursor, count):
    # Taken from the table's own sequence, so ids never collide with rows added later.
    cursor.execute(
        "SELECT nextval(pg_get_serial_sequence(%s, 'id')) FROM generate_series(1, %s)",
        [Activity._meta.db_table, count],
    )
    return [row[0] for row in cursor.fetchall()]


def _copy(cursor, model, columns, rows):
    quote = connection.ops.quote_name
    sql = f"COPY {quote(model._meta.db_table)} ({', '.join(quote(c) for c in columns)}) FROM STDIN"
    with cursor.copy(sql) as copy:
        for row in rows:
            copy.write_row(row)


# --- reset ----------------------------------------------------------------------------------


def activities_reset():
    """Delete every activity with its transitions, evidence rows, partner links and history.

    Row by row, Django would load each activity to cascade and to write its history; for a
    million activities that takes longer than seeding them. Evidence files stay on disk.
    """
    count = Activity.objects.count()
    tables = [m._meta.db_table for m in _activity_models()]
    if connection.vendor == "postgresql":
        quote = connection.ops.quote_name
        # TRUNCATE refuses a table whose foreign-key checks are still pending in this
        # transaction (rows inserted earlier in it): run them now.
        connection.check_constraints()
        # RESTART IDENTITY: a reseeded portal numbers its activities from 1, like a fresh one.
        with connection.cursor() as cursor:
            cursor.execute(f"TRUNCATE {', '.join(quote(t) for t in tables)} RESTART IDENTITY")
    else:
        for model in _activity_models():
            model._base_manager.all()._raw_delete(connection.alias)
    return count


def demo_statistics_refresh():
    """ANALYZE what seeding filled, on PostgreSQL (which runs here without autovacuum)."""
    if connection.vendor != "postgresql":
        return
    models = [*_activity_models(), Institution, SupportNetwork, Target]
    with connection.cursor() as cursor:
        for model in models:
            cursor.execute(f"ANALYZE {connection.ops.quote_name(model._meta.db_table)}")


def _activity_models():
    """Dependent tables first, the activities last."""
    dependents = [rel.related_model for rel in Activity._meta.related_objects if rel.on_delete is models.CASCADE]
    return [Activity.institutions.through, *dependents, Activity.history.model, Activity]
