"""The import of any django-import-export resource, run as a background job.

The admin's import page (import_admin.py) stores the file in the job row and names the resource
by its dotted path; the worker reads the file bounded (imports.read_table), refuses duplicate
rows, and imports every row in one transaction: one bad row and nothing is written, and the job
carries the row-error report (row, column, value, reason).
"""

import tablib
from django.utils.module_loading import import_string
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from import_export.results import RowResult

from dpo_portal.audit.models import AuditEvent

from . import imports
from .registry import job_handler

IMPORT_KIND = "jobs.import_rows"


def resource_columns(resource):
    return [field.column_name for field in resource.get_import_fields()]


def key_columns(resource):
    by_attribute = {field.attribute: field.column_name for field in resource.get_import_fields()}
    return [by_attribute.get(name, name) for name in resource._meta.import_id_fields]


def row_errors(resource, result, header, rows):
    """(row, column, value, reason) of every bad row of an import result, each reason under the
    column of the file that holds the value (the field's column name, not its attribute)."""
    column_of = {
        name: field.column_name for name, field in resource.fields.items() if field.column_name
    }
    numbers = [number for number, _cells in rows]
    errors = []
    for invalid in result.invalid_rows:
        cells = rows[invalid.number - 1][1]
        for field, messages in invalid.error_dict.items():
            column = column_of.get(field, "—")
            index = header.index(column) if column in header else None
            value = cells[index] if index is not None and index < len(cells) else ""
            for message in messages:
                errors.append((numbers[invalid.number - 1], column, value, str(message)))
    for index, row_result in enumerate(result.rows):
        if row_result.import_type == RowResult.IMPORT_TYPE_ERROR:
            for error in row_result.errors:
                errors.append((numbers[index], "—", "", str(error.error)))
    return errors


@job_handler(IMPORT_KIND, gettext_lazy("Import"))
def import_rows(job):
    resource = import_string(job.parameters["resource"])()
    columns = resource_columns(resource)
    header, rows = imports.read_table(
        bytes(job.payload), job.parameters["filename"], expected=columns
    )
    job.set_total(len(rows))
    personal = set(getattr(resource, "personal_columns", ()))
    duplicates = imports.duplicate_rows(header, rows, key_columns(resource))
    if duplicates:
        raise imports.RowsRefused(duplicates, personal_columns=personal)
    if getattr(resource, "bulk_rows", None):
        totals = _import_in_bulk(resource, job, header, rows)
    else:
        totals = _import_row_by_row(resource, job, header, rows, personal)
    AuditEvent.record(
        "jobs.rows_imported",
        organisation=job.organisation,
        actor=job.started_by,
        target=job,
        model=resource._meta.model._meta.label_lower,
        rows=len(rows),
        new=totals.get(RowResult.IMPORT_TYPE_NEW, 0),
        updated=totals.get(RowResult.IMPORT_TYPE_UPDATE, 0),
    )
    return _("%(rows)s rows imported: %(new)s new, %(updated)s updated, %(skipped)s unchanged.") % {
        "rows": len(rows),
        "new": totals.get(RowResult.IMPORT_TYPE_NEW, 0),
        "updated": totals.get(RowResult.IMPORT_TYPE_UPDATE, 0),
        "skipped": totals.get(RowResult.IMPORT_TYPE_SKIP, 0),
    }


def _cells(cells, header):
    """A row's cells, one per column. An empty XLSX cell reads as None, an empty CSV cell as
    "", a short row lacks its last cells: all are an empty cell, which an optional text field
    takes as "" (None would be a NULL its column refuses)."""
    width = len(header)
    return ["" if cell is None else cell for cell in (list(cells) + [None] * width)[:width]]


def _import_in_bulk(resource, job, header, rows):
    """A resource with a bulk path (register/subject_import.py): checked, then written."""
    job.set_total(len(rows) * 2)  # two passes: checking, then writing
    table = [
        (number, dict(zip(header, _cells(cells, header), strict=True))) for number, cells in rows
    ]
    bulk = resource.bulk_rows(organisation_id=job.organisation_id, user=job.started_by)
    return bulk.import_rows(table, progress=job.advance)


def _import_row_by_row(resource, job, header, rows, personal):
    dataset = tablib.Dataset(*[_cells(cells, header) for _number, cells in rows], headers=header)
    result = resource.import_data(
        dataset,
        dry_run=False,
        raise_errors=False,
        use_transactions=True,
        rollback_on_validation_errors=True,  # all or nothing: one bad row and nothing is written
        collect_failed_rows=False,
        user=job.started_by,
        organisation_id=job.organisation_id,
        progress=job.advance,
    )
    if result.has_errors() or result.has_validation_errors():
        raise imports.RowsRefused(
            row_errors(resource, result, header, rows), personal_columns=personal
        )
    return result.totals
