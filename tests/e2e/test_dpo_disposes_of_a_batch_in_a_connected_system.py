"""A disposal batch of a connected loan database, in the browser: one DPO reviews the batch and
reads the preview of what the run will change there, gives the first approval; a second DPO
confirms (four eyes); the worker runs the statements; the batch page shows the receipt and the
certificate states it; the rows are gone from the source. Screenshots at 1366x768 in both
languages of the review page, the receipt and the certificate."""

import datetime
import sqlite3
from pathlib import Path

import pytest
from playwright.sync_api import expect

from dpo_portal.register.models import Role
from retention import connector_sync, sweep
from retention.models import BatchStatus, DisposalBatch, PeriodUnit
from tests.connectors.source import CUSTOMERS, categories, connect, make_sqlite_source
from tests.factories import login, make_organisation, make_subject, make_user
from tests.retention.helpers import make_rule

SHOTS = Path("/tmp/shots-i15-batch")


def log_out(page):
    page.locator("#logout-form button, #logout-form input[type=submit]").first.click()


@pytest.mark.parametrize("language", ["en", "az"])
def test_two_dpos_approve_a_batch_that_is_carried_out_in_the_loan_database(
    page, live_server, celery_worker_real, tmp_path, monkeypatch, language
):
    path = tmp_path / "loans.sqlite3"
    make_sqlite_source(path)
    monkeypatch.setenv("SOURCE_READ_DSN", f"sqlite:///{path}")
    monkeypatch.setenv("SOURCE_WRITE_DSN", f"sqlite:///{path}")
    SHOTS.mkdir(exist_ok=True)
    organisation = make_organisation("allall-e2e", name="AllAll Finance MMC")
    organisation.four_eyes = True
    organisation.save()
    make_user(Role.DPO, organisation, username="leyla", first_name="Leyla", last_name="Həsənova")
    reshad = make_user(
        Role.DPO, organisation, username="reshad", first_name="Rəşad", last_name="Məmmədov"
    )
    cats = categories(organisation)
    for _id, ref, fin, _name, email, phone in CUSTOMERS:
        make_subject(organisation, external_ref=ref, fin=fin, email=email, phone=phone)
    make_rule(
        organisation,
        code="loans-1d",
        category=cats["financial"],
        period=1,
        unit=PeriodUnit.DAYS,
        legal_reference="AML/CFT Law art. 12",
    )
    connector = connect(organisation, kind="sqlite")
    connector_sync.sync(connector, actor=reshad)
    sweep.sweep_inline(today=datetime.date(2026, 11, 22))
    batch = DisposalBatch.objects.get(category=cats["financial"])

    page.set_viewport_size({"width": 1366, "height": 768})

    def sign_in(username):
        login(page, live_server, username)
        if language == "az":
            with page.expect_navigation():
                page.select_option("#language-select", "az")

    sign_in("leyla")
    page.goto(f"/admin/retention/disposalbatch/{batch.pk}/change/")
    preview = page.locator("#source-preview")
    expect(preview.locator('tr[data-table="payments"] .rows')).to_have_text("5")
    expect(preview.locator('tr[data-table="loans"] .rows')).to_have_text("4")
    page.locator("#batch-source").scroll_into_view_if_needed()
    page.screenshot(path=SHOTS / f"batch-preview-{language}.png")
    page.locator("#approve-button").click()
    page.locator("#confirm-approval").click()
    expect(page.locator(".first-approval")).to_contain_text("Leyla Həsənova")
    log_out(page)

    sign_in("reshad")
    page.goto(f"/admin/retention/disposalbatch/{batch.pk}/change/")
    page.locator("#approve-button").click()
    page.locator("#confirm-approval").click()
    # The worker runs it in the source; the batch is disposed of when the run has succeeded.
    for _attempt in range(40):
        if page.locator('.source-run[data-status="succeeded"]').count():
            break
        page.wait_for_timeout(500)
        page.reload()
    receipt = page.locator(".source-receipt")
    expect(receipt.locator('tr[data-table="payments"] .changed')).to_have_text("5")
    expect(receipt.locator('tr[data-table="loans"] .changed')).to_have_text("4")
    expect(page.locator("p.flag-ok")).to_contain_text("9")
    page.locator("#batch-source-runs").scroll_into_view_if_needed()
    page.screenshot(path=SHOTS / f"batch-receipt-{language}.png")

    page.locator(f'a[href$="/disposalbatch/{batch.pk}/certificate/"]').click()
    certificate = page.locator("#source-receipt")
    expect(certificate.locator('tr[data-table="payments"] .changed')).to_have_text("5")
    expect(page.locator("#disposed-count")).to_have_text("9")
    expect(page.locator(".approver-name")).to_have_text(["Leyla Həsənova", "Rəşad Məmmədov"])
    page.screenshot(path=SHOTS / f"certificate-{language}.png", full_page=True)

    batch.refresh_from_db()
    assert batch.status == BatchStatus.APPROVED
    with sqlite3.connect(path) as source:
        assert source.execute("SELECT count(*) FROM payments").fetchone() == (0,)
        assert source.execute("SELECT count(*) FROM loans").fetchone() == (0,)
        assert source.execute("SELECT count(*) FROM customers").fetchone() == (3,)
