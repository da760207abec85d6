"""The public privacy rule, in one place: every public page, API answer and open-data
file about activities goes through these.

- Only approved activities are public (`Activity.objects.approved()`).
- Coordinates are rounded to two decimals (about 1 km), so a point never leads to a house.
- A count from 1 to 4 is shown as "<5" (API: null with `suppressed: true`): small numbers of
  children in a small place can identify them. The public release (publication.protection)
  applies it with everything else that keeps such a count from being worked out.
"""

from decimal import ROUND_HALF_UP, Decimal

SMALL_COUNT_LIMIT = 5
COORDINATE_PLACES = Decimal("0.01")


def is_suppressed(count):
    return count is not None and 0 < count < SMALL_COUNT_LIMIT


def public_coordinate(value):
    if value is None:
        return None
    return Decimal(value).quantize(COORDINATE_PLACES, rounding=ROUND_HALF_UP)
