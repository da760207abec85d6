"""Protect a release as one, and against the release before it.

A count from 1 to 4 is shown as "<5". That alone is not enough: every published figure is a sum
of atoms (publication.tables), and an attacker who reads all of them can set them up as linear
equations and solve for a hidden one, across tables, margins and releases. This module does what
statistical offices do with such tables (τ-ARGUS, sdcTable): hide the small cells, then check
each hidden one's feasible interval over everything published, and hide more until none is
pinned. "Pinned" means fewer than two whole numbers remain possible.

The attacker's unknowns are the atoms' counts (each ≥ 0). Against the previous release, an atom
whose activities did not change is the same unknown in both; one that changed is split into the
activities it kept (one unknown shared by both releases), the ones it gained (only in this one)
and the ones it lost (only in the previous one), as the public lists of activities tell. What must
stay unpinned: each small count of either release, and each difference from 1 to 4 between the
releases (an approval between them must not show up as a difference, nor be derivable).

The line-by-line rule of activities.disclosure runs first, because it is cheap and settles most
cells; the linear programs (scipy's HiGHS) then find what it misses.
"""

import math
from collections import defaultdict
from dataclasses import dataclass, field

import numpy as np
from scipy.optimize import linprog
from scipy.sparse import csr_matrix, vstack

from activities.disclosure import COMPLEMENT, SMALL, protect_lines
from activities.privacy import SMALL_COUNT_LIMIT

from .tables import PROTECTED, SEX_AGE, lines, membership

GROUPS = {"people": (*SEX_AGE, "participants"), "families": ("families",)}
EPSILON = 1e-6
UNBOUNDED = 3  # HiGHS's status when nothing bounds the target: as safe as it gets


@dataclass
class State:
    """A release as the next one needs it: its atoms, their true counts, what it hid, which
    activities (id, version) each atom held, and each figure's value the last time it was shown."""

    atoms: list
    values: dict  # measure -> list of true values, one per atom
    hidden: dict  # (cell key, measure) -> SMALL or COMPLEMENT
    members: dict = field(default_factory=dict)  # activity id -> (version, atom index)
    last_shown: dict = field(default_factory=dict)  # (cell key, measure) -> value, over every release so far

    def cells(self):
        return membership(self.atoms)

    def value(self, cell, measure):
        return sum(self.values[measure][i] for i in cell)


def protect(current, previous=None):
    """The cells of `current` (a State without `hidden`) to hide: {(cell key, measure): SMALL or COMPLEMENT}.
    Also fills `current.last_shown` for the release after it."""
    cells = current.cells()
    hidden = {}
    for measure in PROTECTED:
        for key, atoms in cells.items():
            if 0 < current.value(atoms, measure) < SMALL_COUNT_LIMIT:
                hidden[(key, measure)] = SMALL
    # The attacker's unknowns are the same for every group of measures: compared once.
    units = Units(current, previous)
    guarded = _across_releases(current, cells, previous, units, hidden) if previous is not None else []
    _by_lines(current, cells, hidden)
    for group in GROUPS.values():
        Audit(group, current, cells, hidden, previous, units, guarded).run()
    current.last_shown = {**(previous.last_shown if previous else {})}
    for key, atoms in cells.items():
        for measure in PROTECTED:
            if (key, measure) not in hidden:
                current.last_shown[(key, measure)] = current.value(atoms, measure)
    return hidden


def _across_releases(current, cells, previous, units, hidden):
    """What the releases before this one decide. A cell whose activities did not change keeps the
    previous release's status, so that a release with nothing new repeats the last one instead of
    showing what it hid. A cell that changed is hidden when it differs by 1 to 4 from the value it
    had when it was last shown, in any earlier release: those cells are returned, to be audited
    like small ones."""
    changed = units.changed
    previous_cells = previous.cells()
    guarded = []
    for key, atoms in cells.items():
        before = previous_cells.get(key, [])
        if not any(current.atoms[i] in changed for i in atoms) and not any(
            previous.atoms[i] in changed for i in before
        ):
            for measure in PROTECTED:
                if (key, measure) in previous.hidden:
                    hidden.setdefault((key, measure), previous.hidden[(key, measure)])
            continue
        for measure in PROTECTED:
            last = previous.last_shown.get((key, measure))
            if (key, measure) in hidden or last is None:
                continue
            if 0 < abs(current.value(atoms, measure) - last) < SMALL_COUNT_LIMIT:
                hidden[(key, measure)] = COMPLEMENT
                guarded.append((key, measure))
    return guarded


def _by_lines(current, cells, hidden):
    """The cheap pass: each line of parts and total (and the six groups against participants)."""
    positions = {(key, measure): i for i, (key, measure) in enumerate((k, m) for k in cells for m in PROTECTED)}
    values = [current.value(cells[key], measure) for key, measure in positions]
    structure = lines(cells)
    groups = [[positions[(key, m)] for m in (*SEX_AGE, "participants")] for key in cells]
    groups += [[positions[(key, m)] for key in line] for line in structure for m in PROTECTED]
    found = protect_lines(values, groups, {positions[cell] for cell in hidden})
    for cell, position in positions.items():
        if position in found and cell not in hidden:
            hidden[cell] = COMPLEMENT


class Audit:
    """The attacker's linear programs for one group of measures (people by sex and age, or families)."""

    def __init__(self, measures, current, cells, hidden, previous, units, guarded=()):
        self.measures, self.hidden = measures, hidden
        self.fields = [m for m in measures if m in SEX_AGE] or list(measures)
        self.units = units
        self.forms, self.values, self.states, self.cells = [], [], [], []
        self._add_rows(current, cells, "current", hidden, mine=True)
        mine = {cell: i for i, cell in enumerate(self.cells)}
        self.targets = [self.forms[i] for i, state in enumerate(self.states) if state == SMALL]
        self.targets += [self.forms[mine[cell]] for cell in guarded if cell[1] in measures]
        if previous is not None:
            previous_cells = previous.cells()
            first = len(self.forms)
            self._add_rows(previous, previous_cells, "previous", previous.hidden, mine=False)
            self.targets += [self.forms[i] for i in range(first, len(self.forms)) if self.states[i] == SMALL]
            self.targets += self._differences(current, cells, previous, previous_cells)
        self.size = self.units.count * len(self.fields)
        self.matrix = _matrix(self.forms, self.size)

    def _add_rows(self, state, cells, side, hidden, *, mine):
        for key, atoms in cells.items():
            for measure in self.measures:
                self.forms.append(self._form(atoms, measure, side))
                self.values.append(state.value(atoms, measure))
                self.states.append(hidden.get((key, measure), ""))
                self.cells.append((key, measure) if mine else None)

    def _form(self, atoms, measure, side):
        form = defaultdict(int)
        fields = self.fields if measure == "participants" else [measure]
        for atom in atoms:
            for unit in self.units.of(side, atom):
                for name in fields:
                    form[unit * len(self.fields) + self.fields.index(name)] += 1
        return dict(form)

    def _differences(self, current, cells, previous, previous_cells):
        forms = {}
        for key in set(cells) | set(previous_cells):
            for measure in self.measures:
                now, before = cells.get(key, []), previous_cells.get(key, [])
                change = current.value(now, measure) - previous.value(before, measure)
                if 0 < abs(change) < SMALL_COUNT_LIMIT:
                    form = defaultdict(int, self._form(now, measure, "current"))
                    for variable, weight in self._form(before, measure, "previous").items():
                        form[variable] -= weight
                    form = {v: w for v, w in form.items() if w}
                    forms[tuple(sorted(form.items()))] = form
        return [form for form in forms.values() if form]

    def run(self):
        for target in self.targets:
            while True:
                low, high, binding = self.bounds(target)
                if not _pinned(low, high):
                    break
                row = self._to_hide(binding, target)
                if row is None:
                    raise RuntimeError("A hidden figure is pinned by what earlier releases published.")
                self.states[row] = COMPLEMENT
                self.hidden[self.cells[row]] = COMPLEMENT

    def bounds(self, target):
        """The least and greatest value the target can take (inf when nothing bounds it), and the
        rows that bind either."""
        equal = np.array([i for i, state in enumerate(self.states) if not state], dtype=int)
        small = np.array([i for i, state in enumerate(self.states) if state == SMALL], dtype=int)
        a_ub = b_ub = None
        if len(small):
            a_ub = vstack([self.matrix[small], -self.matrix[small]]).tocsr()
            b_ub = [SMALL_COUNT_LIMIT - 1] * len(small) + [-1] * len(small)
        a_eq = self.matrix[equal] if len(equal) else None
        b_eq = [self.values[i] for i in equal] if len(equal) else None
        objective = np.zeros(self.size)
        for variable, weight in target.items():
            objective[variable] = weight
        ends, binding = [], set()
        for sign in (1, -1):
            result = linprog(
                sign * objective, A_ub=a_ub, b_ub=b_ub, A_eq=a_eq, b_eq=b_eq, bounds=(0, None), method="highs"
            )
            if result.status == UNBOUNDED:
                ends.append(-sign * math.inf)
                continue
            if result.status != 0:
                raise RuntimeError(f"The release's own figures have no solution: {result.message}")
            ends.append(sign * result.fun)
            if a_eq is not None:
                binding |= {int(equal[i]) for i, dual in enumerate(result.eqlin.marginals) if abs(dual) > EPSILON}
        return ends[0], ends[1], binding

    def _to_hide(self, binding, target):
        """The shown row of this release to hide: a binding one, the smallest (it tells least);
        failing that, the smallest shown one that shares an unknown with the target."""
        mine = [i for i in binding if self.cells[i] is not None]
        if not mine:
            mine = [
                i
                for i, cell in enumerate(self.cells)
                if cell and not self.states[i] and target.keys() & self.forms[i].keys()
            ]
        return min(mine, key=lambda i: (self.values[i], len(self.forms[i]), i), default=None)


def _pinned(low, high):
    """Fewer than two whole numbers lie between the bounds."""
    return math.isfinite(high) and math.floor(high + EPSILON) - math.ceil(low - EPSILON) < 1


def _matrix(forms, size):
    data, indices, pointers = [], [], [0]
    for form in forms:
        indices += list(form)
        data += list(form.values())
        pointers.append(len(indices))
    return csr_matrix((data, indices, pointers), shape=(len(forms), size))


class Units:
    """The attacker's unknowns: one per atom, or, for an atom whose activities changed between the
    releases, one for the activities it kept, one for those it gained and one for those it lost."""

    def __init__(self, current, previous):
        self.current, self.previous = {}, {}
        self.count = 0
        self.changed = set()  # the atoms whose activities (ids and versions) differ between the releases
        if previous is None:
            self.current = {i: [self._new()] for i in range(len(current.atoms))}
            return
        kept, gained, lost = self._compare(current, previous)
        self.changed = {atom for atom, n in gained.items() if n} | {atom for atom, n in lost.items() if n}
        shared = {}
        for i, atom in enumerate(current.atoms):
            units = []
            if kept[atom]:
                units.append(self._shared(shared, atom))
            if gained[atom]:
                units.append(self._new())
            self.current[i] = units
        for i, atom in enumerate(previous.atoms):
            units = [self._shared(shared, atom)] if kept[atom] else []
            if lost[atom]:
                units.append(self._new())
            self.previous[i] = units

    def _new(self):
        self.count += 1
        return self.count - 1

    def _shared(self, shared, atom):
        if atom not in shared:
            shared[atom] = self._new()
        return shared[atom]

    @staticmethod
    def _compare(current, previous):
        kept, gained, lost = defaultdict(int), defaultdict(int), defaultdict(int)
        for activity, (version, index) in current.members.items():
            before = previous.members.get(activity)
            atom = current.atoms[index]
            if before is not None and before[0] == version and previous.atoms[before[1]] == atom:
                kept[atom] += 1
            else:
                gained[atom] += 1
        for activity, (version, index) in previous.members.items():
            now = current.members.get(activity)
            if now is None or now[0] != version or current.atoms[now[1]] != previous.atoms[index]:
                lost[previous.atoms[index]] += 1
        return kept, gained, lost

    def of(self, side, atom_index):
        return (self.current if side == "current" else self.previous)[atom_index]
