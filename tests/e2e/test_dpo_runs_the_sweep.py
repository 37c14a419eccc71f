"""A DPO runs the sweep from the record list, follows it on its job page to the new batches, and
finds the last sweep on the dashboard; a manager sees the dashboard's sweep line too. In English
and Azerbaijani, with screenshots at 1366x768 under /tmp/shots-i17-robust/."""

from pathlib import Path

from playwright.sync_api import expect

from dpo_portal.register.models import Role
from tests.factories import login, make_user
from tests.retention.helpers import make_record, retention_world

SHOTS = Path("/tmp/shots-i17-robust")


def _switch_to(page, language):
    with page.expect_navigation():
        page.select_option("#language-select", language)
    expect(page.locator("html")).to_have_attribute("lang", language)


def test_dpo_runs_the_sweep_and_follows_it_to_the_batches(page, live_server, celery_worker_real):
    SHOTS.mkdir(exist_ok=True)
    page.set_viewport_size({"width": 1366, "height": 768})
    organisation, system, category, rule = retention_world()
    for _ in range(5):
        make_record(organisation, system=system, category=category, rule=rule)
    dpo = make_user(Role.DPO, organisation, username="sweep-dpo")
    make_user(Role.MANAGER, organisation, username="sweep-manager")

    login(page, live_server, dpo.username)
    page.goto("/admin/")
    expect(page.locator("table.last-sweep")).to_contain_text("The sweep has not run yet")
    page.screenshot(path=str(SHOTS / "dashboard-before-dpo-en.png"))

    page.goto("/admin/retention/record/sweep/")
    page.click("input[type=submit].default")
    expect(page.locator(".field-status")).to_contain_text("Done", timeout=60_000)
    expect(page.locator(".field-message")).to_contain_text("5 records newly due")
    page.screenshot(path=str(SHOTS / "job-dpo-en.png"), full_page=True)
    _switch_to(page, "az")
    page.screenshot(path=str(SHOTS / "job-dpo-az.png"), full_page=True)

    page.locator(".field-next_links a").click()
    expect(page.locator("#result_list")).to_contain_text(system.name)

    page.goto("/admin/")
    expect(page.locator("table.last-sweep")).to_contain_text("5")
    page.screenshot(path=str(SHOTS / "dashboard-dpo-az.png"))
    _switch_to(page, "en")
    expect(page.locator("table.last-sweep")).to_contain_text("5 records due, 0 on hold")
    page.screenshot(path=str(SHOTS / "dashboard-dpo-en.png"))

    page.context.clear_cookies()
    login(page, live_server, "sweep-manager")
    page.goto("/admin/")
    expect(page.locator("table.last-sweep")).to_contain_text("5 records due")
    page.screenshot(path=str(SHOTS / "dashboard-manager-en.png"))
    _switch_to(page, "az")
    page.screenshot(path=str(SHOTS / "dashboard-manager-az.png"))
