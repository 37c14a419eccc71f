"""A DPO opens the triage queue, keeps the overdue requests, takes one and finds it in their
own queue."""

from playwright.sync_api import expect

from dpo_portal.register.models import Role
from tests.factories import login, make_organisation, make_user
from tests.requests.helpers import make_request


def test_dpo_filters_overdue_assigns_to_self_and_sees_it_in_my_queue(page, live_server):
    organisation = make_organisation(name="AllAll Finance")
    make_user(Role.DPO, organisation, username="dpo-dilara")
    late = make_request(organisation, due_in_days=-3)
    also_late = make_request(organisation, due_in_days=-1)
    on_track = make_request(organisation, due_in_days=20)

    login(page, live_server, "dpo-dilara")
    page.goto("/admin/requests/subjectrequest/")
    rows = page.locator("#result_list tbody tr")
    expect(rows).to_have_count(3)
    # Most urgent first, and marked.
    expect(rows.first).to_contain_text(late.reference)
    expect(rows.first.locator(".urgency")).to_have_text("Overdue")

    page.locator("#changelist-filter").get_by_role("link", name="Overdue").click()
    expect(rows).to_have_count(2)
    expect(page.locator("#result_list")).not_to_contain_text(on_track.reference)

    rows.filter(has_text=late.reference).locator("input.action-select").check()
    page.select_option("select[name=action]", "assign_to_me")
    page.get_by_role("button", name="Go").click()
    expect(page.get_by_text("Take this request into your queue?")).to_be_visible()
    page.get_by_role("button", name="Yes, assign to me").click()
    expect(page.locator(".messagelist")).to_contain_text("1 request assigned to dpo-dilara")

    page.get_by_role("link", name="My queue").click()
    expect(rows).to_have_count(1)
    expect(rows.first).to_contain_text(late.reference)
    expect(rows.first).to_contain_text("dpo-dilara")
    expect(page.locator("#result_list")).not_to_contain_text(also_late.reference)
