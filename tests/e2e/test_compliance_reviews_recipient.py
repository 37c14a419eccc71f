"""A compliance officer works through the overdue recipient reviews in a real browser."""

import datetime

from django.utils import timezone
from playwright.sync_api import expect

from dpo_portal.register.models import next_review_after
from tests.factories import Role, login, make_organisation, make_recipient, make_user


def test_officer_marks_an_overdue_recipient_reviewed_and_it_leaves_the_filter(page, live_server):
    today = timezone.localdate()
    org = make_organisation("allall", name="AllAll Finance")
    make_user(Role.COMPLIANCE, org, username="aysel")
    make_recipient(
        org,
        name="Debt-collection agency",
        review_interval_months=12,
        next_review_due=today - datetime.timedelta(days=75),
    )
    make_recipient(
        org, name="Data-centre storage", next_review_due=today - datetime.timedelta(days=20)
    )
    make_recipient(org, name="Payment systems", next_review_due=today + datetime.timedelta(90))

    login(page, live_server, "aysel")

    page.goto("/admin/register/recipient/")
    page.get_by_role("link", name="Review overdue").click()
    results = page.locator("#result_list")
    expect(results).to_contain_text("Debt-collection agency")
    expect(results).to_contain_text("Data-centre storage")
    expect(results).not_to_contain_text("Payment systems")

    results.get_by_role("link", name="Debt-collection agency").click()
    page.get_by_role("link", name="Mark reviewed").click()
    page.get_by_label("Note").fill("DPA renewed; collector's staff access re-checked")
    page.get_by_label("Contract in place").check()
    page.get_by_label("Security measures checked").check()
    page.get_by_role("button", name="Record the review").click()

    # Back on the recipient's page: the review is in its history.
    history = page.get_by_role("heading", name="Review history").locator("xpath=..")
    expect(history).to_contain_text("DPA renewed; collector's staff access re-checked")

    page.goto("/admin/register/recipient/?review=overdue")
    results = page.locator("#result_list")
    expect(results).to_contain_text("Data-centre storage")
    expect(results).not_to_contain_text("Debt-collection agency")

    # In the whole register its next review is now a year after today's.
    page.goto("/admin/register/recipient/?q=Debt-collection")
    row = page.locator("#result_list tbody tr", has_text="Debt-collection agency")
    expect(row).to_contain_text(next_review_after(today, 12).isoformat())
    expect(row).not_to_contain_text("overdue")
