from django.contrib.admin.apps import SimpleAdminConfig


class PortalAdminConfig(SimpleAdminConfig):
    """The admin without autodiscovery (django-leaflet's admin module imports GeoDjango, which needs
    GDAL; prevent_protect/urls.py imports the admin modules the portal uses), on a site that asks
    staff for the second factor. Its own module: apps.py holds the accounts app's config alone."""

    default_site = "accounts.admin_site.PortalAdminSite"
