"""Receipts: the system that did a task's work says so, and its answer resolves the task.

A receipt comes from the integration API (a system's token) or a database connector. It is kept
as evidence (requests.models.TaskReceipt, immutable, hashed) and closes the task through the
same service as the DPO's choice on the request page (fulfilment.resolve_task), so a receipt
disposes of the inventory's records, respects legal holds and writes the same audit event.

Who acts: no person does. ``actor`` is the user the caller answers for, or None when a system
answered on its own (a token, a connector run). With None, the audit events are written with no
user (like a scheduled job's) and carry the system's id and the receipt's source in their
details, and the task's ``resolved_by`` stays empty while its receipt names the system: the
system is the actor, and the evidence says which and how.
"""

import datetime
import json

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from dpo_portal.audit.models import AuditEvent

from .fulfilment import Resolution, resolve_task
from .models import (
    RECEIPT_EXPORT_MAX_BYTES,
    KeptReason,
    ReceiptOutcome,
    ReceiptSource,
    RequestTask,
    TaskAction,
    TaskReceipt,
    TaskStatus,
)

# The resolution a "done" receipt means for each action (the DPO's dropdown has the same).
DONE_RESOLUTION = {
    TaskAction.ERASE: Resolution.ERASED,
    TaskAction.ANONYMISE: Resolution.ANONYMISED,
    TaskAction.ARCHIVE: Resolution.ARCHIVED,
    TaskAction.RECTIFY: Resolution.DONE,
    TaskAction.EXPORT: Resolution.DONE,
    TaskAction.RESTRICT: Resolution.DONE,
    TaskAction.STOP_PROCESSING: Resolution.DONE,
}

TABLE_KEYS = ("table", "matched", "changed", "statement")


class TaskAlreadyResolved(Exception):
    """The task was closed before this receipt arrived (the API answers 409)."""

    def __init__(self, task):
        super().__init__(f"task {task.pk} is already {task.status}")
        self.task = task


def _clean_tables(tables):
    cleaned = []
    for index, entry in enumerate(tables or ()):
        if not isinstance(entry, dict) or not str(entry.get("table", "")).strip():
            raise ValidationError(_("Table %(n)s of the receipt has no name.") % {"n": index + 1})
        counts = {}
        for key in ("matched", "changed"):
            value = entry.get(key, 0)
            if isinstance(value, bool) or not isinstance(value, int) or value < 0:
                raise ValidationError(
                    _("Table %(n)s of the receipt: “%(key)s” must be a whole number, 0 or more.")
                    % {"n": index + 1, "key": key}
                )
            counts[key] = value
        cleaned.append(
            {
                "table": str(entry["table"]).strip(),
                "matched": counts["matched"],
                "changed": counts["changed"],
                "statement": str(entry.get("statement") or ""),
            }
        )
    return cleaned


def _check_export(export):
    if export is None:
        return None
    if len(json.dumps(export, ensure_ascii=False).encode()) > RECEIPT_EXPORT_MAX_BYTES:
        raise ValidationError(
            _("The exported data is larger than %(mb)s MB.")
            % {"mb": RECEIPT_EXPORT_MAX_BYTES // (1024 * 1024)}
        )
    return export


@transaction.atomic
def record_receipt(
    task,
    *,
    source,
    outcome,
    acted_at,
    tables=(),
    kept_reason="",
    note="",
    export=None,
    details=None,
    actor,
):
    """Keep a system's receipt for ``task`` and resolve the task with it.

    Refuses a receipt for a task already closed (TaskAlreadyResolved) — one answer per task —
    and a receipt resolve_task would refuse (ValidationError: identity not verified, a kept
    receipt without its reason …), keeping nothing. Returns the receipt."""
    task = (
        RequestTask.objects.select_for_update(of=("self",))
        .select_related("system", "organisation")
        .get(pk=task.pk)
    )
    if task.status != TaskStatus.OPEN:
        raise TaskAlreadyResolved(task)
    if source not in ReceiptSource.values:
        raise ValidationError(_("Unknown receipt source."))
    if outcome not in ReceiptOutcome.values:
        raise ValidationError(_("A receipt says “done” or “kept”."))
    if outcome == ReceiptOutcome.KEPT and kept_reason not in KeptReason.values:
        raise ValidationError(_("Say why the data is kept."))
    if outcome == ReceiptOutcome.DONE:
        kept_reason = ""
    if acted_at is None or timezone.is_naive(acted_at):
        raise ValidationError(_("Give the time of the action with its time zone."))
    if acted_at > timezone.now() + datetime.timedelta(minutes=5):
        raise ValidationError(_("The time of the action is in the future."))
    if export is not None and task.action != TaskAction.EXPORT:
        raise ValidationError(_("Only an export task's receipt carries data."))
    receipt = TaskReceipt(
        organisation_id=task.organisation_id,
        task=task,
        system_id=task.system_id,
        source=source,
        outcome=outcome,
        kept_reason=kept_reason or "",
        note=(note or "").strip(),
        acted_at=acted_at,
        received_at=timezone.now(),
        tables=_clean_tables(tables),
        export=_check_export(export),
        details=dict(details or {}),
    )
    resolution = Resolution.KEPT if outcome == ReceiptOutcome.KEPT else DONE_RESOLUTION[task.action]
    resolve_task(
        task, actor=actor, resolution=resolution, kept_reason=kept_reason, note=receipt.note
    )
    receipt.save()
    AuditEvent.record(
        "requests.task_receipt",
        organisation=task.organisation,
        actor=actor,
        target=task.request,
        task_id=task.pk,
        receipt_id=receipt.pk,
        system_id=task.system_id,
        source=source,
        outcome=outcome,
        kept_reason=receipt.kept_reason,
        tables=len(receipt.tables),
        changed=sum(entry["changed"] for entry in receipt.tables),
        sha256=receipt.sha256,
    )
    return receipt
