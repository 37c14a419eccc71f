"""Spreadsheet cells that cannot run: every CSV and XLSX the portal writes goes through here.

A cell whose text starts with = + - @ (or a tab or carriage return, which some spreadsheets skip
before reading such a sign) is a formula to Excel and LibreOffice: a person named
`=HYPERLINK("http://x.example","y")` would become a live link in the DPO's copy of the record of
processing. Such a text is written with a leading apostrophe (OWASP's advice), which makes the
spreadsheet show it as text; numbers, dates and other values pass unchanged, so -1 stays a number.
In XLSX the apostrophe also keeps openpyxl from storing the text as a formula: the cell is a
string.

Our own writers call spreadsheet_cell()/spreadsheet_row(); django-import-export's downloads use
SafeCSV and SafeXLSX (register/scoping.py), report downloads dpo_portal.reports.download().
"""

import tablib
from import_export.formats import base_formats

FORMULA_TRIGGERS = ("=", "+", "-", "@", "\t", "\r")


def spreadsheet_cell(value):
    """``value`` safe to put in a spreadsheet cell (None becomes an empty cell)."""
    if value is None:
        return ""
    if isinstance(value, str) and value.startswith(FORMULA_TRIGGERS):
        return "'" + value
    return value


def spreadsheet_row(values):
    return [spreadsheet_cell(value) for value in values]


def append_row(sheet, values):
    """Append a row to an openpyxl worksheet, every cell made safe."""
    sheet.append(spreadsheet_row(values))


def safe_dataset(dataset):
    """A copy of a tablib Dataset with every cell made safe (headers included)."""
    safe = tablib.Dataset(
        *(spreadsheet_row(row) for row in dataset),
        headers=spreadsheet_row(dataset.headers) if dataset.headers else None,
        title=dataset.title,
    )
    return safe


class SafeCSV(base_formats.CSV):
    def export_data(self, dataset, **kwargs):
        return super().export_data(safe_dataset(dataset), **kwargs)


class SafeXLSX(base_formats.XLSX):
    def export_data(self, dataset, **kwargs):
        return super().export_data(safe_dataset(dataset), **kwargs)
