"""The fulfilment part of the request page, through the admin: records by system with their
holds, tasks resolved from the page, a confirmation before completing, and access packages that
only people who may see the request can download."""

import io
import zipfile

import pytest
from django.core import mail
from django.urls import reverse

from dpo_portal.jobs.models import Job
from requests import access
from requests.fulfilment_admin import RECORDS_SHOWN_PER_SYSTEM
from requests.models import RequestStatus, TaskStatus
from retention.services import place_hold
from tests.factories import Role, make_user
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
def case(client):
    organisation, dpo = dpo_and_organisation()
    person = make_person(organisation)
    core, crm, aml = three_systems(organisation)
    category = make_category(organisation, "identity", name="Identity")
    for system in (core, crm, aml):
        make_record(person, system, category, external_id=f"{system.code}-1")
    place_hold(organisation=organisation, actor=dpo, reason="AML/CFT", system=aml)
    request = make_request(person, actor=dpo)
    client.force_login(dpo)
    return organisation, dpo, person, request


def page(client, request):
    return client.get(reverse("admin:requests_subjectrequest_change", args=[request.pk]))


def test_request_page_lists_records_by_system_with_the_held_ones_flagged(client, case):
    _organisation, _dpo, _person, request = case

    response = page(client, request)

    html = response.content.decode()
    assert response.status_code == 200
    assert 'id="records-by-system"' in html
    for external_id in ("core-banking-1", "crm-1", "aml-archive-1"):
        assert external_id in html
    assert html.count("held: cannot be disposed") == 1
    assert 'id="open-tasks"' in html


def test_request_page_shows_the_first_records_of_a_system_and_counts_the_rest(client, case):
    organisation, _dpo, person, request = case
    core = person.records.get(external_id="core-banking-1").system
    category = make_category(organisation, "contact", name="Contact")
    for n in range(2, 24):  # 23 of the person's records in the core system in all
        make_record(person, core, category, external_id=f"core-banking-{n}")
    stranger = make_person(organisation, fin="5ZZ1ABC", email="x@example.az", phone="+994501112233")
    make_record(stranger, core, category, external_id="stranger-1")

    html = page(client, request).content.decode()

    shown = [n for n in range(1, 24) if f">core-banking-{n}<" in html]
    assert len(shown) == RECORDS_SHOWN_PER_SYSTEM
    assert "and 3 more records in this system" in html
    assert "stranger-1" not in html
    assert "crm-1" in html and "aml-archive-1" in html


def test_dpo_resolves_tasks_and_completes_after_confirming(client, case):
    _organisation, _dpo, person, request = case
    base = f"/admin/requests/subjectrequest/{request.pk}/fulfil"

    client.post(f"{base}/open-tasks/")
    tasks = list(request.tasks.select_related("system"))
    assert len(tasks) == 3
    for task in tasks:
        client.post(f"{base}/tasks/{task.pk}/", {"resolution": "erased"})
    statuses = dict(request.tasks.values_list("system__code", "status"))
    assert statuses == {
        "core-banking": TaskStatus.DONE,
        "crm": TaskStatus.DONE,
        "aml-archive": TaskStatus.KEPT,
    }

    confirm = client.get(f"{base}/complete/")
    assert confirm.status_code == 200
    assert "Partially completed" in confirm.content.decode()
    assert "AML screening archive" in confirm.content.decode()
    request.refresh_from_db()
    assert request.is_open  # looking at the confirmation changes nothing

    # A deletion is not closed without its answer: the requester is erased right after.
    response = client.post(f"{base}/complete/", {"confirm": "yes"}, follow=True)
    assert "Choose how the answer is sent" in response.content.decode()
    request.refresh_from_db()
    assert request.is_open

    response = client.post(
        f"{base}/complete/",
        {"confirm": "yes", "letter_channel": "email", "letter_language": "en"},
    )
    assert response.status_code == 302
    request.refresh_from_db()
    assert request.status == RequestStatus.PARTIALLY_COMPLETED
    assert [message.to for message in mail.outbox] == [[person.email]]
    person.refresh_from_db()
    assert person.is_erased
    listing = client.get(reverse("admin:requests_subjectrequest_changelist"))
    assert request.reference not in listing.content.decode()


def test_completing_with_open_tasks_is_refused_with_a_message(client, case):
    _organisation, _dpo, _person, request = case
    base = f"/admin/requests/subjectrequest/{request.pk}/fulfil"
    client.post(f"{base}/open-tasks/")

    response = client.post(f"{base}/complete/", {"confirm": "yes"}, follow=True)

    assert "still open" in response.content.decode()
    request.refresh_from_db()
    assert request.is_open


def test_access_package_is_downloadable_by_the_dpo_and_not_by_a_manager(client, case):
    organisation, dpo, _person, request = case
    request.kind = "access"
    request.save()
    job = access.start_access_package(request, actor=dpo, language="en")
    # Run the handler here (the worker path is tested in test_access_package.py).
    from dpo_portal.jobs.tasks import run_job

    run_job(job.pk)
    job.refresh_from_db()
    assert job.status == Job.Status.DONE

    html = page(client, request).content.decode()
    download = reverse("admin:requests_fulfil_package_download", args=[request.pk, job.pk])
    assert download in html
    response = client.get(download)
    assert response.status_code == 200
    assert zipfile.ZipFile(io.BytesIO(response.content)).namelist() == [
        "access-package.html",
        "access-package.json",
    ]

    manager = make_user(Role.MANAGER, organisation)
    client.logout()
    client.force_login(manager)
    assert client.get(reverse("admin:jobs_job_result", args=[job.pk])).status_code == 404
    assert client.get(download).status_code in (302, 403, 404)
