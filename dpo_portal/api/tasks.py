from celery import shared_task
from django.conf import settings

from . import webhooks


@shared_task(bind=True, max_retries=None)
def deliver_webhook(self, delivery_id):
    """Send one webhook delivery; on failure retry with exponential backoff, up to
    settings.WEBHOOK_MAX_ATTEMPTS tries, then mark it failed."""
    if webhooks.attempt(delivery_id):
        return True
    tries = self.request.retries + 1
    if tries >= settings.WEBHOOK_MAX_ATTEMPTS:
        webhooks.mark_failed(delivery_id)
        return False
    raise self.retry(countdown=webhooks.backoff_seconds(tries))
