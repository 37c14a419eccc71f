"""A compliance officer reviews the record of processing in a real browser: finds the activity
flagged for having no legal basis, gives it one, sees the flag go, and downloads the XLSX."""

import io
from pathlib import Path

from openpyxl import load_workbook
from playwright.sync_api import expect

from consent.models import BasisKind
from tests.consent.helpers import basis, make_activity
from tests.factories import Role, login, make_organisation, make_user


def test_officer_fixes_an_activity_flagged_with_a_gap_and_downloads_the_record(page, live_server):
    org = make_organisation("allall", name="AllAll Finance")
    other = make_organisation("qonshu", name="Qonshu app")
    make_user(Role.COMPLIANCE, org, username="leyla")
    make_activity(
        org,
        "5-1-i-marketing",
        name="Direct marketing",
        name_az="Birbaşa marketinq",
        purpose_az="Birbaşa marketinq.",
        basis_kind=None,
    )
    make_activity(org, "5-1-a-contract", name="Service contracts", basis_kind=BasisKind.CONTRACT)
    make_activity(other, "5-1-account", name="Resident accounts")
    consent_basis = basis(BasisKind.CONSENT)

    login(page, live_server, "leyla")

    page.goto("/admin/consent/processingactivity/")
    results = page.locator("#result_list")
    expect(results).not_to_contain_text("Resident accounts")
    marketing = results.locator("tbody tr", has_text="Direct marketing")
    expect(marketing.locator('[data-gap="no_legal_basis"]')).to_have_text("No legal basis")
    contracts = results.locator("tbody tr", has_text="Service contracts")
    expect(contracts.locator('[data-gap="no_legal_basis"]')).to_have_count(0)

    # The "has gaps" filter finds it too.
    page.get_by_role("link", name="No legal basis").first.click()
    expect(results).to_contain_text("Direct marketing")
    expect(results).not_to_contain_text("Service contracts")

    results.get_by_role("link", name="Direct marketing").click()
    expect(page.locator(".field-gap_list")).to_contain_text("No legal basis")
    page.select_option("#id_legal_basis", value=str(consent_basis.pk))
    page.click("input[name=_save]")

    expect(page.locator(".messagelist")).to_contain_text("Direct marketing")
    page.goto("/admin/consent/processingactivity/")
    marketing = page.locator("#result_list tbody tr", has_text="Direct marketing")
    expect(marketing).to_contain_text("Consent")
    expect(marketing.locator('[data-gap="no_legal_basis"]')).to_have_count(0)

    with page.expect_download() as download_info:
        page.get_by_role("link", name="XLSX: AllAll Finance").click()
    download = download_info.value
    assert download.suggested_filename.startswith("record-of-processing-allall")
    sheet = load_workbook(io.BytesIO(Path(download.path()).read_bytes())).active
    cells = [str(cell) for row in sheet.iter_rows(values_only=True) for cell in row if cell]
    assert "5-1-i-marketing" in cells and "5-1-a-contract" in cells
    assert "Resident accounts" not in cells
    marketing_row = next(
        row for row in sheet.iter_rows(values_only=True) if row[0] == "5-1-i-marketing"
    )
    assert consent_basis.article in marketing_row
