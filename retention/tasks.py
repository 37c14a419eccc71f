"""Celery entry points of retention: ids, dates and counts in and out, never personal data."""

from celery import chord, shared_task
from django.conf import settings
from django.utils import timezone

from dpo_portal.connectors.engine import SourceError

from . import portal_data, services, snapshots, sweep


@shared_task(
    bind=True,
    acks_late=True,
    autoretry_for=(Exception,),
    retry_backoff=2,
    retry_backoff_max=60,
    max_retries=5,
)
def sweep_chunk(self, first_pk, last_pk, today, organisation_ids=None, run_id=None):
    """One primary-key range of the sweep. Retried on failure; re-running it is harmless."""
    counts = sweep.sweep_chunk(
        first_pk, last_pk, today=sweep.parse_day(today), organisation_ids=organisation_ids
    )
    if run_id is not None:
        sweep.chunk_finished(run_id, first_pk, counts)
    return counts


@shared_task(autoretry_for=(Exception,), retry_backoff=2, retry_backoff_max=60, max_retries=5)
def finish_sweep(results, run_id):
    """Recounts the batches (a count: a retry is harmless), then audits, once per run."""
    return sweep.close_run(run_id)


def dispatch_chunks(run, chunks, organisation_ids):
    header = [
        sweep_chunk.si(low, high, run.day.isoformat(), organisation_ids, run.pk)
        for low, high in chunks
    ]
    if not header:
        return finish_sweep.delay([], run.pk)
    return chord(header)(finish_sweep.s(run.pk))


def start_sweep(*, organisation_ids=None, actor_id=None, today=None, chunk_size=None):
    """Fan the sweep out: one task per chunk, then one task that sums up and audits."""
    chunks = sweep.plan_chunks(
        organisation_ids=organisation_ids, chunk_size=chunk_size or sweep.DEFAULT_CHUNK_SIZE
    )
    run = sweep.open_run(
        chunks,
        today=today or timezone.localdate(),
        organisation_ids=organisation_ids,
        actor_id=actor_id,
    )
    run.refresh_from_db()  # the day as a date
    return dispatch_chunks(run, chunks, organisation_ids)


@shared_task
def close_quiet_sweeps():
    """Celery beat, every minute: a sweep whose worker died finishes without waiting for the
    broker's visibility timeout. Runs quiet for SWEEP_QUIET_SECONDS get their unfinished chunks
    sent again (harmless if the lost message turns up later: a chunk is idempotent), and a run
    whose chunks are all done but whose chord never fired is closed."""
    resumed = closed = 0
    for run in sweep.quiet_runs(settings.SWEEP_QUIET_SECONDS):
        chunks = sweep.resume(run)
        if chunks:
            dispatch_chunks(run, chunks, run.organisation_ids)
            resumed += 1
        elif sweep.close_run(run.pk) is not None:
            closed += 1
    return {"resumed": resumed, "closed": closed}


@shared_task(bind=True, max_retries=3, acks_late=True)
def dispose_in_source(self, run_id):
    """Carry an approved batch out in its connected system; retried with backoff while the
    source is away. The records are disposed of only when the run has succeeded."""
    try:
        services.finish_in_source(run_id, final_attempt=self.request.retries >= self.max_retries)
    except SourceError as error:
        raise self.retry(countdown=2 ** (self.request.retries + 1) * 5, exc=error) from None


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
