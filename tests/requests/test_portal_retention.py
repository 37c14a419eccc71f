"""The portal's own retention: a closed request's requester details go after the set period,
from the live row, its history, its letters and its deadline reasons."""

import datetime

import pytest
from django.utils import timezone

from requests import letters, services
from requests.models import DeadlineEvent, RequestStatus, ResponseLetter, SubjectRequest
from requests.tasks import scrub_closed_request_details
from tests.factories import Role, make_organisation, make_user
from tests.requests.helpers import make_request

pytestmark = pytest.mark.django_db
NAME, EMAIL, FIN = "Nərmin Quliyeva", "nermin.q@example.az", "7ABC2DE"


def closed_request(organisation, dpo, *, days_ago):
    request = make_request(
        organisation,
        requester_name=NAME,
        requester_email=EMAIL,
        requester_fin=FIN,
        requester_address="Bakı, Nizami küç. 5",
        details=f"I am {NAME}, delete my data",
    )
    services.request_identity_information(request, reason=f"{NAME}: ID copy", actor=dpo)
    services.identity_information_received(request, actor=dpo)
    letters.create_letter(request, language="en", actor=dpo)
    services.close_request(
        request,
        status=RequestStatus.REFUSED,
        reason="Not a customer",
        refusal_ground="identity_not_established",
        actor=dpo,
        at=timezone.now() - datetime.timedelta(days=days_ago),
    )
    return request


def anywhere(request_pk, needle):
    rows = [
        *SubjectRequest.objects.filter(pk=request_pk).values(),
        *SubjectRequest.history.filter(id=request_pk).values(),
        *ResponseLetter.objects.filter(request_id=request_pk).values(),
        *ResponseLetter.history.filter(request_id=request_pk).values(),
        *DeadlineEvent.objects.filter(request_id=request_pk).values(),
    ]
    return any(needle in str(value) for row in rows for value in row.values())


def test_details_of_requests_closed_long_ago_are_scrubbed_everywhere(settings):
    settings.PORTAL_RETENTION = {"closed_request_details_days": 180}
    organisation = make_organisation()
    dpo = make_user(Role.DPO, organisation)
    old = closed_request(organisation, dpo, days_ago=200)
    recent = closed_request(organisation, dpo, days_ago=10)
    still_open = make_request(organisation, requester_name=NAME)

    assert scrub_closed_request_details() == 1

    for needle in (NAME, EMAIL, FIN, "Nizami"):
        assert not anywhere(old.pk, needle), needle
        assert anywhere(recent.pk, needle) or needle == "Nizami"
    assert anywhere(still_open.pk, NAME)
    old.refresh_from_db()
    # What stays: the facts of the request, without the person.
    assert (old.reference, old.status, old.outcome_reason) == (
        old.reference,
        RequestStatus.REFUSED,
        "Not a customer",
    )
    assert old.requester_scrubbed_at is not None
    assert old.deadline_events.count() == 2
    # Run again: nothing left to do.
    assert scrub_closed_request_details() == 0
