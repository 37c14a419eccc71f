"""Per-system tasks have an owner and a deadline: the system's owner by default, due inside the
request's deadline, in the owner's "my tasks" and daily reminders; assigning a request or a task
mails the assignee in plain text; the triage list shows how many days a request is overdue."""

import datetime

import pytest
from django.contrib.messages import get_messages
from django.core import mail
from django.core.exceptions import ValidationError
from django.urls import reverse
from django.utils import timezone

from requests import fulfilment, reminders, services
from requests.models import RequestTask, SubjectRequest
from tests.factories import Role, make_organisation, make_user
from tests.requests.fulfilment_helpers import (
    make_category,
    make_person,
    make_record,
    make_request,
    three_systems,
)
from tests.requests.helpers import make_request as make_plain_request

pytestmark = pytest.mark.django_db

ORGANISATION_NAME = '"AllAll Finance" MMC & Co'


@pytest.fixture(autouse=True)
def english(settings):
    settings.LANGUAGE_CODE = "en"


@pytest.fixture
def case(django_capture_on_commit_callbacks):
    organisation = make_organisation(name=ORGANISATION_NAME, languages="en")
    dpo = make_user(Role.DPO, organisation, username="head-dpo", email="head@example.org")
    crm_owner = make_user(Role.DPO, organisation, username="crm-owner", email="crm@example.org")
    manager = make_user(Role.MANAGER, organisation, username="a-manager", email="m@example.org")
    core, crm, aml = three_systems(organisation)
    crm.owner_user = crm_owner
    crm.save()
    aml.owner_user = manager  # may not work on requests: the task goes to the request's handler
    aml.save()
    person = make_person(organisation)
    category = make_category(organisation, "identity", name="Identity")
    for system in (core, crm, aml):
        make_record(person, system, category)
    request = make_request(person, actor=dpo, assignee=dpo)
    return organisation, dpo, crm_owner, manager, request


def test_tasks_go_to_the_systems_owner_and_are_due_inside_the_requests_deadline(
    case, django_capture_on_commit_callbacks
):
    _organisation, dpo, crm_owner, _manager, request = case
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        tasks = {t.system.code: t for t in fulfilment.open_tasks_for(request, actor=dpo)}

    assert tasks["crm"].owner == crm_owner
    assert tasks["aml-archive"].owner == dpo  # the manager may not work on requests
    assert tasks["core-banking"].owner == dpo  # no owner account: the request's handler
    request.refresh_from_db()
    for task in tasks.values():
        assert timezone.localdate() <= task.due_on <= request.due_on
    # The owner is told; the DPO who opened the tasks does not mail themselves.
    assert [m.to for m in mail.outbox] == [["crm@example.org"]]
    body = mail.outbox[0].body
    assert f"{ORGANISATION_NAME}: CRM, request {request.reference}" in body
    assert "&quot;" not in body and "&amp;" not in body
    assert request.requester_name not in body and request.requester_fin not in body


def test_a_task_can_be_given_to_someone_who_may_work_on_requests_only(
    case, client, django_capture_on_commit_callbacks
):
    _organisation, dpo, crm_owner, manager, request = case
    task = next(t for t in fulfilment.open_tasks_for(request, actor=dpo) if t.system.code == "crm")
    client.force_login(dpo)
    url = reverse("admin:requests_fulfil_assign_task", args=[request.pk, task.pk])

    client.post(url, {"owner": manager.pk}, follow=True)
    task.refresh_from_db()
    assert task.owner == crm_owner

    too_late = (request.due_on + datetime.timedelta(days=3)).isoformat()
    response = client.post(url, {"owner": dpo.pk, "due_on": too_late}, follow=True)
    assert any(
        str(m).startswith("A task is due by the request's deadline")
        for m in get_messages(response.wsgi_request)
    )
    task.refresh_from_db()
    assert task.owner == crm_owner

    mail.outbox.clear()
    third = make_user(Role.DPO, request.organisation, username="third", email="third@example.org")
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            url, {"owner": third.pk, "due_on": request.due_on.isoformat()}, follow=True
        )
    assert "CRM: the task is given to third." in response.content.decode()
    task.refresh_from_db()
    assert (task.owner, task.due_on) == (third, request.due_on)
    assert [m.to for m in mail.outbox] == [["third@example.org"]]


def test_my_tasks_lists_the_owners_open_tasks_with_days_overdue(case, client):
    _organisation, dpo, crm_owner, _manager, request = case
    fulfilment.open_tasks_for(request, actor=dpo)
    RequestTask.objects.filter(system__code="crm").update(
        due_on=timezone.localdate() - datetime.timedelta(days=3)
    )
    client.force_login(crm_owner)
    response = client.get(reverse("admin:requests_requesttask_changelist"), {"owner": "me"})
    rows = list(response.context["cl"].result_list)
    assert [t.system.code for t in rows] == ["crm"]
    html = response.content.decode()
    assert '<td class="field-days_overdue">3</td>' in html
    assert request.reference in html


def test_the_daily_reminder_tells_each_owner_their_pressing_tasks(case):
    _organisation, dpo, crm_owner, _manager, request = case
    fulfilment.open_tasks_for(request, actor=dpo)
    RequestTask.objects.filter(system__code="crm").update(
        due_on=timezone.localdate() - datetime.timedelta(days=1)
    )
    RequestTask.objects.exclude(system__code="crm").update(
        due_on=timezone.localdate() + datetime.timedelta(days=10)
    )
    mail.outbox.clear()

    sent = reminders.send_task_reminders(timezone.localdate())

    assert sent == 1
    (message,) = mail.outbox
    assert message.to == [crm_owner.email]
    assert f"{request.reference} · CRM · Erase" in message.body
    assert "OVERDUE" in message.body
    assert reminders.send_task_reminders(timezone.localdate()) == 0  # once a day


def test_assigning_a_request_mails_the_assignee_in_plain_text(
    case, django_capture_on_commit_callbacks
):
    organisation, dpo, crm_owner, manager, request = case
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        services.assign(SubjectRequest.objects.filter(pk=request.pk), assignee=crm_owner, actor=dpo)
    (message,) = mail.outbox
    assert message.to == ["crm@example.org"]
    assert message.subject == f"{ORGANISATION_NAME}: a subject request is assigned to you"
    assert f"head-dpo assigned you a subject request of {ORGANISATION_NAME}:" in message.body
    assert request.reference in message.body
    assert request.requester_name not in message.body
    with pytest.raises(ValidationError, match="may not work on the requests"):
        services.assign(SubjectRequest.objects.filter(pk=request.pk), assignee=manager, actor=dpo)


def test_the_triage_list_shows_days_overdue(client):
    organisation = make_organisation(languages="en")
    dpo = make_user(Role.DPO, organisation)
    late = make_plain_request(organisation, due_in_days=-4, assignee=dpo)
    make_plain_request(organisation, due_in_days=5)
    client.force_login(dpo)
    html = client.get(reverse("admin:requests_subjectrequest_changelist")).content.decode()
    row = html[html.index(late.reference) :]
    row = row[: row.index("</tr>")]
    assert '<td class="field-days_overdue">4</td>' in row
    assert "Leyla Həsənova" in row
