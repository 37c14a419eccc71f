"""An approved disposal batch of a connected system is carried out in its database: the rows of
the batch's records, and only the fields of the batch's category, change there (checked with
direct SQL); held rows are left alone; the records are disposed of and the certificate issued
only once the run has succeeded, with its receipt on the batch page and the certificate. A run
that fails changes nothing in the source and disposes of nothing, says so, and can run again.
On the real second PostgreSQL database of the test cluster and on SQLite."""

import datetime
import os
import threading
import time

import psycopg
import pytest
from django.urls import reverse

from dpo_portal.connectors.models import ConnectorRun, FieldSetting, RunStatus
from dpo_portal.register.models import Role
from retention import connector_disposal, connector_sync, services, sweep
from retention.models import BatchStatus, DisposalBatch, PeriodUnit, Record, RecordStatus
from tests.connectors.source import CUSTOMERS, categories, connect
from tests.factories import make_subject, make_user
from tests.requests.fulfilment_helpers import dpo_and_organisation
from tests.retention.helpers import make_rule

pytestmark = pytest.mark.django_db

TODAY = datetime.date(2026, 11, 22)


def build_world(kind, query):
    organisation, dpo = dpo_and_organisation()
    cats = categories(organisation)
    people = {
        ref: make_subject(organisation, external_ref=ref, fin=fin, email=email, phone=phone)
        for _id, ref, fin, _name, email, phone in CUSTOMERS
    }
    for code in ("financial", "contact"):
        make_rule(
            organisation, code=f"{code}-1d", category=cats[code], period=1, unit=PeriodUnit.DAYS
        )
    connector = connect(organisation, kind=kind)
    connector_sync.sync(connector, actor=dpo)
    sweep.sweep_inline(today=TODAY)
    return organisation, dpo, cats, people, connector, query


@pytest.fixture(params=["postgresql", "sqlite"])
def world(request):
    kind = request.param
    query = request.getfixturevalue("pg_source" if kind == "postgresql" else "sqlite_source")
    return build_world(kind, query)


@pytest.fixture
def pg_world(pg_source):
    return build_world("postgresql", pg_source)


def batch_of(world, code):
    organisation, _dpo, cats, *_ = world
    return DisposalBatch.objects.get(organisation=organisation, category=cats[code])


def approve_and_run(batch, dpo):
    batch = services.approve_batch(batch, actor=dpo)
    assert batch.status == BatchStatus.IN_SOURCE
    run = ConnectorRun.objects.get(batch_id=batch.pk, status=RunStatus.QUEUED)
    # Nothing is disposed of before the source has changed.
    assert not Record.objects.filter(disposal_batch=batch, status=RecordStatus.DISPOSED).exists()
    services.finish_in_source(run.pk)
    run.refresh_from_db()
    batch.refresh_from_db()
    return batch, run


def test_the_batch_s_rows_are_deleted_there_held_rows_kept_and_the_receipt_counts_them(
    world, client
):
    organisation, dpo, cats, people, connector, query = world
    batch = batch_of(world, "financial")
    assert batch.record_count == 9  # loans 10, 11, 20, 30 and payments 100–300
    services.place_hold(
        organisation=organisation,
        actor=dpo,
        reason="Court order 2-77/2026",
        subject=people["AF-1002"],
    )
    client.force_login(dpo)
    page = client.get(reverse("admin:retention_disposalbatch_change", args=[batch.pk]))
    preview = page.context["source_plans"]
    assert {(p.table, p.action, p.matched) for p in preview} == {
        ("payments", "delete", 4),
        ("loans", "delete", 3),
    }
    assert page.context["source_located"].held_ids != []
    assert query("SELECT count(*) FROM payments") == [(5,)]  # the preview changed nothing

    batch, run = approve_and_run(batch, dpo)
    assert run.status == RunStatus.SUCCEEDED, run.error
    assert query("SELECT id FROM payments ORDER BY id") == [(200,)]
    assert query("SELECT id FROM loans ORDER BY id") == [(20,)]
    # The customers (another category) and the calls are untouched.
    assert query("SELECT count(*) FROM customers WHERE email IS NOT NULL") == [(3,)]
    assert query("SELECT count(*) FROM calls") == [(3,)]
    receipt = {t["table"]: (t["action"], t["matched"], t["changed"]) for t in run.tables}
    assert receipt == {"payments": ("delete", 4, 4), "loans": ("delete", 3, 3)}
    placeholder = "%s" if connector.kind == "postgresql" else "?"
    assert all(placeholder in t["statement"] for t in run.tables)
    assert "5ARP7K2" not in str(run.tables) and "AF-1001" not in str(run.tables)
    assert run.database and run.server

    assert batch.status == BatchStatus.APPROVED and batch.certificate_number
    assert (batch.disposed_count, batch.kept_on_hold_count) == (7, 2)
    records = Record.objects.filter(system=connector.system, category=cats["financial"])
    assert set(
        records.filter(status=RecordStatus.DISPOSED).values_list("external_id", flat=True)
    ) == {
        "loans:10",
        "loans:11",
        "loans:30",
        "payments:100",
        "payments:101",
        "payments:102",
        "payments:300",
    }
    assert set(
        records.filter(status=RecordStatus.ON_HOLD).values_list("external_id", flat=True)
    ) == {"loans:20", "payments:200"}

    page = client.get(reverse("admin:retention_disposalbatch_change", args=[batch.pk]))
    assert b'class="source-receipt"' in page.content
    certificate = client.get(
        reverse("admin:retention_disposalbatch_certificate", args=[batch.pk])
    ).content.decode()
    assert 'id="source-receipt"' in certificate
    assert run.database in certificate


def test_a_parent_still_referenced_by_rows_that_stay_has_its_fields_erased_not_deleted(world):
    organisation, dpo, cats, people, connector, query = world
    batch = batch_of(world, "financial")
    kept = Record.objects.get(disposal_batch=batch, external_id="payments:100")
    services.exclude_records(batch, [kept.pk], actor=dpo, reason="Audit sample")
    batch, run = approve_and_run(batch, dpo)
    assert run.status == RunStatus.SUCCEEDED, run.error
    assert query("SELECT id FROM payments ORDER BY id") == [(100,)]  # the held row, untouched
    # Loan 10 holds payment 100 up: its amount is erased, the row stays; the others are gone.
    assert query("SELECT id, amount FROM loans ORDER BY id") == [(10, None)]
    receipt = [(t["table"], t["action"], t["matched"], t["changed"]) for t in run.tables]
    assert receipt == [
        ("payments", "delete", 4, 4),
        ("loans", "delete", 3, 3),
        ("loans", "update", 1, 1),
    ]
    assert batch.disposed_count == 8


def test_only_the_batch_category_s_fields_change_and_a_held_category_s_fields_never(world):
    organisation, dpo, cats, people, connector, query = world
    services.place_hold(
        organisation=organisation, actor=dpo, reason="Investigation", category=cats["identity"]
    )
    batch, run = approve_and_run(batch_of(world, "contact"), dpo)
    assert run.status == RunStatus.SUCCEEDED, run.error
    # Contact fields erased in every customer row; names and references (identity) kept.
    assert query("SELECT email, phone FROM customers ORDER BY id") == [(None, None)] * 3
    assert query("SELECT full_name FROM customers ORDER BY id") == [(c[3],) for c in CUSTOMERS]
    assert query("SELECT count(*) FROM calls") == [(0,)]
    assert query("SELECT count(*) FROM loans") == [(4,)]
    receipt = {(t["table"], t["action"]): (t["matched"], t["changed"]) for t in run.tables}
    assert receipt == {("calls", "delete"): (3, 3), ("customers", "update"): (3, 3)}
    assert batch.disposed_count == 6


@pytest.fixture(params=["postgresql", "sqlite", "mysql"])
def every_engine_world(request):
    kind = request.param
    query = request.getfixturevalue(
        {"postgresql": "pg_source", "sqlite": "sqlite_source", "mysql": "mysql_source"}[kind]
    )
    return build_world(kind, query)


def receipt_of(run):
    return [(t["table"], t["action"], t["matched"], t["changed"]) for t in run.tables]


def preview_of(batch):
    _connector, plans, _located, error = connector_disposal.preview(batch)
    assert not error
    return [(p.table, p.action, p.matched) for p in plans]


def test_the_receipt_counts_the_rows_the_statements_found_as_the_preview_does(
    every_engine_world,
):
    """The run's statements find the batch's rows themselves (no read of them before): a row
    gone from the source since the sync is not counted as matched, a parent that a row staying
    behind references is erased instead of deleted, and rows with no field to erase are counted
    as kept. The preview, which reads the rows first, counts the same."""
    organisation, dpo, cats, people, connector, query = every_engine_world
    query("DELETE FROM payments WHERE id = 300")  # gone from the source since the sync
    financial = batch_of(every_engine_world, "financial")
    kept = Record.objects.get(disposal_batch=financial, external_id="payments:100")
    services.exclude_records(financial, [kept.pk], actor=dpo, reason="Audit sample")
    assert preview_of(financial) == [
        ("payments", "delete", 3),
        ("loans", "delete", 3),
        ("loans", "update", 1),
    ]
    financial, run = approve_and_run(financial, dpo)
    assert run.status == RunStatus.SUCCEEDED, run.error
    assert receipt_of(run) == [
        ("payments", "delete", 3, 3),
        ("loans", "delete", 3, 3),
        ("loans", "update", 1, 1),
    ]
    assert query("SELECT id FROM payments ORDER BY id") == [(100,)]
    assert query("SELECT id, amount FROM loans ORDER BY id") == [(10, None)]
    # The record of the row already gone is disposed of too: the source no longer holds it.
    assert financial.disposed_count == 8

    for column in ("email", "phone"):
        FieldSetting.objects.create(
            data_map=connector.data_map, collection="customers", field=column, strategy="keep"
        )
    contact = batch_of(every_engine_world, "contact")
    assert preview_of(contact) == [("calls", "delete", 3), ("customers", "keep", 3)]
    contact, run = approve_and_run(contact, dpo)
    assert run.status == RunStatus.SUCCEEDED, run.error
    assert receipt_of(run) == [("calls", "delete", 3, 3), ("customers", "keep", 3, 0)]
    assert run.tables[1]["kept_reason"] == "no personal field to erase"
    assert query("SELECT count(*) FROM customers WHERE email IS NOT NULL") == [(3,)]
    assert query("SELECT count(*) FROM calls") == [(0,)]


def test_a_batch_whose_category_is_held_changes_nothing_there(world):
    organisation, dpo, cats, people, connector, query = world
    services.place_hold(
        organisation=organisation, actor=dpo, reason="AML/CFT", category=cats["financial"]
    )
    batch, run = approve_and_run(batch_of(world, "financial"), dpo)
    assert run.status == RunStatus.SUCCEEDED and run.tables == []
    assert query("SELECT count(*) FROM payments") == [(5,)]
    assert (batch.disposed_count, batch.kept_on_hold_count) == (0, 9)


@pytest.mark.parametrize("failure", ["missing_dsn", "server_down"])
def test_a_failed_run_disposes_of_nothing_shows_why_and_runs_again(
    world, failure, monkeypatch, client
):
    organisation, dpo, cats, people, connector, query = world
    good_dsn = os.environ["SOURCE_WRITE_DSN"]
    if failure == "missing_dsn":
        monkeypatch.delenv("SOURCE_WRITE_DSN")
        expected = "DSN is not set"
    elif connector.kind == "postgresql":
        monkeypatch.setenv("SOURCE_WRITE_DSN", "postgresql://nobody@127.0.0.1:1/none")
        expected = "cannot be reached"
    else:
        monkeypatch.setenv("SOURCE_WRITE_DSN", "sqlite:////nonexistent/loans.sqlite3")
        expected = "does not exist"
    batch, run = approve_and_run(batch_of(world, "financial"), dpo)
    assert run.status == RunStatus.FAILED and expected in run.error
    assert "127.0.0.1:1" not in run.error and "nobody" not in run.error
    assert batch.status == BatchStatus.IN_SOURCE and not batch.certificate_number
    assert not Record.objects.filter(disposal_batch=batch, status=RecordStatus.DISPOSED).exists()
    assert Record.objects.filter(disposal_batch=batch, status=RecordStatus.DUE).count() == 9
    assert query("SELECT count(*) FROM payments") == [(5,)]

    client.force_login(dpo)
    page = client.get(reverse("admin:retention_disposalbatch_change", args=[batch.pk]))
    assert expected in page.content.decode() and page.context["may_retry"]
    dashboard = client.get(reverse("admin:index")).content.decode()
    assert 'id="failed-source-disposals"' in dashboard and str(batch) in dashboard

    monkeypatch.setenv("SOURCE_WRITE_DSN", good_dsn)
    again = services.retry_in_source(batch, actor=dpo)
    services.finish_in_source(again.pk)
    again.refresh_from_db()
    batch.refresh_from_db()
    assert again.status == RunStatus.SUCCEEDED, again.error
    assert batch.status == BatchStatus.APPROVED and batch.disposed_count == 9
    assert query("SELECT count(*) FROM payments") == [(0,)]
    assert 'id="failed-source-disposals"' not in client.get(reverse("admin:index")).content.decode()


def test_a_statement_past_its_time_limit_rolls_the_batch_s_run_back(pg_world):
    organisation, dpo, cats, people, connector, query = pg_world
    connector.statement_timeout_ms = 300
    connector.lock_timeout_ms = 60_000
    connector.save()
    locked, release = threading.Event(), threading.Event()

    def hold_a_loan():
        with psycopg.connect(**query.owner) as connection:
            connection.execute("SELECT * FROM loans WHERE id = 30 FOR UPDATE")
            locked.set()
            release.wait(30)

    blocker = threading.Thread(target=hold_a_loan)
    blocker.start()
    locked.wait(10)
    try:
        batch, run = approve_and_run(batch_of(pg_world, "financial"), dpo)
    finally:
        release.set()
        blocker.join()
    assert run.status == RunStatus.FAILED and "time limit" in run.error
    # The payments were deleted before the loans' statement timed out: all rolled back.
    assert query("SELECT count(*) FROM payments") == [(5,)]
    assert batch.status == BatchStatus.IN_SOURCE
    assert not Record.objects.filter(disposal_batch=batch, status=RecordStatus.DISPOSED).exists()


def test_a_second_dpo_s_confirmation_is_what_sends_it_to_the_source(world):
    organisation, dpo, cats, people, connector, query = world
    organisation.four_eyes = True
    organisation.save()
    second = make_user(Role.DPO, organisation, username="second-dpo")
    batch = services.approve_batch(batch_of(world, "financial"), actor=dpo)
    assert batch.status == BatchStatus.PENDING
    assert not ConnectorRun.objects.filter(batch_id=batch.pk).exists()
    batch = services.approve_batch(batch, actor=second)
    assert batch.status == BatchStatus.IN_SOURCE
    assert [s["user_id"] for s in batch.signatures] == [dpo.pk, second.pk]
    (run,) = ConnectorRun.objects.filter(batch_id=batch.pk)
    assert run.confirmed_by == second


@pytest.mark.django_db(transaction=True)
def test_while_a_batch_runs_in_its_source_the_organisation_s_other_work_goes_on(pg_world):
    """The run keeps its batch locked until the records are disposed of, and only the batch: the
    organisation's and the rule's rows stay free, so a person, a record or a request of the same
    organisation is written meanwhile instead of waiting for the source."""
    from django.db import connection, transaction

    organisation, dpo, cats, people, connector, query = pg_world
    batch = services.approve_batch(batch_of(pg_world, "financial"), actor=dpo)
    run = ConnectorRun.objects.get(batch_id=batch.pk, status=RunStatus.QUEUED)
    locked, release = threading.Event(), threading.Event()

    def hold_a_loan():  # the source's own user, busy with a loan of the batch
        with psycopg.connect(**query.owner) as source:
            source.execute("SELECT * FROM loans WHERE id = 30 FOR UPDATE")
            locked.set()
            release.wait(30)

    def carry_out():
        try:
            services.finish_in_source(run.pk)
        finally:
            connection.close()  # this thread's own connection (Django's are per thread)

    blocker, runner = threading.Thread(target=hold_a_loan), threading.Thread(target=carry_out)
    blocker.start()
    locked.wait(10)
    runner.start()
    try:
        # The run waits on the loan, inside its transaction.
        for _attempt in range(100):
            waiting = query("SELECT count(*) FROM pg_stat_activity WHERE wait_event_type = 'Lock'")
            if waiting[0][0]:
                break
            time.sleep(0.1)
        assert waiting[0][0], "the run never reached the source"
        with transaction.atomic():
            with connection.cursor() as cursor:
                cursor.execute("SET LOCAL lock_timeout = '2s'")
            newcomer = make_subject(organisation, external_ref="NEW-1", fin="9ZZ9ZZ9")
    finally:
        release.set()
        blocker.join()
        runner.join(30)
    run.refresh_from_db()
    assert run.status == RunStatus.SUCCEEDED, run.error
    assert newcomer.pk is not None
