"""Open data: a public release as a Frictionless Data Package, GeoJSON and a DCAT catalogue.

The files are written from the release (publication.datapackage), never from the activities'
counts: the same cells the pages show, hidden counts written "<5" or "x". The latest release is
at /<lang>/datos-abiertos/<file>; every release, the latest included, also at
/<lang>/datos-abiertos/publicaciones/<number>/<file> (or ?publicacion=<number>), for comparison.
CSV files start with a byte order mark, so that spreadsheets read them as UTF-8 (Áncash, San Martín).
"""

import csv
import json

from django.conf import settings
from django.http import Http404, JsonResponse, StreamingHttpResponse
from django.urls import reverse
from django.utils.translation import get_language
from django.utils.translation import gettext as _
from django.views.decorators.http import require_safe

from prevent_protect.query import query_int
from publication import datapackage
from publication.cache import cached
from publication.selectors import current_release, release_numbered

from . import selectors
from .forms import ActivityFilterForm

ROWS_PER_QUERY = 2000
# A spreadsheet runs a cell that starts with one of these as a formula: titles are typed by people.
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
TEXT_COLUMNS = ("title", "region", "service")
MAX_MAP_LIMIT = 5000
BOM = "\ufeff"
GEOJSON = "application/geo+json"
JSON_LD = "application/ld+json"
RELEASE_PARAMETER = "publicacion"


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
    """The CSV text a few hundred rows at a time, after the byte order mark: one chunk per row
    would cost more than the rows."""
    writer = csv.writer(_Echo())
    chunk = [BOM]
    for row in rows:
        chunk.append(writer.writerow(row))
        if len(chunk) >= size:
            yield "".join(chunk)
            chunk = []
    if chunk:
        yield "".join(chunk)


def release_asked(request, number=None):
    """The release a file is read from: the one in the path or in ?publicacion=, else the latest.
    An unknown number is a 404; before the first release the latest is an empty one."""
    number = number if number is not None else request.GET.get(RELEASE_PARAMETER)
    if number in (None, ""):
        return current_release()
    try:
        found = release_numbered(int(number))
    except (TypeError, ValueError):
        found = None
    if found is None:
        raise Http404(_("No release has that number."))
    return found


def _filename(release, name):
    return f"prevenir-para-proteger-{release.number}-{name}"


# Tables ----------------------------------------------------------------------------------------


@require_safe
def table_csv(request, name, number=None):
    """One of the package's tables (publication.datapackage.TABLES) as CSV."""
    release = release_asked(request, number)
    table = datapackage.table(release, name)
    if table is None:
        raise Http404(_("No such file."))
    rows = cached(f"table:{release.number}:{name}", lambda: [table.header(), *table.rows()])
    return _csv_response(rows, _filename(release, table.path))


@require_safe
def aggregates_csv(request):
    """The former name of the figures by region and objective, kept for the links already out there."""
    return table_csv(request, datapackage.RegionObjectiveTable.name)


@require_safe
def regions_geojson(request, number=None):
    """Each region (its boundary, or null when none is loaded) with its totals as flat properties."""
    release = release_asked(request, number)
    collection = cached(f"regions-geojson:{release.number}", lambda: datapackage.region_features(release))
    return JsonResponse(collection, content_type=GEOJSON, json_dumps_params={"ensure_ascii": False})


# Activities ---------------------------------------------------------------------------------


def _activities(request, release):
    form = ActivityFilterForm(request.GET or None)
    return selectors.public_activities(release, **form.filters()).values_list(*datapackage.ACTIVITY_VALUES)


def _english(request):
    return (request.LANGUAGE_CODE or "es").startswith("en")


@require_safe
def activities_csv(request, number=None):
    release = release_asked(request, number)
    english = _english(request)
    columns = datapackage.ACTIVITY_COLUMNS
    found = _activities(request, release).iterator(ROWS_PER_QUERY)
    records = (datapackage.activity_record(row, english) for row in found)
    rows = ([_cell(column, record[column]) for column in columns] for record in records)
    return _csv_response(_with_header(columns, rows), _filename(release, "actividades.csv"))


def _with_header(header, rows):
    yield header
    yield from rows


@require_safe
def activities_geojson(request, number=None):
    """Located activities as a FeatureCollection. `?limit=N` (at most 5000) keeps the newest N and says
    whether more matched (`truncated`), for the map; without it every activity streams out."""
    release = release_asked(request, number)
    activities = _activities(request, release).filter(latitude__isnull=False, longitude__isnull=False)
    english = _english(request)
    limit = _limit(request)
    if limit is None:
        chunks = _geojson_chunks(
            datapackage.activity_feature(row, english) for row in activities.iterator(ROWS_PER_QUERY)
        )
        return StreamingHttpResponse(chunks, content_type=GEOJSON)
    rows = list(activities[: limit + 1])
    features = [datapackage.activity_feature(row, english) for row in rows[:limit]]
    collection = {"type": "FeatureCollection", "truncated": len(rows) > limit, "features": features}
    return JsonResponse(collection, content_type=GEOJSON)


def _limit(request):
    limit = query_int(request, "limit", default=None)
    return None if limit is None else min(limit, MAX_MAP_LIMIT)


def _geojson_chunks(features):
    yield '{"type": "FeatureCollection", "features": ['
    for index, feature in enumerate(features):
        yield ("," if index else "") + json.dumps(feature, ensure_ascii=False)
    yield "]}"


# The package and the catalogue --------------------------------------------------------------------


def _not_published():
    return JsonResponse({"detail": _("The figures are not published yet.")}, status=404)


@require_safe
def package_json(request, number=None):
    """The Data Package descriptor. The latest's resources point into its release's own folder,
    so that a descriptor read before the next release still names its own files."""
    release = release_asked(request, number)
    if not release:
        return _not_published()
    prefix = "" if number is not None else f"publicaciones/{release.number}/"
    descriptor = datapackage.package(release, prefix=prefix, homepage=_absolute(reverse("campaign:open-data")))
    return JsonResponse(descriptor, json_dumps_params={"ensure_ascii": False, "indent": 1})


@require_safe
def catalogue_jsonld(request):
    """A DCAT catalogue of the latest release, for national open-data portals to harvest."""
    release = current_release()
    if not release:
        return _not_published()
    package_url = _absolute(reverse("campaign:release-package", args=[release.number]))
    catalogue = datapackage.catalogue(
        release,
        package_url=package_url,
        files_url=package_url.rsplit("/", 1)[0] + "/",
        homepage=_absolute(reverse("campaign:open-data")),
        language=get_language() or settings.LANGUAGE_CODE,
    )
    return JsonResponse(catalogue, content_type=JSON_LD, json_dumps_params={"ensure_ascii": False, "indent": 1})


def _absolute(path):
    return settings.SITE_URL.rstrip("/") + path


# The open data page's list ----------------------------------------------------------------------

# The latest release's files by the package's paths: their own addresses, for people to download.
LATEST_URLS = {
    "actividades.csv": ("campaign:activities-csv", ()),
    "regiones.geojson": ("campaign:regions-geojson", ()),
    "actividades.geojson": ("campaign:activities-geojson", ()),
}


def files(release):
    """The package's files as the open data page lists them, each with its data dictionary
    generated from its Table Schema (or, for the GeoJSON, from the same field descriptions)."""
    listed = []
    for resource in datapackage.resources(release):
        path = resource["path"]
        name, args = LATEST_URLS.get(path, ("campaign:table-csv", (path.removesuffix(".csv"),)))
        if "schema" in resource:
            fields = resource["schema"]["fields"]
        elif path == "regiones.geojson":
            fields = datapackage.region_property_fields()
        else:
            fields = [f for f in datapackage.activity_fields() if f["name"] not in ("latitude", "longitude")]
        listed.append({**resource, "url": reverse(name, args=args), "fields": fields})
    return listed
