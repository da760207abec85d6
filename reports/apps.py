from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ReportsConfig(AppConfig):
    name = "reports"
    verbose_name = _("Reports and figures")

    def ready(self):
        # The receivers that keep the tallies exact (reports.tally) listen from start-up on.
        from . import tally  # noqa: F401
