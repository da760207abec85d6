"""The spreadsheet a coordinator fills in to import activities (activities.importing reads it back):
the form's columns titled in the page's language, the reference lists as dropdowns, counts and dates
validated as they are typed."""

import io

import xlsxwriter
from django.utils.translation import gettext as _

from programs.models import Objective, Service

from .importing import COLUMNS, COUNT_COLUMNS, DATE_COLUMNS, TEMPLATE_ROWS, column_title
from .models import FIRST_ACTIVITY_DATE, MAX_COUNT, Activity, Institution, SupportNetwork, last_activity_date


def reference_lists(region):
    """What each dropdown offers, as the person reads it in the page's language."""
    return {
        "region": [region.name],
        "objective": [o.display_name for o in Objective.objects.all()],
        "service": [str(s) for s in Service.objects.select_related("program")],
        "modality": [str(label) for label in Activity.Modality.labels],
        "institutions": list(Institution.objects.filter(region=region).order_by("name").values_list("name", flat=True)),
        "support_network": list(
            SupportNetwork.objects.filter(region=region).order_by("name").values_list("name", flat=True)
        ),
    }


def build_template(region):
    """An XLSX to fill in for `region`: the form's columns titled in the active language, the
    reference lists as dropdowns (from a hidden sheet), counts and dates validated as typed."""
    out = io.BytesIO()
    book = xlsxwriter.Workbook(out, {"in_memory": True, "strings_to_formulas": False})
    sheet = book.add_worksheet(_("Activities")[:31])
    lists = book.add_worksheet("Lists")
    header = book.add_format({"bold": True, "bg_color": "#DDEBF7", "text_wrap": True, "valign": "top"})
    date_format = book.add_format({"num_format": "yyyy-mm-dd"})
    references = reference_lists(region)
    for index, name in enumerate(COLUMNS):
        sheet.write_string(0, index, column_title(name), header)
        sheet.set_column(index, index, 28 if name in ("title", "description", "objective", "service") else 16)
        note = column_note(name)
        if note:
            sheet.write_comment(0, index, note, {"x_scale": 2.5, "y_scale": 2})
        last = TEMPLATE_ROWS
        if name in references:
            items = references[name] or [""]
            column = len([n for n in COLUMNS[:index] if n in references])
            lists.write_string(0, column, column_title(name))
            for offset, item in enumerate(items, start=1):
                lists.write_string(offset, column, item)
            letter = xlsxwriter.utility.xl_col_to_name(column)
            sheet.data_validation(
                1, index, last, index,
                {
                    "validate": "list",
                    "source": f"=Lists!${letter}$2:${letter}${len(items) + 1}",
                    # Several institutions may share a cell (separated by ";"): a warning, not a stop.
                    "error_type": "information" if name == "institutions" else "stop",
                },
            )  # fmt: skip
        elif name in COUNT_COLUMNS:
            sheet.data_validation(
                1,
                index,
                last,
                index,
                {"validate": "integer", "criteria": "between", "minimum": 0, "maximum": MAX_COUNT},
            )
        elif name in DATE_COLUMNS:
            sheet.set_column(index, index, 14, date_format)
            sheet.data_validation(
                1,
                index,
                last,
                index,
                {
                    "validate": "date",
                    "criteria": "between",
                    "minimum": FIRST_ACTIVITY_DATE,
                    "maximum": last_activity_date(),
                },
            )
    sheet.freeze_panes(1, 0)
    lists.hide()
    book.close()
    return out.getvalue()


def column_note(name):
    if name == "client_uuid":
        return _(
            "Leave this column empty. Each row is identified by the file and its row number, so uploading "
            "the same file again creates nothing new. If your own records give each activity an identifier, "
            "you may write it here instead: the same identifier in the same region is then never imported twice."
        )
    if name == "region":
        return _("Rows that leave the region empty go to the region chosen on the upload page.")
    if name == "institutions":
        return _("Choose one from the list, or write several names separated by “;”.")
    if name in DATE_COLUMNS:
        return _("A date cell, or a date written as YYYY-MM-DD.")
    help_text = Activity._meta.get_field(name).help_text if name in COLUMNS[:-1] else ""
    return str(help_text) if help_text else ""
