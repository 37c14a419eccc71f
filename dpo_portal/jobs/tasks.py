import logging

from celery import shared_task
from django.conf import settings
from django.utils import translation
from django.utils.translation import gettext as _

from .imports import ImportRefused, RowsRefused
from .models import Job
from .registry import handler_for

logger = logging.getLogger(__name__)


@shared_task(acks_late=True)
def run_job(job_id):
    job = Job.objects.get(pk=job_id)
    if job.is_finished:  # redelivered after it already ran: nothing to do twice
        return
    job.mark_running()
    # Messages and reports in the language of the user who started the job.
    with translation.override(job.parameters.get("language") or settings.LANGUAGE_CODE):
        try:
            message = handler_for(job.kind)(job) or ""
        except RowsRefused as refusal:
            job.attach_result(_("import-errors.csv"), refusal.report(), "text/csv")
            job.finish(failed=True, message=str(refusal))
            return
        except ImportRefused as refusal:
            job.finish(failed=True, message=str(refusal))
            return
        except Exception as exc:
            # Only the exception's type goes to the log: its text may quote personal data.
            logger.error("job %s (%s) failed: %s", job.pk, job.kind, type(exc).__name__)
            job.finish(
                failed=True,
                message=_("The job stopped on an unexpected error; nothing was written."),
            )
            return
        job.finish(message=message)
