"""Four eyes on a deletion's per-system tasks: with the organisation's setting on, resolving a
task as erased, anonymised or archived records the first DPO's approval and disposes of nothing;
the same resolution by a second DPO disposes of the records, and both names are on the audit
trail. The first DPO cannot confirm their own approval; with the setting off one suffices."""

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse

from dpo_portal.approvals.models import SecondApproval
from dpo_portal.approvals.services import TASK_ERASURE
from dpo_portal.audit.models import AuditEvent
from dpo_portal.audit.reading import read
from requests import fulfilment
from requests.models import TaskStatus
from retention.models import RecordStatus
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


def world(four_eyes):
    organisation, first = dpo_and_organisation()
    first.first_name, first.last_name = "Leyla", "Həsənova"
    first.save()
    organisation.four_eyes = four_eyes
    organisation.save()
    second = make_user(Role.DPO, organisation, first_name="Rəşad", last_name="Məmmədov")
    person = make_person(organisation)
    system = three_systems(organisation)[0]
    category = make_category(organisation)
    records = [make_record(person, system, category) for _ in range(2)]
    request = make_request(person, actor=first)
    (task,) = fulfilment.open_tasks_for(request, actor=first)
    return task, records, first, second


def statuses(records):
    return {record.__class__.objects.get(pk=record.pk).status for record in records}


def test_one_dpo_cannot_dispose_and_confirm_the_same_task():
    task, records, first, _second = world(four_eyes=True)

    task = fulfilment.resolve_task(task, actor=first, resolution=fulfilment.Resolution.ERASED)
    task.refresh_from_db()
    assert task.status == TaskStatus.OPEN and task.disposed_count == 0
    assert statuses(records) == {RecordStatus.ACTIVE}
    with pytest.raises(ValidationError, match="second DPO must confirm"):
        fulfilment.resolve_task(task, actor=first, resolution=fulfilment.Resolution.ERASED)
    assert statuses(records) == {RecordStatus.ACTIVE}


def test_two_dpos_dispose_and_both_are_on_the_audit_trail():
    task, records, first, second = world(four_eyes=True)

    fulfilment.resolve_task(task, actor=first, resolution=fulfilment.Resolution.ERASED)
    task = fulfilment.resolve_task(task, actor=second, resolution=fulfilment.Resolution.ERASED)

    task.refresh_from_db()
    assert task.status == TaskStatus.DONE and task.disposed_count == 2
    assert task.resolved_by == second
    assert statuses(records) == {RecordStatus.DISPOSED}
    approval = SecondApproval.objects.get(action=TASK_ERASURE, target_id=str(task.pk))
    assert (approval.first_by, approval.second_by) == (first, second)
    resolved = AuditEvent.objects.get(action="requests.task_resolved")
    assert resolved.details["approved_by"] == [first.pk, second.pk]
    events = read(
        list(
            AuditEvent.objects.filter(action__startswith="approvals.")
            .select_related("actor", "target_type")
            .order_by("sequence")
        )
    )
    assert [(e.action, e.actor) for e in events] == [
        ("approvals.first_given", first),
        ("approvals.confirmed", second),
    ]
    assert "Leyla Həsənova" in events[0].sentence and "erasing the records" in events[0].sentence
    assert "Rəşad Məmmədov" in events[1].sentence


def test_a_different_disposal_is_refused_while_one_waits_for_its_confirmation():
    task, records, first, second = world(four_eyes=True)
    fulfilment.resolve_task(task, actor=first, resolution=fulfilment.Resolution.ERASED)

    with pytest.raises(ValidationError, match="Leyla Həsənova approved closing this task"):
        fulfilment.resolve_task(task, actor=second, resolution=fulfilment.Resolution.ANONYMISED)
    assert statuses(records) == {RecordStatus.ACTIVE}


def test_with_the_setting_off_one_dpo_disposes():
    task, records, first, _second = world(four_eyes=False)

    task = fulfilment.resolve_task(task, actor=first, resolution=fulfilment.Resolution.ERASED)

    assert task.status == TaskStatus.DONE and task.disposed_count == 2
    assert statuses(records) == {RecordStatus.DISPOSED}
    assert not SecondApproval.objects.exists()


def test_keeping_the_data_needs_no_second_dpo():
    task, records, first, _second = world(four_eyes=True)

    task = fulfilment.resolve_task(
        task,
        actor=first,
        resolution=fulfilment.Resolution.KEPT,
        kept_reason=fulfilment.KeptReason.AML_CFT,
    )

    assert task.status == TaskStatus.KEPT
    assert statuses(records) == {RecordStatus.ACTIVE}


def test_the_request_page_shows_the_first_approval_to_the_second_dpo(client):
    task, records, first, second = world(four_eyes=True)
    base = reverse("admin:requests_subjectrequest_change", args=[task.request_id])
    resolve = reverse("admin:requests_fulfil_resolve", args=[task.request_id, task.pk])

    client.force_login(first)
    page = client.post(resolve, {"resolution": "erased"}, follow=True).content.decode()
    assert "your approval is recorded" in page
    assert statuses(records) == {RecordStatus.ACTIVE}

    client.force_login(second)
    page = client.get(base).content.decode()
    assert "Leyla Həsənova" in page and "approved “Erased”" in page
    page = client.post(resolve, {"resolution": "erased"}, follow=True).content.decode()
    assert statuses(records) == {RecordStatus.DISPOSED}
    assert "first-approval" not in page
