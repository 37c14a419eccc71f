"""A loan system in a real PostgreSQL database and in a real MariaDB one (the same tests on
each), driven by its Fides data map: the inventory synced from it, a deletion previewed and
carried out there with a receipt, an access request reading it, and failures that change
nothing."""

import threading

import pytest
from django.urls import reverse

from dpo_portal.connectors import services as connectors
from dpo_portal.connectors.models import ConnectorRun, RunStatus
from dpo_portal.jobs.models import Job
from requests import connector_runs, fulfilment
from requests.models import RequestKind, TaskReceipt, TaskStatus
from retention import connector_sync
from retention.models import Record, RecordStatus
from retention.services import place_hold
from tests.connectors.source import CUSTOMERS, NOTES_QUERY, categories, connect, hashed
from tests.factories import make_subject
from tests.requests.fulfilment_helpers import dpo_and_organisation, make_request

pytestmark = pytest.mark.django_db


@pytest.fixture(params=["pg_source", "mysql_source"], ids=["postgresql", "mariadb"])
def setup(request):
    source = request.getfixturevalue(request.param)
    organisation, dpo = dpo_and_organisation()
    cats = categories(organisation)
    people = {
        ref: make_subject(organisation, external_ref=ref, fin=fin, email=email, phone=phone)
        for _id, ref, fin, _name, email, phone in CUSTOMERS[:3]
    }
    connector = connect(organisation, kind=source.kind)
    return organisation, dpo, cats, people, connector, source


def _deletion(setup, ref="AF-1001"):
    organisation, dpo, cats, people, connector, query = setup
    connector_sync.sync(connector, actor=dpo)
    request = make_request(people[ref], actor=dpo, kind=RequestKind.DELETION)
    (task,) = fulfilment.open_tasks_for(request, actor=dpo)
    return request, task


def test_a_deletion_with_a_held_category_is_previewed_and_carried_out_as_the_map_says(setup):
    organisation, dpo, cats, people, connector, query = setup
    request, task = _deletion(setup)
    place_hold(
        organisation=organisation,
        actor=dpo,
        reason="AML/CFT: 5 years after the loan",
        category=cats["financial"],
    )

    plans, holds, error = connector_runs.preview(task)
    assert error == ""
    by_table = {p.table: (p.action, p.matched) for p in plans}
    assert by_table == {
        "payments": ("keep", 3),
        "loans": ("keep", 2),
        "calls": ("delete", 1),
        'notes "x"': ("update", 1),
        "customers": ("update", 1),
    }

    run = connector_runs.confirm_run(task, actor=dpo)
    run = connector_runs.carry_out(run.pk)
    assert run.status == RunStatus.SUCCEEDED, run.error

    # At the source: the calls are gone, the customer row masked and nulled, the loans and
    # payments untouched, and nobody else's rows changed.
    assert query("SELECT id FROM calls ORDER BY id") == [(2000,), (3000,)]
    ((ref, fin, name, email, phone),) = query(
        "SELECT customer_ref, fin, full_name, email, phone FROM customers WHERE id = 1"
    )
    assert (fin, name, email, phone) == (None, "***", None, None)
    assert ref == hashed(organisation, "AF-1001")  # the keyed hash the field setting asks for
    assert query("SELECT count(*) FROM loans WHERE customer_id = 1") == [(2,)]
    assert query("SELECT count(*) FROM payments") == [(5,)]
    assert query("SELECT full_name FROM customers WHERE id = 2") == [("Rəşad Əliyev",)]

    receipt = TaskReceipt.objects.get(task=task)
    counts = {t["table"]: (t["matched"], t["changed"]) for t in receipt.tables}
    assert counts == {
        "payments": (3, 0),
        "loans": (2, 0),
        "calls": (1, 1),
        'notes "x"': (1, 1),
        "customers": (1, 1),
    }
    assert receipt.source == "connector"
    assert "%s" in next(t["statement"] for t in receipt.tables if t["table"] == "calls")
    assert "AF-1001" not in str(receipt.tables)
    assert receipt.details["database"] == query.database
    task.refresh_from_db()
    assert task.status == TaskStatus.KEPT  # the held records stay, with the legal hold as reason
    assert task.held_count == 5
    erased = Record.objects.filter(subject=people["AF-1001"], external_id="calls:1000").get()
    assert erased.status == RecordStatus.DISPOSED
    assert (
        Record.objects.filter(subject=people["AF-1001"], category=cats["financial"])
        .exclude(status=RecordStatus.DISPOSED)
        .count()
        == 5
    )


def test_a_deletion_without_holds_removes_children_before_parents_and_resolves_the_task(setup):
    organisation, dpo, cats, people, connector, query = setup
    request, task = _deletion(setup)
    run = connector_runs.carry_out(connector_runs.confirm_run(task, actor=dpo).pk)
    assert run.status == RunStatus.SUCCEEDED, run.error
    assert query("SELECT count(*) FROM payments WHERE loan_id IN (10, 11)") == [(0,)]
    assert query("SELECT count(*) FROM loans WHERE customer_id = 1") == [(0,)]
    assert query("SELECT count(*) FROM payments") == [(2,)]
    task.refresh_from_db()
    assert task.status == TaskStatus.DONE
    assert (
        not Record.objects.filter(subject=people["AF-1001"])
        .exclude(status=RecordStatus.DISPOSED)
        .exists()
    )


def test_an_identifier_shaped_like_sql_and_quoted_column_names_change_only_that_person(setup):
    organisation, dpo, cats, people, connector, query = setup
    request, task = _deletion(setup, ref="x'; DROP TABLE loans; --")
    run = connector_runs.carry_out(connector_runs.confirm_run(task, actor=dpo).pk)
    assert run.status == RunStatus.SUCCEEDED, run.error
    assert query.tables() == {"customers", "loans", "payments", "calls", 'notes "x"'}
    assert query("SELECT count(*) FROM loans") == [(3,)]
    assert (
        query(
            "SELECT customer_id FROM customers JOIN loans"
            " ON loans.customer_id = customers.id WHERE customers.id = 3"
        )
        == []
    )
    assert query(NOTES_QUERY) == [
        ("wants a call back",),
        ("prefers e-mail",),
    ]


def test_the_map_s_quoted_column_is_erased_for_its_person(setup):
    organisation, dpo, cats, people, connector, query = setup
    request, task = _deletion(setup)
    connector_runs.carry_out(connector_runs.confirm_run(task, actor=dpo).pk)
    assert query(NOTES_QUERY) == [
        (None,),
        ("prefers e-mail",),
    ]


def test_an_access_request_reads_that_person_s_rows_only_into_the_package(setup):
    organisation, dpo, cats, people, connector, query = setup
    connector_sync.sync(connector, actor=dpo)
    request = make_request(people["AF-1002"], actor=dpo, kind=RequestKind.ACCESS)
    (task,) = fulfilment.open_tasks_for(request, actor=dpo)
    run = connector_runs.carry_out(connector_runs.confirm_run(task, actor=dpo).pk)
    assert run.status == RunStatus.SUCCEEDED, run.error
    from requests.access import system_exports

    (export,) = system_exports(request)
    assert export["system"] == "Loan management system (core)"
    tables = export["data"]["tables"]
    assert [row["full_name"] for row in tables["customers"]] == ["Rəşad Əliyev"]
    assert [row["id"] for row in tables["loans"]] == [20]
    assert [row["id"] for row in tables["payments"]] == [200]
    assert "Leyla" not in str(export) and "Nigar" not in str(export)


@pytest.mark.parametrize("failure", ["missing_dsn", "server_down"])
def test_a_source_that_cannot_be_reached_leaves_the_task_open_with_a_clear_message(
    setup, failure, monkeypatch
):
    organisation, dpo, cats, people, connector, query = setup
    request, task = _deletion(setup)
    if failure == "missing_dsn":
        monkeypatch.delenv("SOURCE_WRITE_DSN")
        expected = "DSN is not set"
    else:
        monkeypatch.setenv("SOURCE_WRITE_DSN", query.unreachable_dsn)
        expected = "cannot be reached"
    run = connector_runs.carry_out(
        connector_runs.confirm_run(task, actor=dpo).pk, final_attempt=True
    )
    assert run.status == RunStatus.FAILED
    assert expected in run.error
    assert "127.0.0.1:1" not in run.error and "nobody" not in run.error
    task.refresh_from_db()
    assert task.status == TaskStatus.OPEN
    assert query("SELECT count(*) FROM calls") == [(3,)]


@pytest.mark.parametrize(
    ("statement_ms", "lock_ms", "expected"),
    [(300, 60_000, "ran past its time limit"), (60_000, 1_000, "past the lock time limit")],
    ids=["statement", "lock"],
)
def test_a_statement_past_its_time_limit_rolls_the_whole_run_back(
    setup, statement_ms, lock_ms, expected
):
    organisation, dpo, cats, people, connector, query = setup
    request, task = _deletion(setup)
    connector.statement_timeout_ms = statement_ms
    connector.lock_timeout_ms = lock_ms
    connector.save()
    with query.hold_customer_row():
        run = connector_runs.carry_out(connector_runs.confirm_run(task, actor=dpo).pk)
    assert run.status == RunStatus.FAILED
    assert expected in run.error
    # The calls, loans and payments were deleted before the customer's update timed out: all
    # of it was rolled back.
    assert query("SELECT count(*) FROM calls WHERE customer_id = 1") == [(1,)]
    assert query("SELECT count(*) FROM payments") == [(5,)]
    task.refresh_from_db()
    assert task.status == TaskStatus.OPEN
    assert ConnectorRun.objects.filter(task_id=task.pk, status=RunStatus.FAILED).count() == 1


def test_the_read_only_role_cannot_change_the_source(setup):
    organisation, dpo, cats, people, connector, query = setup
    connector.write_dsn = "SOURCE_READ_DSN"
    connector.save()
    request, task = _deletion(setup)
    run = connector_runs.carry_out(connector_runs.confirm_run(task, actor=dpo).pk)
    assert run.status == RunStatus.FAILED
    assert query.denied in run.error
    assert query("SELECT count(*) FROM calls") == [(3,)]


def test_test_connection_reports_the_server_and_never_the_dsn(setup):
    organisation, dpo, cats, people, connector, query = setup
    ok, message = connectors.test_connection(connector, actor=dpo)
    server = {"postgresql": "PostgreSQL", "mysql": "MariaDB"}[connector.kind]
    assert ok and message.startswith(f"Connected: {server} ")
    assert "source-test" not in message


@pytest.mark.django_db(transaction=True)
def test_a_sync_on_demand_runs_as_a_job_whose_page_shows_progress_and_counts(
    setup, celery_worker_real, client
):
    organisation, dpo, cats, people, connector, query = setup
    people["AF-1002"].delete()  # one person the register does not know: reported
    client.force_login(dpo)
    response = client.post(reverse("admin:connectors_connector_sync", args=[connector.pk]))
    job = Job.objects.get(kind=connector_sync.SYNC_JOB)
    assert response["Location"] == reverse("admin:jobs_job_change", args=[job.pk])
    for _attempt in range(120):
        job.refresh_from_db()
        if job.is_finished:
            break
        threading.Event().wait(0.5)
    assert job.status == "done", job.message
    assert (job.done, job.total) == (15, 15)  # source rows read: 3 + 4 + 5 + 3
    page = client.get(response["Location"]).content.decode()
    assert "(15/15)" in page
    assert (
        "15 records created, 0 updated, 0 unchanged, 0 disposed (gone from the source). People "
        "unknown to the register: 1 reported, 0 created as data subjects; 0 erased people "
        "refused; 6 rows left out."
    ) in page
