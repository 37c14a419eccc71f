"""Every CSV and XLSX the portal writes shows a text that starts like a formula as text: the
import-export downloads, the record of processing, the recipient register, the reports and the
import error report. Read back as a spreadsheet program would (csv, openpyxl)."""

import csv
import io

import openpyxl
import pytest
from django.urls import reverse

from consent.admin import record_of_processing_url
from dpo_portal.exports import FORMULA_TRIGGERS
from dpo_portal.jobs.imports import RowsRefused
from tests.consent.helpers import make_activity
from tests.factories import (
    Role,
    make_category,
    make_organisation,
    make_recipient,
    make_subject,
    make_system,
    make_user,
)
from tests.retention.helpers import make_record

pytestmark = pytest.mark.django_db

PAYLOADS = ['=HYPERLINK("http://x.example","y")', "+1", "-1", "@SUM(1)", "\t=1+1", "\r=2+2"]


@pytest.fixture
def world():
    organisation = make_organisation()
    category = make_category(organisation, name="@SUM(1)")
    for n, payload in enumerate(PAYLOADS):
        make_subject(organisation, first_name=payload, last_name=payload)
        make_recipient(organisation, name=payload)
        make_activity(organisation, f"act-{n}", name=payload)
        system = make_system(organisation, name=payload)
        make_record(organisation, system=system, category=category)
    return organisation


def csv_cells(content):
    return [cell for row in csv.reader(io.StringIO(content.decode("utf-8-sig"))) for cell in row]


def xlsx_cells(content):
    workbook = openpyxl.load_workbook(io.BytesIO(content))
    cells = [cell for sheet in workbook for row in sheet.iter_rows() for cell in row]
    formulas = [cell.coordinate for cell in cells if cell.data_type == "f"]
    assert formulas == [], formulas
    return [cell.value for cell in cells if isinstance(cell.value, str)]


def assert_neutralised(cells, expected=PAYLOADS):
    live = [cell for cell in cells if cell.startswith(FORMULA_TRIGGERS)]
    assert live == []
    for payload in expected:
        # XML (XLSX) reads a carriage return back as a line feed.
        forms = ("'" + payload, "'" + payload.replace("\r", "\n"))
        assert any(cell.startswith(forms) for cell in cells), payload


@pytest.mark.parametrize(
    "changelist, fmt",
    [
        ("register_datasubject", "csv"),
        ("register_datasubject", "xlsx"),
        ("register_recipient", "csv"),
        ("register_recipient", "xlsx"),
        ("register_system", "csv"),
    ],
)
def test_import_export_downloads_are_formula_safe(client, world, changelist, fmt):
    client.force_login(make_user(Role.DPO, world))
    url = reverse(f"admin:{changelist}_export")
    form = client.get(url).context["form"]
    choices = {label.lower(): value for value, label in form.fields["format"].choices}
    data = {"format": choices[fmt], **{name: "on" for name in form.fields if "resource_" in name}}
    if "resource" in form.fields:
        data["resource"] = next(
            value for value, _ in form.fields["resource"].choices if value != ""
        )

    response = client.post(url, data)

    assert response.status_code == 200, response.content[:500]
    cells = csv_cells(response.content) if fmt == "csv" else xlsx_cells(response.content)
    assert_neutralised(cells)


def test_the_record_of_processing_is_formula_safe(client, world):
    client.force_login(make_user(Role.COMPLIANCE, world))
    response = client.get(record_of_processing_url(world.pk, xlsx=True))
    assert_neutralised(xlsx_cells(response.content))


def test_the_recipient_register_is_formula_safe(client, world):
    client.force_login(make_user(Role.COMPLIANCE, world))
    response = client.get(reverse("admin:register_recipient_register_xlsx", args=[world.pk]))
    assert_neutralised(xlsx_cells(response.content))


@pytest.mark.parametrize("fmt", ["csv", "xlsx"])
def test_the_retention_report_is_formula_safe(client, world, fmt):
    client.force_login(make_user(Role.MANAGER, world))
    response = client.get(reverse("admin:retention_report"), {"format": fmt})
    assert response.status_code == 200
    cells = csv_cells(response.content) if fmt == "csv" else xlsx_cells(response.content)
    assert_neutralised(cells)


def test_the_import_error_report_is_formula_safe():
    refused = RowsRefused(
        [(2, "=cmd|' /C calc'!A0", "-1", "-unknown system"), (3, "@name", "+x", "=reason")]
    )
    assert_neutralised(csv_cells(refused.report()), ["=cmd|", "-unknown", "@name", "+x", "=reason"])
