"""The downloadable template of an import: an XLSX workbook a user fills and uploads as it is.

Its first sheet is what the import reads (dpo_portal/jobs/imports.py reads the first sheet): the
header row with the import's own column names and one example row from the organisation's own
register, which imports cleanly as it stands. A second sheet lists the organisation's valid codes
for every column that takes one (systems, categories, activities, subject types, choices …), a
third says how to fill the file. Sheet titles, notes and list titles are in the user's language;
the column names stay the import's. Every cell goes through dpo_portal.exports (formula-safe).

Each import describes itself as an ImportTemplate: the records import in retention/, the
django-import-export resources through resource_template() here.
"""

import datetime
import io
from dataclasses import dataclass, field

from django.db import models
from django.http import HttpResponse
from django.utils import timezone
from django.utils.translation import gettext as _
from openpyxl import Workbook
from openpyxl.styles import Font

from dpo_portal.exports import append_row, spreadsheet_cell
from dpo_portal.register.importing import (
    OrganisationEntriesWidget,
    OrganisationEntryWidget,
    OrganisationWidget,
)

from .imports import limits_sentence

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"

# A person who exists nowhere, for the example row of an import of people: a valid FIN (letters
# without I and O, and digits), an Azerbaijani mobile number, an address of the example domain.
EXAMPLE_PERSON = {
    "external_ref": "EXAMPLE-0001",
    "first_name": "Nümunə",
    "last_name": "Nümunəli",
    "patronymic": "",
    "birth_date": "1990-01-31",
    "fin": "0EXAMP1",
    "id_document_number": "AA0000001",
    "phone": "050 000 00 01",  # a leading + would be escaped as a formula
    "email": "numune@example.az",
    "address": "",
}


@dataclass
class CodeList:
    title: str  # in the user's language
    column: str  # the import's column it serves
    rows: list = field(default_factory=list)  # [(code, what it is)]


@dataclass
class ImportTemplate:
    name: str  # file name without extension
    columns: list
    example: dict  # {column: value}
    code_lists: list = field(default_factory=list)
    notes: list = field(default_factory=list)  # extra sentences of the import


def workbook(template):
    """The template as XLSX bytes."""
    book = Workbook()
    rows = book.active
    rows.title = _("Rows to import")[:31]
    append_row(rows, template.columns)
    append_row(rows, [template.example.get(column, "") for column in template.columns])
    for cell in rows[1]:
        cell.font = Font(bold=True)
    for index, column in enumerate(template.columns, start=1):
        rows.column_dimensions[rows.cell(row=1, column=index).column_letter].width = max(
            14, len(column) + 4
        )

    codes = book.create_sheet(_("Valid codes")[:31])
    if not template.code_lists:
        append_row(codes, [_("No column of this import takes a code.")])
    for offset, code_list in enumerate(template.code_lists):
        first = offset * 3 + 1
        codes.cell(row=1, column=first, value=code_list.title).font = Font(bold=True)
        codes.cell(row=2, column=first, value=_("column %(column)s") % {"column": code_list.column})
        codes.cell(row=3, column=first, value=_("code")).font = Font(bold=True)
        codes.cell(row=3, column=first + 1, value=_("what it is")).font = Font(bold=True)
        for number, (code, label) in enumerate(code_list.rows, start=4):
            for column, value in ((first, code), (first + 1, label)):
                codes.cell(row=number, column=column, value=_safe(value))
        codes.column_dimensions[codes.cell(row=1, column=first).column_letter].width = 22
        codes.column_dimensions[codes.cell(row=1, column=first + 1).column_letter].width = 36

    notes = book.create_sheet(_("How to fill it")[:31])
    for line in [
        _(
            "Keep the first row of the sheet “%(sheet)s”: its column names are the import's "
            "and stay as they are."
        )
        % {"sheet": rows.title},
        _(
            "The second row is an example from your organisation's register; it imports as it "
            "is. Replace it with your rows, one entry per row."
        ),
        _("Codes come from the sheet “%(sheet)s”; dates are written YYYY-MM-DD.")
        % {"sheet": codes.title},
        *template.notes,
        limits_sentence(),
    ]:
        append_row(notes, [line])
    notes.column_dimensions["A"].width = 110

    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def _safe(value):
    return spreadsheet_cell(str(value) if value is not None else "")


def download(template):
    response = HttpResponse(workbook(template), content_type=XLSX)
    response["Content-Disposition"] = f'attachment; filename="{template.name}.xlsx"'
    return response


def entry_codes(model, organisation):
    """(code, name) of an organisation's entries of a coded model, in code order."""
    return [
        (entry.code, str(entry))
        for entry in model._default_manager.filter(organisation=organisation).order_by("code")
    ]


# --- django-import-export resources ------------------------------------------------------------


def resource_template(resource, organisation, *, name):
    """The template of a resource's import, every column's example and codes derived from the
    resource's widgets and the model's fields; a resource may add ``template_example(
    organisation)`` for the columns only it knows (returns {column: value} and code lists)."""
    model = resource._meta.model
    columns, example, code_lists = [], {}, []
    for resource_field in resource.get_import_fields():
        column = resource_field.column_name
        columns.append(column)
        widget = resource_field.widget
        model_field = _model_field(model, resource_field.attribute)
        if isinstance(widget, OrganisationWidget):
            example[column] = organisation.slug
            code_lists.append(
                CodeList(str(_("organisation")), column, [(organisation.slug, organisation.name)])
            )
        elif isinstance(widget, OrganisationEntryWidget | OrganisationEntriesWidget):
            rows = entry_codes(widget.model, organisation)
            example[column] = rows[0][0] if rows else ""
            code_lists.append(CodeList(str(widget.model._meta.verbose_name_plural), column, rows))
        elif model_field is not None and model_field.choices:
            choices = [(value, str(label)) for value, label in model_field.flatchoices if value]
            example[column] = "" if model_field.blank else choices[0][0]
            code_lists.append(CodeList(str(model_field.verbose_name), column, choices))
        elif resource_field.attribute in EXAMPLE_PERSON and hasattr(model, "PERSONAL_FIELDS"):
            example[column] = EXAMPLE_PERSON[resource_field.attribute]
        elif model_field is not None:
            example[column] = _example_value(model_field, column)
        if model_field is not None and column in ("country", "hosting_country"):
            example[column] = "AZ"
    extra = getattr(resource, "template_example", None)
    notes = []
    if extra is not None:
        more_example, more_lists, notes = extra(organisation)
        example.update(more_example)
        code_lists.extend(more_lists)
    return ImportTemplate(
        name=name, columns=columns, example=example, code_lists=code_lists, notes=notes
    )


def _model_field(model, attribute):
    try:
        return model._meta.get_field(attribute) if attribute else None
    except Exception:
        return None


def _example_value(model_field, column):
    """A valid value of a plain field: its default, else an example of its type (a date in the
    past: a date in the future is refused); empty where the field may be left empty."""
    default = model_field.default
    if default is not models.NOT_PROVIDED and not callable(default) and default not in ("", None):
        return default
    if model_field.blank and column != "code":
        return ""
    if isinstance(model_field, models.DateTimeField):
        moment = timezone.localtime() - datetime.timedelta(days=30)
        return moment.strftime("%Y-%m-%d %H:%M:%S")
    if isinstance(model_field, models.DateField):
        return (timezone.localdate() - datetime.timedelta(days=30)).isoformat()
    if isinstance(model_field, models.BooleanField):
        return "0"
    if isinstance(model_field, models.IntegerField | models.DecimalField):
        return 1
    if column == "code":
        return "example"
    return _("Example")
