"""The demo DPO's day in a real browser: log in, switch to Azerbaijani, look at the dashboard,
edit a recipient's contract reference and find the change in its history."""

import io
import re

import pytest
from django.conf import settings
from playwright.sync_api import expect

from dpo_portal.register import demo
from tests.factories import login


@pytest.fixture
def demo_register(transactional_db, settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    demo.load(stdout=io.StringIO(), subjects_per_organisation=50)


def test_demo_dpo_edits_a_recipient_in_azerbaijani_and_sees_it_in_history(
    page, live_server, demo_register
):
    login(page, live_server, "demo-dpo", settings.DEMO_PASSWORD)
    expect(page.locator("#user-tools")).to_be_visible()

    # The header's language switch: the page comes back in Azerbaijani (Django's own admin
    # strings are translated, e.g. "Log out" is "Çıx").
    with page.expect_navigation():
        page.select_option("#language-select", "az")
    expect(page.locator("html")).to_have_attribute("lang", "az")
    expect(page.locator("#logout-form")).to_contain_text("Çıx")

    # The dashboard, with the register-completeness panel of AllAll's register.
    page.goto("/admin/")
    panel = page.locator("section.dashboard-panel").filter(
        has=page.locator('a[href$="register/system/?gap=registration"]')
    )
    expect(panel).to_be_visible()
    expect(page.locator(".dashboard-organisations")).to_contain_text("AllAll Finance")

    # A recipient (named in Azerbaijani: the page is): change its contract reference and save.
    page.goto("/admin/register/recipient/")
    page.get_by_role("link", name="İKT dəstək xidməti göstərən").click()
    expect(page.locator("#id_contract_reference")).to_have_value("SLA-2023-15")
    page.fill("#id_contract_reference", "SLA-2026-01")
    page.click('input[name="_save"]')
    expect(page.locator(".messagelist")).to_be_visible()

    # Its history shows who changed what.
    page.goto("/admin/register/recipient/")
    page.get_by_role("link", name="İKT dəstək xidməti göstərən").click()
    page.locator("a.historylink").click()
    expect(page).to_have_url(re.compile(r"/history/$"))
    history = page.locator("#change-history")
    expect(history).to_contain_text("SLA-2026-01")
    expect(history).to_contain_text("SLA-2023-15")
    expect(history).to_contain_text("Leyla Həsənova")  # demo-dpo, by full name
