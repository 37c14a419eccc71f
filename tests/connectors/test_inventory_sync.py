"""The inventory sync from a connected system, on a real second PostgreSQL database and on a
SQLite file: records created, a second sync that writes nothing, changes and deletions at the
source carried over, people the register does not know reported or created, and people found
by their e-mail or phone alone."""

import datetime

import pytest

from dpo_portal.audit.models import AuditEvent
from dpo_portal.register.models import DataSubject
from dpo_portal.register.services import erase_subject
from retention import connector_sync
from retention.models import Record, RecordStatus
from tests.connectors.source import CUSTOMERS, categories, connect, map_identified_by
from tests.factories import make_subject
from tests.requests.fulfilment_helpers import dpo_and_organisation

pytestmark = pytest.mark.django_db

# customers: 3 rows × (identity, FIN, contact); loans 4, payments 5 (financial); calls 3.
ALL_RECORDS = 9 + 4 + 5 + 3


@pytest.fixture(params=["postgresql", "sqlite"])
def source(request):
    """(kind, query): the loan system in a second PostgreSQL database or a SQLite file."""
    fixture = "pg_source" if request.param == "postgresql" else "sqlite_source"
    return request.param, request.getfixturevalue(fixture)


@pytest.fixture
def setup(source):
    kind, query = source
    organisation, dpo = dpo_and_organisation()
    categories(organisation)
    people = {
        ref: make_subject(organisation, external_ref=ref, fin=fin, email=email, phone=phone)
        for _id, ref, fin, _name, email, phone in CUSTOMERS
    }
    return organisation, dpo, people, kind, query


def _held(connector):
    records = Record.objects.filter(system=connector.system)
    return dict(records.values_list("pk", "updated_at")), records.count()


def test_a_sync_creates_the_records_then_a_second_writes_nothing_then_changes_follow_the_source(
    setup,
):
    organisation, dpo, people, kind, query = setup
    connector = connect(organisation, kind=kind)
    counts = connector_sync.sync(connector, actor=dpo)
    assert counts["new"] == ALL_RECORDS
    assert counts["refused"] == counts["unknown_reported"] == counts["disposed"] == 0
    records = Record.objects.filter(system=connector.system)
    assert set(
        records.filter(subject=people["AF-1001"]).values_list("external_id", "category__code")
    ) == {
        ("customers:1", "identity"),
        ("customers:1", "identity-fin"),
        ("customers:1", "contact"),
        ("loans:10", "financial"),
        ("loans:11", "financial"),
        ("payments:100", "financial"),
        ("payments:101", "financial"),
        ("payments:102", "financial"),
        ("calls:1000", "contact"),
    }
    assert records.get(external_id="calls:1000").collected_at == datetime.date(2024, 5, 6)

    # The second sync: nothing new, nothing updated, no history, no disposal event.
    stamps, count = _held(connector)
    history = DataSubject.history.count()
    disposals = AuditEvent.objects.filter(action="retention.records_disposed").count()
    again = connector_sync.sync(connector, actor=dpo)
    assert (again["new"], again["changed"], again["unchanged"]) == (0, 0, ALL_RECORDS)
    assert _held(connector) == (stamps, count)
    assert DataSubject.history.count() == history
    assert AuditEvent.objects.filter(action="retention.records_disposed").count() == disposals

    # A changed date at the source updates that record only; a deleted row is disposed by the
    # connector.
    query("UPDATE calls SET recorded_on = '2024-06-01' WHERE id = 2000")
    query("DELETE FROM payments WHERE id = 101")
    changed = connector_sync.sync(connector, actor=dpo)
    assert (changed["new"], changed["changed"], changed["disposed"]) == (0, 1, 1)
    assert changed["unchanged"] == ALL_RECORDS - 2
    assert records.get(external_id="calls:2000").collected_at == datetime.date(2024, 6, 1)
    after, _count = _held(connector)
    assert {pk for pk in stamps if after[pk] != stamps[pk]} == set(
        records.filter(external_id__in=["calls:2000", "payments:101"]).values_list("pk", flat=True)
    )
    gone = records.get(external_id="payments:101")
    assert gone.status == RecordStatus.DISPOSED
    assert records.exclude(status=RecordStatus.DISPOSED).count() == ALL_RECORDS - 1
    event = AuditEvent.objects.get(action="retention.records_disposed")
    assert event.actor is None
    assert event.details["via"] == "connector"
    assert event.details["connector_id"] == connector.pk
    assert event.details["reason"] == "source_gone"
    assert event.details["disposed"] == 1


def test_people_the_register_does_not_know_are_reported_by_default(setup):
    organisation, dpo, people, kind, query = setup
    people["AF-1002"].delete()
    connector = connect(organisation, kind=kind)
    subjects = DataSubject.objects.count()
    counts = connector_sync.sync(connector, actor=dpo)
    assert counts["unknown_reported"] == 1
    assert counts["unknown_created"] == 0
    # Rəşad's customer row, loan, payment and call: 3 + 1 + 1 + 1 rows left out.
    assert counts["refused"] == 6
    assert counts["new"] == ALL_RECORDS - 6
    assert DataSubject.objects.count() == subjects
    assert not Record.objects.filter(external_id="customers:2").exists()


def test_people_the_register_does_not_know_are_created_through_its_checks_when_asked(setup):
    organisation, dpo, people, kind, query = setup
    people["AF-1002"].delete()
    people["AF-1001"].delete()
    # Spellings the register's normalisers put right; an erased person stays erased.
    query("UPDATE customers SET fin = '6btq8m3' WHERE id = 2")
    erase_subject(people["x'; DROP TABLE loans; --"], actor=dpo, reason="request")
    connector = connect(organisation, kind=kind, unknown_people="create")

    counts = connector_sync.sync(connector, actor=dpo)
    assert counts["unknown_created"] == 2
    assert counts["erased_refused"] == 1
    assert counts["unknown_reported"] == 0
    created = DataSubject.objects.get(organisation=organisation, external_ref="AF-1002")
    assert created.fin == "6BTQ8M3"
    assert created.history.filter(history_type="+").count() == 1
    assert set(Record.objects.filter(subject=created).values_list("external_id", flat=True)) == {
        "customers:2",
        "loans:20",
        "payments:200",
        "calls:2000",
    }
    # The erased person was not created again, and their rows were left out.
    assert not DataSubject.objects.filter(external_ref="x'; DROP TABLE loans; --").exists()
    assert not Record.objects.filter(external_id="customers:3").exists()
    event = AuditEvent.objects.get(action="connectors.subjects_created")
    assert event.actor is None
    assert (event.details["via"], event.details["connector_id"]) == ("connector", connector.pk)
    assert event.details["subjects"] == 2
    assert "AF-1002" not in str(event.details)

    history = DataSubject.history.count()
    again = connector_sync.sync(connector, actor=dpo)
    assert (again["unknown_created"], again["new"], again["changed"]) == (0, 0, 0)
    assert DataSubject.history.count() == history


def test_a_person_whose_identifiers_fail_the_register_s_checks_is_reported_not_created(setup):
    organisation, dpo, people, kind, query = setup
    people["AF-1002"].delete()
    query("UPDATE customers SET phone = '12 34' WHERE id = 2")  # too short for a phone
    query("UPDATE customers SET phone = NULL WHERE id = 3")  # nothing to find the person by
    connector = connect(
        organisation, kind=kind, unknown_people="create", data_map=map_identified_by("phone_number")
    )
    subjects = DataSubject.objects.count()
    counts = connector_sync.sync(connector, actor=dpo)
    assert (counts["unknown_created"], counts["unknown_reported"]) == (0, 1)
    assert DataSubject.objects.count() == subjects
    # Rəşad's and Nigar's rows: 3 + 1 + 1 + 1 each.
    assert counts["refused"] == 12


@pytest.mark.parametrize(
    "identity, spelling",
    [
        ("email", "UPDATE customers SET email = ' LEYLA@Example.AZ ' WHERE id = 1"),
        ("phone_number", "UPDATE customers SET phone = '050 111 00 01' WHERE id = 1"),
    ],
)
def test_a_collection_identified_by_e_mail_or_phone_alone_matches_through_the_normalisers(
    setup, identity, spelling
):
    organisation, dpo, people, kind, query = setup
    query(spelling)
    connector = connect(organisation, kind=kind, data_map=map_identified_by(identity))
    counts = connector_sync.sync(connector, actor=dpo)
    assert counts["new"] == ALL_RECORDS
    assert counts["unknown_reported"] == 0
    assert set(
        Record.objects.filter(subject=people["AF-1001"]).values_list("external_id", flat=True)
    ) == {
        "customers:1",
        "loans:10",
        "loans:11",
        "payments:100",
        "payments:101",
        "payments:102",
        "calls:1000",
    }
