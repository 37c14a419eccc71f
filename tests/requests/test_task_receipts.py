"""A system's receipt closes its task as the DPO's choice would, is kept as evidence that cannot
be changed, and a second receipt for a closed task is refused."""

import datetime

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone, translation

from dpo_portal.audit.models import AuditEvent
from requests import fulfilment, receipts
from requests.access import build_package, system_exports
from requests.models import (
    KeptReason,
    ReceiptOutcome,
    ReceiptSource,
    RequestKind,
    RequestStatus,
    TaskReceipt,
    TaskStatus,
)
from retention.models import Record, RecordStatus
from tests.requests.fulfilment_helpers import (
    dpo_and_organisation,
    make_category,
    make_person,
    make_record,
    make_request,
    three_systems,
)

pytestmark = pytest.mark.django_db

TABLES = [
    {"table": "customers", "matched": 1, "changed": 1, "statement": "DELETE FROM customers …"},
    {"table": "loans", "matched": 3, "changed": 3, "statement": "UPDATE loans SET …"},
]


@pytest.fixture
def case():
    organisation, dpo = dpo_and_organisation()
    person = make_person(organisation)
    systems = three_systems(organisation)
    category = make_category(organisation, "identity", name="Identity")
    for system in systems:
        make_record(person, system, category)
    return organisation, dpo, person, systems


def acted():
    return timezone.now() - datetime.timedelta(minutes=3)


def test_a_deletion_answered_by_two_receipts_and_one_dpo_resolution_completes(case):
    organisation, dpo, person, (core, crm, aml) = case
    request = make_request(person, actor=dpo)
    tasks = {t.system_id: t for t in fulfilment.open_tasks_for(request, actor=dpo)}

    receipts.record_receipt(
        tasks[core.pk],
        source=ReceiptSource.API,
        outcome=ReceiptOutcome.DONE,
        acted_at=acted(),
        tables=TABLES,
        details={"token_id": 7},
        actor=None,
    )
    receipts.record_receipt(
        tasks[crm.pk],
        source=ReceiptSource.CONNECTOR,
        outcome=ReceiptOutcome.KEPT,
        kept_reason=KeptReason.AML_CFT,
        acted_at=acted(),
        details={"server": "crm-db", "database": "crm"},
        actor=None,
    )
    fulfilment.resolve_task(tasks[aml.pk], actor=dpo, resolution=fulfilment.Resolution.ERASED)
    fulfilment.complete_request(request, actor=dpo)

    request.refresh_from_db()
    assert request.status == RequestStatus.PARTIALLY_COMPLETED
    core_task = request.tasks.get(system=core)
    assert core_task.status == TaskStatus.DONE and core_task.disposed_count == 1
    assert core_task.resolved_by is None  # the system acted, its receipt says which
    assert request.tasks.get(system=crm).kept_reason == KeptReason.AML_CFT
    assert not Record.objects.filter(system=core).exclude(status=RecordStatus.DISPOSED).exists()
    kept = TaskReceipt.objects.get(task__system=crm)
    assert kept.kept_reason == KeptReason.AML_CFT
    done = TaskReceipt.objects.get(task__system=core)
    assert done.tables[1] == TABLES[1]
    assert done.sha256 == done.content_hash()
    event = AuditEvent.objects.get(action="requests.task_receipt", details__receipt_id=done.pk)
    assert event.actor is None
    assert event.details["system_id"] == core.pk and event.details["changed"] == 4


def test_a_second_receipt_for_a_resolved_task_is_refused_and_nothing_is_kept(case):
    _organisation, dpo, person, _systems = case
    request = make_request(person, actor=dpo)
    task = fulfilment.open_tasks_for(request, actor=dpo)[0]
    receipts.record_receipt(
        task, source=ReceiptSource.API, outcome=ReceiptOutcome.DONE, acted_at=acted(), actor=None
    )

    with pytest.raises(receipts.TaskAlreadyResolved):
        receipts.record_receipt(
            task,
            source=ReceiptSource.API,
            outcome=ReceiptOutcome.KEPT,
            kept_reason=KeptReason.TAX,
            acted_at=acted(),
            actor=None,
        )
    assert TaskReceipt.objects.filter(task=task).count() == 1


def test_a_receipt_is_never_changed(case):
    _organisation, dpo, person, _systems = case
    request = make_request(person, actor=dpo)
    task = fulfilment.open_tasks_for(request, actor=dpo)[0]
    receipt = receipts.record_receipt(
        task, source=ReceiptSource.API, outcome=ReceiptOutcome.DONE, acted_at=acted(), actor=None
    )
    receipt.note = "rewritten"
    with pytest.raises(ValueError):
        receipt.save()


def test_a_refused_resolution_keeps_no_receipt(case):
    _organisation, dpo, person, _systems = case
    request = make_request(person, actor=dpo, verify=False)
    task = fulfilment.open_tasks_for(request, actor=dpo)[0]

    with pytest.raises(ValidationError, match="identity"):
        receipts.record_receipt(
            task,
            source=ReceiptSource.API,
            outcome=ReceiptOutcome.DONE,
            acted_at=acted(),
            actor=None,
        )
    assert not TaskReceipt.objects.exists()
    task.refresh_from_db()
    assert task.status == TaskStatus.OPEN


def exported_by_core(case, export):
    """An access request whose core-system task a receipt answers with ``export``."""
    _organisation, dpo, person, (core, _crm, _aml) = case
    request = make_request(person, actor=dpo, kind=RequestKind.ACCESS)
    task = next(t for t in fulfilment.open_tasks_for(request, actor=dpo) if t.system_id == core.pk)
    receipts.record_receipt(
        task,
        source=ReceiptSource.API,
        outcome=ReceiptOutcome.DONE,
        acted_at=acted(),
        export=export,
        actor=None,
    )
    return request


def test_an_export_receipt_carries_its_data_into_the_access_package(case):
    request = exported_by_core(case, {"loans": [{"id": "L-1", "amount": 5000}]})

    exported = system_exports(request)
    assert exported[0]["system"] == "Core banking"
    assert exported[0]["data"] == {"loans": [{"id": "L-1", "amount": 5000}]}


def test_the_access_package_names_the_exporting_system_in_its_own_language(case):
    core = case[3][0]
    core.name_az = "Əsas bank sistemi"
    core.save(update_fields=["name_az"])
    request = exported_by_core(case, {"loans": [{"id": "L-1"}]})

    # Built while the staff member reads the admin in English.
    with translation.override("en"):
        _content, facts_az = build_package(request, language="az")
        _content, facts_en = build_package(request, language="en")

    assert [e["system"] for e in facts_az["exported_by_systems"]] == ["Əsas bank sistemi"]
    assert [e["system"] for e in facts_en["exported_by_systems"]] == ["Core banking"]
