"""Inventory pushed in: all or nothing with the file import's words for each bad item; a retried
batch with the same Idempotency-Key changes nothing; erased people are refused; the expiry is
the file import's for the same rows; records no longer held are disposed with the system as the
actor."""

import csv
import io

import pytest

from dpo_portal.api.models import ApiToken
from dpo_portal.audit.models import AuditEvent
from dpo_portal.jobs.models import Job, start_job
from dpo_portal.jobs.tasks import run_job
from dpo_portal.register.models import Role
from dpo_portal.register.services import erase_subject
from retention.models import Record, RecordStatus
from retention.services import place_hold
from tests.api.helpers import ApiClient, problem, token_for
from tests.factories import make_subject, make_user
from tests.retention.helpers import make_activity, retention_world

pytestmark = pytest.mark.django_db


@pytest.fixture
def shop():
    organisation, system, category, rule = retention_world("acme-api")
    people = [make_subject(organisation) for _ in range(4)]
    make_activity(organisation, code="loans", basis_kind=None)
    dpo = make_user(Role.DPO, organisation)
    _token, secret = token_for(system)
    return organisation, system, people, dpo, ApiClient(secret)


def item(person, external_id, collected_at="2020-01-31", **fields):
    return {
        "subject_ref": person.external_ref,
        "category": "txn",
        "external_id": external_id,
        "collected_at": collected_at,
        **fields,
    }


def test_a_batch_with_three_bad_items_writes_nothing_and_names_each_by_index(shop):
    _organisation, _system, (a, b, c, d), _dpo, client = shop
    batch = {
        "records": [
            item(a, "T-1"),
            item(b, "T-2", collected_at="2020-02-30"),
            item(c, "T-3", category="nope"),
            item(d, "T-4"),
            {**item(a, "T-5"), "subject_ref": "NOBODY"},
        ]
    }

    response = client.post("/records/batch", batch)

    assert response.status_code == 422
    assert problem(response)["errors"] == [
        {
            "index": 1,
            "field": "collected_at",
            "reason": "Not a date (use YYYY-MM-DD or DD.MM.YYYY).",
        },
        {"index": 2, "field": "category", "reason": "Unknown code in this organisation."},
        {"index": 4, "field": "subject_ref", "reason": "No such person in this organisation."},
    ]
    assert not Record.objects.exists()


def test_items_with_a_nul_character_or_an_unknown_field_are_named_by_index_and_field(shop):
    _organisation, _system, (a, b, c, _d), _dpo, client = shop
    batch = {
        "records": [
            item(a, "T-1"),
            item(b, "T-\x002"),
            {**item(c, "T-3"), "note": "not a column"},
            {**item(c, "T-4"), "subject_fin": None, "activity": "lo\x00ans"},
        ]
    }

    response = client.post("/records/batch", batch)

    assert response.status_code == 422
    nul = "Value error, Text may not contain the NUL character."
    assert problem(response)["errors"] == [
        {"index": 1, "field": "external_id", "reason": nul},
        {"index": 2, "field": "note", "reason": "Extra inputs are not permitted"},
        {"index": 3, "field": "activity", "reason": nul},
    ]
    assert not Record.objects.exists()


def test_the_same_record_twice_in_a_batch_is_refused_at_its_second_index(shop):
    _organisation, _system, (a, b, _c, _d), _dpo, client = shop
    batch = {"records": [item(a, "T-1"), item(b, "T-2"), item(b, "T-1", collected_at="2021-01-01")]}

    response = client.post("/records/batch", batch)

    assert problem(response)["errors"] == [
        {"index": 2, "field": "external_id", "reason": "The same record appears in row 0."}
    ]
    assert not Record.objects.exists()


def test_the_same_batch_again_with_its_idempotency_key_changes_nothing(shop):
    organisation, system, (a, b, _c, _d), _dpo, client = shop
    batch = {"records": [item(a, "T-1"), item(b, "T-2")]}

    first = client.post("/records/batch", batch, **{"Idempotency-Key": "push-2026-01-05"})
    assert first.status_code == 200 and first.json() == {"received": 2, "written": 2}
    stamped = dict(Record.objects.values_list("external_id", "updated_at"))
    events = AuditEvent.objects.filter(action="api.records_pushed").count()

    again = client.post("/records/batch", batch, **{"Idempotency-Key": "push-2026-01-05"})

    assert again.status_code == 200 and again.json() == first.json()
    assert again["Idempotent-Replayed"] == "true"
    assert dict(Record.objects.values_list("external_id", "updated_at")) == stamped
    assert AuditEvent.objects.filter(action="api.records_pushed").count() == events
    event = AuditEvent.objects.get(action="api.records_pushed")
    assert event.actor is None
    assert event.details["system_id"] == system.pk
    assert event.details["api_token_id"] == ApiToken.objects.get(system=system).pk

    other = client.post(
        "/records/batch", {"records": [item(a, "T-9")]}, **{"Idempotency-Key": "push-2026-01-05"}
    )
    assert problem(other)["type"] == "urn:dpo-portal:problem:idempotency-key-reused"
    assert not Record.objects.filter(external_id="T-9").exists()


def test_an_erased_person_is_refused(shop):
    _organisation, _system, (a, b, _c, _d), dpo, client = shop
    ref = a.external_ref
    erase_subject(a, actor=dpo, reason="request")

    response = client.post(
        "/records/batch", {"records": [item(b, "T-1"), {**item(b, "T-2"), "subject_ref": ref}]}
    )

    assert problem(response)["errors"] == [
        {
            "index": 1,
            "field": "subject_ref",
            "reason": "This person's data was erased (suppression list): refused.",
        }
    ]
    assert not Record.objects.exists()


def test_the_expiry_is_the_file_imports_for_the_same_rows(shop):
    organisation, _system, (a, b, c, _d), dpo, client = shop
    rows = [
        item(a, "T-1", activity="loans"),
        item(b, "T-2", collected_at="31.01.2019"),
        item(c, "T-3", collected_at="2019-05-05", clock_start="2021-01-01"),
    ]
    response = client.post("/records/batch", {"records": rows})
    assert response.status_code == 200, response.content
    pushed = dict(Record.objects.values_list("external_id", "expires_on"))
    Record.objects.all().delete()

    content = io.StringIO()
    writer = csv.writer(content)
    writer.writerow(
        [
            "organisation",
            "subject_ref",
            "system",
            "category",
            "activity",
            "external_id",
            "collected_at",
            "clock_start",
        ]
    )
    for row in rows:
        writer.writerow(
            [
                "",
                row["subject_ref"],
                "core",
                "txn",
                row.get("activity", ""),
                row["external_id"],
                row["collected_at"],
                row.get("clock_start", ""),
            ]
        )
    job = start_job(
        "retention.import_records",
        organisation=organisation,
        actor=dpo,
        parameters={"filename": "records.csv"},
        payload=content.getvalue().encode(),
    )
    run_job(job.pk)
    job.refresh_from_db()
    assert job.status == Job.Status.DONE

    imported = dict(Record.objects.values_list("external_id", "expires_on"))
    assert imported == pushed
    assert all(imported.values())


def test_records_no_longer_held_are_disposed_except_under_a_hold(shop):
    organisation, system, (a, b, _c, _d), dpo, client = shop
    client.post("/records/batch", {"records": [item(a, "T-1"), item(b, "T-2"), item(b, "T-3")]})
    place_hold(
        organisation=organisation,
        actor=dpo,
        reason="Pending claim",
        reference="CLAIM-1",
        record=Record.objects.get(external_id="T-3"),
    )

    response = client.post("/records/released", {"external_ids": ["T-1", "T-3", "T-404"]})

    assert response.json() == {"disposed": 1, "kept_on_hold": 1, "unknown": 1}
    statuses = dict(Record.objects.values_list("external_id", "status"))
    assert statuses["T-1"] == RecordStatus.DISPOSED
    assert statuses["T-2"] != RecordStatus.DISPOSED and statuses["T-3"] != RecordStatus.DISPOSED
    disposal = AuditEvent.objects.get(action="retention.records_disposed")
    assert disposal.actor is None and disposal.details["reason"] == "no_longer_held"
    released = AuditEvent.objects.get(action="api.records_released")
    assert released.details["system_id"] == system.pk


def test_a_body_past_the_limit_answers_413(shop):
    *_rest, client = shop
    huge = {"records": [item(shop[2][0], f"T-{n}", note="x" * 1000) for n in range(9000)]}

    response = client.post("/records/batch", huge)

    assert response.status_code == 413
    assert problem(response)["type"] == "urn:dpo-portal:problem:body-too-large"
