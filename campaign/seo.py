"""/sitemap.xml and /robots.txt: every public page in both languages, with absolute URLs from
SITE_URL (no sites framework: one site, one setting)."""

from django.conf import settings
from django.http import HttpResponse
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import translation
from django.views.decorators.http import require_safe

from programs.models import Objective, Program
from publication.cache import cached
from publication.selectors import current_release
from regions.models import Region

from .models import News

PAGES = (
    "home", "help", "emergency-centres", "regions", "objectives", "programs", "map", "statistics", "open-data",
    "releases", "news", "legal", "privacy",
)  # fmt: skip
# The pages whose figures or lists come from the public release: they change when a release is published.
FROM_RELEASE = {"home", "regions", "region", "objectives", "objective", "map", "statistics", "open-data", "releases"}


def public_pages():
    """(url name, args, last modified or None) for every page the sitemap lists; a page of figures
    changed when the latest release was built."""
    built_at = current_release().built_at

    def dated(name):
        return built_at if name in FROM_RELEASE else None

    yield from ((name, (), dated(name)) for name in PAGES)
    yield from (("region", (slug,), built_at) for slug in Region.objects.values_list("slug", flat=True))
    yield from (("objective", (code.lower(),), built_at) for code in Objective.objects.values_list("code", flat=True))
    yield from (("program", (slug,), None) for slug in Program.objects.values_list("slug", flat=True))
    for slug, updated in News.objects.published().values_list("slug", "updated_at"):
        yield "news-detail", (slug,), updated


def _absolute(name, args, language):
    with translation.override(language):
        return settings.SITE_URL.rstrip("/") + reverse(f"campaign:{name}", args=args)


def _entries():
    languages = [code for code, _name in settings.LANGUAGES]
    entries = []
    for name, args, updated in public_pages():
        alternates = [(code, _absolute(name, args, code)) for code in languages]
        entries += [{"url": url, "alternates": alternates, "updated": updated} for _code, url in alternates]
    return entries


@require_safe
def sitemap(request):
    xml = cached(
        "sitemap", lambda: render_to_string("campaign/sitemap.xml", {"entries": _entries()}), per_language=False
    )
    return HttpResponse(xml, content_type="application/xml; charset=utf-8")


@require_safe
def robots(request):
    base = settings.SITE_URL.rstrip("/")
    private = ["/admin/", "/api/", "/i18n/"]
    for code, _name in settings.LANGUAGES:
        private += [f"/{code}/panel/", f"/{code}/accounts/", f"/{code}/jsi18n/"]
    lines = ["User-agent: *", *(f"Disallow: {path}" for path in private), "", f"Sitemap: {base}/sitemap.xml", ""]
    return HttpResponse("\n".join(lines), content_type="text/plain; charset=utf-8")
