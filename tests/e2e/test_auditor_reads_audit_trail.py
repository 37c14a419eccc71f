"""An auditor reads the audit trail in Azerbaijani: sentences with names, roles and Baku time,
follows a link to the object, and exports a period as XLSX."""

import datetime

import openpyxl
from playwright.sync_api import expect

from dpo_portal.register.models import Role
from requests.services import extend_deadline
from tests.factories import login, make_user
from tests.requests.helpers import make_request
from tests.retention.helpers import retention_world


def test_auditor_reads_the_trail_in_azerbaijani_follows_a_link_and_exports(
    page, live_server, tmp_path
):
    organisation = retention_world()[0]
    dpo = make_user(Role.DPO, organisation, first_name="Leyla", last_name="Həsənova")
    request = make_request(organisation)
    extend_deadline(request, reason="Kredit bürosu cavab verməlidir", actor=dpo)
    request.refresh_from_db()
    make_user(Role.AUDITOR, organisation, username="kamran", first_name="Kamran", last_name="İ")

    page.context.add_cookies([{"name": "django_language", "value": "az", "url": live_server.url}])
    login(page, live_server, "kamran")
    page.goto("/admin/audit/auditevent/")
    row = page.locator("#result_list tbody tr").filter(has_text=request.reference).first
    expect(row).to_contain_text("Leyla Həsənova")
    expect(row).to_contain_text("7 iş günü")
    expect(row).to_contain_text(request.due_on.strftime("%Y"))
    expect(page.locator("#result_list")).not_to_contain_text("requests.deadline_extended")

    today = datetime.date.today().isoformat()
    page.locator("#period-from").fill(today)
    page.locator("#period-to").fill(today)
    page.locator(".period-filter input[type=submit]").click()
    with page.expect_download() as download:
        page.locator("a.export-xlsx").click()
    path = tmp_path / "trail.xlsx"
    download.value.save_as(path)
    rows = list(openpyxl.load_workbook(path).active.iter_rows(values_only=True))
    assert len(rows) >= 3  # header, received, extended
    assert any("Leyla Həsənova" in (row[1] or "") for row in rows[1:])

    row = page.locator("#result_list tbody tr").filter(has_text="Leyla Həsənova").first
    row.locator("a.audit-target").click()
    expect(page).to_have_url(
        f"{live_server.url}/admin/requests/subjectrequest/{request.pk}/change/"
    )
