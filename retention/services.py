"""Retention use cases: legal holds, disposal decisions, and the helpers the requests app calls to
honour holds when it erases on request. Every function is one transaction and writes its own
AuditEvent (ids, counts and codes only)."""

import hashlib
from collections import OrderedDict
from dataclasses import dataclass

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import connection, transaction
from django.db.models import Count, Exists, F, OuterRef, Q, Window
from django.db.models.functions import RowNumber
from django.utils import timezone
from django.utils.translation import gettext as _

from dpo_portal.approvals.services import (
    DISPOSAL_APPROVAL,
    HOLD_RELEASE,
    confirm_second_approval,
    requires_second_approval,
    signatures,
)
from dpo_portal.audit.models import AuditEvent
from dpo_portal.connectors.engine import SourceError
from dpo_portal.connectors.models import ConnectorRun, RunStatus
from dpo_portal.connectors.services import finish_run as connector_finish_run
from dpo_portal.register.models import DataSubject
from dpo_portal.register.services import erase_subject

from . import connector_disposal
from .models import (
    BatchExclusion,
    BatchStatus,
    CertificateCounter,
    DisposalBatch,
    EndAction,
    LegalHold,
    Record,
    RecordStatus,
    held_condition,
)

# Actions after which the portal's own copy of the person's identity has no purpose left.
SCRUBBING_ACTIONS = {EndAction.ERASE, EndAction.ANONYMISE}


# --- Legal holds ------------------------------------------------------------------------------


@transaction.atomic
def place_hold(*, organisation, actor, reason, reference="", until=None, **target):
    """Place a hold on exactly one of subject=, system=, category= or record=."""
    hold = LegalHold(
        organisation=organisation,
        reason=reason,
        reference=reference,
        until=until,
        placed_by=actor,
        placed_at=timezone.now(),
        **target,
    )
    hold.full_clean()
    if hold.target.organisation_id != organisation.pk:
        raise ValidationError(_("The hold's target belongs to another organisation."))
    hold._history_user = actor
    hold.save()
    AuditEvent.record(
        "retention.hold_placed",
        organisation=organisation,
        actor=actor,
        target=hold,
        on=next(name for name in LegalHold.TARGET_FIELDS if target.get(name) is not None),
        target_id=hold.target.pk,
        until=until.isoformat() if until else None,
    )
    return hold


@transaction.atomic
def release_hold(hold, *, actor, reason=""):
    """Release a hold. Records it kept on hold go back to active, so the next sweep takes them
    up again (unless another hold still covers them). With four eyes on, the first call records
    the first approval and the hold stays; a second DPO's call releases it."""
    hold = LegalHold.objects.select_for_update().select_related("organisation").get(pk=hold.pk)
    if hold.released_at is not None:
        return hold
    if requires_second_approval(hold.organisation):
        approval = confirm_second_approval(action=HOLD_RELEASE, target=hold, actor=actor)
        if not approval.confirmed:
            return hold
    hold.released_at, hold.released_by, hold.release_reason = timezone.now(), actor, reason
    hold._history_user = actor
    hold.save()
    freed = (
        Record.objects.filter(organisation_id=hold.organisation_id, status=RecordStatus.ON_HOLD)
        .exclude_held()
        .update(status=RecordStatus.ACTIVE, updated_at=timezone.now())
    )
    AuditEvent.record(
        "retention.hold_released",
        organisation=hold.organisation,
        actor=actor,
        target=hold,
        records_freed=freed,
    )
    return hold


# --- Helpers for the requests app -------------------------------------------------------------


def held_records(records):
    """The records of ``records`` (a queryset) that an active legal hold covers."""
    return records.held()


def records_by_system(subject):
    """{system: [records]} of a subject's undisposed records, each with ``is_held`` set, for
    the per-system tasks of a request. Three queries whatever the number of records."""
    records = (
        Record.objects.for_subject(subject)
        .undisposed()
        .select_related("system", "category", "activity", "rule")
        .annotate(is_held=held_annotation())
        .order_by("system__name", "category__name", "pk")
    )
    grouped = OrderedDict()
    for record in records:
        grouped.setdefault(record.system, []).append(record)
    return grouped


def record_overview_by_system(subject, *, shown):
    """[(system, the first ``shown`` records, how many there are, how many are held)] of a
    subject's undisposed records, for the request page: a person with ten thousand records made
    it render every one (seconds). Two queries whatever the number of records: the counts, and
    the rows shown (the first ``shown`` per system, ranked in a subquery)."""
    records = Record.objects.for_subject(subject).undisposed()
    counts = {
        row["system_id"]: (row["total"], row["held"])
        for row in records.order_by()
        .values("system_id")
        .annotate(total=Count("pk"), held=Count("pk", filter=held_condition()))
    }
    # Ranked on the record's own columns first; the hold test and the joins only for those.
    ranked = records.annotate(
        rank=Window(
            RowNumber(),
            partition_by=[F("system_id")],
            order_by=[F("category_id").asc(), F("pk").asc()],
        )
    ).filter(rank__lte=shown)
    # The outer rows are the subject's too: the planner takes the ranked subquery for all of
    # the person's rows (it does not see the rank's limit), and given only the ids it read the
    # whole record table (180 ms for a person with 10,000 records; 17 ms on the subject index).
    first = (
        records.filter(pk__in=ranked.values("pk"))
        .select_related("system", "category", "activity", "rule")
        .annotate(is_held=held_annotation())
        .order_by("system__name", "category__name", "pk")
    )
    grouped = OrderedDict()
    for record in first:
        grouped.setdefault(record.system, []).append(record)
    return [(system, rows, *counts[system.pk]) for system, rows in grouped.items()]


def held_annotation():
    return held_condition()


@dataclass
class DisposalResult:
    disposed: int
    held: int


@transaction.atomic
def dispose_records(records, *, actor, action, reason, **details):
    """Dispose of ``records`` (a queryset) by ``action`` (an EndAction), leaving any that a legal
    hold covers untouched: those are refused and counted in ``held``. ``reason`` is a code such
    as "request" or "disposal"; ``details`` go into the audit event (who acted, when it is not a
    user: a connector). The caller scrubs the person (erase_subject) when it should."""
    if action not in EndAction.values:
        raise ValueError(action)
    live = records.exclude(status=RecordStatus.DISPOSED)
    held = live.held().count()
    disposed = live.exclude_held().update(
        status=RecordStatus.DISPOSED,
        disposed_at=timezone.now(),
        disposal_action=action,
        updated_at=timezone.now(),
    )
    organisation_ids = set(
        records.order_by().values_list("organisation_id", flat=True).distinct()[:2]
    )
    if len(organisation_ids) == 1:
        from dpo_portal.register.models import Organisation

        AuditEvent.record(
            "retention.records_disposed",
            organisation=Organisation.objects.get(pk=organisation_ids.pop()),
            actor=actor,
            end_action=action,
            reason=reason,
            disposed=disposed,
            refused_on_hold=held,
            **details,
        )
    return DisposalResult(disposed=disposed, held=held)


# --- Disposal batches -------------------------------------------------------------------------


def _lock_undecided(batch):
    batch = DisposalBatch.objects.select_for_update().select_related("rule").get(pk=batch.pk)
    if batch.status not in {BatchStatus.PENDING, BatchStatus.EXTENDED}:
        raise ValidationError(_("This batch has already been decided."))
    return batch


def _require_approver(batch, actor):
    from dpo_portal.register.roles import organisation_ids_for

    if not actor.is_superuser and batch.organisation_id not in organisation_ids_for(
        actor, "retention.approve_disposalbatch"
    ):
        raise PermissionDenied


def next_certificate_number(organisation_id, year):
    """Take the organisation's next certificate number of ``year``: DC-2026-000001, …, without
    gaps (the counter row is locked and moves in the approval's transaction)."""
    number = _advance_certificate_counter(organisation_id, year)
    if number is None:  # the organisation's first certificate of the year
        CertificateCounter.objects.get_or_create(organisation_id=organisation_id, year=year)
        number = _advance_certificate_counter(organisation_id, year)
    return f"DC-{year}-{number:06d}"


def _advance_certificate_counter(organisation_id, year):
    """The counter moved on by one, its new value (None if the row does not exist yet). One
    statement, where a read, a locking read and a save took three: the UPDATE locks the row
    until the caller's transaction ends, as the locking read did."""
    table = connection.ops.quote_name(CertificateCounter._meta.db_table)
    with connection.cursor() as cursor:
        cursor.execute(
            f"UPDATE {table} SET last_number = last_number + 1 "
            "WHERE organisation_id = %s AND year = %s RETURNING last_number",
            [organisation_id, year],
        )
        row = cursor.fetchone()
    return row[0] if row else None


def disposed_ids_digest(record_ids):
    """SHA-256 over the sorted record ids, in decimal, one per line, each ending in a newline:
    what anyone can recompute from the certificate's list of ids. Hashed as one text (not an
    update per id: a batch has thousands)."""
    return hashlib.sha256("".join(f"{i}\n" for i in sorted(record_ids)).encode()).hexdigest()


@transaction.atomic
def approve_batch(batch, *, actor):
    """Dispose of the batch's records by its rule's end action and issue the certificate.

    With four eyes on (the organisation's setting), the first DPO's approval is recorded and
    the batch waits; a second DPO's confirmation disposes. Records placed on hold after
    batching stay out: they go back to on hold. For erase and anonymise, people left with no
    record anywhere in the inventory are scrubbed from the portal too (consent evidence, then
    the subject row and its history).

    A batch of a connected system (a database connector with a data map) is first carried out
    in that database: the approval queues the run and the batch waits "in the system"; the
    records are disposed of and the certificate issued when the run has succeeded
    (finish_in_source), and not at all while it fails."""
    _require_approver(batch, actor)
    batch = _lock_undecided(batch)
    approval = None
    if requires_second_approval(batch.organisation):
        approval = confirm_second_approval(action=DISPOSAL_APPROVAL, target=batch, actor=actor)
        if not approval.confirmed:
            return batch
    now = timezone.now()
    batch.decided_by, batch.decided_at = actor, now
    batch.signatures = signatures(approval, actor=actor, at=now, organisation=batch.organisation)
    connector = connector_disposal.connector_for(batch)
    if connector is None:
        return _dispose_batch(batch, actor=actor, held_ids=None)
    batch.status = BatchStatus.IN_SOURCE
    batch._history_user = actor
    batch.save()
    run = _send_to_source(batch, connector, actor=actor)
    AuditEvent.record(
        "retention.batch_sent_to_source",
        organisation=batch.organisation,
        actor=actor,
        target=batch,
        run_id=run.pk,
        records=batch.record_count,
        approvers=[signature["user_id"] for signature in batch.signatures],
    )
    return batch


def _send_to_source(batch, connector, *, actor):
    from .tasks import dispose_in_source

    run = connector_disposal.queue(batch, connector, actor=actor)
    transaction.on_commit(lambda: dispose_in_source.delay(run.pk))
    return run


@transaction.atomic
def retry_in_source(batch, *, actor):
    """Queue the approved batch's run again after a failure (the approval stands)."""
    _require_approver(batch, actor)
    batch = DisposalBatch.objects.select_for_update().select_related("rule").get(pk=batch.pk)
    if batch.status != BatchStatus.IN_SOURCE:
        raise ValidationError(_("This batch is not waiting for its system."))
    if connector_disposal.has_queued_run(batch):
        raise ValidationError(_("A run for this batch is already under way."))
    connector = connector_disposal.connector_for(batch)
    if connector is None:
        raise ValidationError(_("This system has no database connector any more."))
    return _send_to_source(batch, connector, actor=actor)


def finish_in_source(run_id, *, final_attempt=True):
    """The Celery task's body: run the batch in its source and, only if that succeeded, dispose
    of the records and issue the certificate. The batch row stays locked from before the run
    until the records are disposed, so a retry and a late duplicate cannot both act. A
    retryable failure is raised again (after the attempt is saved) for Celery to retry."""
    retry = None
    with transaction.atomic():
        run = ConnectorRun.objects.select_related(
            "connector__organisation", "connector__system", "connector__data_map", "confirmed_by"
        ).get(pk=run_id)
        # The batch's row alone ("self"): FOR UPDATE on the join would lock the organisation's
        # and the rule's rows too for the whole run in the source, and every insert naming the
        # organisation (a person, a record, a request) would wait for it.
        batch = (
            DisposalBatch.objects.select_for_update(of=("self",))
            .select_related("rule", "organisation")
            .get(pk=run.batch_id)
        )
        if run.status != RunStatus.QUEUED:
            return run
        if batch.status != BatchStatus.IN_SOURCE:
            return connector_finish_run(
                run, error=_("The batch was no longer waiting for its system.")
            )
        try:
            # The source's transaction commits inside; the records change right after it.
            located = connector_disposal.run(run, batch, final_attempt=final_attempt)
        except SourceError as error:
            retry, located = error, None
        if located is not None:
            batch.unlocated_in_source = located.unlocated
            _dispose_batch(batch, actor=run.confirmed_by, held_ids=located.held_ids)
    if retry is not None:
        raise retry
    return run


def _dispose_batch(batch, *, actor, held_ids):
    """Dispose of the decided batch's due records (those ``held_ids`` names, or that a hold
    covers now, go back to on hold) and issue its certificate."""
    now = timezone.now()
    action = batch.rule.end_action
    records = Record.objects.filter(disposal_batch=batch, status=RecordStatus.DUE)
    held = records.held() if held_ids is None else records.filter(pk__in=held_ids)
    kept = held.update(status=RecordStatus.ON_HOLD, disposal_batch=None, updated_at=now)
    disposed_ids = _mark_disposed(batch, action=action, now=now)
    disposed = len(disposed_ids)
    scrubbed = 0
    if action in SCRUBBING_ACTIONS and disposed:
        # The ids once: counting the query and then iterating it (a server-side cursor, planned
        # for its first rows) ran it twice, seconds each on a batch of thousands of records.
        # Unordered: the subjects' default order joins the organisation and sorts by name,
        # for ids that scrub_subjects orders itself.
        subject_ids = list(
            subjects_left_without_records(batch).order_by().values_list("pk", flat=True)
        )
        if len(subject_ids) <= SCRUB_INLINE_LIMIT:
            scrubbed = scrub_subjects(DataSubject.objects.filter(pk__in=subject_ids), actor=actor)
        else:
            # Thousands of people: erasing each takes a few queries; a worker does it once this
            # approval has committed, with progress on its job page.
            from dpo_portal.jobs.models import start_job

            start_job(
                "retention.scrub_disposed_subjects",
                organisation=batch.organisation,
                actor=actor,
                parameters={"batch_id": batch.pk},
            )
            scrubbed = "background"
    batch.status = BatchStatus.APPROVED
    batch.disposed_count, batch.kept_on_hold_count = disposed, kept
    batch.action = action
    batch.legal_reference = batch.rule.legal_reference
    batch.certificate_number = next_certificate_number(
        batch.organisation_id, timezone.localdate(now).year
    )
    batch.first_record_id = disposed_ids[0] if disposed_ids else None
    batch.last_record_id = disposed_ids[-1] if disposed_ids else None
    batch.disposed_ids_sha256 = disposed_ids_digest(disposed_ids)
    batch._history_user = actor
    batch.save()
    AuditEvent.record(
        "retention.batch_approved",
        organisation=batch.organisation,
        actor=actor,
        target=batch,
        end_action=action,
        disposed=disposed,
        kept_on_hold=kept,
        subjects_scrubbed=scrubbed,
        certificate=batch.certificate_number,
        approvers=[signature["user_id"] for signature in batch.signatures],
    )
    return batch


def _mark_disposed(batch, *, action, now):
    """Mark the batch's due records disposed; returns their ids, sorted. One UPDATE … RETURNING:
    the ids the certificate lists (its digest, first and last id) are the rows this statement
    changed, not a second read of the table (0.1 s on a batch of thousands)."""
    table = connection.ops.quote_name(Record._meta.db_table)
    at = connection.ops.adapt_datetimefield_value(now)  # as the ORM writes it (SQLite: naive UTC)
    with connection.cursor() as cursor:
        cursor.execute(
            f"UPDATE {table} SET status = %s, disposed_at = %s, disposal_action = %s, "
            "updated_at = %s WHERE disposal_batch_id = %s AND status = %s RETURNING id",
            [str(RecordStatus.DISPOSED), at, str(action), at, batch.pk, str(RecordStatus.DUE)],
        )
        return sorted(record_id for (record_id,) in cursor.fetchall())


class ExclusionKind:
    EXTENSION = "extension"
    HOLD = "hold"


@transaction.atomic
def exclude_records(batch, record_ids, *, actor, reason, until=None, reference=""):
    """Take records out of an undecided batch, each kept by a hold on the record: until a date
    (an extension) or with no end (``until=None``). The batch's count follows; the sweep takes
    an extended record up again once its hold has run out."""
    _require_approver(batch, actor)
    batch = _lock_undecided(batch)
    if not reason.strip():
        raise ValidationError(_("Excluding records needs a reason."))
    if until is not None and until <= timezone.localdate():
        raise ValidationError(_("The new date must lie in the future."))
    records = list(
        Record.objects.filter(
            disposal_batch=batch, status=RecordStatus.DUE, pk__in=list(record_ids)
        ).order_by("pk")
    )
    if not records:
        raise ValidationError(_("Choose at least one record of this batch."))
    for record in records:
        hold = place_hold(
            organisation=batch.organisation,
            actor=actor,
            reason=reason,
            reference=reference or str(batch),
            until=until,
            record=record,
        )
        BatchExclusion.objects.create(
            organisation=batch.organisation, batch=batch, record=record, hold=hold
        )
    excluded = Record.objects.filter(pk__in=[record.pk for record in records]).update(
        status=RecordStatus.ON_HOLD, disposal_batch=None, updated_at=timezone.now()
    )
    batch.record_count = batch.records.count()
    batch._history_user = actor
    batch.save(update_fields=["record_count", "updated_at"])
    AuditEvent.record(
        "retention.records_excluded",
        organisation=batch.organisation,
        actor=actor,
        target=batch,
        records=excluded,
        kind=ExclusionKind.EXTENSION if until else ExclusionKind.HOLD,
        until=until,
        record_ids=[record.pk for record in records],
    )
    return excluded


SCRUB_INLINE_LIMIT = 200


def subjects_left_without_records(batch):
    """People whose records this batch disposed and who have no live record left anywhere."""
    remaining = Record.objects.filter(subject_id=OuterRef("pk")).exclude(
        status=RecordStatus.DISPOSED
    )
    disposed = Record.objects.filter(disposal_batch=batch, status=RecordStatus.DISPOSED)
    return DataSubject.objects.filter(
        pk__in=disposed.order_by().values("subject_id"), erased_at__isnull=True
    ).exclude(Exists(remaining))


def scrub_subjects(subjects, *, actor, progress=None):
    """Erase each person from the portal: consent evidence first, then the subject row and its
    history (register.services.erase_subject). Safe to run again: erased people are skipped."""
    from consent.services import scrub_consent_evidence

    count = 0
    for subject in subjects.select_related("organisation").order_by("pk").iterator():
        with transaction.atomic():
            scrub_consent_evidence(subject, actor=actor)
            erase_subject(subject, actor=actor, reason="disposal")
        count += 1
        if progress:
            progress(1)
    return count


@transaction.atomic
def extend_batch(batch, *, actor, justification, until):
    _require_approver(batch, actor)
    batch = _lock_undecided(batch)
    if not justification.strip():
        raise ValidationError(_("An extension needs a justification."))
    if until <= timezone.localdate():
        raise ValidationError(_("The new date must lie in the future."))
    batch.status, batch.extended_until, batch.justification = (
        BatchStatus.EXTENDED,
        until,
        justification,
    )
    batch.decided_by, batch.decided_at = actor, timezone.now()
    batch._history_user = actor
    batch.save()
    AuditEvent.record(
        "retention.batch_extended",
        organisation=batch.organisation,
        actor=actor,
        target=batch,
        until=until.isoformat(),
    )
    return batch


@transaction.atomic
def reject_batch(batch, *, actor, justification):
    """Keep the records: they stay due, tied to this rejected batch, so the sweep does not offer
    them again; a rule change that makes them not due puts them back to active."""
    _require_approver(batch, actor)
    batch = _lock_undecided(batch)
    if not justification.strip():
        raise ValidationError(_("A rejection needs a justification."))
    batch.status, batch.justification = BatchStatus.REJECTED, justification
    batch.decided_by, batch.decided_at = actor, timezone.now()
    batch._history_user = actor
    batch.save()
    AuditEvent.record(
        "retention.batch_rejected",
        organisation=batch.organisation,
        actor=actor,
        target=batch,
        records=batch.record_count,
    )
    return batch


# --- Helpers for the connectors ---------------------------------------------------------------


@dataclass
class SourceHolds:
    """The legal holds a connector's statements must leave alone, for some people in a system."""

    whole: bool  # a hold on the person or the system: nothing may change there
    category_ids: set
    rows: dict  # {collection: {primary key as text}} of the records held one by one


def source_holds(organisation_id, subject_ids, system_id):
    active = LegalHold.objects.active().filter(organisation_id=organisation_id)
    whole = active.filter(Q(subject_id__in=subject_ids) | Q(system_id=system_id)).exists()
    category_ids = set(active.filter(category__isnull=False).values_list("category_id", flat=True))
    rows = {}
    held = active.filter(
        record__system_id=system_id, record__subject_id__in=subject_ids
    ).values_list("record__external_id", flat=True)
    for external_id in held:
        collection, _sep, key = external_id.partition(":")
        rows.setdefault(collection, set()).add(key)
    return SourceHolds(whole=whole, category_ids=category_ids, rows=rows)
