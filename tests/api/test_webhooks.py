"""Webhooks out: a new task is delivered to the system's URL, signed; the receiving server (a real
HTTP server on 127.0.0.1, started here) checks the signature and the replay window. A failing
endpoint is retried with backoff by the real Celery worker, then shown as failed on the
system's page."""

import http.server
import json
import threading
import time

import pytest
from django.test import Client, override_settings

from dpo_portal.api.models import DeliveryStatus, WebhookDelivery
from dpo_portal.api.services import add_webhook
from dpo_portal.api.webhooks import backoff_seconds, verify
from requests import fulfilment
from tests.factories import make_system
from tests.requests.fulfilment_helpers import (
    dpo_and_organisation,
    make_category,
    make_person,
    make_record,
    make_request,
)


class Receiver:
    """An HTTP server on a free port of 127.0.0.1 that answers ``status`` and keeps what it got,
    with whether the signature verified."""

    def __init__(self, status=204):
        self.status, self.received, self.secret = status, [], None
        receiver = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_POST(self):
                body = self.rfile.read(int(self.headers["Content-Length"]))
                signed = verify(
                    receiver.secret,
                    self.headers["X-DPO-Timestamp"],
                    body,
                    self.headers["X-DPO-Signature"],
                )
                forged = verify(
                    receiver.secret,
                    self.headers["X-DPO-Timestamp"],
                    body + b" ",
                    self.headers["X-DPO-Signature"],
                )
                stale = verify(
                    receiver.secret,
                    self.headers["X-DPO-Timestamp"],
                    body,
                    self.headers["X-DPO-Signature"],
                    now=time.time() + 301,
                )
                receiver.received.append(
                    {
                        "body": json.loads(body),
                        "signed": signed,
                        "forged": forged,
                        "stale": stale,
                        "at": time.monotonic(),
                    }
                )
                self.send_response(receiver.status)
                self.end_headers()

            def log_message(self, *args):
                pass

        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_port}/dpo-hook"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def __enter__(self):
        self.thread.start()
        return self

    def __exit__(self, *exc):
        self.server.shutdown()
        self.server.server_close()


def open_a_task(system):
    organisation = system.organisation
    dpo = organisation.dpo_user
    person = make_person(organisation)
    make_record(person, system, make_category(organisation, "identity"))
    request = make_request(person, actor=dpo)
    return fulfilment.open_tasks_for(request, actor=dpo)[0]


def wait_for(condition, timeout=60):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(0.2)
    return False


@pytest.fixture
def system():
    organisation, dpo = dpo_and_organisation()
    organisation.dpo_user = dpo
    return make_system(organisation, "core-loans", name="Core loan system")


def test_a_new_task_is_delivered_signed_to_the_systems_webhook(system, celery_worker_real):
    with Receiver() as receiver:
        _endpoint, receiver.secret = add_webhook(system, url=receiver.url, actor=None)
        task = open_a_task(system)

        assert wait_for(lambda: receiver.received)
        got = receiver.received[0]
        assert got["body"] == {
            "event": "task.opened",
            "task_id": task.pk,
            "action": "erase",
            "due_on": task.due_on.isoformat(),
        }
        assert got["signed"] and not got["forged"] and not got["stale"]
        assert wait_for(
            lambda: WebhookDelivery.objects.filter(status=DeliveryStatus.DELIVERED).exists()
        )
        delivery = WebhookDelivery.objects.get()
        assert (delivery.attempts, delivery.last_error) == (1, "")


@override_settings(WEBHOOK_MAX_ATTEMPTS=3, WEBHOOK_BACKOFF_SECONDS=1)
def test_a_failing_endpoint_is_retried_with_backoff_then_shown_failed(system, celery_worker_real):
    with Receiver(status=503) as receiver:
        _endpoint, receiver.secret = add_webhook(system, url=receiver.url, actor=None)
        open_a_task(system)

        assert wait_for(
            lambda: WebhookDelivery.objects.filter(status=DeliveryStatus.FAILED).exists()
        )
        tries = [got["at"] for got in receiver.received]
    delivery = WebhookDelivery.objects.get()
    assert (delivery.attempts, delivery.last_error) == (3, "HTTP 503")
    assert len(tries) == 3
    # Each wait at least the backoff before it (1 s, then 2 s).
    assert tries[1] - tries[0] >= backoff_seconds(1) and tries[2] - tries[1] >= backoff_seconds(2)

    staff = Client()
    staff.force_login(system.organisation.dpo_user)
    page = staff.get(f"/admin/register/system/{system.pk}/change/").content.decode()
    assert "Failed after 3 attempts: HTTP 503" in page
