from celery import shared_task

from dpo_portal.connectors.engine import SourceError

from . import connector_runs, reminders, services
from .mailbox import fetch
from .mailbox.models import Mailbox
from .public import downloads, intake


@shared_task
def send_request_reminders():
    """Daily: assignees hear of their requests due within 2 working days or overdue, DPOs of
    the overdue ones; once a day each. Returns the number of mails sent."""
    return reminders.send_request_reminders()


@shared_task
def scrub_closed_request_details():
    """Daily: blank the requester's details of requests closed longer ago than
    settings.PORTAL_RETENTION["closed_request_details_days"]. Returns how many requests."""
    return services.scrub_closed_requests()


@shared_task(bind=True, max_retries=3, acks_late=True)
def run_in_source(self, run_id):
    """Carry a confirmed connector run out; retried with backoff while the source is away."""
    try:
        connector_runs.carry_out(run_id, final_attempt=self.request.retries >= self.max_retries)
    except SourceError as error:
        raise self.retry(countdown=2 ** (self.request.retries + 1) * 5, exc=error) from None


@shared_task
def fetch_mailboxes():
    """Every few minutes: one fetch task per enabled mailbox (ids only)."""
    ids = list(Mailbox.objects.filter(enabled=True).values_list("pk", flat=True))
    for pk in ids:
        fetch_mailbox.delay(pk)
    return len(ids)


@shared_task(
    autoretry_for=(fetch.MailboxUnavailable,),
    retry_backoff=60,
    retry_backoff_max=3600,
    retry_jitter=True,
    max_retries=5,
)
def fetch_mailbox(mailbox_id):
    """Read one mailbox; a server down or refusing the login is retried with backoff (the
    dashboard shows the problem meanwhile). Returns the counts of what was taken."""
    result = fetch.fetch_mailbox(mailbox_id)
    return {"drafts": result.drafts, "threaded": result.threaded, "duplicates": result.duplicates}


@shared_task
def privacy_centre_cleanup():
    """Hourly: forget privacy-centre submissions never confirmed within 7 days, and delete the
    package files of expired or used-up download links. Returns the two counts."""
    return {
        "discarded": intake.discard_unverified(),
        "packages_removed": downloads.remove_expired(),
    }
