"""An auditor reads a register entry's history in Azerbaijani in a real browser: the register
names in Azerbaijani, the changes with field names and labels, and a refusal page in the admin's
look when they try to change something. Screenshots at 1366x768 in both languages."""

import io
from pathlib import Path

import pytest
from django.conf import settings
from playwright.sync_api import expect

from dpo_portal.register import demo
from dpo_portal.register.models import DataCategory, Sensitivity
from tests.factories import login

SHOTS = Path("/tmp/shots-i10-i18n")


@pytest.fixture
def demo_register(transactional_db, settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    demo.load(stdout=io.StringIO(), subjects_per_organisation=30)


@pytest.mark.parametrize("language", ["az", "en"])
def test_auditor_reads_a_category_history_and_is_refused_a_change(
    page, live_server, demo_register, language
):
    SHOTS.mkdir(exist_ok=True)
    page.set_viewport_size({"width": 1366, "height": 768})
    category = DataCategory.objects.get(organisation__slug="qonshu", code="contact")
    category.sensitivity = Sensitivity.IDENTIFIER
    category.save()

    login(page, live_server, "demo-auditor", settings.DEMO_PASSWORD)
    with page.expect_navigation():
        page.select_option("#language-select", language)

    page.goto(
        f"{live_server.url}/admin/register/datacategory/?organisation__id__exact={category.organisation_id}"
    )
    name = "Əlaqə məlumatları" if language == "az" else "Contact data"
    expect(page.locator("#result_list")).to_contain_text(name)
    page.screenshot(path=SHOTS / f"category-list-auditor-{language}.png")

    page.goto(f"{live_server.url}/admin/register/datacategory/{category.pk}/history/")
    history = page.locator("#change-history")
    labels = (
        ("Həssaslıq", "Adi", "İdentifikator")
        if language == "az"
        else ("Sensitivity", "Ordinary", "Identifier")
    )
    for label in labels:
        expect(history).to_contain_text(label)
    page.screenshot(path=SHOTS / f"history-auditor-{language}.png", full_page=True)

    page.goto(f"{live_server.url}/admin/register/datacategory/add/")
    refusal = "Bu səhifəni aça bilməzsiniz" if language == "az" else "You may not open this page"
    expect(page.locator("#content-main h1")).to_have_text(refusal)
    page.screenshot(path=SHOTS / f"refused-auditor-{language}.png")
    page.click(".error-ways-back a.button")
    expect(page).to_have_url(f"{live_server.url}/admin/")
