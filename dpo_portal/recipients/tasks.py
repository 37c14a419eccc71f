from celery import shared_task

from . import digest


@shared_task
def send_recipient_digests():
    """Weekly: each organisation's compliance officers get one digest of recipient reviews
    overdue and contracts expiring. Returns the number of mails sent."""
    return digest.send_recipient_digests()
