"""Webhooks out: a system is told when it has a new task.

Each delivery is a POST of a small JSON body (ids and codes only — the system fetches the task
with its token) with two headers:

    X-DPO-Timestamp: 1767000000          (Unix seconds)
    X-DPO-Signature: v1=<hex HMAC-SHA256 of "<timestamp>.<body>" with the webhook's secret>

A receiver recomputes the signature and refuses a timestamp older than the replay window
(verify() below is the reference). Deliveries run in Celery (dpo_portal/api/tasks.py), retried
with exponential backoff; the attempts and the last error are kept on the delivery and shown on
the system's page.
"""

import hashlib
import hmac
import json
import time
import urllib.error
import urllib.request

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from .models import DeliveryStatus, WebhookDelivery, WebhookEndpoint

TASK_OPENED = "task.opened"


def signature(secret, timestamp, body):
    message = f"{timestamp}.".encode() + body
    return "v1=" + hmac.new(secret.encode(), message, hashlib.sha256).hexdigest()


def verify(secret, timestamp, body, received, *, now=None, window=None):
    """True when ``received`` signs ``body`` at ``timestamp`` within the replay window."""
    window = settings.WEBHOOK_REPLAY_WINDOW_SECONDS if window is None else window
    try:
        age = abs((now or time.time()) - int(timestamp))
    except (TypeError, ValueError):
        return False
    return age <= window and hmac.compare_digest(signature(secret, timestamp, body), received)


def notify_new_tasks(tasks):
    """Queue a delivery per active webhook of each task's system, sent once the caller's
    transaction commits (a rolled-back opening tells nobody)."""
    from .tasks import deliver_webhook

    by_system = {}
    for endpoint in WebhookEndpoint.objects.filter(
        system_id__in={task.system_id for task in tasks}, active=True
    ):
        by_system.setdefault(endpoint.system_id, []).append(endpoint)
    deliveries = [
        WebhookDelivery(
            organisation_id=endpoint.organisation_id,
            endpoint=endpoint,
            event=TASK_OPENED,
            payload={
                "event": TASK_OPENED,
                "task_id": task.pk,
                "action": task.action,
                "due_on": task.due_on.isoformat() if task.due_on else None,
            },
        )
        for task in tasks
        for endpoint in by_system.get(task.system_id, ())
    ]
    WebhookDelivery.objects.bulk_create(deliveries)
    for delivery in deliveries:
        transaction.on_commit(lambda pk=delivery.pk: deliver_webhook.delay(pk))
    return deliveries


def backoff_seconds(attempts):
    """Seconds before the next try after ``attempts`` failed ones: base, 2×base, 4×base …"""
    return settings.WEBHOOK_BACKOFF_SECONDS * 2 ** max(attempts - 1, 0)


def attempt(delivery_id):
    """One try. Returns True when delivered; otherwise the error is kept on the delivery and
    the caller decides whether to retry (final failures are marked by mark_failed)."""
    delivery = WebhookDelivery.objects.select_related("endpoint").get(pk=delivery_id)
    if delivery.status != DeliveryStatus.PENDING:
        return True
    body = json.dumps(delivery.payload, separators=(",", ":")).encode()
    timestamp = str(int(time.time()))
    request = urllib.request.Request(
        delivery.endpoint.url,
        data=body,
        method="POST",
        headers={
            "Content-Type": "application/json",
            "User-Agent": "DPO-Portal-Webhooks/1",
            "X-DPO-Event": delivery.event,
            "X-DPO-Delivery": str(delivery.pk),
            "X-DPO-Timestamp": timestamp,
            "X-DPO-Signature": signature(delivery.endpoint.secret, timestamp, body),
        },
    )
    error = ""
    try:
        with urllib.request.urlopen(request, timeout=settings.WEBHOOK_TIMEOUT_SECONDS) as answer:
            answer.read(1024)
    except urllib.error.HTTPError as failure:
        error = f"HTTP {failure.code}"
    except (urllib.error.URLError, OSError) as failure:
        error = type(getattr(failure, "reason", failure)).__name__
    now = timezone.now()
    fields = {"attempts": delivery.attempts + 1, "last_attempt_at": now, "updated_at": now}
    if error:
        fields["last_error"] = error[:300]
    else:
        fields.update(status=DeliveryStatus.DELIVERED, delivered_at=now, last_error="")
    WebhookDelivery.objects.filter(pk=delivery.pk).update(**fields)
    return not error


def mark_failed(delivery_id):
    WebhookDelivery.objects.filter(pk=delivery_id, status=DeliveryStatus.PENDING).update(
        status=DeliveryStatus.FAILED, updated_at=timezone.now()
    )
