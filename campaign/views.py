"""The public site: Spanish first, readable without script, cheap on a phone.

Every page is cached whole for anonymous visitors (publication.cache.public_page) and reads its
figures and lists from the latest public release (campaign.selectors over publication.selectors):
nothing here counts activities. Every page says which release it shows (release_context). Each
view names its page (`title`, `description`) for the head, Open Graph and the sitemap.
"""

from django.conf import settings
from django.core.paginator import Paginator
from django.shortcuts import get_object_or_404, render
from django.urls import reverse
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.http import urlencode
from django.utils.translation import get_language
from django.utils.translation import gettext as _
from django.views.decorators.http import require_safe

from activities.privacy import public_coordinate
from prevent_protect.query import query_int
from programs.models import Objective, Program
from publication import datapackage
from publication.cache import public_page
from publication.datapackage import ordered_objectives
from publication.selectors import releases as release_history
from regions.models import Region
from reports.charts import bar_chart

from . import content, downloads, selectors
from .forms import ActivityFilterForm
from .maps import count_shades, legend, map_regions, region_map, regions_map
from .models import News

LIST_SIZE = 25
NEWS_PAGE_SIZE = 10
# The map draws at most this many points (the newest); the list below it pages through them all.
MAP_LIMIT = 2000


CUT_OFF_FORMATS = {"en": "j F Y"}  # 30 November 2026; Spanish and the default: 30/11/2026


def page(request, template, title, description="", **context):
    release = context.pop("release", None) or selectors.release()
    return render(
        request,
        template,
        {"title": title, "description": description, **release_context(release), **context},
    )


def release_context(release):
    """Which release a page shows, for the line every page carries."""
    if not release:
        note = _("The figures are not published yet: the first release is being prepared.")
        return {"release": release, "release_note": note}
    language = (get_language() or "es").split("-")[0]
    cut_off = date_format(timezone.localtime(release.cut_off), CUT_OFF_FORMATS.get(language, "d/m/Y"))
    note = _("Figures as of %(date)s (release no. %(number)s)") % {"date": cut_off, "number": release.number}
    return {"release": release, "release_note": note}


@require_safe
@public_page
def home(request):
    release = selectors.release()
    regions = [(region, totals) for region, totals in selectors.by_region(release) if region.in_campaign]
    return page(
        request,
        "campaign/home.html",
        _("Prevent to Protect"),
        _("Girls, boys and adolescents free of violence"),
        release=release,
        about=content.in_language(content.ABOUT),
        forms_of_violence=content.in_language(content.FORMS_OF_VIOLENCE),
        **_context_figures(),
        objectives=ordered_objectives(),
        headline=selectors.headline(release),
        regions=regions,
        regions_svg=_regions_svg(regions),
        news=selectors.latest_news(),
    )


def _regions_svg(rows):
    return regions_map([(region, totals["activities"]) for region, totals in rows], selectors.region_boundaries())


def _context_figures():
    return {"context_figures": content.context_figures(), "context_source": content.CONTEXT_SOURCE}


@require_safe
@public_page
def get_help(request):
    return page(
        request,
        "campaign/help.html",
        _("Get help"),
        _("Línea 100, Chat 100, Centro Emergencia Mujer y Familia and the police, 105: free and confidential."),
    )


# Regions --------------------------------------------------------------------------------------


@require_safe
@public_page
def region_list(request):
    release = selectors.release()
    rows = selectors.by_region(release)
    return page(
        request,
        "campaign/region_list.html",
        _("Regions"),
        _("The regions where the campaign works, with their approved activities."),
        release=release,
        regions_svg=_regions_svg(rows),
        rows=_region_rows(rows),
        total=selectors.totals(release),
    )


def _region_rows(rows):
    return [(reverse("campaign:region", args=[r.slug]), r.name, totals) for r, totals in rows]


@require_safe
@public_page
def region_detail(request, slug):
    region = get_object_or_404(Region, slug=slug)
    release = selectors.release()
    points = selectors.region_points(release, region)
    total = selectors.totals(release, region)
    return page(
        request,
        "campaign/region_detail.html",
        region.name,
        _("The campaign in %(region)s: approved activities, figures by objective, services and partners.")
        % {"region": region.name},
        release=release,
        region=region,
        points=points,
        region_svg=region_map(region, points, total["activities"], _campaign_shades(release)),
        rows=_objective_rows(release, region),
        total=total,
        sex_age=selectors.by_sex_age(release, region),
        latest=selectors.latest_activities(release, region),
        services=selectors.active_services(release, region),
        institutions=selectors.actuemos_ya_institutions(region),
    )


def _campaign_shades(release):
    # The home page's classes: a region's page shades it as the map of all the regions does.
    return count_shades(totals["activities"] for region, totals in selectors.by_region(release) if region.in_campaign)


def _objective_rows(release, region=None):
    return [
        (reverse("campaign:objective", args=[o.code.lower()]), f"{o.code}", totals)
        for o, totals in selectors.by_objective(release, region)
    ]


# Objectives and programs --------------------------------------------------------------------------


@require_safe
@public_page
def objective_list(request):
    release = selectors.release()
    return page(
        request,
        "campaign/objective_list.html",
        _("Objectives"),
        _("The campaign's four specific objectives and the results it expects."),
        release=release,
        rows=selectors.by_objective(release),
    )


@require_safe
@public_page
def objective_detail(request, code):
    objective = get_object_or_404(Objective, code=code.upper())
    release = selectors.release()
    progress, year = selectors.national_progress(release, objective)
    return page(
        request,
        "campaign/objective_detail.html",
        f"{objective.code}: {objective.localized('title')}",
        objective.localized("expected_result"),
        release=release,
        objective=objective,
        services=objective.services.select_related("program"),
        progress=progress,
        year=year,
        rows=_region_rows(selectors.by_region(release, objective)),
        total=selectors.totals(release, objective=objective),
    )


@require_safe
@public_page
def program_list(request):
    return page(
        request,
        "campaign/program_list.html",
        _("Programs"),
        _("The ministry's programs that deliver the campaign's services."),
        programs=Program.objects.all(),
    )


@require_safe
@public_page
def program_detail(request, slug):
    program = get_object_or_404(Program, slug=slug)
    return page(
        request,
        "campaign/program_detail.html",
        program.localized("name"),
        program.localized("description"),
        program=program,
        services=program.services.prefetch_related("objectives"),
    )


# Map ----------------------------------------------------------------------------------------------


@require_safe
@public_page
def activity_map(request):
    release = selectors.release()
    form = ActivityFilterForm(request.GET or None)
    number = _page_number(request)
    activities = selectors.public_activities(release, **form.filters())
    window = list(activities[(number - 1) * LIST_SIZE : number * LIST_SIZE + 1])
    shown = window[:LIST_SIZE]
    for activity in shown:
        activity.public_point = _public_point(activity)
    return page(
        request,
        "campaign/map.html",
        _("Map of activities"),
        _("Every approved activity of the campaign, by objective and service, on a map and in a list."),
        release=release,
        form=form,
        tiles=settings.LEAFLET_CONFIG.get("TILES") or "",
        map_limit=MAP_LIMIT,
        **_map_base(release),
        activity_count=activities.count(),
        activities=shown,
        first_number=(number - 1) * LIST_SIZE + 1,
        previous_url=_page_url(request, number - 1) if number > 1 else "",
        next_url=_page_url(request, number + 1) if len(window) > LIST_SIZE else "",
    )


def _map_base(release):
    """The regions under the points: each one's shade and label point (the map loads the boundaries
    from the open data), the legend, and each region's figure as text."""
    rows = [(region, totals["activities"]) for region, totals in selectors.by_region(release)]
    base, classes = map_regions(rows, selectors.region_boundaries())
    return {"map_base": base, "map_legend": legend(classes), "map_rows": rows}


def _page_number(request):
    # Past the end the list is empty, with a link back; what no link makes is a 400.
    return query_int(request, "page", default=1)


def _page_url(request, number):
    query = request.GET.copy()
    query["page"] = number
    return f"{request.path}?{urlencode(sorted(query.items()))}"


def _public_point(activity):
    if activity.latitude is None or activity.longitude is None:
        return None
    return public_coordinate(activity.latitude), public_coordinate(activity.longitude)


# Statistics -------------------------------------------------------------------------------------


@require_safe
@public_page
def statistics(request):
    release = selectors.release()
    regions = selectors.by_region(release)
    sex_age = selectors.by_sex_age(release)
    years, quarters, months = (selectors.period_rows(release, level) for level in ("year", "quarter", "month"))
    return page(
        request,
        "campaign/statistics.html",
        _("Statistics"),
        _("Participants by sex and age group, by region, by objective and by period, from approved activities."),
        release=release,
        total=selectors.totals(release),
        sex_age=sex_age,
        sex_age_chart=_chart(
            [(row["label"], row["count"]) for row in sex_age], _("Participants by sex and age group"), "chart-sex-age"
        ),
        region_rows=_region_rows(regions),
        region_chart=_chart(
            [(r.name, totals["participants"]) for r, totals in regions], _("Participants by region"), "chart-region"
        ),
        objective_rows=_objective_rows(release),
        period_tables=[
            (_("By year"), _("Year"), _("Approved activities by year of start"), "year", years, ""),
            (_("By quarter"), _("Quarter"), _("Approved activities by quarter of start"), "quarter", quarters, ""),
            (
                _("By month"),
                _("Month"),
                _("Approved activities by month of start"),
                "month",
                months,
                _chart(
                    [(row["label"], row["participants"]) for row in months], _("Participants by month"), "chart-month"
                ),
            ),
        ],  # fmt: skip
        **_context_figures(),
    )


def _chart(bars, title, chart_id):
    """A bar chart of the counts that are shown. A hidden count has no bar: its height would tell it.
    The table under the chart has every row, hidden ones as <5 or x."""
    shown = [(label, count.value) for label, count in bars if not count.hidden]
    hidden = [str(label) for label, count in bars if count.hidden]
    if not shown:
        return ""
    description = _("Not drawn, to protect small counts: %(groups)s.") % {"groups": ", ".join(hidden)} if hidden else ""
    return bar_chart(shown, title=title, description=description, chart_id=chart_id)


# News ---------------------------------------------------------------------------------------------


@require_safe
@public_page
def news_list(request):
    news = Paginator(News.objects.published(), NEWS_PAGE_SIZE).get_page(query_int(request, "page", default=1))
    return page(request, "campaign/news_list.html", _("News"), _("News of the campaign Prevent to Protect."), page=news)


@require_safe
@public_page
def news_detail(request, slug):
    item = get_object_or_404(News.objects.published(), slug=slug)
    return page(
        request, "campaign/news_detail.html", item.localized("title"), item.summary(), og_type="article", item=item
    )


# Open data ----------------------------------------------------------------------------------------


@require_safe
@public_page
def open_data(request):
    release = selectors.release()
    return page(
        request,
        "campaign/open_data.html",
        _("Open data"),
        _("The campaign's public figures and approved activities as CSV and GeoJSON, with a data dictionary."),
        release=release,
        # A PublicCount, so that the number reads with the language's grouping (2 251, 2,251).
        activity_total=selectors.totals(release)["activities"],
        files=downloads.files(release),
    )


@require_safe
@public_page
def release_list(request):
    """Every release, newest first, with its own files: the figures as they were, for comparison."""
    rows = [
        {
            "release": release,
            "package": reverse("campaign:release-package", args=[release.number]),
            "files": [
                (path, _release_file_url(release.number, path))
                for path in [f"{table.name}.csv" for table in datapackage.TABLES] + list(RELEASE_FILES)
            ],
        }
        for release in release_history()
    ]
    return page(
        request,
        "campaign/release_list.html",
        _("Previous releases"),
        _("Every publication of the campaign's figures, with its cut-off and its files, to compare them."),
        rows=rows,
    )


RELEASE_FILES = {
    "actividades.csv": "campaign:release-activities-csv",
    "regiones.geojson": "campaign:release-regions-geojson",
}


def _release_file_url(number, path):
    if path in RELEASE_FILES:
        return reverse(RELEASE_FILES[path], args=[number])
    return reverse("campaign:release-table-csv", args=[number, path.removesuffix(".csv")])
