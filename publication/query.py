"""Reading a public API query: which release it reads, which parameters it may give, which period."""

import datetime
import re

from django.utils.translation import gettext as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import (
    OpenApiParameter,
)
from rest_framework import exceptions, serializers

from .selectors import current_release, release_numbered
from .tables import period_level

PERIOD = re.compile(r"^[1-9][0-9]{3}(-Q[1-4]|-(0[1-9]|1[0-2]))?$")
# Accepted by every endpoint whatever it answers: DRF's format override.
ALWAYS_ACCEPTED = ("format",)
DATE_RANGES = ("date_from", "date_to", "start_date_from", "start_date_to")


# The release an answer reads ----------------------------------------------------------------------


class ReleaseSerializer(serializers.Serializer):
    number = serializers.IntegerField(help_text="The release's number: 1, 2, ...")
    cut_off = serializers.DateTimeField(help_text="Activities approved by this moment are counted.")
    built_at = serializers.DateTimeField(help_text="When the release was built and published.")


def release_json(release):
    if not release:
        return None
    return {"number": release.number, "cut_off": release.cut_off, "built_at": release.built_at}


def asked_release(value):
    """The release `?release=N` names (404 when there is none), else the latest."""
    if value is None:
        return current_release()
    release = release_numbered(value)
    if release is None:
        raise exceptions.NotFound(_("There is no release %(number)s.") % {"number": value})
    return release


RELEASE_PARAMETER = OpenApiParameter(
    "release", OpenApiTypes.INT, description="A release's number (default: the latest); an unknown one is a 404."
)
PERIOD_PARAMETER = OpenApiParameter(
    "period",
    {"type": "string", "pattern": PERIOD.pattern},
    description="A year (`2026`), quarter (`2026-Q1`) or month (`2026-03`) of the activities' start.",
)


# Reading a query string ---------------------------------------------------------------------------


def given_parameters(request, accepted):
    """The query's non-empty parameters; any other than `accepted` is refused by name. An empty one (a
    form's blank choice) means no filter, not a bad one."""
    given = {key: value for key, value in request.query_params.items() if value != ""}
    errors = {}
    for name in given.keys() - {*accepted, *ALWAYS_ACCEPTED}:
        if name in DATE_RANGES:
            errors[name] = [_("Free date ranges are not published: ask for a period such as 2026, 2026-Q1 or 2026-03.")]
        else:
            errors[name] = [_("Unknown parameter. Accepted: %(names)s.") % {"names": ", ".join(sorted(accepted))}]
    if errors:
        raise serializers.ValidationError(errors)
    return {key: value for key, value in given.items() if key not in ALWAYS_ACCEPTED}


def period_message():
    return _("Give a year (2026), a quarter (2026-Q1) or a month (2026-03).")


def validate_period(value):
    if not PERIOD.match(value):
        raise serializers.ValidationError(period_message())
    return value


def period_dates(value):
    """The first and last day of a period."""
    year = int(value[:4])
    level = period_level(value)
    if level == "year":
        first, months = 1, 12
    elif level == "quarter":
        first, months = (int(value[-1]) - 1) * 3 + 1, 3
    else:
        first, months = int(value[5:7]), 1
    start = datetime.date(year, first, 1)
    end_month = first + months
    end = datetime.date(year + end_month // 13, (end_month - 1) % 12 + 1, 1) - datetime.timedelta(days=1)
    return start, end
