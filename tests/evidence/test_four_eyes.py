"""Four eyes on irreversible steps: with the organisation's setting on, a disposal batch and a
hold release need a second DPO, never the first one twice; both are on the certificate and in
the audit trail. With the setting off, one DPO suffices."""

import datetime

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse

from dpo_portal.approvals.models import SecondApproval
from dpo_portal.approvals.services import ERASURE_COMPLETION
from dpo_portal.audit.models import AuditEvent
from dpo_portal.register.models import Role
from retention import services, sweep
from retention.models import BatchStatus, DisposalBatch, Record, RecordStatus
from tests.factories import make_user
from tests.retention.helpers import make_record, retention_world

pytestmark = pytest.mark.django_db


def world(four_eyes):
    organisation, system, category, rule = retention_world()
    organisation.four_eyes = four_eyes
    organisation.save()
    for _ in range(3):
        make_record(organisation, system=system, category=category, rule=rule)
    sweep.sweep_inline(today=datetime.date(2026, 11, 22))
    first = make_user(Role.DPO, organisation, first_name="Leyla", last_name="Həsənova")
    second = make_user(Role.DPO, organisation, first_name="Rəşad", last_name="Məmmədov")
    return organisation, DisposalBatch.objects.get(), first, second


def test_one_dpo_cannot_approve_and_confirm_the_same_batch():
    _organisation, batch, first, _second = world(four_eyes=True)

    batch = services.approve_batch(batch, actor=first)
    assert batch.status == BatchStatus.PENDING
    assert Record.objects.filter(status=RecordStatus.DUE).count() == 3
    with pytest.raises(ValidationError, match="second DPO must confirm"):
        services.approve_batch(batch, actor=first)
    batch.refresh_from_db()
    assert batch.status == BatchStatus.PENDING and not batch.certificate_number


def test_two_dpos_dispose_and_both_sign_the_certificate(client):
    organisation, batch, first, second = world(four_eyes=True)
    services.approve_batch(batch, actor=first)
    batch = services.approve_batch(batch, actor=second)

    assert batch.status == BatchStatus.APPROVED and batch.disposed_count == 3
    assert [(s["name"], s["role"]) for s in batch.signatures] == [
        ("Leyla Həsənova", "DPO"),
        ("Rəşad Məmmədov", "DPO"),
    ]
    approval = SecondApproval.objects.get()
    assert (approval.first_by, approval.second_by) == (first, second)
    assert approval.first_at <= approval.second_at

    client.force_login(make_user(Role.AUDITOR, organisation))
    page = client.get(reverse("admin:retention_disposalbatch_certificate", args=[batch.pk]))
    text = page.content.decode()
    assert "Leyla Həsənova" in text and "Rəşad Məmmədov" in text
    assert text.count('class="line"') == 2  # a signature line each

    actions = list(
        AuditEvent.objects.filter(organisation=organisation)
        .order_by("sequence")
        .values_list("action", "actor")
    )
    assert ("approvals.first_given", first.pk) in actions
    assert ("approvals.confirmed", second.pk) in actions
    assert ("retention.batch_approved", second.pk) in actions
    trail = client.get(reverse("admin:audit_auditevent_changelist")).content.decode()
    assert "Leyla Həsənova gave the first approval of the disposal" in trail
    assert "Rəşad Məmmədov confirmed, as the second DPO, the disposal" in trail


def test_with_the_setting_off_one_dpo_suffices():
    _organisation, batch, first, _second = world(four_eyes=False)
    batch = services.approve_batch(batch, actor=first)
    assert batch.status == BatchStatus.APPROVED
    assert [s["name"] for s in batch.signatures] == ["Leyla Həsənova"]
    assert not SecondApproval.objects.exists()


def test_the_admin_walks_the_two_approvals_and_refuses_the_same_person(client):
    _organisation, batch, first, second = world(four_eyes=True)
    approve = reverse("admin:retention_disposalbatch_approve", args=[batch.pk])
    review = reverse("admin:retention_disposalbatch_change", args=[batch.pk])

    client.force_login(first)
    page = client.post(approve, follow=True).content.decode()
    assert "A second DPO must confirm it" in page
    assert "Leyla Həsənova (DPO) approved this disposal" in page
    page = client.post(approve, follow=True).content.decode()
    assert "a second DPO must confirm it, not you" in page
    assert DisposalBatch.objects.get().status == BatchStatus.PENDING

    client.force_login(second)
    assert "Confirm the disposal" in client.get(review).content.decode()
    page = client.post(approve, follow=True).content.decode()
    assert "3 records destroyed" in page
    assert DisposalBatch.objects.get().status == BatchStatus.APPROVED


def test_releasing_a_hold_needs_a_second_dpo():
    organisation, _batch, first, second = world(four_eyes=True)
    hold = services.place_hold(
        organisation=organisation, actor=first, reason="Claim", record=Record.objects.first()
    )
    hold = services.release_hold(hold, actor=first, reason="Settled")
    assert hold.released_at is None
    with pytest.raises(ValidationError):
        services.release_hold(hold, actor=first, reason="Settled")
    hold = services.release_hold(hold, actor=second, reason="Settled")
    assert hold.released_at is not None and hold.released_by == second


def test_completing_an_erasure_needs_a_second_dpo():
    from requests import fulfilment
    from requests.models import RequestStatus
    from tests.requests.fulfilment_helpers import (
        dpo_and_organisation,
        make_category,
        make_person,
        make_request,
        three_systems,
    )
    from tests.requests.fulfilment_helpers import make_record as make_held_record

    organisation, first = dpo_and_organisation()
    organisation.four_eyes = True
    organisation.save()
    second = make_user(Role.DPO, organisation)
    person = make_person(organisation)
    system = three_systems(organisation)[0]
    make_held_record(person, system, make_category(organisation))
    request = make_request(person, actor=first)
    for task in fulfilment.open_tasks_for(request, actor=first):
        # Disposing of a task's records is a four-eyes step too (test_four_eyes_on_task_disposal).
        for actor in (first, second):
            fulfilment.resolve_task(task, actor=actor, resolution=fulfilment.Resolution.ERASED)

    request = fulfilment.complete_request(request, actor=first)
    request.refresh_from_db()
    person.refresh_from_db()
    assert request.is_open and not person.is_erased
    with pytest.raises(ValidationError):
        fulfilment.complete_request(request, actor=first)

    request = fulfilment.complete_request(request, actor=second)
    person.refresh_from_db()
    assert request.status == RequestStatus.COMPLETED and person.is_erased
    approval = SecondApproval.objects.get(action=ERASURE_COMPLETION, target_id=str(request.pk))
    assert approval.second_by == second
