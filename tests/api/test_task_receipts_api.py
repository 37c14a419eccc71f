"""Tasks answered with receipts through the API: a deletion held in three systems, answered by two
receipts and one DPO resolution, completes; the receipts are on the request page and in its
evidence; a second receipt answers 409."""

import pytest
from django.test import Client

from dpo_portal.audit.models import AuditEvent
from requests import fulfilment
from requests.models import RequestStatus, TaskReceipt, TaskStatus
from retention.models import Record, RecordStatus
from tests.api.helpers import ApiClient, problem, token_for
from tests.requests.fulfilment_helpers import (
    dpo_and_organisation,
    make_category,
    make_person,
    make_record,
    make_request,
    three_systems,
)

pytestmark = pytest.mark.django_db


@pytest.fixture
def deletion():
    organisation, dpo = dpo_and_organisation()
    person = make_person(organisation, external_ref="CUST-1")
    core, crm, aml = three_systems(organisation)
    identity = make_category(organisation, "identity", name="Identity")
    for system in (core, crm, aml):
        make_record(person, system, identity, external_id=f"{system.code}-1")
    request = make_request(person, actor=dpo)
    fulfilment.open_tasks_for(request, actor=dpo)
    clients = {s.code: ApiClient(token_for(s)[1]) for s in (core, crm)}
    return organisation, dpo, person, request, (core, crm, aml), clients


def receipt_of(client, task_id, **fields):
    body = {"outcome": "done", "acted_at": "2026-01-05T10:00:00+04:00", **fields}
    return client.post(f"/tasks/{task_id}/receipt", body)


def test_two_receipts_and_one_dpo_resolution_complete_the_deletion(deletion):
    organisation, dpo, _person, request, (core, crm, aml), clients = deletion

    open_core = clients["core-banking"].get("/tasks?status=open").json()["results"]
    assert [(t["action"], t["records"]) for t in open_core] == [
        ("erase", [{"external_id": "core-banking-1", "category": "identity"}])
    ]
    done = receipt_of(
        clients["core-banking"],
        open_core[0]["id"],
        tables=[{"table": "customers", "matched": 1, "changed": 1, "statement": "DELETE …"}],
    )
    assert done.status_code == 201, done.content
    assert done.json()["task_status"] == "done"

    crm_task = clients["crm"].get("/tasks").json()["results"][0]
    kept = receipt_of(clients["crm"], crm_task["id"], outcome="kept", kept_reason="aml_cft")
    assert kept.status_code == 201 and kept.json()["task_status"] == "kept"

    fulfilment.resolve_task(
        request.tasks.get(system=aml), actor=dpo, resolution=fulfilment.Resolution.ERASED
    )
    fulfilment.complete_request(request, actor=dpo)

    request.refresh_from_db()
    assert request.status == RequestStatus.PARTIALLY_COMPLETED
    assert Record.objects.get(external_id="core-banking-1").status == RecordStatus.DISPOSED
    assert clients["core-banking"].get("/tasks").json()["results"] == []
    assert TaskReceipt.objects.filter(task__request=request).count() == 2
    receipt = TaskReceipt.objects.get(task__system=core)
    assert receipt.details["api_token_id"]
    assert AuditEvent.objects.filter(action="requests.task_receipt").count() == 2

    # On the request page and on the task's page, read-only.
    staff = Client()
    staff.force_login(dpo)
    page = staff.get(f"/admin/requests/subjectrequest/{request.pk}/change/").content.decode()
    assert receipt.sha256[:12] in page
    task_page = staff.get(f"/admin/requests/requesttask/{receipt.task_id}/change/").content.decode()
    assert receipt.sha256 in task_page and "customers" in task_page


def test_a_second_receipt_for_a_resolved_task_answers_409(deletion):
    *_rest, clients = deletion
    client = clients["core-banking"]
    task_id = client.get("/tasks").json()["results"][0]["id"]
    assert receipt_of(client, task_id).status_code == 201

    again = receipt_of(client, task_id, outcome="kept", kept_reason="tax")

    assert again.status_code == 409
    assert problem(again)["type"] == "urn:dpo-portal:problem:conflict"
    assert TaskReceipt.objects.count() == 1
    assert TaskReceipt.objects.get().outcome == "done"


def test_a_kept_receipt_without_its_reason_is_refused_and_the_task_stays_open(deletion):
    *_rest, clients = deletion
    client = clients["crm"]
    task_id = client.get("/tasks").json()["results"][0]["id"]

    response = receipt_of(client, task_id, outcome="kept")

    assert problem(response)["detail"] == "Say why the data is kept."
    assert client.get("/tasks").json()["results"][0]["status"] == TaskStatus.OPEN
