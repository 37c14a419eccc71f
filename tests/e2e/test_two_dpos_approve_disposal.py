"""Four eyes in the browser: one DPO reviews the whole batch, excludes a record with a reason
and gives the first approval; a second DPO confirms; the certificate names both."""

import datetime

from playwright.sync_api import expect

from dpo_portal.register.models import Role
from retention import sweep
from retention.models import BatchStatus, DisposalBatch, LegalHold, RecordStatus
from tests.factories import login, make_user
from tests.retention.helpers import make_record, retention_world


def log_out(page):
    page.locator("#logout-form button, #logout-form input[type=submit]").first.click()


def test_two_dpos_approve_a_disposal_batch_in_turn(page, live_server):
    organisation, system, category, rule = retention_world()
    organisation.four_eyes = True
    organisation.save()
    records = [
        make_record(organisation, system=system, category=category, rule=rule) for _ in range(5)
    ]
    sweep.sweep_inline(today=datetime.date(2026, 11, 22))
    batch = DisposalBatch.objects.get()
    make_user(Role.DPO, organisation, username="leyla", first_name="Leyla", last_name="Həsənova")
    make_user(Role.DPO, organisation, username="reshad", first_name="Rəşad", last_name="Məmmədov")

    login(page, live_server, "leyla")
    page.goto(f"/admin/retention/disposalbatch/{batch.pk}/change/")
    expect(page.locator("#batch-records tbody tr")).to_have_count(5)
    page.get_by_label(f"Record {records[0].pk}").check()
    page.locator("#id_kind").select_option("hold")
    page.locator("#id_reason").fill("Pending court claim 2-1234/2026")
    page.locator("#exclude-button").click()
    expect(page.locator(".messagelist")).to_contain_text("1 record excluded from the batch.")
    expect(page.locator(".record-count")).to_have_text("4")
    expect(page.locator("#batch-exclusions")).to_contain_text("Pending court claim 2-1234/2026")

    page.locator("#approve-button").click()
    page.locator("#confirm-approval").click()
    expect(page.locator(".messagelist")).to_contain_text("A second DPO must confirm it")
    expect(page.locator(".first-approval")).to_contain_text("Leyla Həsənova (DPO) approved")
    page.locator("#approve-button").click()
    page.locator("#confirm-approval").click()
    expect(page.locator(".messagelist")).to_contain_text("not you")
    expect(page.locator(".batch-status")).to_have_text("Awaiting decision")
    log_out(page)

    login(page, live_server, "reshad")
    page.goto(f"/admin/retention/disposalbatch/{batch.pk}/change/")
    page.get_by_role("link", name="Confirm the disposal").click()
    page.get_by_role("button", name="Yes, confirm the disposal").click()
    expect(page.locator(".messagelist")).to_contain_text("4 records destroyed")
    page.get_by_role("link", name="Disposal certificate").click()
    expect(page.locator(".approver-name")).to_have_text(["Leyla Həsənova", "Rəşad Məmmədov"])
    expect(page.locator("#disposed-count")).to_have_text("4")
    expect(page.locator("#ids-digest")).to_have_text(batch_digest(batch))

    batch.refresh_from_db()
    assert batch.status == BatchStatus.APPROVED
    records[0].refresh_from_db()
    assert records[0].status == RecordStatus.ON_HOLD
    assert LegalHold.objects.get(record=records[0]).reason == "Pending court claim 2-1234/2026"


def batch_digest(batch):
    batch.refresh_from_db()
    return batch.disposed_ids_sha256
