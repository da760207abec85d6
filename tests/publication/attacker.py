"""The attacker of DESIGN.md's "Privacy" section, written apart from publication.protection.

It reads only what is public: each release's stored tables (`Release.cells`, what every public
output is made from) and each release's public list of activities (which region, objective,
service and month each one falls in). Its unknowns are the activities' own counts, each ≥ 0:
six by sex and age and the families, per activity; participants are the sum of the six. Each
shown figure is an equation, each "<5" is 1 ≤ sum ≤ 4, each "x" says nothing. An activity listed
in two releases is the same unknown in both (the scenarios here never edit one in between).

`interval(form)` is the least and the greatest value a linear form of the unknowns can take
(scipy's HiGHS); a figure is pinned when fewer than two whole values remain possible.
"""

import math
from dataclasses import dataclass

import numpy as np
from scipy.optimize import linprog
from scipy.sparse import csr_matrix

from activities.models import MAX_COUNT, PARTICIPANT_FIELDS, Activity
from publication.tables import TABLES, Atom, cell_of

FIELDS = (*PARTICIPANT_FIELDS, "families")
# The columns of a stored cell row after its key (publication.models.Release.cells).
COLUMNS = ("activities", *PARTICIPANT_FIELDS, "participants", "families")
PROTECTED = COLUMNS[1:]
EPSILON = 1e-6


def fields_of(measure):
    return PARTICIPANT_FIELDS if measure == "participants" else (measure,)


def true_value(activities, measure):
    """The exact count of a measure over Activity objects (what the attacker wants to learn)."""
    return sum(getattr(a, f) for a in activities for f in fields_of(measure))


@dataclass(frozen=True)
class Figure:
    release: int
    key: tuple
    measure: str
    shown: object  # an int, "<5" or "x"
    pks: tuple  # the activities the cell sums


@dataclass
class Pin:
    what: str
    true: int
    low: float
    high: float

    def __str__(self):
        return f"{self.what}: true {self.true}, feasible [{self.low:.3f}, {self.high:.3f}]"


def public_listing(release):
    """The public list of a release's activities: {pk: (region, objective, service, "YYYY-MM")}."""
    rows = release.activities().values_list("pk", "region_id", "objective_id", "service_id", "start_date")
    return {pk: (region, objective, service, start.strftime("%Y-%m")) for pk, region, objective, service, start in rows}


def cells_of_listing(listing):
    """Which activities each cell of the fixed tables sums, grouped as the public list tells."""
    cells = {}
    for pk, place in sorted(listing.items()):
        atom = Atom(*place)
        for table in TABLES:
            cells.setdefault(cell_of(atom, table), []).append(pk)
    return cells


class Attacker:
    def __init__(self):
        self.unit = {}  # activity pk -> its index among the unknowns
        self.equal = []  # (form, value)
        self.bounded = []  # form: 1 ≤ form ≤ 4
        self.figures = []  # Figure, one per published protected count

    def read(self, number, rows, listing):
        """Add one release: its stored cell rows and its public activity list."""
        members = cells_of_listing(listing)
        assert {tuple(row[:4]) for row in rows} == set(members), "the tables and the list disagree on the cells"
        for row in rows:
            key = tuple(row[:4])
            pks = tuple(members[key])
            # Activities are counted exactly: the attacker checks it grouped them as the release did.
            assert row[4] == len(pks), (key, row[4], len(pks))
            for measure, shown in zip(PROTECTED, row[5:], strict=True):
                figure = Figure(number, key, measure, shown, pks)
                self.figures.append(figure)
                form = self.form(pks, measure)
                if shown == "<5":
                    self.bounded.append(form)
                elif shown == "x":
                    pass
                else:
                    assert isinstance(shown, int), shown
                    self.equal.append((form, shown))

    def variable(self, pk, field):
        unit = self.unit.setdefault(pk, len(self.unit))
        return unit * len(FIELDS) + FIELDS.index(field)

    def form(self, pks, measure):
        form = {}
        for pk in pks:
            for field in fields_of(measure):
                variable = self.variable(pk, field)
                form[variable] = form.get(variable, 0) + 1
        return form

    def _group(self, variable):
        # People (the six groups, and participants their sum) and families share no unknown:
        # each is its own linear program, half the size.
        return "families" if variable % len(FIELDS) == FIELDS.index("families") else "people"

    def _system(self, group):
        columns = [v for v in range(len(self.unit) * len(FIELDS)) if self._group(v) == group]
        position = {v: i for i, v in enumerate(columns)}

        def matrix(forms):
            rows = [{position[v]: w for v, w in form.items()} for form in forms]
            return _matrix(rows, len(columns))

        equal = [(form, value) for form, value in self.equal if self._group(next(iter(form))) == group]
        bounded = [form for form in self.bounded if self._group(next(iter(form))) == group]
        a_eq = matrix([form for form, _ in equal]) if equal else None
        b_eq = np.array([value for _, value in equal], dtype=float) if equal else None
        a_ub, b_ub = None, None
        if bounded:
            from scipy.sparse import vstack

            small = matrix(bounded)
            a_ub = vstack([small, -small]).tocsr()
            b_ub = np.array([4.0] * len(bounded) + [-1.0] * len(bounded))
        return position, a_eq, b_eq, a_ub, b_ub

    def interval(self, form):
        """(least, greatest) value the form can take over everything read."""
        state = (len(self.equal), len(self.bounded), len(self.unit))
        if getattr(self, "_state", None) != state:
            self._state, self._systems, self._intervals = state, {}, {}
        known = tuple(sorted(form.items()))
        if known in self._intervals:
            return self._intervals[known]
        group = self._group(next(iter(form)))
        if group not in self._systems:
            self._systems[group] = self._system(group)
        position, a_eq, b_eq, a_ub, b_ub = self._systems[group]
        objective = np.zeros(len(position))
        for variable, weight in form.items():
            objective[position[variable]] = weight
        ends = []
        for sign in (1, -1):
            result = linprog(
                sign * objective,
                A_ub=a_ub,
                b_ub=b_ub,
                A_eq=a_eq,
                b_eq=b_eq,
                bounds=(0, MAX_COUNT),
                method="highs",
            )
            assert result.status == 0, f"the published figures have no solution: {result.message}"
            ends.append(sign * result.fun)
        self._intervals[known] = (ends[0], ends[1])
        return self._intervals[known]

    def pinned(self, form):
        low, high = self.interval(form)
        return math.floor(high + EPSILON) - math.ceil(low - EPSILON) < 1, low, high

    def pinned_hidden_cells(self, truth):
        """Every hidden figure whose true value is 1 to 4 and that the attacker pins.
        `truth` maps an activity pk to its Activity (the true counts, which the attacker lacks)."""
        pins, checked = [], 0
        for figure in self.figures:
            if figure.shown not in ("<5", "x"):
                continue
            true = true_value([truth[pk] for pk in figure.pks], figure.measure)
            if not 1 <= true <= 4:
                continue
            checked += 1
            is_pinned, low, high = self.pinned(self.form(figure.pks, figure.measure))
            if is_pinned:
                what = f"release {figure.release} cell {figure.key} {figure.measure} (shown {figure.shown!r})"
                pins.append(Pin(what, true, low, high))
        return pins, checked


def _matrix(forms, size):
    data, indices, pointers = [], [], [0]
    for form in forms:
        indices += list(form)
        data += list(form.values())
        pointers.append(len(indices))
    return csr_matrix((data, indices, pointers), shape=(len(forms), size))


def truth_of(listings):
    """The true Activity rows of every listed activity (for the test's side, never the attacker's)."""
    pks = set().union(*(set(listing) for listing in listings))
    return Activity.objects.in_bulk(pks)


def snapshot(number):
    """The public list of a release as read when it came out (a reopened activity leaves it later)."""
    from publication.selectors import release_numbered

    return public_listing(release_numbered(number))


def read_releases(*numbers, listings=None):
    """The attacker's view of the named releases, as anyone can read them (the lists as saved by
    `snapshot` when given, else as they read now), and the truth behind it."""
    from publication.selectors import release_numbered

    attacker, listings = Attacker(), dict(listings or {})
    for number in numbers:
        public = release_numbered(number)
        listings.setdefault(number, public_listing(public))
        attacker.read(number, public.release.cells, listings[number])
    return attacker, {n: listings[n] for n in numbers}, truth_of(listings[n] for n in numbers)


def difference_pins(attacker, before, after, truth):
    """Each cell's change from 1 to 4 (either way) between two listings that the attacker pins."""
    pins, checked = [], 0
    cells_before, cells_after = cells_of_listing(before), cells_of_listing(after)
    for key in set(cells_before) | set(cells_after):
        old, new = cells_before.get(key, []), cells_after.get(key, [])
        for measure in PROTECTED:
            change = true_value([truth[pk] for pk in new], measure) - true_value([truth[pk] for pk in old], measure)
            if not 1 <= abs(change) <= 4:
                continue
            form = dict(attacker.form(new, measure))
            for variable, weight in attacker.form(old, measure).items():
                form[variable] = form.get(variable, 0) - weight
            form = {v: w for v, w in form.items() if w}
            checked += 1
            is_pinned, low, high = attacker.pinned(form)
            if is_pinned:
                pins.append(Pin(f"change of cell {key} {measure}", change, low, high))
    return pins, checked


def activity_pins(attacker, activity):
    """Each of one activity's own counts from 1 to 4 that the attacker pins."""
    pins, checked = [], 0
    for measure in PROTECTED:
        true = true_value([activity], measure)
        if not 1 <= true <= 4:
            continue
        checked += 1
        is_pinned, low, high = attacker.pinned(attacker.form([activity.pk], measure))
        if is_pinned:
            pins.append(Pin(f"activity {activity.pk} {measure}", true, low, high))
    return pins, checked
