"""Long retention work started from the admin, run by Celery with progress in the job page."""

from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext

from dpo_portal.audit.models import AuditEvent
from dpo_portal.connectors import services as connectors
from dpo_portal.connectors.models import Connector
from dpo_portal.jobs.imports import RowsRefused, read_table
from dpo_portal.jobs.registry import job_handler

from . import connector_sync, imports, rules


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


def _sweep_links(job):
    from django.urls import reverse

    from .models import BatchStatus

    batches = reverse("admin:retention_disposalbatch_changelist")
    return [
        (
            _("Disposal batches awaiting a decision"),
            f"{batches}?organisation={job.organisation_id}&status__exact={BatchStatus.PENDING}",
        )
    ]


@job_handler("retention.sweep", gettext_lazy("Retention sweep"), links=_sweep_links)
def sweep_organisation(job):
    """The sweep of one organisation started from the admin, chunk by chunk with progress. A
    worker that dies leaves the job unacknowledged; another worker picks it up again
    (CELERY_BROKER_TRANSPORT_OPTIONS' visibility timeout) and, the sweep being idempotent,
    simply runs it again, saying so on the job page meanwhile."""
    from dpo_portal.jobs.models import Job

    from . import sweep
    from .models import BatchStatus, DisposalBatch

    if job.done:  # progress from an attempt that did not finish
        Job.objects.filter(pk=job.pk).update(done=0, message=_("Interrupted, resuming."))
    ids = [job.organisation_id]
    today = timezone.localdate()
    chunks = sweep.plan_chunks(organisation_ids=ids)
    job.set_total(len(chunks))
    totals = {}
    for first_pk, last_pk in chunks:
        for key, value in sweep.sweep_chunk(
            first_pk, last_pk, today=today, organisation_ids=ids
        ).items():
            totals[key] = totals.get(key, 0) + value
        job.advance()
    sweep.record_sweep(
        [totals], today=today.isoformat(), organisation_ids=ids, actor_id=job.started_by_id
    )
    pending = DisposalBatch.objects.filter(
        organisation_id=job.organisation_id, status=BatchStatus.PENDING
    ).count()
    return _(
        "%(due)s records newly due, %(held)s put on hold; %(pending)s disposal batches await "
        "a decision."
    ) % {"due": totals.get("due", 0), "held": totals.get("on_hold", 0), "pending": pending}


@job_handler(connector_sync.SYNC_JOB, gettext_lazy("Inventory sync from a connected system"))
def sync_job(job):
    connector = Connector.objects.select_related("organisation", "system", "data_map").get(
        pk=job.parameters["connector_id"], organisation_id=job.organisation_id
    )
    job.set_total(connectors.synced_row_count(connector))
    counts = connector_sync.sync(connector, actor=job.started_by, progress=job.advance)
    return (
        _(
            "%(new)s records created, %(changed)s updated, %(unchanged)s unchanged, "
            "%(disposed)s disposed (gone from the source). People unknown to the register: "
            "%(unknown_reported)s reported, %(unknown_created)s created as data subjects; "
            "%(erased_refused)s erased people refused; %(refused)s rows left out."
        )
        % counts
    )
