"""Build, protect and store a public release (publication.protection, publication.tables)."""

import io
import logging
from collections import defaultdict

import numpy as np
from django.core.exceptions import ValidationError
from django.db import connection, transaction
from django.db.models.functions import ExtractYear, TruncMonth
from django.utils import timezone
from django.utils.translation import gettext as _

from activities.disclosure import SMALL
from activities.models import Activity
from activities.privacy import SMALL_COUNT_LIMIT
from reports import tally
from reports.models import Tally

from .cache import bump_version
from .models import Release
from .protection import State, protect
from .tables import ALL, MEASURES, PROTECTED, SEX_AGE, Atom

logger = logging.getLogger(__name__)
HIDDEN_TEXT = {SMALL: "<5"}
COMPLEMENT_TEXT = "x"


def release_publish(*, cut_off=None, by=None):
    """Build the release of the activities approved by `cut_off` (now by default), protected as
    one and against the latest release, and store it as the next number. Returns the Release."""
    cut_off = cut_off or timezone.now()
    with transaction.atomic():
        # One publisher at a time: the next number, and the release to protect against, are the latest's.
        latest = Release.objects.select_for_update().latest_first().first()
        if latest is not None and cut_off <= latest.cut_off:
            raise ValidationError(
                _("A release must cut off after the latest one (%(cut_off)s).") % {"cut_off": latest.cut_off}
            )
        state = release_state(cut_off)
        previous = stored_state(latest) if latest is not None else None
        state.hidden = protect(state, previous)
        release = Release.objects.create(
            number=latest.number + 1 if latest else 1,
            cut_off=cut_off,
            published_by=by,
            activities=len(state.members),
            cells=public_cells(state),
            organisations=organisations(cut_off),
            atoms=_private(state),
            members=_pack(state),
        )
        if latest is not None:
            # Only the latest release's members are read again, by the next release.
            Release.objects.filter(pk=latest.pk).update(members=None)
        transaction.on_commit(bump_version)
    return release


def release_state(cut_off):
    """The activities approved by `cut_off`, as atoms with their true counts (publication.protection.State).
    The atoms' counts come from the staff figures' tallies (atoms_counted); the members, which the
    next release protects against, from the activities, and each atom's members must be as many
    as its tally counts. When they are not (activities written around the tallies, by a script or
    a partial restore), the tallies are rebuilt first: a public figure is never built on a drifted one."""
    state = _tallied_state(cut_off)
    if state is None:
        logger.warning("The tallies disagree with the approved activities: rebuilding them for the release.")
        tally.rebuild()
        state = _tallied_state(cut_off)
    if state is None:
        raise RuntimeError("The tallies disagree with the approved activities even after a rebuild.")
    return state


def _tallied_state(cut_off):
    atoms, values = [], {measure: [] for measure in MEASURES}
    for region, objective, service, month, activities_n, *counts in atoms_counted(cut_off):
        atoms.append(Atom(region, objective, service, month))
        values["activities"].append(activities_n)
        for measure, value in zip((*SEX_AGE, "families"), counts, strict=True):
            values[measure].append(value)
        values["participants"].append(sum(counts[: len(SEX_AGE)]))
    index = {atom: i for i, atom in enumerate(atoms)}
    members, found = {}, [0] * len(atoms)
    activities = Activity.objects.released(cut_off).order_by().annotate(month=TruncMonth("start_date"))
    fields = ("pk", "version", "region_id", "objective_id", "service_id", "month")
    for pk, version, region, objective, service, month in activities.values_list(*fields).iterator(chunk_size=10_000):
        at = index.get(Atom(region, objective, service, month.strftime("%Y-%m")))
        if at is None:
            return None
        members[pk] = (version, at)
        found[at] += 1
    if found != values["activities"]:
        return None
    return State(atoms=atoms, values=values, hidden={}, members=members)


def atoms_counted(cut_off):
    """[(region_id, objective_id, service_id, "YYYY-MM", activities, six counts..., families)], by
    key: the atoms of the activities approved by `cut_off`, read from the tallies (reports.tally),
    which count every approved activity, less the activities approved after `cut_off` (found
    through the approval-time index; none when the release cuts off now). One statement, so one
    snapshot: an approval committed meanwhile is in both parts or in neither."""
    quote = connection.ops.quote_name
    counts = ("activities", *SEX_AGE, "families")
    later = ", ".join(["-1", *(f"-a.{quote(c)}" for c in counts[1:])])
    sql = f"""
        SELECT region_id, objective_id, service_id, month, {", ".join(f"CAST(sum({c}) AS bigint)" for c in counts)}
        FROM (
            SELECT region_id, objective_id, service_id, month, {", ".join(quote(c) for c in counts)}
            FROM {quote(Tally._meta.db_table)} WHERE status = %s AND activities <> 0
            UNION ALL
            SELECT a.region_id, a.objective_id, a.service_id, {tally.month_sql("a.start_date")}, {later}
            FROM {quote(Activity._meta.db_table)} a WHERE a.status = %s AND a.approved_at > %s
        ) AS atoms
        GROUP BY region_id, objective_id, service_id, month
        HAVING sum(activities) > 0
        ORDER BY region_id, objective_id, service_id, month"""
    approved = Activity.Status.APPROVED
    with connection.cursor() as cursor:
        cursor.execute(sql, [approved, approved, cut_off])
        rows = cursor.fetchall()
    return [(region, objective, service, _month(month), *rest) for region, objective, service, month, *rest in rows]


def _month(value):
    # A date on PostgreSQL, "YYYY-MM-DD" text on SQLite.
    return value[:7] if isinstance(value, str) else value.strftime("%Y-%m")


def public_cells(state):
    """Each cell of the fixed tables with its counts as the public sees them."""
    cells = []
    for key, atoms in state.cells().items():
        counts = [state.value(atoms, "activities")]
        for measure in PROTECTED:
            hidden = state.hidden.get((key, measure))
            counts.append(HIDDEN_TEXT.get(hidden, COMPLEMENT_TEXT) if hidden else state.value(atoms, measure))
        cells.append([*key, *counts])
    return cells


def organisations(cut_off):
    """Distinct support networks (with their leaders) and partner institutions, by objective and
    year and their totals. Organisations, not people: only the small-count rule applies."""
    activities = Activity.objects.released(cut_off).order_by()
    networks = activities.filter(support_network__isnull=False).values_list(
        "objective_id", ExtractYear("start_date"), "support_network_id", "support_network__leaders"
    )
    links = Activity.institutions.through.objects.filter(activity__in=activities.values("pk"))
    institutions = links.values_list("activity__objective_id", ExtractYear("activity__start_date"), "institution_id")
    found = defaultdict(lambda: {"networks": {}, "institutions": set()})
    for objective, year, network, leaders in networks.distinct():
        for key in _margins(objective, str(year)):
            found[key]["networks"][network] = leaders
    for objective, year, institution in institutions.distinct():
        for key in _margins(objective, str(year)):
            found[key]["institutions"].add(institution)
    return [
        [*key, *(_small(n) for n in (len(v["networks"]), len(v["institutions"]), sum(v["networks"].values())))]
        for key, v in found.items()
    ]


def _margins(objective, year):
    return [(objective, year), (objective, ALL), (ALL, year), (ALL, ALL)]


def _small(value):
    return "<5" if 0 < value < SMALL_COUNT_LIMIT else value


def _private(state):
    return {
        "atoms": [[a.region, a.objective, a.service, a.month] for a in state.atoms],
        "values": state.values,
        "hidden": [[*key, measure, how] for (key, measure), how in state.hidden.items()],
        "last_shown": [[*key, measure, value] for (key, measure), value in state.last_shown.items()],
    }


def _pack(state):
    ids = np.fromiter(state.members.keys(), dtype=np.int64, count=len(state.members))
    pairs = np.array(list(state.members.values()), dtype=np.int64).reshape(-1, 2)
    buffer = io.BytesIO()
    np.savez_compressed(buffer, ids=ids, versions=pairs[:, 0], atoms=pairs[:, 1])
    return buffer.getvalue()


def stored_state(release):
    """The State a stored release was built from (its members only when it is the latest)."""
    private = Release.objects.values_list("atoms", "members").get(pk=release.pk)
    atoms_data, packed = private
    atoms = [Atom(*row) for row in atoms_data.get("atoms", [])]
    hidden = {(tuple(row[:4]), row[4]): row[5] for row in atoms_data.get("hidden", [])}
    members = {}
    if packed:
        arrays = np.load(io.BytesIO(bytes(packed)))
        members = {
            int(i): (int(v), int(a)) for i, v, a in zip(arrays["ids"], arrays["versions"], arrays["atoms"], strict=True)
        }
    last_shown = {(tuple(row[:4]), row[4]): row[5] for row in atoms_data.get("last_shown", [])}
    return State(
        atoms=atoms, values=atoms_data.get("values", {}), hidden=hidden, members=members, last_shown=last_shown
    )
