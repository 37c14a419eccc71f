"""Requests taken in through the API land in the triage queue with their reference and due date,
and a bad identifier is refused with problem+json; the status never shows the DPO's notes."""

import pytest

from requests import deadlines, services
from requests.models import RequestChannel, RequestStatus, SubjectRequest
from tests.api.helpers import ApiClient, problem, token_for
from tests.factories import Role, make_organisation, make_system, make_user

pytestmark = pytest.mark.django_db


@pytest.fixture
def app_client():
    organisation = make_organisation("qonshu-intake", name="Qonshu MMC")
    system = make_system(organisation, "app-backend", name="Qonshu app")
    dpo = make_user(Role.DPO, organisation)
    _token, secret = token_for(system)
    return organisation, dpo, ApiClient(secret)


DELETE_MY_ACCOUNT = {
    "kind": "deletion",
    "channel": "app",
    "requester": {
        "name": "Aysel Məmmədova",
        "email": "Aysel@Example.az",
        "phone": "+994 50 123 45 67",
    },
    "account_id": "U-99812",
    "details": "Delete my account.",
}


def test_a_request_from_the_app_enters_the_triage_queue_with_its_due_date(app_client):
    organisation, dpo, client = app_client

    response = client.post("/requests", DELETE_MY_ACCOUNT)

    assert response.status_code == 201, response.content
    body = response.json()
    request = SubjectRequest.objects.get(reference=body["reference"])
    assert request.organisation == organisation
    assert (request.status, request.channel) == (RequestStatus.NEW, RequestChannel.APP)
    assert request.requester_email == "aysel@example.az"
    assert request.requester_account_id == "U-99812"
    # The due date staff intake gives a request received at the same moment.
    staff_request = services.register_request(
        SubjectRequest(
            organisation=organisation,
            kind="deletion",
            channel=RequestChannel.EMAIL,
            requester_email="x@example.az",
            received_at=request.received_at,
        ),
        actor=dpo,
    )
    expected_due = staff_request.due_on
    assert request.due_on == expected_due
    assert request.due_on > deadlines.local_date(request.received_at)
    assert body["due_on"] == expected_due.isoformat()
    assert body["status_url"].endswith(f"/api/v1/requests/{request.reference}")

    # The DPO sees it in the triage queue.
    from django.test import Client

    staff = Client()
    staff.force_login(dpo)
    queue = staff.get("/admin/requests/subjectrequest/")
    assert request.reference in queue.content.decode()

    # The status: no notes of the DPO, whatever they wrote.
    request.outcome_reason = "Internal: the customer owes us money"
    request.save(update_fields=["outcome_reason"])
    status = client.get(body["status_url"].split("/api/v1")[1])
    assert status.status_code == 200
    assert status.json()["status"] == "new"
    assert "owes" not in status.content.decode()


def test_a_request_with_bad_identifiers_is_refused_with_problem_json(app_client):
    _organisation, _dpo, client = app_client
    bad = {**DELETE_MY_ACCOUNT, "requester": {"fin": "I0I0I0I", "email": "not-an-email"}}

    response = client.post("/requests", bad)

    assert response.status_code == 422
    body = problem(response)
    fields = {error["field"] for error in body["errors"]}
    assert fields == {"requester.fin", "requester.email"}
    assert not SubjectRequest.objects.exists()


def test_a_request_with_no_way_to_reach_the_person_is_refused(app_client):
    _organisation, _dpo, client = app_client

    response = client.post("/requests", {**DELETE_MY_ACCOUNT, "requester": {"name": "A"}})

    assert problem(response)["errors"][0]["field"] == "requester"
    assert not SubjectRequest.objects.exists()


def test_a_staff_only_channel_is_refused(app_client):
    _organisation, _dpo, client = app_client

    response = client.post("/requests", {**DELETE_MY_ACCOUNT, "channel": "paper_with_id"})

    assert response.status_code == 422
    assert not SubjectRequest.objects.exists()
