"""Fulfilment rules a DPO relies on: nothing is disposed before the identity is checked, a request
with open tasks cannot be completed, kept data always has its reason, and a consent withdrawal
withdraws exactly the chosen consents and starts the retention clock of what they held."""

import datetime

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone

from consent.models import Consent
from requests import fulfilment
from requests.models import KeptReason, RequestStatus, TaskAction, TaskStatus
from retention.models import Record, RecordStatus, Trigger
from tests.consent.helpers import make_activity, make_consent
from tests.requests.fulfilment_helpers import (
    dpo_and_organisation,
    make_category,
    make_person,
    make_record,
    make_request,
    three_systems,
)
from tests.retention.helpers import make_rule

pytestmark = pytest.mark.django_db


@pytest.fixture
def world():
    organisation, dpo = dpo_and_organisation()
    person = make_person(organisation)
    systems = three_systems(organisation)
    category = make_category(organisation, "identity", name="Identity")
    for system in systems:
        make_record(person, system, category)
    return organisation, dpo, person, systems, category


def test_nothing_is_erased_before_the_identity_is_verified(world):
    _organisation, dpo, person, _systems, _category = world
    request = make_request(person, actor=dpo, verify=False)
    task = fulfilment.open_tasks_for(request, actor=dpo)[0]

    with pytest.raises(ValidationError, match="identity"):
        fulfilment.resolve_task(task, actor=dpo, resolution=fulfilment.Resolution.ERASED)

    assert not Record.objects.filter(status=RecordStatus.DISPOSED).exists()
    task.refresh_from_db()
    assert task.status == TaskStatus.OPEN


def test_a_request_with_open_tasks_cannot_be_completed(world):
    _organisation, dpo, person, _systems, _category = world
    request = make_request(person, actor=dpo)
    first, *_rest = fulfilment.open_tasks_for(request, actor=dpo)
    fulfilment.resolve_task(first, actor=dpo, resolution=fulfilment.Resolution.ERASED)

    with pytest.raises(ValidationError) as refused:
        fulfilment.complete_request(request, actor=dpo)

    assert "Tasks still open for: CRM, Core banking." in refused.value.messages

    request.refresh_from_db()
    assert request.is_open
    person.refresh_from_db()
    assert not person.is_erased


def test_kept_data_needs_its_reason_and_other_reasons_need_a_note(world):
    _organisation, dpo, person, _systems, _category = world
    request = make_request(person, actor=dpo)
    task = fulfilment.open_tasks_for(request, actor=dpo)[0]

    with pytest.raises(ValidationError):
        fulfilment.resolve_task(task, actor=dpo, resolution=fulfilment.Resolution.KEPT)
    with pytest.raises(ValidationError):
        fulfilment.resolve_task(
            task, actor=dpo, resolution=fulfilment.Resolution.KEPT, kept_reason=KeptReason.OTHER
        )
    task = fulfilment.resolve_task(
        task,
        actor=dpo,
        resolution=fulfilment.Resolution.KEPT,
        kept_reason=KeptReason.AML_CFT,
        note="AML/CFT law art. 9: 5 years after the relationship ends",
    )

    assert task.status == TaskStatus.KEPT
    assert not Record.objects.filter(system=task.system, status=RecordStatus.DISPOSED).exists()


def test_anonymising_disposes_as_anonymised_and_a_closed_task_stays_closed(world):
    _organisation, dpo, person, _systems, _category = world
    request = make_request(person, actor=dpo)
    task = fulfilment.open_tasks_for(request, actor=dpo)[0]

    task = fulfilment.resolve_task(task, actor=dpo, resolution=fulfilment.Resolution.ANONYMISED)

    assert task.action == TaskAction.ANONYMISE
    assert Record.objects.get(system=task.system).disposal_action == "anonymise"
    with pytest.raises(ValidationError, match="already closed"):
        fulfilment.resolve_task(task, actor=dpo, resolution=fulfilment.Resolution.ERASED)


def test_archiving_request_archives_and_keeps_the_person_in_the_portal(world):
    _organisation, dpo, person, _systems, _category = world
    request = make_request(person, actor=dpo, kind="archiving")

    for task in fulfilment.open_tasks_for(request, actor=dpo):
        assert task.action == TaskAction.ARCHIVE
        fulfilment.resolve_task(task, actor=dpo, resolution=fulfilment.Resolution.ARCHIVED)
    request = fulfilment.complete_request(request, actor=dpo)

    assert request.status == RequestStatus.COMPLETED
    assert set(Record.objects.values_list("disposal_action", flat=True)) == {"archive"}
    person.refresh_from_db()
    assert not person.is_erased


def test_correction_tasks_close_as_done_without_touching_records(world):
    _organisation, dpo, person, _systems, _category = world
    request = make_request(person, actor=dpo, kind="correction")

    for task in fulfilment.open_tasks_for(request, actor=dpo):
        assert task.action == TaskAction.RECTIFY
        with pytest.raises(ValidationError):
            fulfilment.resolve_task(task, actor=dpo, resolution=fulfilment.Resolution.ERASED)
        fulfilment.resolve_task(
            task, actor=dpo, resolution=fulfilment.Resolution.DONE, note="address corrected"
        )
    request = fulfilment.complete_request(request, actor=dpo)

    assert request.status == RequestStatus.COMPLETED
    assert not Record.objects.filter(status=RecordStatus.DISPOSED).exists()


def test_consent_withdrawal_withdraws_the_chosen_consents_and_starts_the_clock(world):
    organisation, dpo, person, systems, category = world
    marketing = make_activity(organisation, "marketing", name="Direct marketing")
    surveys = make_activity(organisation, "surveys", name="Surveys")
    marketing_consent = make_consent(person, marketing)
    survey_consent = make_consent(person, surveys)
    rule = make_rule(
        organisation, activity=marketing, period=30, unit="days", trigger=Trigger.CONSENT_WITHDRAWAL
    )
    on_consent = make_record(
        person,
        systems[1],
        category,
        activity=marketing,
        consent=marketing_consent,
        rule=rule,
        external_id="MKT-1",
    )
    request = make_request(person, actor=dpo, kind="consent_withdrawal")

    tasks = fulfilment.open_tasks_for(request, actor=dpo)
    withdrawn = fulfilment.withdraw_consents(request, actor=dpo, activities=[marketing])

    assert [task.system for task in tasks] == [systems[1]]
    assert tasks[0].action == TaskAction.STOP_PROCESSING
    assert withdrawn == 1
    marketing_consent.refresh_from_db()
    survey_consent.refresh_from_db()
    assert marketing_consent.withdrawn_at == request.received_at
    assert marketing_consent.withdrawal_channel == "paper"
    assert survey_consent.withdrawn_at is None
    on_consent.refresh_from_db()
    withdrawal_day = timezone.localtime(request.received_at).date()
    assert on_consent.clock_started_at == withdrawal_day
    assert on_consent.expires_on == withdrawal_day + datetime.timedelta(days=30)
    assert Consent.objects.filter(subject=person).count() == 2
