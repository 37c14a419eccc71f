"""A DPO's first sign-in in a real browser: password, then the enrolment page (QR code and key),
the recovery codes, the dashboard; signing in again asks for the app's code, and a recovery code
works instead of it once."""

import re

from django_otp.plugins.otp_totp.models import TOTPDevice
from playwright.sync_api import expect

from tests.factories import PASSWORD, Role, current_totp, login, make_organisation, make_user


def sign_in_with_password(page, username):
    page.goto("/admin/login/")
    page.fill("#id_username", username)
    page.fill("#id_password", PASSWORD)
    with page.expect_navigation():
        page.click("input[type=submit]")


def sign_out(page):
    with page.expect_navigation():
        page.click("#logout-form button, #second-factor-logout button")


def test_dpo_enrols_then_signs_in_with_the_app_and_once_with_a_recovery_code(page, live_server):
    make_user(Role.DPO, make_organisation(name="AllAll Finance"), username="aysel")

    sign_in_with_password(page, "aysel")
    expect(page.locator("h1")).to_have_text("Set up your second factor")
    expect(page.locator(".second-factor-qr svg")).to_be_visible()
    # No admin page opens before the second factor.
    page.goto("/admin/register/datasubject/")
    expect(page).to_have_url(re.compile(r"/admin/second-factor/enrol/\?next="))
    device = TOTPDevice.objects.get(user__username="aysel")
    page.fill("#id_otp_token", current_totp(device))
    page.click("#second-factor-form input[type=submit]")
    codes = page.locator(".recovery-codes code").all_inner_texts()
    assert len(codes) == 10
    page.click("#recovery-codes-continue")
    # On to the page that was asked for.
    expect(page).to_have_url(f"{live_server.url}/admin/register/datasubject/")
    sign_out(page)

    login(page, live_server, "aysel")  # the helper enters the app's code on the verify page
    expect(page).to_have_url(f"{live_server.url}/admin/")
    sign_out(page)

    sign_in_with_password(page, "aysel")
    page.fill("#id_otp_token", codes[0])
    page.click("#second-factor-form input[type=submit]")
    expect(page).to_have_url(f"{live_server.url}/admin/")
    sign_out(page)

    sign_in_with_password(page, "aysel")
    page.fill("#id_otp_token", codes[0])
    page.click("#second-factor-form input[type=submit]")
    expect(page.locator(".errornote")).to_contain_text("already used")
