import axes.admin  # noqa: F401
from django.conf.urls.i18n import i18n_patterns
from django.contrib import admin
from django.urls import include, path
from django.views.i18n import JavaScriptCatalog

# The admin's autodiscovery is off (see INSTALLED_APPS); these imports register
# the portal's admin pages and those of the packages staff use.
import accounts.admin  # noqa: F401
import activities.admin  # noqa: F401
import campaign.admin  # noqa: F401
import programs.admin  # noqa: F401
import regions.admin  # noqa: F401
from campaign.identity import favicon
from campaign.seo import robots, sitemap

from .health import healthz, livez

admin.site.site_header = admin.site.site_title = "Prevenir para Proteger"

urlpatterns = [
    path("healthz", healthz, name="healthz"),
    path("livez", livez, name="livez"),
    path("sitemap.xml", sitemap, name="sitemap"),
    path("robots.txt", robots, name="robots"),
    path("favicon.ico", favicon, name="favicon"),
    path("i18n/", include("django.conf.urls.i18n")),
    path("admin/", admin.site.urls),
    path("api/", include("prevent_protect.api")),
]

urlpatterns += i18n_patterns(
    path("jsi18n/", JavaScriptCatalog.as_view(), name="javascript-catalog"),
    path("accounts/", include("accounts.urls")),
    path("panel/reports/", include("reports.urls")),
    path("panel/dashboard/", include("reports.dashboard_urls")),
    path("panel/targets/", include("programs.urls")),
    path("panel/releases/", include("publication.urls")),
    path("panel/", include("activities.urls")),
    path("", include("campaign.urls")),
)

handler404 = "prevent_protect.errors.not_found"
handler500 = "prevent_protect.errors.server_error"
