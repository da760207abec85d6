"""Reading the public release: every anonymous page, file and API answer starts here.

Nothing public aggregates activities: figures come from the latest stored release (or one named
by number), and the list of public activities is the release's (approved by its cut-off).
"""

from activities.disclosure import COMPLEMENT, SMALL, PublicCount
from activities.models import Activity

from .models import Release
from .tables import ALL, MEASURES, TIME, period_level

MARKS = {"<5": SMALL, "x": COMPLEMENT}
ORGANISATIONS = ("networks", "institutions", "network_leaders")
_memo = {}  # (id, built at) -> PublicRelease: a release never changes once stored


class PublicRelease:
    """A stored release's protected tables, by cell."""

    def __init__(self, release=None):
        self.release = release
        self.number = release.number if release else 0
        self.cut_off = release.cut_off if release else None
        self.built_at = release.built_at if release else None
        self.activity_count = release.activities if release else 0
        self._cells = {tuple(row[:4]): row[4:] for row in (release.cells if release else [])}
        self._organisations = {tuple(row[:2]): row[2:] for row in (release.organisations if release else [])}

    def __bool__(self):
        return self.release is not None

    def figures(self, region=ALL, objective=ALL, service=ALL, period=ALL):
        """{measure: PublicCount} of one cell; zeros for a cell no activity falls in. Region,
        objective and service are objects or ids."""
        row = self._cells.get((_pk(region), _pk(objective), _pk(service), period))
        if row is None:
            return {measure: PublicCount(0) for measure in MEASURES}
        return {measure: _count(value) for measure, value in zip(MEASURES, row, strict=True)}

    def has(self, region=ALL, objective=ALL, service=ALL, period=ALL):
        return (_pk(region), _pk(objective), _pk(service), period) in self._cells

    def periods(self, level):
        """The periods ("2026", "2026-Q1", "2026-03") of a level that have activities, oldest first."""
        assert level in TIME
        return sorted({key[3] for key in self._cells if key[3] is not ALL and period_level(key[3]) == level})

    def keys(self):
        """The cells present, as (region, objective, service, period) ids."""
        return list(self._cells)

    def organisations(self, objective=ALL, year=ALL):
        row = self._organisations.get((_pk(objective), year), [0, 0, 0])
        return {name: _count(value) for name, value in zip(ORGANISATIONS, row, strict=True)}

    def activities(self):
        """The activities this release counts, for public lists and maps."""
        if not self:
            return Activity.objects.none()
        return Activity.objects.released(self.cut_off)


def _count(value):
    if isinstance(value, str):
        return PublicCount(None, MARKS[value])
    return PublicCount(value)


def _pk(obj):
    return getattr(obj, "pk", obj)


def current_release():
    """The latest release (an empty one before the first is published)."""
    return _read(Release.objects.latest_first()) or PublicRelease()


def release_numbered(number):
    """The release of that number, or None."""
    return _read(Release.objects.filter(number=number))


def _read(releases):
    # One light query for which release it is; its tables are parsed once per process.
    found = releases.values_list("pk", "built_at").first()
    if found is None:
        return None
    if found not in _memo:
        _memo.clear()  # only the latest few are read; an old one is read again when asked
        _memo[found] = PublicRelease(Release.objects.public().get(pk=found[0]))
    return _memo[found]


def releases():
    """Every release, newest first, without their tables."""
    return Release.objects.public().defer("cells", "organisations").latest_first()
