"""A DPO opens the disposal batch the sweep formed, reviews it and approves it; the records are
disposed and a certificate without personal data is issued."""

import datetime
import re

from playwright.sync_api import expect

from dpo_portal.register.models import Role
from retention import sweep
from retention.models import BatchStatus, DisposalBatch, Record, RecordStatus
from tests.factories import login, make_subject, make_user
from tests.retention.helpers import make_record, retention_world


def test_dpo_reviews_a_disposal_batch_and_approves_it(page, live_server):
    organisation, system, category, rule = retention_world()
    subjects = [make_subject(organisation, last_name=f"Hüseynov{n}") for n in range(4)]
    for subject in subjects:
        make_record(organisation, subject=subject, system=system, category=category, rule=rule)
    sweep.sweep_inline(today=datetime.date(2026, 11, 22))
    batch = DisposalBatch.objects.get()
    dpo = make_user(Role.DPO, organisation, username="dora-dpo")

    login(page, live_server, dpo.username)
    page.goto("/admin/retention/disposalbatch/")
    page.get_by_role("link", name=str(batch)).click()

    expect(page.locator(".record-count")).to_have_text("4")
    expect(page.get_by_text("Tax Code art. 71.4")).to_be_visible()
    expect(page.locator("#batch-records tbody tr")).to_have_count(4)
    expect(page.locator("#content")).not_to_contain_text("Hüseynov")

    page.get_by_role("link", name="Approve disposal").click()
    expect(page.locator("#content")).to_contain_text("cannot be undone")
    page.get_by_role("button", name="Yes, dispose").click()

    expect(page.locator(".messagelist")).to_contain_text("4 records destroyed")
    expect(page.locator(".batch-status")).to_have_text("Approved and disposed")
    page.get_by_role("link", name="Disposal certificate").click()
    expect(page.locator("#disposed-count")).to_have_text("4")
    expect(page.locator("#certificate-number")).to_have_text(re.compile(r"^DC-\d{4}-\d{6}$"))
    expect(page.locator("body")).not_to_contain_text("Hüseynov")

    batch.refresh_from_db()
    assert batch.status == BatchStatus.APPROVED
    assert Record.objects.filter(status=RecordStatus.DISPOSED).count() == 4
