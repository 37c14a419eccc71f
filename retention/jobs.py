"""Long retention work started from the admin, run by Celery with progress in the job page."""

from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from dpo_portal.audit.models import AuditEvent
from dpo_portal.jobs.imports import RowsRefused, read_table
from dpo_portal.jobs.registry import job_handler

from . import imports, rules


@job_handler("retention.import_records", gettext_lazy("Record import"))
def import_records(job):
    header, table = read_table(
        bytes(job.payload), job.parameters.get("filename", ""), expected=imports.COLUMNS
    )
    rows = [(number, dict(zip(header, cells, strict=False))) for number, cells in table]
    # Two passes over the rows: validating, then writing.
    job.set_total(len(rows) * 2)
    importer = imports.Importer(job.organisation)
    records = importer.build(rows)
    job.advance(len(rows))
    if importer.errors:
        AuditEvent.record(
            "retention.records_import_refused",
            organisation=job.organisation,
            actor=job.started_by,
            target=job,
            rows=len(rows),
            bad_rows=len({error[0] for error in importer.errors}),
        )
        raise RowsRefused(importer.errors, personal_columns=imports.PERSONAL_COLUMNS)
    written = importer.write(records, progress=job.advance)
    AuditEvent.record(
        "retention.records_imported",
        organisation=job.organisation,
        actor=job.started_by,
        target=job,
        rows=written,
    )
    return _("%(count)s records imported or updated.") % {"count": written}


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
    return _("%(count)s records recomputed.") % {"count": updated}


@job_handler("retention.scrub_disposed_subjects", gettext_lazy("Erasure after disposal"))
def scrub_disposed_subjects(job):
    from .models import DisposalBatch
    from .services import scrub_subjects, subjects_left_without_records

    batch = DisposalBatch.objects.get(pk=job.parameters["batch_id"])
    subjects = subjects_left_without_records(batch)
    job.set_total(subjects.count())
    count = scrub_subjects(subjects, actor=job.started_by, progress=job.advance)
    return _("%(count)s people erased from the portal.") % {"count": count}
