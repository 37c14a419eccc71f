"""Celery entry points of retention: ids, dates and counts in and out, never personal data."""

from celery import chord, shared_task
from django.utils import timezone

from . import portal_data, snapshots, sweep


@shared_task(
    bind=True,
    acks_late=True,
    autoretry_for=(Exception,),
    retry_backoff=2,
    retry_backoff_max=60,
    max_retries=5,
)
def sweep_chunk(self, first_pk, last_pk, today, organisation_ids=None):
    """One primary-key range of the sweep. Retried on failure; re-running it is harmless."""
    return sweep.sweep_chunk(
        first_pk, last_pk, today=sweep.parse_day(today), organisation_ids=organisation_ids
    )


@shared_task(autoretry_for=(Exception,), retry_backoff=2, retry_backoff_max=60, max_retries=5)
def finish_sweep(results, today, organisation_ids=None, actor_id=None):
    """Recounts the batches first (a count: a retry is harmless), then audits."""
    return sweep.record_sweep(
        results, today=today, organisation_ids=organisation_ids, actor_id=actor_id
    )


def start_sweep(*, organisation_ids=None, actor_id=None, today=None, chunk_size=None):
    """Fan the sweep out: one task per chunk, then one task that sums up and audits."""
    today = (today or timezone.localdate()).isoformat()
    chunks = sweep.plan_chunks(
        organisation_ids=organisation_ids, chunk_size=chunk_size or sweep.DEFAULT_CHUNK_SIZE
    )
    header = [sweep_chunk.si(low, high, today, organisation_ids) for low, high in chunks]
    callback = finish_sweep.s(today, organisation_ids, actor_id)
    if not header:
        return finish_sweep.delay([], today, organisation_ids, actor_id)
    return chord(header)(callback)


@shared_task
def run_nightly_sweep():
    """Celery beat, nightly: the sweep over every organisation."""
    start_sweep()
    return "started"


@shared_task
def scrub_portal_data():
    """Celery beat, daily: the portal's own copies of personal data past their period."""
    return portal_data.scrub_withdrawn_consent_evidence()


@shared_task
def take_retention_snapshots():
    """Celery beat, every evening: the day's figures for the retention report's trend."""
    return snapshots.take_snapshots()


@shared_task
def sync_connected_systems():
    """Nightly: one sync job per database connector with a data map."""
    from dpo_portal.connectors.models import Connector
    from dpo_portal.jobs.models import start_job

    from .connector_sync import SYNC_JOB

    for connector in Connector.objects.filter(sync_enabled=True, data_map__isnull=False).exclude(
        kind="api"
    ):
        start_job(
            SYNC_JOB,
            organisation=connector.organisation,
            actor=None,
            parameters={"connector_id": connector.pk},
        )
