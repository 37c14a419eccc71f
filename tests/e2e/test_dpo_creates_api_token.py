"""A DPO creates an API token on the System's page, sees it once, and the list shows it masked
with its last use; the token works against the API, and the API's documentation page runs
under the portal's CSP."""

import json
import urllib.request

from playwright.sync_api import expect

from dpo_portal.api.models import ApiToken, token_digest
from dpo_portal.register.models import Role
from tests.factories import login, make_organisation, make_system, make_user

SHOTS = "test-results"


def test_dpo_creates_a_token_sees_it_once_and_the_list_shows_it_masked(page, live_server):
    organisation = make_organisation("allall-e2e", name="AllAll Finance MMC")
    system = make_system(organisation, "core-loans", name="Core loan system")
    make_user(Role.DPO, organisation, username="leyla", first_name="Leyla")
    page.set_viewport_size({"width": 1366, "height": 768})
    login(page, live_server, "leyla")

    page.goto(f"/admin/register/system/{system.pk}/change/")
    page.locator(".api-token-create a").click()
    page.fill("#id_name", "Nightly inventory push")
    page.locator("input[name=scopes][value=requests]").uncheck()
    page.locator(".submit-row input[type=submit]").click()

    secret = page.locator(".api-token-secret").inner_text().strip()
    page.screenshot(path=f"{SHOTS}/api-token-created-en.png")
    token = ApiToken.objects.get(system=system)
    assert token.digest == token_digest(secret) and secret.startswith(token.prefix)
    assert token.scopes == ["inventory", "tasks"]
    assert secret not in json.dumps(list(ApiToken.objects.values()), default=str)

    # The system uses it once: the list shows when and from where, and never the secret again.
    request = urllib.request.Request(
        f"{live_server.url}/api/v1/tasks", headers={"Authorization": f"Bearer {secret}"}
    )
    with urllib.request.urlopen(request) as answer:
        assert json.load(answer)["results"] == []

    page.goto(f"/admin/register/system/{system.pk}/change/")
    row = page.locator("tr", has_text="Nightly inventory push")
    expect(row).to_contain_text(f"{token.prefix}…")
    expect(row).to_contain_text("127.0.0.1")
    expect(row).to_contain_text("Active")
    expect(page.locator("body")).not_to_contain_text(secret)
    page.screenshot(path=f"{SHOTS}/api-token-list-en.png", full_page=True)

    # The same page in Azerbaijani.
    page.context.add_cookies([{"name": "django_language", "value": "az", "url": live_server.url}])
    page.goto(f"/admin/register/system/{system.pk}/change/")
    page.screenshot(path=f"{SHOTS}/api-token-list-az.png", full_page=True)
    page.locator(".api-token-create a").click()
    page.screenshot(path=f"{SHOTS}/api-token-create-az.png")


def test_the_api_documentation_runs_under_the_csp(page, live_server):
    page.set_viewport_size({"width": 1366, "height": 768})
    page.goto("/api/v1/docs/")
    expect(page.locator(".swagger-ui .info .title")).to_contain_text("DPO Portal integration API")
    expect(page.locator(".opblock-summary-path").first).to_be_visible()
    expect(page.locator("body")).to_contain_text("/api/v1/records/batch")
    page.screenshot(path=f"{SHOTS}/api-docs.png")
