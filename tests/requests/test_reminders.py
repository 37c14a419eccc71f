"""Daily reminders through a real Celery worker: once a day, to the right people."""

from django.core import mail

from requests.models import RequestStatus
from requests.tasks import send_request_reminders
from tests.factories import Role, make_organisation, make_user
from tests.requests.helpers import make_request


def test_reminders_run_twice_in_a_day_mail_each_person_once(celery_worker_real):
    organisation = make_organisation(languages="en")
    handler = make_user(Role.DPO, organisation, email="handler@example.org")
    head = make_user(Role.DPO, organisation, email="head@example.org")
    manager = make_user(Role.MANAGER, organisation, email="manager@example.org")
    overdue = make_request(organisation, due_in_days=-2, assignee=handler)
    due_soon = make_request(organisation, due_in_days=0, assignee=handler)
    on_track = make_request(organisation, due_in_days=40, assignee=handler)
    paused = make_request(organisation, due_in_days=-4, assignee=head, status=RequestStatus.PAUSED)
    make_request(organisation, due_in_days=-30, status=RequestStatus.COMPLETED)
    mail.outbox.clear()

    first = send_request_reminders.delay().get(timeout=60)
    second = send_request_reminders.delay().get(timeout=60)

    assert (first, second) == (3, 0)
    by_recipient = {}
    for message in mail.outbox:
        by_recipient.setdefault(message.to[0], []).append(message)
    assert sorted(by_recipient) == ["handler@example.org", "head@example.org"]
    assert manager.email not in by_recipient

    # The handler: their own pressing requests, and (as a DPO) the overdue list.
    handler_bodies = [m.body for m in by_recipient["handler@example.org"]]
    assert len(handler_bodies) == 2
    own = next(body for body in handler_bodies if due_soon.reference in body)
    assert overdue.reference in own
    assert on_track.reference not in own
    assert paused.reference not in own
    # The other DPO: the overdue one only, and never the requester's name.
    (head_mail,) = by_recipient["head@example.org"]
    assert overdue.reference in head_mail.body
    assert due_soon.reference not in head_mail.body
    assert "Leyla" not in head_mail.body + "".join(handler_bodies)
