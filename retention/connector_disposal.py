"""A disposal batch carried out in a connected system's database.

When a batch of a system that has a database connector (and a data map) is approved for erasure
or anonymisation, the records are not marked disposed straight away: the portal first changes
the source, in one transaction on the connector's write role, through the connectors' own
preview/erase (the same code as a request's per-system task). The batch's records name their
rows (``collection:key``, as the sync writes them); the statements touch only the fields of the
batch's category, never those of a category under a legal hold, and never a held record's row.

This module is the source side: which connector, which rows, the read-only preview shown on the
batch page, and the run itself. retention.services decides (approve_batch) and records the
outcome (the records disposed and the certificate issued only once the run has succeeded).
"""

from dataclasses import dataclass, field

from django.db.models import OuterRef, Subquery
from django.utils import timezone

from dpo_portal.connectors import mapping
from dpo_portal.connectors import services as connectors
from dpo_portal.connectors.engine import SourceError
from dpo_portal.connectors.models import Connector, ConnectorRun, RunKind, RunStatus

from .models import BatchStatus, DisposalBatch, EndAction, LegalHold, Record, RecordStatus

# The end actions that change the data itself; archive and review leave the source alone.
SOURCE_ACTIONS = {EndAction.ERASE, EndAction.ANONYMISE}


def connector_for(batch):
    """The database connector (with a data map) that carries ``batch`` out, or None."""
    if batch.rule.end_action not in SOURCE_ACTIONS:
        return None
    return (
        Connector.objects.filter(system_id=batch.system_id, data_map__isnull=False)
        .exclude(kind="api")
        .select_related("organisation", "system", "data_map")
        .first()
    )


@dataclass
class BatchRows:
    rows: dict = field(default_factory=dict)  # {collection: [keys as text]}
    held_ids: list = field(default_factory=list)  # records a hold keeps (their rows untouched)
    unlocated: int = 0  # records whose id names no collection of the map
    held_categories: set = field(default_factory=set)


def batch_rows(batch, connector):
    """The rows of the batch's due records that no hold covers, by collection, from their ids
    in the system: one query for the organisation's active holds, one for the records (and one
    for the held ones when there is a hold at all)."""
    records = Record.objects.filter(disposal_batch=batch, status=RecordStatus.DUE).order_by()
    holds = list(
        LegalHold.objects.active()
        .filter(organisation_id=batch.organisation_id)
        .values_list("category_id", flat=True)
    )
    held_ids = list(records.held().values_list("pk", flat=True)) if holds else []
    linked = mapping.linked_collections(connector)
    result = BatchRows(held_ids=held_ids, held_categories={c for c in holds if c is not None})
    free = records.exclude(pk__in=held_ids) if held_ids else records
    for external_id in free.values_list("external_id", flat=True):
        collection, sep, key = external_id.partition(":")
        if sep and key and collection in linked:
            result.rows.setdefault(collection, []).append(key)
        else:
            result.unlocated += 1
    return result


def preview(batch):
    """(connector, plans, located, error) for the batch page: read-only counts per table of the
    rows the run would change. (None, …) when the batch is not carried out in a source."""
    connector = connector_for(batch)
    if connector is None:
        return None, [], BatchRows(), ""
    located = batch_rows(batch, connector)
    try:
        plans = connectors.preview(
            connector,
            rows=located.rows,
            categories={batch.category_id},
            held_categories=located.held_categories,
        )
    except SourceError as error:
        return connector, [], located, str(error)
    return connector, plans, located, ""


def queue(batch, connector, *, actor):
    """A run of the batch in its source, queued (the caller sends it to Celery on commit)."""
    return connectors.queue_run(connector, kind=RunKind.ERASE, batch_id=batch.pk, actor=actor)


def runs(batch):
    return ConnectorRun.objects.filter(batch_id=batch.pk).order_by("-created_at")


def has_queued_run(batch):
    return ConnectorRun.objects.filter(batch_id=batch.pk, status=RunStatus.QUEUED).exists()


def run(run, batch, *, final_attempt=True):
    """Carry the run out. Returns its BatchRows (None if the run failed): the held records it
    left out and the records it could not locate. A
    retryable failure (server unreachable, a lock) is raised for Celery to retry unless it is
    the final attempt; any other failure, or the last, is kept on the run."""
    # Saved with the outcome (finish_run, or the retry's save below): the caller's transaction
    # commits them together, so an earlier save of its own would show nothing sooner.
    run.attempts += 1
    run.started_at = timezone.now()
    located = batch_rows(batch, run.connector)
    try:
        server, database, tables = connectors.erase(
            run.connector,
            rows=located.rows,
            categories={batch.category_id},
            held_categories=located.held_categories,
        )
    except SourceError as error:
        if error.retryable and not final_attempt:
            run.save(update_fields=["attempts", "started_at", "updated_at"])
            raise
        connectors.finish_run(run, error=str(error))
        return None
    connectors.finish_run(run, server=server, database=database, tables=tables)
    return located


def failed_batches(organisation_ids):
    """Batches waiting for their system whose last run failed (the dashboard's flag)."""
    last = ConnectorRun.objects.filter(batch_id=OuterRef("pk")).order_by("-created_at")
    return (
        DisposalBatch.objects.filter(
            organisation_id__in=organisation_ids, status=BatchStatus.IN_SOURCE
        )
        .annotate(last_run_status=Subquery(last.values("status")[:1]))
        .filter(last_run_status=RunStatus.FAILED)
        .order_by("pk")
    )
