"""Complementary suppression: a small count hidden as "<5" must not come back as a total
minus the parts shown beside it.

`activities.privacy` judges each count on its own (1 to 4 is "<5"). That is not enough where
parts are shown with their total: with women "<5", men 40 and participants 43, the women are 3.
`protect_line` is the one rule for such a line of parts and its total; `Cube` applies it to
every line of a table of several dimensions with all its margins (region x objective x sex and
age group, say), again and again until no line changes, so that a cell hidden in one table is
hidden in every other table that shows it, and recoverable from none.

A cell hidden to protect another is shown as "x": it is not a small count, and "<5" would lie.
"""

import itertools
from dataclasses import dataclass

from django.utils.formats import number_format

from activities.privacy import SMALL_COUNT_LIMIT, is_suppressed

SMALL = "small"
COMPLEMENT = "complement"


@dataclass(frozen=True)
class PublicCount:
    """A count as the public sees it: its value, or why it is hidden."""

    value: int
    hidden: str = ""  # "", SMALL (1 to 4) or COMPLEMENT (hidden so that a small one stays hidden)

    @property
    def shown(self):
        """The value, or None when it is hidden: for charts and JSON."""
        return None if self.hidden else self.value

    @property
    def text(self):
        """For CSV: "<5", "x" or the plain number."""
        return {SMALL: "<5", COMPLEMENT: "x"}.get(self.hidden, str(self.value))

    def __str__(self):
        # For pages: the number with the language's grouping (12 906 in Spanish, 12,906 in English).
        return self.text if self.hidden else number_format(self.value, force_grouping=True)

    def as_json(self):
        """The API's shape (activities.privacy.public_count_field): value null when hidden."""
        return {"value": self.shown, "suppressed": bool(self.hidden)}

    @classmethod
    def of(cls, value, hidden=False):
        """`value`, hidden when it is small or when `hidden` says a line needs it hidden."""
        if is_suppressed(value):
            return cls(value, SMALL)
        return cls(value, COMPLEMENT if hidden else "")


def protect_line(values, hidden=()):
    """Which cells of one line to hide. `values` are the parts followed by their total (the
    last); `hidden` the positions already hidden by another line. Returns the positions to hide.

    Small counts are hidden; then, while a hidden part could be worked out (it is the only one
    hidden, or the hidden parts add up to a small count, or the total is hidden and no part is),
    the smallest non-zero part still shown is hidden too; when none is left, the total.
    """
    total = len(values) - 1
    hidden = set(hidden) | {i for i, value in enumerate(values) if is_suppressed(value)}
    while _recoverable(values, hidden):
        shown = [i for i in range(total) if i not in hidden and values[i] > 0]
        if shown:
            hidden.add(min(shown, key=lambda i: (values[i], i)))
        elif total not in hidden:
            hidden.add(total)
        else:
            break
    return hidden


def _recoverable(values, hidden):
    total = len(values) - 1
    parts = [i for i in hidden if i != total]
    if total in hidden:
        # The total is the sum of the parts: with all of them shown it is no secret.
        return not parts
    if not parts:
        return False
    return len(parts) == 1 or 0 < sum(values[i] for i in parts) < SMALL_COUNT_LIMIT


ALL = None  # the key of a margin: every value of that dimension


class Cube:
    """Counts over several dimensions, with every margin, protected as one.

    `dimensions` lists the keys of each dimension (region ids, objective ids, field names);
    `cells` maps a tuple of keys, one per dimension, to a count (missing cells are 0).
    `get(*keys)` answers a cell or a margin (ALL for a dimension summed over) as a PublicCount.
    """

    def __init__(self, dimensions, cells):
        self.dimensions = [list(keys) for keys in dimensions]
        self.values = self._with_margins(cells)
        self.hidden = self._protect()

    def get(self, *keys):
        return PublicCount.of(self.values.get(keys, 0), keys in self.hidden)

    def _with_margins(self, cells):
        values = {}
        for keys, value in cells.items():
            # Each cell counts towards every margin it belongs to: 2^n of them.
            for mask in itertools.product((False, True), repeat=len(keys)):
                margin = tuple(ALL if summed else key for key, summed in zip(keys, mask, strict=True))
                values[margin] = values.get(margin, 0) + value
        return values

    def _lines(self):
        """Every line of the cube: the cells along one dimension, then their margin."""
        for axis, keys in enumerate(self.dimensions):
            others = [[*dim, ALL] for i, dim in enumerate(self.dimensions) if i != axis]
            for fixed in itertools.product(*others):
                yield [(*fixed[:axis], key, *fixed[axis:]) for key in [*keys, ALL]]

    def _protect(self):
        return _protect_lines(_Missing(self.values), list(self._lines()), set())


class _Missing(dict):
    """The cube's values, with 0 for a cell no activity falls in."""

    def __missing__(self, key):
        return 0


def protect_parts(values, groups=None, total_hidden=False):
    """A line on its own (months, say): PublicCounts for the parts, then one for the total.

    `groups` (one key per part, the year of each month) adds the lines of each group against its
    subtotal, and of the subtotals against the total: a year's figure published elsewhere must not
    give back a month hidden here. `total_hidden` keeps hidden a total that another table hides.
    """
    groups = list(groups) if groups is not None else [None] * len(values)
    keys = list(dict.fromkeys(groups))
    subtotals = [sum(v for v, g in zip(values, groups, strict=True) if g == key) for key in keys]
    cells = [*values, *subtotals, sum(values)]
    total = len(cells) - 1
    lines = [[*range(len(values)), total], [*range(len(values), total), total]]
    lines += [[*(i for i, g in enumerate(groups) if g == key), len(values) + k] for k, key in enumerate(keys)]
    hidden = _protect_lines(cells, lines, {total} if total_hidden else set())
    return [PublicCount.of(cells[i], i in hidden) for i in [*range(len(values)), total]]


def _protect_lines(cells, lines, hidden):
    """protect_line over every line (lists of positions in `cells`, the total last) until none changes."""
    changed = True
    while changed:
        changed = False
        for line in lines:
            before = {i for i, cell in enumerate(line) if cell in hidden}
            after = protect_line([cells[cell] for cell in line], before)
            if after != before:
                hidden |= {line[i] for i in after}
                changed = True
    return hidden
