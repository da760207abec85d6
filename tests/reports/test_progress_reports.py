"""The progress reports (reports.progress): each registered generator writes a PDF that opens and
a workbook that holds the same figures, in the report's language, for its region and period,
with no person's name and nothing about an activity but counts; and the SVG chart they share."""

import datetime
import io
import re

import pytest
from openpyxl import load_workbook
from pypdf import PdfReader

from activities.models import PARTICIPANT_FIELDS
from programs.models import Indicator, Objective, Target
from reports import progress as progress_module
from reports.charts import bar_chart, nice_ticks
from reports.generators import GENERATORS
from reports.models import Report
from reports.progress import report_period

from ..factories import ActivityFactory, InstitutionFactory, SupportNetworkFactory

NONE = dict.fromkeys((*PARTICIPANT_FIELDS, "families"), 0)
SECRET_TITLE = "Taller con la familia Huamán"
SECRET_DESCRIPTION = "Relato privado de un caso"


def approved(region, objective="OE1", day=(2025, 3, 10), **fields):
    return ActivityFactory(
        region=region,
        objective=Objective.objects.get(code=objective),
        start_date=datetime.date(*day),
        end_date=datetime.date(*day),
        status="approved",
        title=SECRET_TITLE,
        description=SECRET_DESCRIPTION,
        **{**NONE, **fields},
    )


@pytest.fixture
def campaign(amazonas, puno, coord_amazonas):
    """Amazonas: 3 approved activities in 2025 (March, April, April) with 123 participants and
    17 families, one in 2024, partners, a target; Puno: one approved activity; and a draft that
    would change every figure if it counted."""
    network = SupportNetworkFactory(region=amazonas, name="Red Chachapoyas", leaders=9)
    school = InstitutionFactory(region=amazonas, name="I.E. 18001", actuemos_ya_since=datetime.date(2024, 8, 1))
    first = approved(amazonas, "OE1", (2025, 3, 10), girls=10, boys=11, women=40, families=5)
    first.institutions.set([school])
    approved(amazonas, "OE3", (2025, 4, 2), adolescent_girls=20, adolescent_boys=22, support_network=network)
    approved(amazonas, "OE2", (2025, 4, 20), men=20, families=12)
    approved(amazonas, "OE1", (2024, 11, 5), women=500)
    approved(puno, "OE1", (2025, 5, 1), women=300, families=40)
    ActivityFactory(region=amazonas, status="draft", women=900, created_by=coord_amazonas)
    Target.objects.create(
        indicator=Indicator.objects.get(code="oe1-awareness-activities"), region=amazonas, year=2025, value=4
    )


def generate(kind, fmt, *, region=None, language="es", **parameters):
    """Runs the registered generator; returns (bytes, row count, progress calls)."""
    report = Report(kind=kind, format=fmt, region=region, language=language, parameters=parameters)
    output, calls = io.BytesIO(), []
    rows = GENERATORS[(kind, fmt)](report, output, lambda done, total: calls.append((done, total)))
    return output.getvalue(), rows, calls


def pdf_text(data):
    reader = PdfReader(io.BytesIO(data))
    # Words, not layout: the table cells come out in any spacing.
    return re.sub(r"\s+", " ", " ".join(page.extract_text() for page in reader.pages))


def sheet_cells(data):
    workbook = load_workbook(io.BytesIO(data))
    return workbook, {
        sheet.title: [[cell for cell in row if cell is not None] for row in sheet.iter_rows(values_only=True)]
        for sheet in workbook.worksheets
    }


def row_of(rows, first):
    (row,) = [row for row in rows if row and row[0] == first]
    return row


class TestRegistry:
    @pytest.mark.parametrize("kind", ["regional_progress", "national_summary"])
    def test_each_progress_kind_has_a_pdf_and_an_xlsx_generator(self, kind):
        assert GENERATORS[(kind, "pdf")] is progress_module.progress_pdf
        assert GENERATORS[(kind, "xlsx")] is progress_module.progress_xlsx


def structure_types(data):
    """The tag of every element in the PDF's structure tree."""
    reader = PdfReader(io.BytesIO(data))
    found, pending = [], [reader.trailer["/Root"]["/StructTreeRoot"]]
    while pending:
        node = pending.pop().get_object()
        if "/S" in node:
            found.append(node["/S"])
        kids = node.get("/K")
        kids = kids if isinstance(kids, list) else [kids] if kids is not None else []
        pending += [kid for kid in kids if hasattr(kid, "get_object") and hasattr(kid.get_object(), "get")]
    return found


class TestAccessiblePdf:
    """Screen readers read the report as they read the page; numbers read as the charts print them."""

    @pytest.mark.parametrize("kind", ["regional_progress", "national_summary"])
    def test_the_pdf_is_tagged_with_its_language_and_title(self, campaign, amazonas, kind):
        region = amazonas if kind == "regional_progress" else None
        data = generate(kind, "pdf", region=region, year=2025)[0]
        root = PdfReader(io.BytesIO(data)).trailer["/Root"]
        assert bool(root["/MarkInfo"]["/Marked"])
        assert root["/Lang"] == "es"
        assert bool(root["/ViewerPreferences"]["/DisplayDocTitle"])
        tags = set(structure_types(data))
        assert {"/H1", "/H2", "/Table", "/TR", "/TH", "/TD", "/L", "/LI", "/P"} <= tags

    @pytest.mark.parametrize(("language", "written"), [("es", "1\xa0234"), ("en", "1,234")])
    def test_large_numbers_are_grouped_in_the_reports_language(self, amazonas, language, written):
        approved(amazonas, "OE1", (2025, 3, 10), women=1234)
        text = pdf_text(generate("regional_progress", "pdf", region=amazonas, year=2025, language=language)[0])
        assert written.replace("\xa0", " ") in text.replace("\xa0", " ")
        assert "1234" not in text

    def test_the_workbooks_counts_are_numbers_shown_grouped(self, campaign, amazonas):
        workbook, _sheets = sheet_cells(generate("regional_progress", "xlsx", region=amazonas, year=2025)[0])
        (cell,) = [row[1] for row in workbook[workbook.sheetnames[0]].iter_rows() if row[1].value == 123]
        assert cell.data_type == "n" and cell.number_format == "#,##0"

    def test_a_list_longer_than_its_headline_figure_says_why(self, campaign, amazonas):
        InstitutionFactory(region=amazonas, name="Municipalidad de Luya")  # registered, in no activity
        text = pdf_text(generate("regional_progress", "pdf", region=amazonas, year=2025, language="en")[0])
        assert "I.E. 18001" in text and "Municipalidad de Luya" in text  # two listed
        assert "counts only the 1 that took part in the period's approved activities" in text
        assert "count only the 1 network named by the period's approved activities" in text


class TestRegionalPdf:
    def test_the_pdf_opens_and_holds_the_region_and_its_totals(self, campaign, amazonas):
        data, rows, _calls = generate("regional_progress", "pdf", region=amazonas, year=2025)
        assert data.startswith(b"%PDF")
        text = pdf_text(data)
        assert "Amazonas" in text
        assert "2025" in text
        # Headline: 3 activities, 123 participants, 17 families, 1 network with 9 leaders, 1 institution.
        assert "123" in text
        assert "17" in text
        assert rows == 3

    def test_only_the_regions_approved_activities_of_the_period_count(self, campaign, amazonas):
        text = pdf_text(generate("regional_progress", "pdf", region=amazonas, year=2025)[0])
        assert "300" not in text  # Puno's
        assert "500" not in text  # 2024's
        assert "900" not in text  # the draft's

    def test_the_pdf_lists_the_regions_partners(self, campaign, amazonas):
        text = pdf_text(generate("regional_progress", "pdf", region=amazonas, year=2025)[0])
        assert "I.E. 18001" in text
        assert "Red Chachapoyas" in text

    def test_the_pdf_holds_no_names_of_people_nor_what_an_activity_was(self, campaign, amazonas):
        text = pdf_text(generate("regional_progress", "pdf", region=amazonas, year=2025)[0])
        assert "Huamán" not in text
        assert "Relato" not in text
        assert "coord-amazonas" not in text

    def test_a_month_narrows_the_figures_to_that_month(self, campaign, amazonas):
        data, rows, _calls = generate("regional_progress", "pdf", region=amazonas, month="2025-04")
        text = pdf_text(data)
        assert rows == 2
        assert "62" in text  # 20 + 22 + 20 participants in April
        assert "Abril de 2025" in text

    def test_the_monthly_schedules_dates_make_a_monthly_report(self, campaign, amazonas):
        # As tasks.send_monthly_reports and services.report_request store a period: ISO dates.
        data, rows, _calls = generate(
            "regional_progress", "pdf", region=amazonas, date_from="2025-04-01", date_to="2025-04-30"
        )
        text = pdf_text(data)
        assert rows == 2
        assert "Amazonas · Abril de 2025" in text
        assert "62" in text

    def test_an_objective_narrows_the_figures(self, campaign, amazonas):
        oe2 = Objective.objects.get(code="OE2")
        _data, rows, _calls = generate("regional_progress", "xlsx", region=amazonas, year=2025, objective=oe2.pk)
        assert rows == 1
        _workbook, sheets = sheet_cells(_data)
        figures = list(sheets.values())[0]
        assert row_of(figures, "Participantes")[1] == 20
        assert [row[0] for row in list(sheets.values())[2][1:]] == [
            "Familias alcanzadas con sesiones de crianza",
            "Sesiones de fortalecimiento familiar",
        ]

    def test_progress_is_reported_between_sections_up_to_the_end(self, campaign, amazonas):
        _data, _rows, calls = generate("regional_progress", "pdf", region=amazonas, year=2025)
        assert len(calls) >= 4
        assert [done for done, _total in calls] == sorted(done for done, _total in calls)
        assert calls[-1][0] == calls[-1][1]
        assert {total for _done, total in calls} == {calls[-1][1]}

    def test_spanish_and_english_headings_follow_the_reports_language(self, campaign, amazonas):
        spanish = pdf_text(generate("regional_progress", "pdf", region=amazonas, year=2025, language="es")[0])
        english = pdf_text(generate("regional_progress", "pdf", region=amazonas, year=2025, language="en")[0])
        assert "Participantes" in spanish and "Familias alcanzadas" in spanish and "Marzo de 2025" in spanish
        assert "Participants" in english and "Families reached" in english and "March 2025" in english
        assert "Participantes" not in english
        assert "Families reached" not in spanish and "March 2025" not in spanish

    def test_no_approved_activity_still_gives_a_report(self, amazonas):
        data, rows, _calls = generate("regional_progress", "pdf", region=amazonas, year=2030)
        assert rows == 0
        assert "Amazonas" in pdf_text(data)


class TestNationalPdf:
    def test_the_pdf_compares_every_region_and_adds_them_up(self, campaign):
        data, rows, _calls = generate("national_summary", "pdf", year=2025)
        text = pdf_text(data)
        assert rows == 4
        for region in ("Amazonas", "Puno", "Lima Metropolitana", "Tumbes"):
            assert region in text
        assert "423" in text  # 123 in Amazonas + 300 in Puno
        assert "57" in text  # families: 17 + 40
        assert "Huamán" not in text


class TestWorkbook:
    def test_the_regional_workbook_holds_the_same_totals(self, campaign, amazonas):
        data, rows, _calls = generate("regional_progress", "xlsx", region=amazonas, year=2025, language="en")
        workbook, sheets = sheet_cells(data)
        assert list(sheets) == ["Figures", "Sex and age", "Indicators", "By month", "Partners"]
        figures = sheets["Figures"]
        assert row_of(figures, "Region") == ["Region", "Amazonas"]
        assert row_of(figures, "Approved activities")[1] == 3
        assert row_of(figures, "Participants")[1] == 123
        assert row_of(figures, "Families reached")[1] == 17
        assert row_of(sheets["Indicators"], "Awareness activities")[2:] == [1, 4, 25.0]
        assert row_of(sheets["By month"], "April 2025")[1:] == [2, 62, 12]
        assert workbook["By month"]._charts, "the monthly figures have a native chart"
        assert ["I.E. 18001", "Public", datetime.datetime(2024, 8, 1)] in sheets["Partners"]
        assert rows == 3

    def test_the_sex_and_age_sheet_adds_up_to_the_participants(self, campaign, amazonas):
        _workbook, sheets = sheet_cells(generate("regional_progress", "xlsx", region=amazonas, year=2025)[0])
        counts = [row[-1] for row in list(sheets.values())[1][1:]]
        assert counts == [10, 11, 20, 22, 40, 20]
        assert sum(counts) == 123

    def test_the_workbook_is_in_spanish_for_a_spanish_report(self, campaign, amazonas):
        _workbook, sheets = sheet_cells(generate("regional_progress", "xlsx", region=amazonas, year=2025)[0])
        figures = list(sheets.values())[0]
        assert row_of(figures, "Región") == ["Región", "Amazonas"]
        assert row_of(figures, "Participantes")[1] == 123
        assert "Marzo de 2025" in [row[0] for row in list(sheets.values())[3] if row]

    def test_the_national_workbook_compares_the_regions(self, campaign):
        data, rows, _calls = generate("national_summary", "xlsx", year=2025, language="en")
        workbook, sheets = sheet_cells(data)
        assert "By region" in sheets and "Indicators by region" in sheets and "Partners" not in sheets
        by_region = sheets["By region"]
        assert row_of(by_region, "Amazonas")[1:4] == [3, 123, 17]
        assert row_of(by_region, "Puno")[1:4] == [1, 300, 40]
        assert row_of(by_region, "Tumbes")[1:4] == [0, 0, 0]
        assert row_of(sheets["Figures"], "Participants")[1] == 423
        assert workbook["By region"]._charts
        assert rows == 4

    def test_the_workbook_holds_no_names_of_people_nor_what_an_activity_was(self, campaign, amazonas):
        _workbook, sheets = sheet_cells(generate("regional_progress", "xlsx", region=amazonas, year=2025)[0])
        text = repr(sheets)
        assert "Huamán" not in text and "Relato" not in text and "coord-amazonas" not in text


class TestPeriod:
    def test_a_year_covers_the_whole_year(self):
        period = report_period({"year": "2025"})
        assert (period.date_from, period.date_to, period.year) == (
            datetime.date(2025, 1, 1),
            datetime.date(2025, 12, 31),
            2025,
        )

    def test_a_month_covers_that_month(self):
        period = report_period({"month": "2024-02"})
        assert (period.date_from, period.date_to, period.year) == (
            datetime.date(2024, 2, 1),
            datetime.date(2024, 2, 29),
            2024,
        )

    def test_dates_cover_those_days_and_hold_the_indicators_against_the_last_ones_year(self):
        period = report_period({"date_from": "2024-11-15", "date_to": "2025-02-10"})
        assert (period.date_from, period.date_to) == (datetime.date(2024, 11, 15), datetime.date(2025, 2, 10))
        assert (period.year, period.until) == (2025, datetime.date(2025, 2, 10))
        assert [m.month for m in period.months()] == [11, 12, 1, 2]

    def test_a_missing_end_date_is_its_years_end(self):
        period = report_period({"date_from": "2025-07-01"})
        assert (period.date_to, period.until) == (datetime.date(2025, 12, 31), None)

    @pytest.mark.parametrize(
        ("parameters", "label"),
        [
            ({"year": 2025}, "2025"),
            ({"date_from": "2025-03-01", "date_to": "2025-03-31"}, "March 2025"),
            ({"month": "2025-03"}, "March 2025"),
            ({"date_from": "2025-03-01", "date_to": "2025-03-15"}, "1 Mar 2025 – 15 Mar 2025"),
        ],
    )
    def test_the_period_says_itself_in_words(self, parameters, label):
        from django.utils import translation

        with translation.override("en"):
            assert report_period(parameters).label == label

    def test_nothing_means_the_current_year(self):
        assert report_period({}, today=datetime.date(2026, 5, 1)).year == 2026

    @pytest.mark.parametrize(
        "parameters",
        [
            {"month": "2025-13"},
            {"month": "march"},
            {"year": "soon"},
            {"year": 1900},
            {"date_from": "2025-02-30"},
            {"date_from": "2025-05-01", "date_to": "2025-04-01"},
        ],
    )
    def test_an_unreadable_period_is_refused(self, parameters):
        with pytest.raises(ValueError):
            report_period(parameters)


def test_the_pdf_never_fetches_anything(monkeypatch):
    from weasyprint.urls import URLFetcher

    fetched = []
    monkeypatch.setattr(URLFetcher, "open", lambda self, url, *args, **kwargs: fetched.append(url))
    html = '<p>x</p><img src="http://127.0.0.1:9/tracker.png"><link rel="stylesheet" href="file:///etc/passwd">'
    output = io.BytesIO()
    progress_module.write_pdf(html, output)
    assert output.getvalue().startswith(b"%PDF")
    assert fetched == []


class TestChart:
    def test_the_chart_names_itself_and_lists_every_value_for_screen_readers(self):
        svg = str(bar_chart([("ene", 3), ("feb", 12)], title="Actividades", description="Por mes."))
        assert svg.startswith("<svg") and 'role="img"' in svg
        assert '<title id="chart-' in svg and "Actividades</title>" in svg
        assert "Por mes. ene: 3; feb: 12</desc>" in svg
        assert svg.count("<rect") == 2

    def test_taller_values_draw_taller_bars(self):
        svg = str(bar_chart([("a", 1), ("b", 10)], title="t"))
        heights = [float(h) for h in re.findall(r'<rect [^>]*height="([0-9.]+)"', svg)]
        assert heights[1] == pytest.approx(10 * heights[0])

    def test_labels_and_titles_are_escaped(self):
        svg = str(bar_chart([("<script>", 1)], title="A & B"))
        assert "<script>" not in svg and "&lt;script&gt;" in svg and "A &amp; B" in svg

    def test_long_labels_are_turned_and_the_chart_grows(self):
        short = str(bar_chart([("a", 1)] * 15, title="t", height=240))
        long = str(bar_chart([("Lima Metropolitana", 1)] * 15, title="t", height=240))
        assert "rotate(" not in short and "rotate(" in long
        assert 'height="240"' in short and 'height="240"' not in long

    def test_an_empty_chart_still_draws_its_axis(self):
        svg = str(bar_chart([], title="t"))
        assert "<rect" not in svg and "<line" in svg

    def test_the_chart_ids_can_be_set(self):
        assert 'id="months-title"' in str(bar_chart([("a", 1)], title="t", chart_id="months"))

    @pytest.mark.parametrize(
        ("largest", "ticks"),
        [
            (0, [0, 1]),
            (3, [0, 1, 2, 3]),
            (43, [0, 20, 40, 60]),
            (100, [0, 25, 50, 75, 100]),
            (1234, [0, 500, 1000, 1500]),
        ],
    )
    def test_the_axis_has_round_ticks_above_the_largest_value(self, largest, ticks):
        assert nice_ticks(largest) == ticks
