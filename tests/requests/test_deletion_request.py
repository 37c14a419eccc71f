"""Deletion by request: every system's records are disposed except those a legal hold keeps, the
answer says so, and afterwards the person is nowhere in the database, history tables included."""

import pytest
from django.db import connection

from consent.models import Consent
from dpo_portal.register.models import DataSubject, SuppressionEntry
from dpo_portal.register.services import is_suppressed
from requests import fulfilment, letters
from requests.models import KeptReason, RequestStatus, TaskStatus
from retention.models import Record, RecordStatus
from retention.services import place_hold
from tests.consent.helpers import make_activity, make_consent
from tests.requests.fulfilment_helpers import (
    dpo_and_organisation,
    make_category,
    make_person,
    make_record,
    make_request,
    three_systems,
)

pytestmark = pytest.mark.django_db

TEXT_TYPES = {"CharField", "TextField", "JSONField", "SlugField", "EmailField"}


def tables_containing(*needles):
    """{needle: [table.column, ...]} for every text column of every table that holds it."""
    found = {needle: [] for needle in needles}
    introspection = connection.introspection
    with connection.cursor() as cursor:
        for table in introspection.table_names(cursor):
            for column in introspection.get_table_description(cursor, table):
                field_type = introspection.get_field_type(column.type_code, column)
                if field_type not in TEXT_TYPES:
                    continue
                name = connection.ops.quote_name(column.name)
                for needle in needles:
                    cursor.execute(
                        f"SELECT 1 FROM {connection.ops.quote_name(table)} "
                        f"WHERE {name}::text ILIKE %s LIMIT 1",
                        [f"%{needle}%"],
                    )
                    if cursor.fetchone():
                        found[needle].append(f"{table}.{column.name}")
    return {needle: places for needle, places in found.items() if places}


@pytest.fixture
def deletion_case():
    organisation, dpo = dpo_and_organisation()
    person = make_person(organisation)
    other = make_person(
        organisation,
        first_name="Orxan",
        last_name="Başqa",
        fin="5ZK8R2T",
        phone="+994701112233",
        email="orxan@example.az",
    )
    core, crm, aml = three_systems(organisation)
    identity = make_category(organisation, "identity", name="Identity")
    contact = make_category(organisation, "contact", name="Contact")
    records = {
        "core": make_record(person, core, identity),
        "crm": make_record(person, crm, contact),
        "aml": make_record(person, aml, identity),
    }
    others_record = make_record(other, crm, contact)
    # The AML/CFT law keeps the screening file: a hold on that one record.
    place_hold(
        organisation=organisation,
        actor=dpo,
        reason="AML/CFT law: keep screening files 5 years after the relationship ends",
        reference="AML-2026-7",
        record=records["aml"],
    )
    activity = make_activity(organisation, "marketing", name="Direct marketing")
    make_consent(person, activity, evidence_reference=f"form signed by {person.last_name}")
    request = make_request(person, actor=dpo)
    # A letter acknowledging receipt, which names the requester.
    letters.create_letter(
        request,
        language="en",
        actor=dpo,
        body=f"Dear {person.first_name} {person.last_name}, we received your request.",
    )
    return dpo, person, other, records, others_record, request


def resolve_all_as_erased(request, dpo):
    tasks = fulfilment.open_tasks_for(request, actor=dpo)
    for task in tasks:
        fulfilment.resolve_task(task, actor=dpo, resolution=fulfilment.Resolution.ERASED)
    return {task.system.code: task for task in request.tasks.select_related("system")}


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
