"""A request task carried out in a connected system's database, with a receipt.

The DPO sees a read-only preview (rows per table that would change, held data left out) on the
task, confirms, and a Celery task runs the statements in one transaction on the connector's write
role. Its result becomes the task's receipt (requests.receipts), which resolves the task through
the same service as the DPO's choice. A failure keeps the task open with the reason, without
values, on the task and the triage queue.
"""

import json

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from dpo_portal.connectors import services as connectors
from dpo_portal.connectors.engine import SourceError
from dpo_portal.connectors.models import Connector, ConnectorRun, RunKind, RunStatus
from retention.services import source_holds

from .models import (
    IdentityStatus,
    KeptReason,
    ReceiptOutcome,
    ReceiptSource,
    RequestTask,
    TaskAction,
    TaskStatus,
)
from .receipts import record_receipt

ERASING_ACTIONS = {TaskAction.ERASE, TaskAction.ANONYMISE}
RUN_KIND_FOR_ACTION = {
    TaskAction.ERASE: RunKind.ERASE,
    TaskAction.ANONYMISE: RunKind.ERASE,
    TaskAction.EXPORT: RunKind.ACCESS,
}


def connector_for(task):
    """The task's database connector with a data map, or None."""
    connector = (
        Connector.objects.filter(system_id=task.system_id, data_map__isnull=False)
        .exclude(kind="api")
        .select_related("organisation", "system", "data_map")
        .first()
    )
    if connector is None or task.action not in RUN_KIND_FOR_ACTION:
        return None
    return connector


def _holds(task):
    return source_holds(task.organisation_id, [task.request.subject_id], task.system_id)


def preview(task):
    """(plans, holds, error): what the run would change, table by table, read-only."""
    connector = connector_for(task)
    holds = _holds(task)
    if connector is None or task.request.subject is None:
        return [], holds, ""
    try:
        plans = connectors.preview(
            connector,
            [task.request.subject],
            held_categories=holds.category_ids,
            held_rows=holds.rows,
        )
    except SourceError as error:
        return [], holds, str(error)
    return plans, holds, ""


def last_run(task):
    return ConnectorRun.objects.filter(task_id=task.pk).order_by("-created_at").first()


@transaction.atomic
def confirm_run(task, *, actor):
    """The DPO's go-ahead: queue the run in Celery (ids only) once this transaction commits."""
    from .tasks import run_in_source

    task = (
        RequestTask.objects.select_for_update().select_related("request", "system").get(pk=task.pk)
    )
    if task.status != TaskStatus.OPEN:
        raise ValidationError(
            _("The task for %(system)s is already closed.") % {"system": task.system}
        )
    connector = connector_for(task)
    if connector is None:
        raise ValidationError(_("This system has no database connector for this task."))
    if task.action in ERASING_ACTIONS and task.request.identity_status != IdentityStatus.VERIFIED:
        raise ValidationError(_("Verify the requester's identity before disposing of any data."))
    if ConnectorRun.objects.filter(task_id=task.pk, status=RunStatus.QUEUED).exists():
        raise ValidationError(_("A run for this task is already under way."))
    run = connectors.queue_run(
        connector, kind=RUN_KIND_FOR_ACTION[task.action], task_id=task.pk, actor=actor
    )
    transaction.on_commit(lambda: run_in_source.delay(run.pk))
    return run


def carry_out(run_id, *, final_attempt=True):
    """Run a queued run (the Celery task's body). A retryable failure (server unreachable, a
    lock) is raised for Celery to retry unless it is the final attempt; any other failure, or the
    last, is kept on the run and the task stays open."""
    run = ConnectorRun.objects.select_related(
        "connector__organisation", "connector__system", "confirmed_by"
    ).get(pk=run_id)
    if run.status != RunStatus.QUEUED:
        return run
    task = RequestTask.objects.select_related("request__subject", "system").get(pk=run.task_id)
    run.attempts += 1
    run.started_at = timezone.now()
    run.save(update_fields=["attempts", "started_at", "updated_at"])
    if task.status != TaskStatus.OPEN:
        return connectors.finish_run(run, error=_("The task was closed before the run."))
    subject = task.request.subject
    try:
        if run.kind == RunKind.ERASE:
            holds = _holds(task)
            if holds.whole:
                return _kept_whole(run, task)
            server, database, tables = connectors.erase(
                run.connector, [subject], held_categories=holds.category_ids, held_rows=holds.rows
            )
            export = None
        else:
            data = connectors.read_person(run.connector, subject)
            server, database = "", ""
            tables = [
                {
                    "table": name,
                    "matched": len(rows),
                    "changed": 0,
                    "statement": "",
                    "action": "read",
                }
                for name, rows in data.items()
            ]
            export = {"system": task.system.name, "tables": data}
    except SourceError as error:
        if error.retryable and not final_attempt:
            run.save(update_fields=["attempts", "updated_at"])
            raise
        return connectors.finish_run(run, error=str(error))
    with transaction.atomic():
        connectors.finish_run(run, server=server, database=database, tables=tables)
        try:
            # "Done" even when held tables were left alone: resolving it as erased disposes the
            # records the run erased and keeps those a hold covers, with the hold as the reason.
            record_receipt(
                task,
                source=ReceiptSource.CONNECTOR,
                outcome=ReceiptOutcome.DONE,
                acted_at=run.finished_at,
                tables=tables,
                export=_jsonable(export),
                details={
                    "run_id": run.pk,
                    "server": server,
                    "database": database,
                    "started_at": run.started_at.isoformat(),
                    "finished_at": run.finished_at.isoformat(),
                },
                actor=run.confirmed_by,
            )
        except ValidationError as refusal:
            run.status, run.error = RunStatus.FAILED, " ".join(refusal.messages)
            run.save(update_fields=["status", "error", "updated_at"])
    return run


def _kept_whole(run, task):
    connectors.finish_run(run, tables=[])
    record_receipt(
        task,
        source=ReceiptSource.CONNECTOR,
        outcome=ReceiptOutcome.KEPT,
        kept_reason=KeptReason.LEGAL_HOLD,
        acted_at=timezone.now(),
        details={"run_id": run.pk},
        actor=run.confirmed_by,
    )
    return run


def _jsonable(value):
    if value is None:
        return None
    return json.loads(json.dumps(value, default=str))
