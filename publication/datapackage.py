"""The open data of a public release: a Frictionless Data Package (one CSV per published table,
each with its Table Schema), the regions as GeoJSON, the public list of activities, and a DCAT
catalogue a national open-data portal can harvest.

Everything is read from a stored release (publication.selectors): the same cells the pages show,
hidden counts written "<5" or "x" (a Table Schema missing value). The schemas are the one source
of truth for the columns: the files are written from them and the data dictionary on the open
data page is generated from them.

Activity records carry what a community event's poster would: title, region, objective, service,
modality, the month it took place and a point rounded to about 1 km. No counts (beside the
release's totals they could be subtracted), no description, place name or district (typed by
people, they could name someone), no exact day.
"""

from abc import ABC, abstractmethod

from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from activities.privacy import public_coordinate
from prevent_protect.collation import spanish_sorted
from programs.models import Objective
from regions.models import Region

from .tables import MEASURES

ALL_KEY = "all"
MISSING_VALUES = ["", "<5", "x"]
PACKAGE_NAME = "prevenir-para-proteger"
# The activities' columns, in the order of the CSV; the GeoJSON carries the same without the point.
ACTIVITY_COLUMNS = (
    "id", "title", "region_slug", "region", "objective_code", "service_slug", "service", "start_date", "end_date",
    "modality", "latitude", "longitude",
)  # fmt: skip
ORGANISATIONS = ("networks", "institutions", "network_leaders")

HIDDEN_RULE = gettext_lazy("1 to 4 is <5; x when hidden so that a small count cannot be worked out")
MEASURE_TEXT = {
    "activities": gettext_lazy("Approved activities; exact, never hidden (activities are public community events)"),
    "girls": gettext_lazy("Girls aged 0 to 11 who took part"),
    "boys": gettext_lazy("Boys aged 0 to 11 who took part"),
    "adolescent_girls": gettext_lazy("Adolescent girls aged 12 to 17"),
    "adolescent_boys": gettext_lazy("Adolescent boys aged 12 to 17"),
    "women": gettext_lazy("Women aged 18 or more"),
    "men": gettext_lazy("Men aged 18 or more"),
    "participants": gettext_lazy("All participants: the six groups together"),
    "families": gettext_lazy("Families reached"),
    "networks": gettext_lazy("Distinct support networks named by the activities"),
    "institutions": gettext_lazy("Distinct partner institutions named by the activities"),
    "network_leaders": gettext_lazy("Leaders in those support networks"),
}


# Fields ------------------------------------------------------------------------------------------


def _field(name, field_type, description, **extra):
    return {"name": name, "type": field_type, "description": str(description), **extra}


def _count(name):
    extra = {"constraints": {"minimum": 0}}
    if name != "activities":
        # A custom property: why a count may be missing. Frictionless keeps unknown properties.
        extra["privacy"] = str(HIDDEN_RULE)
    return _field(name, "integer", MEASURE_TEXT[name], **extra)


def _region_fields():
    return [
        _field("region_slug", "string", _("The region's identifier; all for every region")),
        _field("region", "string", _("The region's name")),
        _field("inei_code", "string", _("The region's INEI ubigeo code (two digits, kept as text)")),
    ]


def _objective_field():
    return _field("objective_code", "string", _("The specific objective, OE1 to OE4; all for every objective"))


def _schema(fields, primary_key):
    return {"fields": fields, "missingValues": MISSING_VALUES, "primaryKey": list(primary_key)}


# The tables --------------------------------------------------------------------------------------


class Table(ABC):
    """One CSV of the package: its file name, title, schema and rows (lists in the schema's order)."""

    name = ""
    title = ""
    about = ""
    primary_key = ()

    def __init__(self, release):
        self.release = release

    @property
    def path(self):
        return f"{self.name}.csv"

    @abstractmethod
    def key_fields(self):
        """The schema's fields that name a row (region, objective, period...), before the counts."""

    def fields(self):
        return [*self.key_fields(), *(_count(measure) for measure in self.measures())]

    def measures(self):
        return MEASURES

    def schema(self):
        return _schema(self.fields(), self.primary_key)

    def header(self):
        return [field["name"] for field in self.fields()]

    @abstractmethod
    def rows(self):
        """The table's rows, each a list in the schema's order."""

    def _counts(self, **key):
        figures = self.release.figures(**key)
        return [figures[measure].text for measure in MEASURES]


class RegionObjectiveTable(Table):
    name = "cifras-region-objetivo"
    title = gettext_lazy("Figures by region and objective")
    about = gettext_lazy(
        "Approved activities, participants by sex and age group, and families, for each region and objective, "
        "with the totals of each region, each objective and the country, since the launch."
    )
    primary_key = ("region_slug", "objective_code")

    def key_fields(self):
        return [*_region_fields(), _objective_field()]

    def rows(self):
        for region in [*ordered_regions(), None]:
            for objective in [*ordered_objectives(), None]:
                yield [*_region_cells(region), _code(objective), *self._counts(region=region, objective=objective)]


class ServiceTable(Table):
    name = "cifras-servicio"
    title = gettext_lazy("Figures by service")
    about = gettext_lazy("The same figures for the whole country, for each service under each objective it serves.")
    primary_key = ("objective_code", "service_slug")

    def key_fields(self):
        return [
            _field("objective_code", "string", _("The specific objective, OE1 to OE4")),
            _field("service_slug", "string", _("The service's identifier")),
            _field("service", "string", _("The service's name")),
        ]

    def rows(self):
        for objective in ordered_objectives():
            for service in objective.services.select_related("program").order_by("name"):
                counts = self._counts(objective=objective, service=service)
                yield [objective.code, service.slug, service.localized("name"), *counts]


class PeriodTable(Table):
    name = "cifras-periodo"
    title = gettext_lazy("Figures by period")
    about = gettext_lazy(
        "The same figures for the whole country by year (also by objective), by quarter and by month of start."
    )
    primary_key = ("period", "objective_code")

    def key_fields(self):
        return [
            _field("period", "string", _("Year (2026), quarter (2026-Q1) or month (2026-03) of the activities' start")),
            _field("period_type", "string", _("year, quarter or month"), constraints={"enum": list(PERIOD_TYPES)}),
            _objective_field(),
        ]

    def rows(self):
        objectives = [None, *ordered_objectives()]
        for level in PERIOD_TYPES:
            for when in self.release.periods(level):
                for objective in objectives if level == "year" else [None]:
                    yield [when, level, _code(objective), *self._counts(objective=objective, period=when)]


PERIOD_TYPES = ("year", "quarter", "month")


class RegionYearTable(Table):
    name = "cifras-region-anio"
    title = gettext_lazy("Figures by region and year")
    about = gettext_lazy("The same figures for each region and year of start, with the country's total each year.")
    primary_key = ("region_slug", "year")

    def key_fields(self):
        return [*_region_fields(), _field("year", "integer", _("The year the activities started"))]

    def rows(self):
        for region in [*ordered_regions(), None]:
            for year in self.release.periods("year"):
                yield [*_region_cells(region), year, *self._counts(region=region, period=year)]


class OrganisationTable(Table):
    name = "cifras-organizaciones"
    title = gettext_lazy("Partner organisations by objective and year")
    about = gettext_lazy(
        "Distinct support networks, their leaders and partner institutions named by the approved activities, "
        "by objective and year. Organisations, not people: only counts from 1 to 4 are hidden."
    )
    primary_key = ("objective_code", "period")

    def key_fields(self):
        return [_objective_field(), _field("period", "string", _("The year; all since the launch"))]

    def measures(self):
        return ORGANISATIONS

    def rows(self):
        for objective in [*ordered_objectives(), None]:
            for year in [*self.release.periods("year"), None]:
                found = self.release.organisations(objective=objective, year=year)
                yield [_code(objective), year or ALL_KEY, *(found[name].text for name in ORGANISATIONS)]


TABLES = (RegionObjectiveTable, ServiceTable, PeriodTable, RegionYearTable, OrganisationTable)
TABLE_NAMES = {table.name: table for table in TABLES}


def table(release, name):
    """The table of that name (without ".csv") for a release, or None."""
    found = TABLE_NAMES.get(name)
    return found(release) if found else None


def _code(objective):
    return objective.code if objective else ALL_KEY


def _region_cells(region):
    if region is None:
        return [ALL_KEY, _("All regions"), ""]
    return [region.slug, region.name, region.inei_code]


def ordered_regions():
    # By name as a reader sorts it: Áncash after Amazonas, not after Tumbes as the bytes would have it.
    return spanish_sorted(Region.objects.defer("boundary"), key=lambda region: region.name)


def ordered_objectives():
    return list(Objective.objects.order_by("order"))


# Activities --------------------------------------------------------------------------------------


def activity_fields():
    rounded = _("Rounded to two decimals, about 1 km; empty when not given")
    month = _("Month only (YYYY-MM): no exact day is published")
    return [
        _field("id", "integer", _("The activity's number in the portal")),
        _field("title", "string", _("The activity's title; no description, place name or district is published")),
        _field("region_slug", "string", _("The region's identifier")),
        _field("region", "string", _("The region's name")),
        _field("objective_code", "string", _("The specific objective, OE1 to OE4")),
        _field("service_slug", "string", _("The service's identifier")),
        _field("service", "string", _("The service that delivered it")),
        _field("start_date", "yearmonth", f"{_('Month it started')}. {month}"),
        _field("end_date", "yearmonth", f"{_('Month it ended')}. {month}"),
        _field("modality", "string", _("in_person or virtual"), constraints={"enum": ["in_person", "virtual"]}),
        _field("latitude", "number", f"{_('Latitude, south negative')}. {rounded}"),
        _field("longitude", "number", f"{_('Longitude, west negative')}. {rounded}"),
    ]


ACTIVITY_VALUES = (
    "pk", "title", "region__slug", "region__name", "objective__code", "service__slug", "service__name",
    "service__name_en", "start_date", "end_date", "modality", "latitude", "longitude",
)  # fmt: skip


def activity_record(row, english=False):
    """A public activity from a values_list(*ACTIVITY_VALUES) row: no counts, text or day."""
    pk, title, region_slug, region, objective, service_slug, service, service_en, start, end, modality, lat, lon = row
    return {
        "id": pk,
        "title": title,
        "region_slug": region_slug,
        "region": region,
        "objective_code": objective,
        "service_slug": service_slug,
        "service": (english and service_en) or service,
        "start_date": start.strftime("%Y-%m"),
        "end_date": end.strftime("%Y-%m"),
        "modality": modality,
        "latitude": public_coordinate(lat),
        "longitude": public_coordinate(lon),
    }


# Regions as GeoJSON --------------------------------------------------------------------------------

REGION_COUNTS = ("activities", "participants", "families")


def region_property_fields():
    """The regions' GeoJSON properties, described like a table's columns (for the data dictionary)."""
    fields = [
        _field("slug", "string", _("The region's identifier")),
        _field("name", "string", _("The region's name")),
        _field("inei_code", "string", _("The region's INEI ubigeo code (two digits, kept as text)")),
        _field("capital", "string", _("The region's capital")),
        _field("url", "string", _("The region's page on this site")),
        _count("activities"),
    ]
    for measure in REGION_COUNTS[1:]:
        fields.append(_field(measure, "integer", f"{MEASURE_TEXT[measure]}; {_('null when hidden')}"))
        fields.append(_field(f"{measure}_hidden", "boolean", _("true when the count is hidden")))
        fields.append(_field(f"{measure}_status", "string", _("<5 or x when the count is hidden; empty otherwise")))
    return fields


def public_regions(release):
    """The campaign's regions, and any other with activities in the release, by name."""
    return [
        region
        for region in ordered_regions()
        if region.in_campaign or release.figures(region=region)["activities"].value
    ]


def region_features(release):
    """Each region (its boundary; null when none is loaded) with the release's totals as flat
    properties: a count, whether it is hidden, and its marker ("<5" or "x"). Polygons only, so that
    GIS tools read it as one layer: the capital's point is in /api/v1/regions/."""
    boundaries = dict(Region.objects.values_list("pk", "boundary"))
    features = []
    for region in public_regions(release):
        figures = release.figures(region=region)
        properties = {
            "slug": region.slug,
            "name": region.name,
            "inei_code": region.inei_code,
            "capital": region.capital,
            "url": reverse("campaign:region", args=[region.slug]),
            "activities": figures["activities"].value,
        }
        for measure in REGION_COUNTS[1:]:
            count = figures[measure]
            properties[measure] = count.shown
            properties[f"{measure}_hidden"] = bool(count.hidden)
            properties[f"{measure}_status"] = count.text if count.hidden else ""
        # `or None`: the admin may keep a typed "{}", which means no boundary (RFC 7946 allows null).
        features.append({"type": "Feature", "geometry": boundaries.get(region.pk) or None, "properties": properties})
    return {"type": "FeatureCollection", "features": features}


def point(latitude, longitude):
    return {"type": "Point", "coordinates": [float(public_coordinate(longitude)), float(public_coordinate(latitude))]}


def activity_feature(row, english=False):
    """A located public activity (a values_list(*ACTIVITY_VALUES) row) as a GeoJSON Feature."""
    record = activity_record(row, english)
    latitude, longitude = record.pop("latitude"), record.pop("longitude")
    return {"type": "Feature", "geometry": point(latitude, longitude), "properties": record}


# The package -----------------------------------------------------------------------------------------

GEOJSON = "application/geo+json"


def resources(release):
    """Every file of the package, in order: {name, path, format, mediatype, title, description, schema?}."""
    found = []
    for cls in TABLES:
        item = cls(release)
        found.append(_resource(item.name, item.path, "csv", item.title, item.about, item.schema()))
    found.append(
        _resource(
            "actividades", "actividades.csv", "csv", _("Approved activities"),
            _("One row per activity the release counts: what, which month, where (to about 1 km) and under which "
              "objective and service. No counts, description, place name or district."),
            _schema(activity_fields(), ["id"]),
        )
    )  # fmt: skip
    found.append(
        _resource(
            "regiones", "regiones.geojson", "geojson", _("Regions with their figures"),
            _("Each region's boundary (null if none is loaded) with its activities, participants and families as flat "
              "properties: a hidden count is null, with participants_hidden true and participants_status <5 or x."),
        )
    )  # fmt: skip
    found.append(
        _resource(
            "actividades-mapa", "actividades.geojson", "geojson", _("Approved activities on a map"),
            _("The activities that have a point, as GeoJSON points with the same properties as the CSV."),
        )
    )  # fmt: skip
    return found


def _resource(name, path, file_format, title, description, schema=None):
    resource = {
        "name": name,
        "path": path,
        "format": file_format,
        "mediatype": "text/csv" if file_format == "csv" else GEOJSON,
        "encoding": "utf-8",
        "title": str(title),
        "description": str(description),
    }
    if schema is not None:
        resource["profile"] = "tabular-data-resource"
        resource["schema"] = schema
    return resource


def release_properties(release):
    return {
        "number": release.number,
        "cut_off": _iso(release.cut_off),
        "built_at": _iso(release.built_at),
        "activities": release.activity_count,
    }


def package(release, *, prefix="", homepage=""):
    """The Data Package descriptor of a release. `prefix` goes before each resource's path (the
    latest package points into its release's own folder, so it stays true after the next one)."""
    items = resources(release)
    for item in items:
        item["path"] = prefix + item["path"]
    descriptor = {
        "name": PACKAGE_NAME,
        "id": f"{PACKAGE_NAME}-{release.number}",
        "title": _("Prevent to Protect: public figures and activities"),
        "description": _(
            "The public release of the MIMP campaign Prevent to Protect against sexual violence towards girls, "
            "boys and adolescents: approved activities counted exactly, participants and families protected "
            "(1 to 4 is <5; x where a count was hidden so that a small one cannot be worked out)."
        ),
        "version": str(release.number),
        "created": _iso(release.built_at),
        "release": release_properties(release),
        "keywords": [_("sexual violence prevention"), _("children"), _("adolescents"), "MIMP", _("Peru")],
        "contributors": [{"title": _("Ministry of Women and Vulnerable Populations (MIMP)"), "role": "publisher"}],
        "rights": rights(),
        "resources": items,
    }
    if homepage:
        descriptor["homepage"] = homepage
    return descriptor


def rights():
    return _(
        "Licence: free to reuse, citing the Ministry of Women and Vulnerable Populations (MIMP). "
        "Region boundaries: INEI, via MINAM (Mozilla Public License 2.0)."
    )


def catalogue(release, *, package_url, files_url, homepage, language):
    """A DCAT catalogue (JSON-LD) with one dataset, the release, and a distribution per file.

    `files_url` is the absolute URL of the release's folder (each file's download URL is it plus
    the file's name); `package_url` the Data Package descriptor's."""
    modified = _iso(release.built_at)
    distributions = [
        {
            "@type": "dcat:Distribution",
            "@id": files_url + item["path"],
            "dct:title": item["title"],
            "dct:description": item["description"],
            "dcat:accessURL": {"@id": homepage},
            "dcat:downloadURL": {"@id": files_url + item["path"]},
            "dcat:mediaType": {"@id": f"https://www.iana.org/assignments/media-types/{item['mediatype']}"},
            "dct:format": item["format"].upper(),
            "dct:modified": {"@value": modified, "@type": "xsd:dateTime"},
        }
        for item in [*resources(release), _package_resource()]
    ]
    distributions[-1]["@id"] = distributions[-1]["dcat:downloadURL"]["@id"] = package_url
    publisher = {"@type": "foaf:Organization", "foaf:name": _("Ministry of Women and Vulnerable Populations (MIMP)")}
    dataset = {
        "@type": "dcat:Dataset",
        "@id": package_url.rsplit("/", 1)[0] + "/#dataset",
        "dct:identifier": PACKAGE_NAME,
        "dct:title": _("Prevent to Protect: public figures and activities"),
        "dct:description": package(release)["description"],
        "dct:publisher": publisher,
        "dct:language": language,
        "dct:issued": {"@value": _iso(release.cut_off), "@type": "xsd:dateTime"},
        "dct:modified": {"@value": modified, "@type": "xsd:dateTime"},
        "owl:versionInfo": str(release.number),
        "dct:spatial": {"@id": "http://sws.geonames.org/3932488/"},  # Peru
        "dcat:keyword": package(release)["keywords"],
        "dct:rights": rights(),
        "dcat:landingPage": {"@id": homepage},
        "dcat:distribution": distributions,
    }
    return {
        "@context": {
            "dcat": "http://www.w3.org/ns/dcat#",
            "dct": "http://purl.org/dc/terms/",
            "foaf": "http://xmlns.com/foaf/0.1/",
            "owl": "http://www.w3.org/2002/07/owl#",
            "xsd": "http://www.w3.org/2001/XMLSchema#",
        },
        "@type": "dcat:Catalog",
        "@id": homepage,
        "dct:title": _("Open data of Prevent to Protect"),
        "dct:publisher": publisher,
        "dct:language": language,
        "dct:modified": {"@value": modified, "@type": "xsd:dateTime"},
        "dcat:dataset": [dataset],
    }


def _package_resource():
    return {
        "path": "datapackage.json",
        "title": _("Data Package descriptor"),
        "description": _("The files' Table Schemas and the release's number and cut-off (Frictionless Data)."),
        "mediatype": "application/json",
        "format": "json",
    }


def _iso(moment):
    return timezone.localtime(moment).isoformat() if moment else None
