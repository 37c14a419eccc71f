"""The inventory of a connected system, read from its database and upserted as records.

The rows come from dpo_portal.connectors (set-based, chunked, on the read-only role) in the file
import's columns and go through the same Importer as the file import and the API, so subjects
are matched by the same normalisers and refused in the same words. Only new or changed records
are written, so a second sync changes nothing; records whose row is gone from the source are
disposed through the retention services, the connector named in the audit event.
"""

from django.db.models import Q
from django.utils import timezone

from dpo_portal.audit.models import AuditEvent
from dpo_portal.connectors import services as connectors

from .imports import Importer
from .models import EndAction, Record, RecordStatus
from .services import dispose_records

SYNC_JOB = "retention.connector_sync"


def sync(connector, *, actor=None, progress=None):
    """Returns the counts: new, changed, unchanged, refused (unknown or erased people), disposed."""
    importer = Importer(connector.organisation)
    counts = dict.fromkeys(("new", "changed", "unchanged", "refused", "disposed"), 0)
    seen, collections = set(), set()
    records_of_system = Record.objects.filter(
        organisation_id=connector.organisation_id, system_id=connector.system_id
    )
    for collection, rows, read in connectors.inventory(connector):
        collections.add(collection)
        importer.errors = []
        records = importer.build_records(list(enumerate(rows, 1)))
        counts["refused"] += len({error[0] for error in importer.errors})
        existing = {
            (external_id, category_id): state
            for external_id, category_id, *state in records_of_system.filter(
                external_id__in={r.external_id for r in records}
            ).values_list(
                "external_id",
                "category_id",
                "subject_id",
                "activity_id",
                "collected_at",
                "clock_started_at",
            )
        }
        to_write = []
        for record in records:
            key = (record.external_id, record.category_id)
            seen.add(key)
            state = [
                record.subject_id,
                record.activity_id,
                record.collected_at,
                record.clock_started_at,
            ]
            if key not in existing:
                counts["new"] += 1
                to_write.append(record)
            elif existing[key] != state:
                counts["changed"] += 1
                to_write.append(record)
            else:
                counts["unchanged"] += 1
        importer.write(to_write)
        if progress:
            progress(read)
    if collections:
        prefixes = Q()
        for collection in collections:
            prefixes |= Q(external_id__startswith=f"{collection}:")
        gone = [
            pk
            for pk, external_id, category_id in records_of_system.filter(prefixes)
            .exclude(status=RecordStatus.DISPOSED)
            .values_list("pk", "external_id", "category_id")
            .iterator(chunk_size=10_000)
            if (external_id, category_id) not in seen
        ]
        if gone:
            counts["disposed"] = dispose_records(
                Record.objects.filter(pk__in=gone),
                actor=actor,
                action=EndAction.ERASE,
                reason="source_gone",
            ).disposed
    connector.last_synced_at = timezone.now()
    connector.save(update_fields=["last_synced_at", "updated_at"])
    AuditEvent.record(
        "retention.connector_synced",
        organisation=connector.organisation,
        actor=actor,
        target=connector,
        connector_id=connector.pk,
        **counts,
    )
    return counts
