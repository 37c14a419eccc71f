import logging

from celery import shared_task

from .models import Job
from .registry import handler_for

logger = logging.getLogger(__name__)


@shared_task(acks_late=True)
def run_job(job_id):
    job = Job.objects.get(pk=job_id)
    if job.is_finished:  # redelivered after it already ran: nothing to do twice
        return
    job.mark_running()
    try:
        message = handler_for(job.kind)(job) or ""
    except Exception as exc:
        # Only the exception's type is kept: its text may quote a row of personal data.
        logger.error("job %s (%s) failed: %s", job.pk, job.kind, type(exc).__name__)
        job.finish(failed=True, message=type(exc).__name__)
        return
    job.finish(message=message)
