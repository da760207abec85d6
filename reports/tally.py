"""The tallies: the activities rolled up by region, objective, service, month of start and status,
so that staff figures add up a few thousand cells instead of scanning a million activities.

Four tables (reports.models): Tally holds each cell's activities, participants and families;
NetworkTally and PartnerTally how many of a cell's activities name each support network and each
partner institution, since distinct networks and institutions are not additive. Every status is
tallied (completeness counts drafts); approved figures read status "approved". TimingTally counts,
per region and month, the activities that took each whole number of days to be submitted and of
hours to be decided (by their latest submission and the decision that answered it), so that
completeness reads exact medians from a histogram.

Kept exact in the transaction of every write that changes what is counted, from one place: the
receivers below, on the activity's own save and delete and on its partner links, so that the
panel, the API, the admin (an approved activity edited or deleted there), a status change and a
history revert all pass through them. They live here, in reports, because activities must not
depend on reports. Writes that bypass Django's signals say so instead: the spreadsheet import
sends `activities_loaded` (activities.models); a bulk loader that writes with COPY (seed_demo)
or a restore calls `rebuild()`. Deleting a network or an institution cascades to its tally rows.

Each change is a move: what the activity counted before (read under its row lock, so that two
writers of one activity queue up) is taken from its cells, and what it counts after is added, as
one upsert per table, `INSERT ... ON CONFLICT DO UPDATE SET n = n + excluded.n`: two approvals in
one cell at once both count, and the cells are written in key order, so two moves never deadlock.
"""

import dataclasses
import datetime
from collections import defaultdict

from django.conf import settings
from django.db import connection, transaction
from django.db.models import F
from django.db.models.signals import m2m_changed, post_delete, post_save, pre_delete, pre_save
from django.utils import timezone

from activities.models import PARTICIPANT_FIELDS, Activity, activities_loaded

from .models import NetworkTally, PartnerTally, Tally, TimingTally

COUNTS = (*PARTICIPANT_FIELDS, "families")
Links = Activity.institutions.through
TABLES = (Tally, NetworkTally, PartnerTally, TimingTally)
CELL_COLUMNS = ("region_id", "objective_id", "service_id", "month", "status")
# The unique index of each table (reports.models.cell_key), as ON CONFLICT names it.
CONFLICT = "region_id, COALESCE(objective_id, 0), COALESCE(service_id, 0), month, status"
TIMING_COLUMNS = ("region_id", "month", "kind", "value")
Kind = TimingTally.Kind


@dataclasses.dataclass(frozen=True)
class Counted:
    """What one activity adds to the tallies: its cell, its counts, its network and partners."""

    region_id: int
    objective_id: int | None
    service_id: int | None
    start_date: datetime.date | None
    status: str
    counts: tuple  # COUNTS, in order
    network_id: int | None
    institution_ids: frozenset = frozenset()
    days_to_submit: int | None = None
    hours_to_decide: int | None = None

    @property
    def cell(self):
        """None when the activity is in no month (no start date yet): it counts nowhere."""
        if self.start_date is None:
            return None
        month = self.start_date.replace(day=1)
        return (self.region_id, self.objective_id, self.service_id, month, self.status)

    @property
    def timings(self):
        """The TimingTally keys the activity counts in: none, one or both."""
        if self.start_date is None:
            return ()
        month = self.start_date.replace(day=1)
        found = ((Kind.SUBMIT, self.days_to_submit), (Kind.DECIDE, self.hours_to_decide))
        return tuple((self.region_id, month, kind, value) for kind, value in found if value is not None)


TIMES = ("end_date", "submitted_at", "decided_at")
FIELDS = ("region_id", "objective_id", "service_id", "start_date", "status", *COUNTS, "support_network_id", *TIMES)


def _counted(values, institution_ids=frozenset()):
    region, objective, service, start, status = values[:5]
    counts, network = tuple(values[5 : 5 + len(COUNTS)]), values[5 + len(COUNTS)]
    end, submitted, decided = values[-len(TIMES) :]
    start = _date(start)
    return Counted(
        region, objective, service, start, status, counts, network, frozenset(institution_ids),
        *timing(_date(end), submitted, decided),
    )  # fmt: skip


def _date(value):
    return datetime.date.fromisoformat(value) if isinstance(value, str) else value


def timing(end_date, submitted_at, decided_at):
    """(days to submit, hours to decide), each None when it does not apply (completeness.TIMING_RULE):
    days from the end date to the day, in the portal's time zone, of the latest submission; whole
    hours from that submission to the decision that answered it, none while it waits again."""
    days = hours = None
    if submitted_at is not None and end_date is not None:
        days = (timezone.localtime(submitted_at, timezone.get_default_timezone()).date() - end_date).days
    if submitted_at is not None and decided_at is not None and decided_at >= submitted_at:
        hours = (decided_at - submitted_at) // datetime.timedelta(hours=1)
    return days, hours


def _rows(ids, *, lock):
    """{id: the FIELDS' values} as stored, the rows locked (in id order) when `lock`."""
    rows = Activity.objects.filter(pk__in=ids).order_by("pk")
    if lock and connection.features.has_select_for_update:
        rows = rows.select_for_update()
    return {row[0]: row[1:] for row in rows.values_list("pk", *FIELDS)}


def stored(ids, *, lock=True):
    """{id: Counted} of the activities as stored, with their partner links."""
    found = _rows(ids, lock=lock)
    partners = _links(found)
    return {pk: _counted(values, partners.get(pk, ())) for pk, values in found.items()}


def _links(ids):
    partners = defaultdict(set)
    for activity_id, institution_id in Links.objects.filter(activity_id__in=list(ids)).values_list(
        "activity_id", "institution_id"
    ):
        partners[activity_id].add(institution_id)
    return partners


# --- Moving counts ---------------------------------------------------------------------------------


def move(changes):
    """Apply [(before, after), ...] (Counted or None) to the tallies: one upsert per table at most."""
    sums, networks, partners = defaultdict(lambda: [0] * (1 + len(COUNTS))), defaultdict(int), defaultdict(int)
    timings = defaultdict(int)
    for before, after in changes:
        for sign, side in ((-1, before), (1, after)):
            if side is None or side.cell is None:
                continue
            for key in side.timings:
                timings[key] += sign
            cell = sums[side.cell]
            cell[0] += sign
            for i, value in enumerate(side.counts, start=1):
                cell[i] += sign * value
            if side.network_id is not None:
                networks[(*side.cell, side.network_id)] += sign
            for institution_id in side.institution_ids:
                partners[(*side.cell, institution_id)] += sign
    _upsert(Tally, ("activities", *COUNTS), {key: tuple(v) for key, v in sums.items() if any(v)})
    _upsert(NetworkTally, ("activities",), {key: (n,) for key, n in networks.items() if n}, "support_network_id")
    _upsert(PartnerTally, ("activities",), {key: (n,) for key, n in partners.items() if n}, "institution_id")
    _upsert(TimingTally, ("activities",), {key: (n,) for key, n in timings.items() if n})


def _upsert(model, counts, deltas, extra=None):
    if not deltas:
        return
    if model is TimingTally:
        keys, conflict = TIMING_COLUMNS, ", ".join(TIMING_COLUMNS)
    else:
        keys = [*CELL_COLUMNS, *([extra] if extra else [])]
        conflict = CONFLICT + (f", {connection.ops.quote_name(extra)}" if extra else "")
    # Key order, the same in every transaction: two moves lock their rows in one order, no deadlock.
    rows = sorted(deltas.items(), key=lambda item: tuple(_sortable(v) for v in item[0]))
    if connection.vendor == "postgresql":
        _upsert_sql(model, keys, counts, rows, conflict)
    else:
        _upsert_orm(model, keys, counts, rows)


def _sortable(value):
    return (value is not None, value if value is not None else 0)


def _upsert_sql(model, keys, counts, rows, conflict):
    quote = connection.ops.quote_name
    table = quote(model._meta.db_table)
    columns = [*keys, *counts]
    placeholders = "(" + ", ".join(["%s"] * len(columns)) + ")"
    updates = ", ".join(f"{quote(c)} = {table}.{quote(c)} + EXCLUDED.{quote(c)}" for c in counts)
    for start in range(0, len(rows), 1_000):
        batch = rows[start : start + 1_000]
        sql = (
            f"INSERT INTO {table} ({', '.join(quote(c) for c in columns)}) "
            f"VALUES {', '.join([placeholders] * len(batch))} "
            f"ON CONFLICT ({conflict}) DO UPDATE SET {updates}"
        )
        with connection.cursor() as cursor:
            cursor.execute(sql, [value for key, delta in batch for value in (*key, *delta)])


def _upsert_orm(model, keys, counts, rows):
    # SQLite, for development: it lets one writer in at a time, so an update-or-insert cannot race.
    for key, delta in rows:
        cell = dict(zip(keys, key, strict=True))
        added = {c: F(c) + d for c, d in zip(counts, delta, strict=True)}
        if not model.objects.filter(**cell).update(**added):
            model.objects.create(**cell, **dict(zip(counts, delta, strict=True)))


# --- The writes: receivers -------------------------------------------------------------------------
# The row is read under its lock before the write and moved after it, in the write's transaction
# (Activity.save is atomic; Django's deletes and partner-link changes are too).


def _before_save(sender, instance, **kwargs):
    instance._tallied = _rows([instance.pk], lock=True).get(instance.pk) if instance.pk is not None else None


def _after_save(sender, instance, update_fields=None, **kwargs):
    stored_values, instance._tallied = getattr(instance, "_tallied", None), None
    if stored_values is None:
        move([(None, _counted([getattr(instance, field) for field in FIELDS]))])
        return
    # With update_fields only those were written; the others are as stored, whatever this copy holds.
    written = FIELDS if update_fields is None else {Activity._meta.get_field(f).attname for f in update_fields}
    values = [getattr(instance, f) if f in written else v for f, v in zip(FIELDS, stored_values, strict=True)]
    before, after = _counted(stored_values), _counted(values)
    if before == after:
        return
    if before.cell != after.cell:
        # The partner links follow the activity to its new cell (a save does not change them).
        partners = frozenset(_links([instance.pk]).get(instance.pk, ()))
        before = dataclasses.replace(before, institution_ids=partners)
        after = dataclasses.replace(after, institution_ids=partners)
    move([(before, after)])


def _before_delete(sender, instance, **kwargs):
    instance._tallied = stored([instance.pk]).get(instance.pk)


def _after_delete(sender, instance, **kwargs):
    before = getattr(instance, "_tallied", None)
    instance._tallied = None
    if before is not None:
        move([(before, None)])


def _links_changed(sender, instance, action, reverse, pk_set, **kwargs):
    """Partner links added or removed, from either side: the activities concerned are read under
    their locks before the change and moved after it."""
    if action.startswith("pre_"):
        if not reverse:
            ids = [instance.pk]
        elif action == "pre_clear":
            ids = list(Links.objects.filter(institution_id=instance.pk).values_list("activity_id", flat=True))
        else:
            ids = list(pk_set)
        instance._tallied_links = stored(ids)
        return
    before, instance._tallied_links = getattr(instance, "_tallied_links", {}), {}
    after = stored(list(before), lock=False)
    move([(counted_before, after.get(pk)) for pk, counted_before in before.items()])


def _loaded(sender, ids, **kwargs):
    """Activities written in bulk (the spreadsheet import), with their partner links."""
    for start in range(0, len(ids), 5_000):
        move([(None, counted_now) for counted_now in stored(ids[start : start + 5_000], lock=False).values()])


pre_save.connect(_before_save, sender=Activity, dispatch_uid="tally_before_save")
post_save.connect(_after_save, sender=Activity, dispatch_uid="tally_after_save")
pre_delete.connect(_before_delete, sender=Activity, dispatch_uid="tally_before_delete")
post_delete.connect(_after_delete, sender=Activity, dispatch_uid="tally_after_delete")
m2m_changed.connect(_links_changed, sender=Links, dispatch_uid="tally_links_changed")
activities_loaded.connect(_loaded, sender=Activity, dispatch_uid="tally_loaded")


# --- Rebuilding and recounting ---------------------------------------------------------------------


def rebuild():
    """Recount every tally from the activities, in one transaction: three INSERT ... SELECT ...
    GROUP BY, and the timings. For what bypasses the receivers: a bulk load by COPY, a restore,
    a repair."""
    activity = connection.ops.quote_name(Activity._meta.db_table)
    links = connection.ops.quote_name(Links._meta.db_table)
    month = month_sql("a.start_date")
    cell = f"a.region_id, a.objective_id, a.service_id, {month}, a.status"
    sums = ", ".join(f"sum(a.{c})" for c in COUNTS)
    statements = [
        (Tally, ("activities", *COUNTS), f"SELECT {cell}, count(*), {sums} FROM {activity} a"),
        (
            NetworkTally,
            ("support_network_id", "activities"),
            f"SELECT {cell}, a.support_network_id, count(*) FROM {activity} a",
            "AND a.support_network_id IS NOT NULL",
        ),
        (
            PartnerTally,
            ("institution_id", "activities"),
            f"SELECT {cell}, l.institution_id, count(*) FROM {activity} a JOIN {links} l ON l.activity_id = a.id",
        ),
    ]
    with transaction.atomic(), connection.cursor() as cursor:
        for model, columns, select, *condition in statements:
            table = connection.ops.quote_name(model._meta.db_table)
            cursor.execute(f"DELETE FROM {table}")
            group = "1, 2, 3, 4, 5" + (", 6" if len(columns) == 2 else "")
            cursor.execute(
                f"INSERT INTO {table} ({', '.join([*CELL_COLUMNS, *columns])}) {select} "
                f"WHERE a.start_date IS NOT NULL {' '.join(condition)} GROUP BY {group}"
            )
        _rebuild_timings()
    return {model.__name__: model.objects.count() for model in TABLES}


def _rebuild_timings():
    """The timings: on PostgreSQL two INSERT ... SELECT ... GROUP BY, which the tests hold to the
    receivers' Python (timing); elsewhere that Python over the rows. Only submitted activities count."""
    TimingTally.objects.all().delete()
    if connection.vendor != "postgresql":
        _rebuild_timings_in_python()
        return
    table, activity = (connection.ops.quote_name(m._meta.db_table) for m in (TimingTally, Activity))
    values = {
        Kind.SUBMIT: ("(a.submitted_at AT TIME ZONE %s)::date - a.end_date", "a.end_date IS NOT NULL"),
        Kind.DECIDE: (
            "floor(extract(epoch FROM a.decided_at - a.submitted_at) / 3600)::integer",
            "a.decided_at >= a.submitted_at",
        ),
    }
    with connection.cursor() as cursor:
        for kind, (value, condition) in values.items():
            cursor.execute(
                f"INSERT INTO {table} (region_id, month, kind, value, activities) "
                f"SELECT a.region_id, {month_sql('a.start_date')}, %s, {value}, count(*) FROM {activity} a "
                f"WHERE a.start_date IS NOT NULL AND a.submitted_at IS NOT NULL AND {condition} GROUP BY 1, 2, 4",
                [kind.value, *([settings.TIME_ZONE] if kind == Kind.SUBMIT else [])],
            )


def _rebuild_timings_in_python():
    counted = defaultdict(int)
    rows = Activity.objects.filter(start_date__isnull=False, submitted_at__isnull=False).order_by()
    for region, start, end, submitted, decided in rows.values_list("region_id", "start_date", *TIMES).iterator(
        chunk_size=20_000
    ):
        days, hours = timing(end, submitted, decided)
        month = start.replace(day=1)
        counted[(region, month, Kind.SUBMIT, days)] += days is not None
        counted[(region, month, Kind.DECIDE, hours)] += hours is not None
    TimingTally.objects.bulk_create(
        (TimingTally(**dict(zip(TIMING_COLUMNS, key, strict=True)), activities=n) for key, n in counted.items() if n),
        batch_size=5_000,
    )


def month_sql(column):
    """SQL for the first day of the month of a date column."""
    if connection.vendor == "postgresql":
        return f"date_trunc('month', {column})::date"
    return f"date({column}, 'start of month')"


def analyze():
    """Fresh planner statistics for the tallies (PostgreSQL here runs without autovacuum)."""
    if connection.vendor != "postgresql":
        return
    with connection.cursor() as cursor:
        for model in TABLES:
            cursor.execute(f"ANALYZE {connection.ops.quote_name(model._meta.db_table)}")


def tallied():
    """The tallies as they stand, without empty rows: {"sums": {cell: counts}, "networks": {...},
    "partners": {...}}, to compare with recount()."""
    return {
        "sums": {
            row[:5]: row[5:]
            for row in Tally.objects.exclude(activities=0).values_list(*CELL_COLUMNS, "activities", *COUNTS)
        },
        "networks": dict(_cells(NetworkTally, "support_network_id")),
        "partners": dict(_cells(PartnerTally, "institution_id")),
        "timings": {
            tuple(key): n
            for *key, n in TimingTally.objects.exclude(activities=0).values_list(*TIMING_COLUMNS, "activities")
        },
    }


def _cells(model, extra):
    for *key, n in model.objects.exclude(activities=0).values_list(*CELL_COLUMNS, extra, "activities"):
        yield tuple(key), n


def recount():
    """What the tallies must hold, counted from the activities one by one, in Python: the
    reference the tests hold the tallies to, sharing no SQL with rebuild()."""
    everything = stored(Activity.objects.values_list("pk", flat=True), lock=False)
    found = {"sums": defaultdict(lambda: [0] * (1 + len(COUNTS))), "networks": defaultdict(int)}
    found["partners"], found["timings"] = defaultdict(int), defaultdict(int)
    for activity in everything.values():
        if activity.cell is None:
            continue
        for key in activity.timings:
            found["timings"][key] += 1
        sums = found["sums"][activity.cell]
        sums[0] += 1
        for i, value in enumerate(activity.counts, start=1):
            sums[i] += value
        if activity.network_id is not None:
            found["networks"][(*activity.cell, activity.network_id)] += 1
        for institution_id in activity.institution_ids:
            found["partners"][(*activity.cell, institution_id)] += 1
    return {
        "sums": {key: tuple(value) for key, value in found["sums"].items()},
        "networks": dict(found["networks"]),
        "partners": dict(found["partners"]),
        "timings": dict(found["timings"]),
    }
