"""The release's fixed tables: which figures the public sees, over which dimensions.

Every public figure is the sum of some *atoms*: the approved activities of one region, objective,
service and month of start. The public list of activities tells anyone which atoms have
activities (it gives each one's region, objective, service and month), so the atom is also the
finest unknown an attacker works with (publication.protection).

A table crosses three dimensions, each at one level of its hierarchy:
  place   region → Peru
  subject service → objective → all
  time    month → quarter → year → all time
and a cell of a table is named by a key (region, objective, service, period), None where a
dimension is summed over. Each cell carries the measures below.
"""

from dataclasses import dataclass

from activities.models import PARTICIPANT_FIELDS

ALL = None
SEX_AGE = PARTICIPANT_FIELDS
# Counted exactly everywhere: activities are public community events, listed one by one.
ACTIVITIES = "activities"
PROTECTED = (*SEX_AGE, "participants", "families")
MEASURES = (ACTIVITIES, *PROTECTED)

PLACE = ("region", "peru")
SUBJECT = ("service", "objective", "all")
TIME = ("month", "quarter", "year", "all")

# The fixed set, with the margins each needs. Region by quarter, month or service is not
# published: its cells of a few activities, mostly hidden (region by quarter hid 145 counts of
# the demo's 3,000 activities), would cost more than they tell.
TABLES = (
    ("region", "objective", "all"),
    ("region", "all", "all"),
    ("peru", "objective", "all"),
    ("peru", "all", "all"),
    ("peru", "service", "all"),
    ("peru", "objective", "year"),
    ("peru", "all", "year"),
    ("peru", "all", "quarter"),
    ("peru", "all", "month"),
    ("region", "all", "year"),
)


@dataclass(frozen=True)
class Atom:
    region: int
    objective: int
    service: int
    month: str  # YYYY-MM


def period(month, level):
    """The month "2026-03" at a level of the time hierarchy: "2026-03", "2026-Q1", "2026" or ALL."""
    if level == "month":
        return month
    if level == "quarter":
        return f"{month[:4]}-Q{(int(month[5:7]) - 1) // 3 + 1}"
    if level == "year":
        return month[:4]
    return ALL


def period_level(key):
    """The level of a period key: the inverse of period()."""
    if key is ALL:
        return "all"
    return {4: "year", 7: "quarter" if "Q" in key else "month"}[len(key)]


def cell_of(atom, table):
    place, subject, time = table
    return (
        atom.region if place == "region" else ALL,
        atom.objective if subject != "all" else ALL,
        atom.service if subject == "service" else ALL,
        period(atom.month, time),
    )


def table_of(key):
    region, objective, service, when = key
    subject = "service" if service is not ALL else "objective" if objective is not ALL else "all"
    return ("region" if region is not ALL else "peru", subject, period_level(when))


def membership(atoms):
    """Each cell of every table, with the atoms it sums (indexes into `atoms`)."""
    cells = {}
    for index, atom in enumerate(atoms):
        for table in TABLES:
            cells.setdefault(cell_of(atom, table), []).append(index)
    return cells


def lines(cells):
    """The additive lines between the published cells: each cell's children along one dimension,
    then the cell. Only between tables that are both published."""
    parents = {}
    for key in cells:
        for parent in _parents(key):
            if parent in cells and table_of(parent) in TABLES:
                parents.setdefault(parent, {}).setdefault(_axis(key, parent), []).append(key)
    return [[*children, parent] for parent, axes in parents.items() for children in axes.values()]


def _parents(key):
    region, objective, service, when = key
    if region is not ALL:
        yield (ALL, objective, service, when)
    if service is not ALL:
        yield (region, objective, ALL, when)
    elif objective is not ALL:
        yield (region, ALL, ALL, when)
    level = period_level(when)
    if level != "all":
        coarser = TIME[TIME.index(level) + 1]
        yield (region, objective, service, _coarser(when, coarser))


def _coarser(when, level):
    month = when if len(when) == 7 and "Q" not in when else None
    if month:
        return period(month, level)
    if level == "year":
        return when[:4]
    return ALL


def _axis(child, parent):
    return next(i for i, (a, b) in enumerate(zip(child, parent, strict=True)) if a != b)
