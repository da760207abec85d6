from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class RegionsConfig(AppConfig):
    name = "regions"
    verbose_name = _("Regions")

    def ready(self):
        # Registers the accent-free search function on SQLite connections.
        from prevent_protect import search  # noqa: F401
