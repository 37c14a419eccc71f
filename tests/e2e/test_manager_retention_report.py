"""A manager opens the retention report from the dashboard, narrows the period and downloads the
XLSX, whose numbers are those of the page."""

import io
import re

import openpyxl
import pytest
from playwright.sync_api import expect

from dpo_portal.register.models import Role
from retention.snapshots import take_snapshots
from tests.factories import login, make_organisation, make_user
from tests.retention.test_report import TODAY, build_inventory, days_ago


@pytest.fixture
def static_files_by_name(settings):
    """Plain static names, which the live server serves from the apps' folders.

    Under test DEBUG is off, so pages ask for the manifest's hashed names, which only WhiteNoise
    (reading STATIC_ROOT) knows, while the live server's static handler answers /static/ first
    from the apps' folders and finds no hashed name there: the chart library would not load.
    """
    settings.STORAGES = {
        **settings.STORAGES,
        "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
    }


def test_manager_narrows_the_retention_report_and_downloads_the_xlsx(
    page, live_server, static_files_by_name
):
    home = make_organisation(name="Homemark Bank")
    build_inventory(home, "Homemark")
    for day in (days_ago(3), days_ago(2), days_ago(1), TODAY):
        take_snapshots(on=day)
    make_user(Role.MANAGER, home, username="manager-mina")

    login(page, live_server, "manager-mina")
    page.get_by_role("link", name="Open the retention report").click()

    expect(page.get_by_role("heading", name="Retention report")).to_be_visible()
    table = page.locator("#retention-report")
    expect(table).to_contain_text("Homemark core banking")
    # The trend is drawn by Chart.js from the daily snapshots.
    expect(page.locator("canvas#retention-trend")).to_be_visible()
    assert page.evaluate("() => Chart.getChart('retention-trend').data.labels.length") == 4

    page.fill("#id_date_from", days_ago(1).isoformat())
    page.fill("#id_date_to", TODAY.isoformat())
    page.get_by_role("button", name="Show").click()
    expect(page).to_have_url(re.compile(rf"date_from={days_ago(1).isoformat()}"))
    assert page.evaluate("() => Chart.getChart('retention-trend').data.labels.length") == 2

    with page.expect_download() as download_info:
        page.get_by_role("link", name="Excel (XLSX)").click()
    download = download_info.value
    assert download.suggested_filename.endswith(".xlsx")

    sheet = openpyxl.load_workbook(io.BytesIO(download.path().read_bytes())).worksheets[0]
    rows = {(row[1], row[2]): row[3:] for row in sheet.iter_rows(min_row=2, values_only=True)}
    # held, due, on hold, disposed in the period (only yesterday's), oldest overdue in days
    assert rows[("Homemark core banking", "Homemark identity documents")] == (6, 2, 1, 0, 40)
    assert rows[("Homemark CRM", "Homemark identity documents")] == (0, 0, 0, 1, None)
