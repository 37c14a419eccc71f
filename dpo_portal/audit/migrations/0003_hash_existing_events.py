"""Existing events join their organisation's chain in the order they were written."""

from django.db import migrations

from dpo_portal.audit import chain


def hash_existing(apps, schema_editor):
    AuditEvent = apps.get_model("audit", "AuditEvent")
    AuditChainHead = apps.get_model("audit", "AuditChainHead")
    ContentType = apps.get_model("contenttypes", "ContentType")
    labels = {ct.pk: f"{ct.app_label}.{ct.model}" for ct in ContentType.objects.all()}
    organisation_ids = (
        AuditEvent.objects.order_by().values_list("organisation_id", flat=True).distinct()
    )
    for organisation_id in list(organisation_ids):
        previous, sequence, batch = chain.GENESIS, 0, []
        events = AuditEvent.objects.filter(organisation_id=organisation_id).order_by(
            "created_at", "pk"
        )
        for event in events.iterator(chunk_size=2000):
            sequence += 1
            event.sequence, event.previous_hash = sequence, previous
            event.details = chain.normalised(event.details)
            event.hash = chain.link_hash(
                previous,
                chain.canonical(
                    organisation_id=organisation_id,
                    sequence=sequence,
                    actor_id=event.actor_id,
                    action=event.action,
                    target=labels.get(event.target_type_id),
                    target_id=event.target_id,
                    details=event.details,
                    at=event.created_at,
                ),
            )
            previous = event.hash
            batch.append(event)
            if len(batch) == 2000:
                AuditEvent.objects.bulk_update(batch, ["sequence", "previous_hash", "hash", "details"])
                batch = []
        AuditEvent.objects.bulk_update(batch, ["sequence", "previous_hash", "hash", "details"])
        AuditChainHead.objects.create(
            organisation_id=organisation_id, last_sequence=sequence, last_hash=previous
        )


class Migration(migrations.Migration):
    dependencies = [("audit", "0002_hash_chain_fields")]

    operations = [migrations.RunPython(hash_existing, migrations.RunPython.noop)]
