"""The same deletion through the SQLite connector: the embedded default and the demo's."""

import sqlite3

import pytest

from dpo_portal.connectors.models import RunStatus
from requests import connector_runs, fulfilment
from requests.models import RequestKind, TaskReceipt, TaskStatus
from retention import connector_sync
from retention.services import place_hold
from tests.connectors.source import CUSTOMERS, NOTES_QUERY, categories, connect, hashed
from tests.factories import make_subject
from tests.requests.fulfilment_helpers import dpo_and_organisation, make_request

pytestmark = pytest.mark.django_db


def test_a_deletion_with_a_held_category_through_sqlite(sqlite_source):
    query = sqlite_source
    organisation, dpo = dpo_and_organisation()
    cats = categories(organisation)
    people = {
        ref: make_subject(organisation, external_ref=ref, fin=fin, email=email, phone=phone)
        for _id, ref, fin, _name, email, phone in CUSTOMERS
    }
    connector = connect(organisation, kind="sqlite")
    assert connector_sync.sync(connector, actor=dpo)["new"] == 21
    place_hold(organisation=organisation, actor=dpo, reason="AML/CFT", category=cats["financial"])
    request = make_request(people["AF-1001"], actor=dpo, kind=RequestKind.DELETION)
    (task,) = fulfilment.open_tasks_for(request, actor=dpo)

    plans, _holds, error = connector_runs.preview(task)
    assert error == ""
    assert {p.table: (p.action, p.matched) for p in plans}["calls"] == ("delete", 1)

    run = connector_runs.carry_out(connector_runs.confirm_run(task, actor=dpo).pk)
    assert run.status == RunStatus.SUCCEEDED, run.error
    assert query("SELECT id FROM calls ORDER BY id") == [(2000,), (3000,)]
    assert query("SELECT customer_ref, fin, full_name, email FROM customers WHERE id = 1") == [
        (hashed(organisation, "AF-1001"), None, "***", None)
    ]
    assert query("SELECT count(*) FROM loans WHERE customer_id = 1") == [(2,)]
    assert query("SELECT count(*) FROM payments") == [(5,)]
    assert query(NOTES_QUERY) == [
        (None,),
        ("prefers e-mail",),
    ]
    receipt = TaskReceipt.objects.get(task=task)
    assert {t["table"]: t["changed"] for t in receipt.tables}["calls"] == 1
    assert receipt.details["server"].startswith("SQLite")
    task.refresh_from_db()
    assert task.status == TaskStatus.KEPT


def test_a_sqlite_source_locked_past_the_lock_time_limit_changes_nothing(sqlite_source, tmp_path):
    query = sqlite_source
    organisation, dpo = dpo_and_organisation()
    categories(organisation)
    person = make_subject(organisation, external_ref="AF-1001", fin="5ARP7K2")
    connector = connect(organisation, kind="sqlite", lock_timeout_ms=200)
    connector_sync.sync(connector, actor=dpo)
    request = make_request(person, actor=dpo, kind=RequestKind.DELETION)
    (task,) = fulfilment.open_tasks_for(request, actor=dpo)
    other = sqlite3.connect(tmp_path / "loans.sqlite3", isolation_level=None)
    other.execute("BEGIN IMMEDIATE")  # another program writing to the loan database
    try:
        run = connector_runs.carry_out(connector_runs.confirm_run(task, actor=dpo).pk)
    finally:
        other.execute("ROLLBACK")
        other.close()
    assert run.status == RunStatus.FAILED
    assert "lock time limit" in run.error
    assert query("SELECT count(*) FROM calls") == [(3,)]
    task.refresh_from_db()
    assert task.status == TaskStatus.OPEN


def test_a_failed_run_is_shown_on_the_task_and_in_the_triage_queue(
    sqlite_source, client, monkeypatch
):
    from django.urls import reverse

    organisation, dpo = dpo_and_organisation()
    categories(organisation)
    person = make_subject(organisation, external_ref="AF-1001", fin="5ARP7K2")
    connector = connect(organisation, kind="sqlite")
    connector_sync.sync(connector, actor=dpo)
    request = make_request(person, actor=dpo, kind=RequestKind.DELETION)
    (task,) = fulfilment.open_tasks_for(request, actor=dpo)
    monkeypatch.delenv("SOURCE_WRITE_DSN")
    connector_runs.carry_out(connector_runs.confirm_run(task, actor=dpo).pk)

    client.force_login(dpo)
    queue = client.get(reverse("admin:requests_subjectrequest_changelist")).content.decode()
    assert "run in a system failed" in queue
    page = client.get(
        reverse("admin:requests_subjectrequest_change", args=[request.pk])
    ).content.decode()
    assert "The DSN is not set" in page
    assert "Preview and run in the source" in page  # the task is still open: run it again
