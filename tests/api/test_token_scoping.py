"""A token acts only for its own system and organisation: another system's or organisation's
objects answer 404 and stay unchanged; an expired, revoked or wrong-scope token is refused; and a
token never opens the admin."""

import datetime

import pytest
from django.test import Client
from django.utils import timezone

from dpo_portal.api.models import ApiToken, Scope
from dpo_portal.api.services import revoke_token
from requests.models import RequestTask, SubjectRequest, TaskReceipt, TaskStatus
from retention.models import Record, RecordStatus
from tests.api.helpers import ApiClient, problem, token_for

pytestmark = pytest.mark.django_db

RECEIPT = {"outcome": "done", "acted_at": "2026-01-05T10:00:00+04:00"}
REQUEST = {
    "kind": "deletion",
    "channel": "app",
    "requester": {"email": "someone@example.az"},
    "account_id": "U-1",
}


def sent_in(world, key):
    """A request sent in by system ``key``'s token; returns its reference."""
    response = ApiClient(world["tokens"][key]).post("/requests", REQUEST)
    assert response.status_code == 201, response.content
    return response.json()["reference"]


def test_a_token_reads_no_request_sent_by_another_system_or_organisation(world):
    of_b, of_c = sent_in(world, "b"), sent_in(world, "c")
    a = ApiClient(world["tokens"]["a"])

    for reference in (of_b, of_c):
        assert problem(a.get(f"/requests/{reference}"))["status"] == 404
    # Staff-registered requests of its own organisation are not its either.
    assert a.get(f"/requests/{world['requests']['one'].reference}").status_code == 404
    assert ApiClient(world["tokens"]["b"]).get(f"/requests/{of_b}").status_code == 200


def test_a_token_lists_only_its_own_systems_tasks(world):
    response = ApiClient(world["tokens"]["a"]).get("/tasks")

    assert response.status_code == 200
    listed = response.json()["results"]
    assert [task["id"] for task in listed] == [world["tasks"]["a"].pk]
    assert listed[0]["records"] == [{"external_id": "LOAN-1", "category": "identity"}]


@pytest.mark.parametrize("other", ["b", "c"])
def test_a_token_cannot_answer_another_systems_task(world, other):
    task = world["tasks"][other]

    response = ApiClient(world["tokens"]["a"]).post(f"/tasks/{task.pk}/receipt", RECEIPT)

    assert problem(response)["status"] == 404
    task.refresh_from_db()
    assert task.status == TaskStatus.OPEN
    assert not TaskReceipt.objects.exists()


def test_a_pushed_batch_lands_in_the_tokens_system_only(world):
    a = ApiClient(world["tokens"]["a"])
    crm_record = Record.objects.get(external_id="CRM-1")

    # The CRM's record id pushed by the loan system is a record of the loan system.
    response = a.post(
        "/records/batch",
        {
            "records": [
                {
                    "subject_ref": "CUST-000123",
                    "category": "identity",
                    "external_id": "CRM-1",
                    "collected_at": "2024-01-10",
                }
            ]
        },
    )
    assert response.status_code == 200, response.content
    assert Record.objects.filter(external_id="CRM-1", system=world["systems"]["a"]).exists()
    crm_record.refresh_from_db()
    assert crm_record.collected_at.isoformat() == "2022-03-01"

    # The other organisation's person does not exist for this token.
    response = a.post(
        "/records/batch",
        {
            "records": [
                {
                    "subject_ref": "U-777",
                    "category": "identity",
                    "external_id": "X-1",
                    "collected_at": "2024-01-10",
                }
            ]
        },
    )
    body = problem(response)
    assert body["errors"] == [
        {"index": 0, "field": "subject_ref", "reason": "No such person in this organisation."}
    ]
    assert not Record.objects.filter(organisation=world["two"], external_id="X-1").exists()


def test_a_token_cannot_release_another_systems_records(world):
    response = ApiClient(world["tokens"]["a"]).post(
        "/records/released", {"external_ids": ["CRM-1", "APP-1"]}
    )

    assert response.status_code == 200
    assert response.json() == {"disposed": 0, "kept_on_hold": 0, "unknown": 2}
    assert not Record.objects.filter(status=RecordStatus.DISPOSED).exists()


def test_a_request_sent_in_belongs_to_the_tokens_organisation(world):
    reference = sent_in(world, "c")

    request = SubjectRequest.objects.get(reference=reference)
    assert request.organisation == world["two"]
    assert request.received_via == world["systems"]["c"]


def test_expired_revoked_and_unknown_tokens_answer_401(world):
    system = world["systems"]["a"]
    expired_token, expired = token_for(system)
    ApiToken.objects.filter(pk=expired_token.pk).update(
        expires_at=timezone.now() - datetime.timedelta(seconds=1)
    )
    revoked_token, revoked = token_for(system)
    revoke_token(revoked_token, actor=world["dpo"])

    for secret in (expired, revoked, "dpo_00000000_nothing", world["tokens"]["a"] + "x"):
        response = ApiClient(secret).get("/tasks")
        assert problem(response)["type"] == "urn:dpo-portal:problem:unauthenticated"
        assert response.status_code == 401
    assert ApiClient().get("/tasks").status_code == 401


@pytest.mark.parametrize(
    ("path", "body", "needs"),
    [
        ("/tasks", None, Scope.ANSWER_TASKS),
        ("/records/released", {"external_ids": ["LOAN-1"]}, Scope.PUSH_INVENTORY),
        ("/requests", REQUEST, Scope.TAKE_REQUESTS),
    ],
)
def test_a_token_without_the_scope_answers_403_and_changes_nothing(world, path, body, needs):
    others = [scope for scope in Scope.values if scope != needs]
    _token, secret = token_for(world["systems"]["a"], scopes=others)
    client = ApiClient(secret)
    before = (SubjectRequest.objects.count(), Record.objects.undisposed().count())

    response = client.get(path) if body is None else client.post(path, body)

    assert problem(response)["type"] == "urn:dpo-portal:problem:forbidden"
    assert response.status_code == 403
    assert (SubjectRequest.objects.count(), Record.objects.undisposed().count()) == before
    assert RequestTask.objects.filter(status=TaskStatus.OPEN).count() == 3


def test_a_token_never_opens_the_admin(world):
    secret = world["tokens"]["a"]
    client = Client()

    page = client.get("/admin/", headers={"Authorization": f"Bearer {secret}"})
    assert page.status_code == 302 and "/admin/login/" in page["Location"]
    # Nor as a password, with the token's prefix or its system's code as the user name.
    token = ApiToken.objects.get(system=world["systems"]["a"])
    for username in (token.prefix, world["systems"]["a"].code):
        client.post("/admin/login/", {"username": username, "password": secret})
        assert client.get("/admin/").status_code == 302
