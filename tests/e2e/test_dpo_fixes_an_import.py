"""A DPO imports a semicolon CSV (as Excel writes it under Azerbaijani settings) with one bad
row, reads the error on the job page with its row and column, fixes the file and imports it."""

import os

from playwright.sync_api import expect

from retention.models import Record
from tests.factories import Role, login, make_subject, make_user
from tests.retention.helpers import retention_world

SHOTS = "/tmp/shots-imports"
HEADER = "organisation;subject_ref;system;category;external_id;collected_at"


def test_a_dpo_fixes_the_bad_row_and_imports(page, live_server, celery_worker_real, tmp_path):
    organisation, *_ = retention_world("acme")
    make_subject(organisation, external_ref="AF-1")
    dpo = make_user(Role.DPO, organisation, username="import-dpo")
    os.makedirs(SHOTS, exist_ok=True)
    page.set_viewport_size({"width": 1366, "height": 768})
    login(page, live_server, dpo.username)
    bad = tmp_path / "records.csv"
    bad.write_text(
        f"{HEADER}\r\nacme;AF-1;core;txn;T-1;2020-01-31\r\nacme;AF-1;core;txn;T-2;2030-01-01\r\n"
    )

    page.goto(f"{live_server.url}/admin/retention/record/import/")
    page.screenshot(path=f"{SHOTS}/import-form-en.png", full_page=True)
    page.set_input_files("#id_file", str(bad))
    page.click("input[type=submit]")

    errors = page.locator("#rows-to-fix")
    expect(errors).to_be_visible(timeout=60_000)
    expect(errors.locator("tbody tr")).to_have_count(1)
    expect(errors.locator("tbody tr td").nth(0)).to_have_text("3")
    expect(errors.locator("tbody tr td").nth(1)).to_have_text("collected_at")
    expect(errors).to_contain_text("A date in the future")
    expect(page.locator("body")).to_contain_text("1 row of the file must be fixed")
    page.screenshot(path=f"{SHOTS}/import-refused-en.png", full_page=True)
    assert Record.objects.count() == 0

    bad.write_text(
        f"{HEADER}\r\nacme;AF-1;core;txn;T-1;2020-01-31\r\nacme;AF-1;core;txn;T-2;2021-01-01\r\n"
    )
    page.goto(f"{live_server.url}/admin/retention/record/import/")
    page.set_input_files("#id_file", str(bad))
    page.click("input[type=submit]")

    expect(page.locator("body")).to_contain_text("2 records imported", timeout=60_000)
    assert sorted(Record.objects.values_list("external_id", flat=True)) == ["T-1", "T-2"]
