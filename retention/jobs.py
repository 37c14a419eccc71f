"""Long retention work started from the admin, run by Celery with progress in the job page."""

from django.utils.translation import gettext_lazy, ngettext

from dpo_portal.audit.models import AuditEvent
from dpo_portal.jobs.registry import job_handler

from . import imports, rules


class RowsRefused(Exception):
    """The file had bad rows: nothing was written; the job carries the row-error report."""


@job_handler("retention.import_records", gettext_lazy("Record import"))
def import_records(job):
    rows = list(imports.read_rows(bytes(job.payload), job.parameters.get("filename", "")))
    # Two passes over the rows: validating, then writing.
    job.set_total(len(rows) * 2)
    importer = imports.Importer(job.organisation)
    records = importer.build(rows)
    job.advance(len(rows))
    if importer.errors:
        job.attach_result("record-import-errors.csv", importer.error_report(), "text/csv")
        AuditEvent.record(
            "retention.records_import_refused",
            organisation=job.organisation,
            actor=job.started_by,
            target=job,
            rows=len(rows),
            bad_rows=len({number for number, _column, _reason in importer.errors}),
        )
        raise RowsRefused
    written = importer.write(records, progress=job.advance)
    AuditEvent.record(
        "retention.records_imported",
        organisation=job.organisation,
        actor=job.started_by,
        target=job,
        rows=written,
    )
    return ngettext(
        "%(count)s record imported or updated.", "%(count)s records imported or updated.", written
    ) % {"count": written}


@job_handler("retention.recompute_expiry", gettext_lazy("Retention expiry recompute"))
def recompute_expiry(job):
    updated = rules.recompute_organisation(
        job.organisation_id, on_total=job.set_total, progress=job.advance
    )
    AuditEvent.record(
        "retention.expiry_recomputed",
        organisation=job.organisation,
        actor=job.started_by,
        target=job,
        records=updated,
    )
    return ngettext("%(count)s record recomputed.", "%(count)s records recomputed.", updated) % {
        "count": updated
    }


@job_handler("retention.scrub_disposed_subjects", gettext_lazy("Erasure after disposal"))
def scrub_disposed_subjects(job):
    from .models import DisposalBatch
    from .services import scrub_subjects, subjects_left_without_records

    batch = DisposalBatch.objects.get(pk=job.parameters["batch_id"])
    subjects = subjects_left_without_records(batch)
    job.set_total(subjects.count())
    count = scrub_subjects(subjects, actor=job.started_by, progress=job.advance)
    return ngettext(
        "%(count)s person erased from the portal.",
        "%(count)s people erased from the portal.",
        count,
    ) % {"count": count}
