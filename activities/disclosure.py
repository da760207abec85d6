"""Complementary suppression: a small count hidden as "<5" must not come back as a total
minus the parts shown beside it.

`activities.privacy` judges each count on its own (1 to 4 is "<5"). That is not enough where
parts are shown with their total: with women "<5", men 40 and participants 43, the women are 3.
`protect_line` is the one rule for such a line of parts and its total; `protect_lines` applies it
to many lines sharing cells until none changes. The public release (publication.protection) runs
it first, then checks every hidden cell against all its tables at once.

A cell hidden to protect another is shown as "x": it is not a small count, and "<5" would lie.
"""

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
        """The API's shape: value null when hidden."""
        return {"value": self.shown, "suppressed": bool(self.hidden)}


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


def protect_lines(cells, lines, hidden):
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
