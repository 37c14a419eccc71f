"""A real browser reaches the admin through the live server, static files included."""

from playwright.sync_api import expect


def test_admin_login_page_shows_login_form(page):
    static_failures = []
    page.on(
        "response",
        lambda r: "/static/" in r.url and not r.ok and static_failures.append((r.status, r.url)),
    )

    response = page.goto("/admin/")

    assert response is not None and response.ok
    assert "/admin/login/" in page.url
    form = page.locator("form#login-form")
    expect(form).to_be_visible()
    expect(form.locator('input[name="username"]')).to_be_visible()
    expect(form.locator('input[name="password"]')).to_be_visible()
    expect(form.locator('[type="submit"]')).to_be_visible()
    page.wait_for_load_state("networkidle")
    assert static_failures == []
