"""Open data: the public figures and the approved activities as CSV and GeoJSON.

The same rule as the pages, because the files are made from the same selectors: approved only,
points to two decimals, counts protected together (activities.disclosure) and written "<5" or "x"
in CSV, and {"value": null, "suppressed": true} in GeoJSON, as the API does. No description, place
name, person, email or evidence: a coordinator's free text could name someone despite the form's
warning, and a count per activity beside the totals could be subtracted.
"""

import csv
import json

from django.http import JsonResponse, StreamingHttpResponse
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_safe

from activities.disclosure import ALL
from activities.models import PARTICIPANT_FIELDS
from activities.privacy import public_coordinate
from regions.models import Region

from . import selectors
from publication.cache import cached
from .forms import ActivityFilterForm

ROWS_PER_QUERY = 2000
# A spreadsheet runs a cell that starts with one of these as a formula: titles are typed by people.
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
AGGREGATE_COUNTS = ("activities", *PARTICIPANT_FIELDS, "participants", "families")
ACTIVITY_COLUMNS = (
    "id", "title", "region_slug", "region", "objective_code", "service_slug", "service", "start_date", "end_date",
    "modality", "latitude", "longitude",
)  # fmt: skip
TEXT_COLUMNS = ("title", "region", "service")
MAX_MAP_LIMIT = 5000


class _Echo:
    """csv.writer writes to this and gets the line back, so rows stream out one by one."""

    def write(self, value):
        return value


def _csv_response(rows, filename):
    response = StreamingHttpResponse(_csv_chunks(rows), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response


def _cell(column, value):
    text = "" if value is None else str(value)
    # Only typed text is guarded: a negative coordinate is a number, not a formula.
    if column in TEXT_COLUMNS and text.startswith(FORMULA_STARTS):
        return "'" + text
    return text


def _csv_chunks(rows, size=500):
    """The CSV text a few hundred rows at a time: one chunk per row would cost more than the rows."""
    writer = csv.writer(_Echo())
    chunk = []
    for row in rows:
        chunk.append(writer.writerow(row))
        if len(chunk) == size:
            yield "".join(chunk)
            chunk = []
    if chunk:
        yield "".join(chunk)


# Aggregates ---------------------------------------------------------------------------------


@require_safe
def aggregates_csv(request):
    """Region x objective, with every margin (an "all" row per region, per objective, and in total)."""
    # A list, not a generator: 80 rows, built while the request's language is active.
    return _csv_response(list(_aggregate_rows()), "prevenir-para-proteger-agregados.csv")


def _aggregate_rows():
    figures = selectors.public_figures()
    yield ["region_slug", "region", "inei_code", "objective_code", *AGGREGATE_COUNTS]
    regions = [(r.pk, r.slug, r.name, r.inei_code) for r in figures.regions] + [(ALL, "all", _("All regions"), "")]
    objectives = [(o.pk, o.code) for o in figures.objectives] + [(ALL, "all")]
    for region_pk, slug, name, code in regions:
        for objective_pk, objective_code in objectives:
            counts = _counts(figures, region_pk, objective_pk)
            yield [slug, name, code, objective_code, *(counts[key].text for key in AGGREGATE_COUNTS)]


def _counts(figures, region, objective):
    totals = figures.totals(region, objective)
    return {**totals, **{field: figures.participants.get(region, objective, field) for field in PARTICIPANT_FIELDS}}


@require_safe
def regions_geojson(request):
    """Each region (boundary, or its capital when none is loaded) with its public totals."""
    return JsonResponse(cached("regions-geojson", _regions_collection))


def _regions_collection():
    figures = selectors.public_figures()
    boundaries = dict(Region.objects.values_list("pk", "boundary"))
    features = []
    for region, totals in figures.by_region():
        geometry = boundaries.get(region.pk) or _point(region.latitude, region.longitude)
        properties = {
            "slug": region.slug,
            "name": region.name,
            "inei_code": region.inei_code,
            "capital": region.capital,
            "url": reverse("campaign:region", args=[region.slug]),
            **{key: count.as_json() for key, count in totals.items()},
        }
        features.append({"type": "Feature", "geometry": geometry, "properties": properties})
    return {"type": "FeatureCollection", "features": features}


def _point(latitude, longitude):
    return {"type": "Point", "coordinates": [float(public_coordinate(longitude)), float(public_coordinate(latitude))]}


# Activities ---------------------------------------------------------------------------------


def _activities(request):
    form = ActivityFilterForm(request.GET or None)
    return selectors.public_activities(**form.filters()).values_list(
        "pk", "title", "region__slug", "region__name", "objective__code", "service__slug", "service__name",
        "service__name_en", "start_date", "end_date", "modality", "latitude", "longitude",
    )  # fmt: skip


def _activity_record(row, english):
    pk, title, region_slug, region, objective, service_slug, service, service_en, start, end, modality, lat, lon = row
    return {
        "id": pk,
        "title": title,
        "region_slug": region_slug,
        "region": region,
        "objective_code": objective,
        "service_slug": service_slug,
        "service": (english and service_en) or service,
        "start_date": start.isoformat(),
        "end_date": end.isoformat(),
        "modality": modality,
        "latitude": public_coordinate(lat),
        "longitude": public_coordinate(lon),
    }


def _english(request):
    return (request.LANGUAGE_CODE or "es").startswith("en")


@require_safe
def activities_csv(request):
    english = _english(request)
    rows = (
        [_cell(column, record[column]) for column in ACTIVITY_COLUMNS]
        for record in (_activity_record(row, english) for row in _activities(request).iterator(ROWS_PER_QUERY))
    )
    return _csv_response(_with_header(ACTIVITY_COLUMNS, rows), "prevenir-para-proteger-actividades.csv")


def _with_header(header, rows):
    yield header
    yield from rows


@require_safe
def activities_geojson(request):
    """Located activities as a FeatureCollection. `?limit=N` (at most 5000) keeps the newest N and says
    whether more matched (`truncated`), for the map; without it every activity streams out."""
    activities = _activities(request).filter(latitude__isnull=False, longitude__isnull=False)
    english = _english(request)
    limit = _limit(request)
    if limit is None:
        chunks = _geojson_chunks(_feature(row, english) for row in activities.iterator(ROWS_PER_QUERY))
        return StreamingHttpResponse(chunks, content_type="application/geo+json")
    rows = list(activities[: limit + 1])
    features = [_feature(row, english) for row in rows[:limit]]
    collection = {"type": "FeatureCollection", "truncated": len(rows) > limit, "features": features}
    return JsonResponse(collection, content_type="application/geo+json")


def _limit(request):
    try:
        return min(max(int(request.GET["limit"]), 1), MAX_MAP_LIMIT)
    except (KeyError, ValueError):
        return None


def _feature(row, english):
    record = _activity_record(row, english)
    latitude, longitude = record.pop("latitude"), record.pop("longitude")
    return {"type": "Feature", "geometry": _point(latitude, longitude), "properties": record}


def _geojson_chunks(features):
    yield '{"type": "FeatureCollection", "features": ['
    for index, feature in enumerate(features):
        yield ("," if index else "") + json.dumps(feature, ensure_ascii=False)
    yield "]}"


# The data dictionary ---------------------------------------------------------------------------

COUNT_PRIVACY = gettext_lazy("1 to 4 is <5; x when hidden so that a small count cannot be worked out")
AGGREGATE_FIELDS = [
    ("region_slug", gettext_lazy("The region's identifier; all for every region"), "", ""),
    ("region", gettext_lazy("The region's name"), "", ""),
    ("inei_code", gettext_lazy("The region's INEI ubigeo code"), "", ""),
    ("objective_code", gettext_lazy("The specific objective, OE1 to OE4; all for every objective"), "", ""),
    ("activities", gettext_lazy("Approved activities"), gettext_lazy("activities"), COUNT_PRIVACY),
    ("girls", gettext_lazy("Girls aged 0 to 11 who took part"), gettext_lazy("people"), COUNT_PRIVACY),
    ("boys", gettext_lazy("Boys aged 0 to 11 who took part"), gettext_lazy("people"), COUNT_PRIVACY),
    ("adolescent_girls", gettext_lazy("Adolescent girls aged 12 to 17"), gettext_lazy("people"), COUNT_PRIVACY),
    ("adolescent_boys", gettext_lazy("Adolescent boys aged 12 to 17"), gettext_lazy("people"), COUNT_PRIVACY),
    ("women", gettext_lazy("Women aged 18 or more"), gettext_lazy("people"), COUNT_PRIVACY),
    ("men", gettext_lazy("Men aged 18 or more"), gettext_lazy("people"), COUNT_PRIVACY),
    ("participants", gettext_lazy("All participants: the six groups together"), gettext_lazy("people"), COUNT_PRIVACY),
    ("families", gettext_lazy("Families reached"), gettext_lazy("families"), COUNT_PRIVACY),
]
REGION_FIELDS = [
    ("slug", gettext_lazy("The region's identifier"), "", ""),
    ("name", gettext_lazy("The region's name"), "", ""),
    ("inei_code", gettext_lazy("The region's INEI ubigeo code"), "", ""),
    ("capital", gettext_lazy("The region's capital"), "", ""),
    ("url", gettext_lazy("The region's page on this site"), "", ""),
    *(field for field in AGGREGATE_FIELDS if field[0] in ("activities", "participants", "families")),
]
ROUNDED = gettext_lazy("Rounded to two decimals, about 1 km")
ACTIVITY_FIELDS = [
    ("id", gettext_lazy("The activity's number in the portal"), "", ""),
    ("title", gettext_lazy("The activity's title"), "", gettext_lazy("No description or place name is published")),
    ("region_slug", gettext_lazy("The region's identifier"), "", ""),
    ("region", gettext_lazy("The region's name"), "", ""),
    ("objective_code", gettext_lazy("The specific objective, OE1 to OE4"), "", ""),
    ("service_slug", gettext_lazy("The service's identifier"), "", ""),
    ("service", gettext_lazy("The service that delivered it"), "", ""),
    ("start_date", gettext_lazy("First day"), gettext_lazy("date, YYYY-MM-DD"), ""),
    ("end_date", gettext_lazy("Last day"), gettext_lazy("date, YYYY-MM-DD"), ""),
    ("modality", gettext_lazy("in_person or virtual"), "", ""),
    ("latitude", gettext_lazy("Latitude, south negative; empty when not given"), gettext_lazy("degrees"), ROUNDED),
    ("longitude", gettext_lazy("Longitude, west negative; empty when not given"), gettext_lazy("degrees"), ROUNDED),
]


def files():
    """The downloads the open data page lists, each with its data dictionary."""
    return [
        _file(
            "agregados.csv", "CSV", "campaign:aggregates-csv", _("Figures by region and objective"),
            _("Approved activities, participants by sex and age group, and families, for each region and objective, "
              "with the totals of each region, each objective and the country."),
            AGGREGATE_FIELDS,
        ),
        _file(
            "regiones.geojson", "GeoJSON", "campaign:regions-geojson", _("Regions with their figures"),
            _("Each region's boundary (or its capital) with its approved activities, participants and families; "
              "each count is {\"value\": n, \"suppressed\": false}, or a null value when it is hidden."),
            REGION_FIELDS,
        ),
        _file(
            "actividades.csv", "CSV", "campaign:activities-csv", _("Approved activities"),
            _("One row per approved activity: what, when, where (to about 1 km) and under which objective and "
              "service. Filter with ?region=, ?objective= and ?service= as on the map."),
            ACTIVITY_FIELDS,
        ),
        _file(
            "actividades.geojson", "GeoJSON", "campaign:activities-geojson", _("Approved activities on a map"),
            _("The approved activities that have a point, as GeoJSON points with the same properties as the CSV."),
            ACTIVITY_FIELDS,
        ),
    ]  # fmt: skip


def _file(name, file_format, url_name, title, about, fields):
    return {
        "name": name,
        "format": file_format,
        "url": reverse(url_name),
        "title": title,
        "about": about,
        "fields": [
            {"name": f, "meaning": meaning, "unit": unit, "privacy": privacy} for f, meaning, unit, privacy in fields
        ],
    }
