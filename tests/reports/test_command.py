"""`manage.py generate_report` writes a report with the workers' generator, synchronously, for
operators and benchmarks: national unless a region is named, filters checked as a request's."""

import csv
import io

import pytest
from django.core.management import CommandError, call_command
from openpyxl import load_workbook

from activities.models import Activity

from ..factories import ActivityFactory


@pytest.fixture
def activities(amazonas, puno):
    ActivityFactory.create_batch(3, region=amazonas, status="approved")
    ActivityFactory(region=amazonas, status="draft")
    ActivityFactory.create_batch(2, region=puno, status="approved")


def generate(tmp_path, *args):
    output = tmp_path / "out"
    out = io.StringIO()
    call_command("generate_report", "--output", str(output), *args, stdout=out)
    return out.getvalue(), output.read_bytes()


def test_it_exports_every_region_by_default(db, activities, tmp_path):
    printed, data = generate(tmp_path, "--kind", "activities", "--format", "csv")
    rows = list(csv.reader(io.StringIO(data.decode("utf-8-sig"))))
    assert len(rows) - 1 == Activity.objects.count() == 6
    assert printed.startswith("6 rows in ")
    assert printed.rstrip().endswith(f"s to {tmp_path / 'out'}")


def test_it_takes_the_same_filters_as_a_request(db, activities, tmp_path):
    _, data = generate(
        tmp_path, "--kind", "activities", "--format", "xlsx", "--region", "amazonas", "--status", "approved",
        "--date-from", "2025-01-01", "--language", "en",
    )  # fmt: skip
    sheet = load_workbook(io.BytesIO(data), read_only=True).worksheets[0]
    rows = list(sheet.iter_rows(values_only=True))
    assert rows[0][:2] == ("ID", "Region")
    assert [row[1] for row in rows[1:]] == ["Amazonas"] * 3


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--region", "atlantis"], "region: No region has this id or slug."),
        (["--status", "lost"], "status: Choose draft, submitted, approved or returned."),
        (["--date-from", "10/03/2025"], "date_from: Give a date as YYYY-MM-DD."),
        (["--date-from", "2025-03-10", "--date-to", "2025-03-01"], "date_to: Give an end date on or after"),
    ],
)
def test_bad_filters_are_refused_with_the_requests_message(db, tmp_path, args, message):
    with pytest.raises(CommandError, match=message):
        generate(tmp_path, "--kind", "activities", "--format", "csv", "--language", "en", *args)


def test_a_format_the_kind_is_not_made_in_is_refused(db, tmp_path):
    with pytest.raises(CommandError, match="format"):
        generate(tmp_path, "--kind", "activities", "--format", "pdf", "--language", "en")
