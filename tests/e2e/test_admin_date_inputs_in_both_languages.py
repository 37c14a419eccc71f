"""The admin's date and time inputs in both languages: the "Today" and "Now" shortcuts and the
calendar speak the page's language, fill the field in that language's input format, and the
form saves what they filled."""

import re

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from dpo_portal.register.models import Recipient
from tests.factories import Role, login, make_organisation, make_recipient, make_user

SHOTS = "/tmp/i10/shots"

# language: (Today, the calendar icon's title, how a date is typed)
WORDS = {
    "az": ("Bu gün", "Tarix Seçin", "%d.%m.%Y"),
    "en": ("Today", "Choose a Date", "%Y-%m-%d"),
}
NOW = {"az": ("İndi", "Vaxt Seçin", "Gecə yarısı"), "en": ("Now", "Choose a Time", "Midnight")}
MONTH = {
    "az": ["Yanvar", "Fevral", "Mart", "Aprel", "May", "İyun", "İyul", "Avqust", "Sentyabr",
           "Oktyabr", "Noyabr", "Dekabr"],
    "en": ["January", "February", "March", "April", "May", "June", "July", "August",
           "September", "October", "November", "December"],
}  # fmt: skip


@pytest.mark.parametrize("language", ["az", "en"])
def test_today_and_the_calendar_fill_a_date_in_the_pages_language(page, live_server, language):
    today = timezone.localdate()
    organisation = make_organisation("allall", name="AllAll Finance")
    make_user(Role.COMPLIANCE, organisation, username="aysel")
    recipient = make_recipient(organisation, name="Debt-collection agency")
    today_word, calendar_word, date_format = WORDS[language]

    login(page, live_server, "aysel")
    page.context.add_cookies(
        [{"name": "django_language", "value": language, "url": live_server.url}]
    )
    page.goto(f"/admin/register/recipient/{recipient.pk}/change/")
    expect(page.locator("html")).to_have_attribute("lang", language)

    field = page.locator("#id_contract_expires_on")
    shortcuts = page.locator("#id_contract_expires_on + .datetimeshortcuts")
    shortcuts.get_by_role("link", name=today_word, exact=True).click()
    expect(field).to_have_value(today.strftime(date_format))

    # The calendar: this month by its name in the page's language, then the 1st picked.
    field.fill("")
    shortcuts.get_by_title(calendar_word, exact=True).click()
    calendar = page.locator(".calendarbox:visible")
    expect(calendar.locator("caption")).to_contain_text(MONTH[language][today.month - 1])
    page.screenshot(path=f"{SHOTS}/calendar-{language}.png")
    calendar.locator("td a").get_by_text("1", exact=True).first.click()
    expect(field).to_have_value(today.replace(day=1).strftime(date_format))

    if not page.locator("#id_name_az").input_value():
        page.fill("#id_name_az", "Borcların toplanması agentliyi")
    page.locator("input[name=_continue]").click()
    expect(page.locator(".messagelist .success")).to_be_visible()
    assert Recipient.objects.get(pk=recipient.pk).contract_expires_on == today.replace(day=1)


@pytest.mark.parametrize("language", ["az", "en"])
def test_now_fills_the_intake_time_at_the_portals_clock_in_the_pages_language(
    page, live_server, language
):
    organisation = make_organisation("allall", name="AllAll Finance")
    make_user(Role.DPO, organisation, username="dpo-dilara")
    today_word, _calendar, date_format = WORDS[language]
    now_word, clock_word, midnight = NOW[language]

    login(page, live_server, "dpo-dilara")
    page.context.add_cookies(
        [{"name": "django_language", "value": language, "url": live_server.url}]
    )
    page.goto("/admin/requests/subjectrequest/add/")
    expect(page.locator("html")).to_have_attribute("lang", language)

    date, time = page.locator("#id_received_at_0"), page.locator("#id_received_at_1")
    page.locator("#id_received_at_0 + .datetimeshortcuts").get_by_role(
        "link", name=today_word, exact=True
    ).click()
    # Today at the portal's clock (Baku), whatever the browser's time zone.
    expect(date).to_have_value(timezone.localdate().strftime(date_format))
    shortcuts = page.locator("#id_received_at_1 + .datetimeshortcuts")
    shortcuts.get_by_role("link", name=now_word, exact=True).click()
    expect(time).to_have_value(re.compile(r"^\d{2}:\d{2}(:\d{2})?$"))
    shortcuts.get_by_title(clock_word, exact=True).click()
    clock = page.locator(".clockbox:visible")
    expect(clock).to_contain_text(midnight)
    page.screenshot(path=f"{SHOTS}/clock-{language}.png")
    clock.get_by_role("link", name=midnight, exact=True).click()
    expect(time).to_have_value(re.compile(r"^00:00(:00)?$"))
