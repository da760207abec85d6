import time
from pathlib import Path

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError
from django.utils import translation

from reports import generators, services
from reports.models import Report


class Command(BaseCommand):
    help = (
        "Write a report to a file now, with the generator the workers use, for operators and "
        "benchmarks. National unless --region; nothing is stored in the database and no e-mail is sent."
    )
    # As a worker runs the generator: without Django's system checks, which import every URL
    # configuration and view for 0.6 s and are the release's business (`check --deploy`), not a report's.
    requires_system_checks = []

    def add_arguments(self, parser):
        parser.add_argument("--kind", required=True, choices=Report.Kind.values)
        parser.add_argument("--format", required=True, choices=Report.Format.values)
        parser.add_argument("--output", required=True, type=Path, help="Where to write the file.")
        parser.add_argument("--region", help="A region's slug or id.")
        parser.add_argument("--objective", help="An objective's code (OE1) or id.")
        parser.add_argument("--service", help="A service's slug or id.")
        parser.add_argument("--status", help="Activities in this status only: draft, submitted, approved, returned.")
        parser.add_argument("--date-from", help="Activities that start on or after this day (YYYY-MM-DD).")
        parser.add_argument("--date-to", help="Activities that start on or before this day (YYYY-MM-DD).")
        parser.add_argument("--language", default="es", help="es (default) or en.")

    def handle(self, *args, kind, format, output, region, language, **options):
        report = self._report(kind, format, region, language, options)
        generate = generators.generator_for(report.kind, report.format)
        started = time.perf_counter()
        with output.open("wb") as file, translation.override(report.language):
            rows = generate(report, file, lambda done, total: None)
        seconds = time.perf_counter() - started
        self.stdout.write(f"{rows} rows in {seconds:.2f} s to {output}")

    def _report(self, kind, format, region, language, options):
        """An unsaved report with the filters checked as a request's would be. It has no requester,
        so the generator exports nationally: operators run this command."""
        filters = {key: options[key] for key in ("objective", "service", "status", "date_from", "date_to")}
        try:
            # The operator's --language is that of the refusals too.
            with translation.override(language):
                return services.report_build(
                    kind=kind, format=format, region=region, parameters=filters, language=language
                )
        except ValidationError as error:
            raise CommandError(
                "; ".join(f"{key}: {' '.join(messages)}" for key, messages in error.message_dict.items())
            ) from None
