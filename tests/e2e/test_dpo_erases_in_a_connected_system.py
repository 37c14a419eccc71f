"""A DPO opens a deletion request whose person has rows in a connected loan database, reads the
preview of what the run will change there, confirms, and reads the receipt the run leaves; the
rows are gone from the source. Screenshots of the preview at 1366x768 in both languages."""

import sqlite3
from pathlib import Path

import pytest
from playwright.sync_api import expect

from requests import fulfilment
from requests.models import RequestKind
from retention import connector_sync
from tests.connectors.source import CUSTOMERS, categories, connect, make_sqlite_source
from tests.factories import login, make_subject
from tests.requests.fulfilment_helpers import dpo_and_organisation, make_request

SHOTS = Path("/tmp/shots-i15-connectors")


@pytest.mark.parametrize("language", ["en", "az"])
def test_dpo_previews_confirms_and_reads_the_receipt(
    page, live_server, celery_worker_real, tmp_path, monkeypatch, language
):
    path = tmp_path / "loans.sqlite3"
    make_sqlite_source(path)
    monkeypatch.setenv("SOURCE_READ_DSN", f"sqlite:///{path}")
    monkeypatch.setenv("SOURCE_WRITE_DSN", f"sqlite:///{path}")
    SHOTS.mkdir(exist_ok=True)
    organisation, dpo = dpo_and_organisation()
    categories(organisation)
    _id, ref, fin, _name, email, phone = CUSTOMERS[0]
    person = make_subject(organisation, external_ref=ref, fin=fin, email=email, phone=phone)
    connector = connect(organisation, kind="sqlite")
    connector_sync.sync(connector, actor=dpo)
    request = make_request(person, actor=dpo, kind=RequestKind.DELETION)
    fulfilment.open_tasks_for(request, actor=dpo)

    page.set_viewport_size({"width": 1366, "height": 768})
    login(page, live_server, dpo.username)
    if language == "az":
        with page.expect_navigation():
            page.select_option("#language-select", "az")
    page.goto(f"/admin/requests/subjectrequest/{request.pk}/change/")
    page.locator("a.source-preview").click()

    preview = page.locator("#source-preview")
    expect(preview.locator('tr[data-table="calls"] .rows')).to_have_text("1")
    expect(preview.locator('tr[data-table="payments"] .rows')).to_have_text("3")
    expect(preview.locator('tr[data-table="customers"] .rows')).to_have_text("1")
    page.screenshot(path=SHOTS / f"preview-dpo-{language}.png")
    page.locator("#confirm-source-run").click()

    # The worker runs it; the receipt closes the task.
    tasks = page.locator("#fulfilment-tasks")
    for _attempt in range(30):
        if "✓" in tasks.locator(".task-status").inner_text():
            break
        page.wait_for_timeout(500)
        page.reload()
    expect(tasks.locator(".task-status")).to_contain_text("✓")
    page.locator(".field-receipt a").first.click()
    receipts = page.locator("body")
    expect(receipts).to_contain_text("payments")
    page.screenshot(path=SHOTS / f"receipt-dpo-{language}.png", full_page=True)
    with sqlite3.connect(path) as source:
        assert source.execute("SELECT count(*) FROM calls WHERE customer_id = 1").fetchone() == (0,)
        assert source.execute("SELECT count(*) FROM loans WHERE customer_id = 1").fetchone() == (0,)
