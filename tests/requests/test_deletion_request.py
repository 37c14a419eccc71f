"""Deletion by request: every system's records are disposed except those a legal hold keeps, the
answer says so, and afterwards the person is nowhere in the database, history tables included."""

import pytest

from consent.models import Consent
from dpo_portal.register.models import DataSubject, SuppressionEntry
from dpo_portal.register.services import is_suppressed
from requests import fulfilment
from requests.models import KeptReason, RequestStatus, TaskStatus
from retention.models import Record, RecordStatus
from tests.requests.fulfilment_helpers import resolve_all_as_erased, tables_containing

pytestmark = pytest.mark.django_db


def test_deletion_opens_one_task_per_system_holding_the_persons_records(deletion_case):
    dpo, _person, _other, _records, _others, request = deletion_case

    tasks = fulfilment.open_tasks_for(request, actor=dpo)

    assert sorted(task.system.code for task in tasks) == ["aml-archive", "core-banking", "crm"]
    assert {task.status for task in tasks} == {TaskStatus.OPEN}
    # Opening again adds nothing.
    assert len(fulfilment.open_tasks_for(request, actor=dpo)) == 3


def test_held_system_is_kept_with_its_reason_and_the_answer_is_partial(deletion_case):
    dpo, _person, _other, records, others_record, request = deletion_case

    tasks = resolve_all_as_erased(request, dpo)
    request = fulfilment.complete_request(request, actor=dpo)

    assert tasks["core-banking"].status == TaskStatus.DONE
    assert tasks["crm"].status == TaskStatus.DONE
    assert tasks["aml-archive"].status == TaskStatus.KEPT
    assert tasks["aml-archive"].kept_reason == KeptReason.LEGAL_HOLD
    statuses = dict(Record.objects.values_list("pk", "status"))
    assert statuses[records["core"].pk] == RecordStatus.DISPOSED
    assert statuses[records["crm"].pk] == RecordStatus.DISPOSED
    assert statuses[records["aml"].pk] != RecordStatus.DISPOSED
    assert statuses[others_record.pk] == RecordStatus.ACTIVE
    request.refresh_from_db()
    assert request.status == RequestStatus.PARTIALLY_COMPLETED
    assert "AML screening archive" in request.outcome_reason
    assert "legal hold" in request.outcome_reason


def test_after_deletion_the_person_is_in_no_table_of_the_database(deletion_case):
    dpo, person, other, _records, _others, request = deletion_case
    needles = (person.first_name, person.last_name, person.fin, person.email, "551239876")
    # The search finds them before: in the subject, its history, the request and its letter.
    before = tables_containing(*needles)
    assert set(before) == set(needles)
    assert "register_historicaldatasubject.last_name" in before[person.last_name]
    assert "requests_subjectrequest.requester_name" in before[person.last_name]

    resolve_all_as_erased(request, dpo)
    fulfilment.complete_request(request, actor=dpo)

    assert tables_containing(*needles) == {}
    # The other person is untouched, and the erased one cannot be imported back.
    assert tables_containing(other.last_name, other.fin)
    erased = DataSubject.objects.get(pk=person.pk)
    assert erased.is_erased
    assert SuppressionEntry.objects.filter(organisation_id=person.organisation_id).count() >= 3
    assert is_suppressed(DataSubject(organisation_id=person.organisation_id, fin=person.fin))
    # Consents stay as proof of past lawful processing, without their evidence.
    consent = Consent.objects.get(subject=erased)
    assert consent.evidence_reference == ""


def test_completed_when_nothing_is_held(deletion_case):
    dpo, _person, _other, records, _others, request = deletion_case
    from retention.models import LegalHold

    LegalHold.objects.update(released_at=records["aml"].created_at)

    resolve_all_as_erased(request, dpo)
    request = fulfilment.complete_request(request, actor=dpo)

    assert request.status == RequestStatus.COMPLETED
    assert not Record.objects.filter(subject_id=request.subject_id).undisposed().exists()


def test_access_packages_built_for_the_person_are_dropped_on_deletion(deletion_case):
    from dpo_portal.jobs.models import Job
    from dpo_portal.jobs.tasks import run_job
    from requests import access

    dpo, _person, _other, _records, _others, request = deletion_case
    job = access.start_access_package(request, actor=dpo, language="en")
    run_job(job.pk)
    job.refresh_from_db()
    assert job.result is not None

    resolve_all_as_erased(request, dpo)
    fulfilment.complete_request(request, actor=dpo)

    job = Job.objects.get(pk=job.pk)
    assert job.result is None
    assert job.result_name == ""
