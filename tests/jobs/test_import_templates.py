"""Every import offers its XLSX template on its page: the header row with the import's own
column names, an example row from the organisation's register and a sheet of the organisation's
valid codes, with sheet titles and notes in the user's language. The template, uploaded as it
is, imports cleanly."""

import io

import pytest
from django.utils import translation
from openpyxl import load_workbook

from consent.models import Consent
from dpo_portal.register.models import (
    DataCategory,
    DataSubject,
    Recipient,
    Role,
    Source,
    SubjectType,
    System,
)
from retention.imports import COLUMNS as RECORD_COLUMNS
from retention.models import Record
from tests.consent.helpers import make_activity, make_notice
from tests.factories import (
    make_category,
    make_organisation,
    make_subject_type,
    make_system,
    make_user,
)
from tests.import_helpers import report, run_import

pytestmark = pytest.mark.django_db

# import page: the model its rows become
IMPORTS = {
    "/admin/register/datasubject/import/": DataSubject,
    "/admin/consent/consent/import/": Consent,
    "/admin/retention/record/import/": Record,
    "/admin/register/datacategory/import/": DataCategory,
    "/admin/register/subjecttype/import/": SubjectType,
    "/admin/register/source/import/": Source,
    "/admin/register/system/import/": System,
    "/admin/register/recipient/import/": Recipient,
}
SHEETS = {
    "en": ["Rows to import", "Valid codes", "How to fill it"],
    "az": ["İdxal ediləcək sətirlər", "Etibarlı kodlar", "Necə doldurulur"],
}


@pytest.fixture
def world(db):
    organisation = make_organisation("acme", name="Acme Finance")
    other = make_organisation("other", name="Other MMC")
    make_system(organisation, "core", name="Core banking")
    make_system(organisation, "crm", name="CRM")
    make_system(other, "secret-system", name="Another organisation's system")
    make_category(organisation, "identity", name="Identity")
    make_subject_type(organisation, "customer", name="Customer")
    make_activity(organisation, "loans", name="Loans")
    make_notice(organisation)
    user = make_user(Role.DPO, organisation, superuser=True)
    return organisation, other, user


def template_of(client, url, organisation):
    page = client.get(url)
    assert page.status_code == 200
    link = f'href="?template={organisation.pk}"'
    assert link in page.content.decode()
    response = client.get(url, {"template": organisation.pk})
    assert response.status_code == 200
    assert response["Content-Type"].startswith("application/vnd.openxmlformats")
    return response.content


def sheet_rows(sheet):
    return [list(row) for row in sheet.iter_rows(values_only=True)]


@pytest.mark.parametrize("url", list(IMPORTS))
def test_each_import_page_offers_a_template_with_its_columns_and_the_organisations_codes(
    client, world, url
):
    organisation, _other, user = world
    client.force_login(user)

    book = load_workbook(io.BytesIO(template_of(client, url, organisation)))

    assert book.sheetnames == SHEETS["en"]
    rows = sheet_rows(book["Rows to import"])
    form_columns = client.get(url).context["form"].fields["file"].help_text
    header = [cell for cell in rows[0] if cell]
    assert all(column in form_columns for column in header)
    assert len(rows) == 2 and any(cell not in (None, "") for cell in rows[1])
    codes = [cell for row in sheet_rows(book["Valid codes"]) for cell in row if cell]
    assert "acme" in codes or "No column of this import takes a code." in codes
    assert "secret-system" not in codes and "Another organisation's system" not in codes
    notes = " ".join(row[0] for row in sheet_rows(book["How to fill it"]))
    assert "Keep the first row" in notes


def test_the_record_template_lists_systems_categories_and_activities(client, world):
    organisation, _other, user = world
    client.force_login(user)

    content = template_of(client, "/admin/retention/record/import/", organisation)
    book = load_workbook(io.BytesIO(content))

    rows = sheet_rows(book["Rows to import"])
    assert rows[0] == RECORD_COLUMNS
    example = dict(zip(rows[0], rows[1], strict=True))
    assert (example["organisation"], example["system"], example["category"]) == (
        "acme",
        "core",
        "identity",
    )
    assert example["activity"] == "loans"
    codes = sheet_rows(book["Valid codes"])
    assert [codes[0][n] for n in (0, 3, 6, 9)] == [
        "organisation",
        "systems",
        "data categories",
        "processing activities",
    ]
    listed = {cell for row in codes[3:] for cell in row if cell}
    assert {"core", "Core banking", "crm", "CRM", "identity", "loans"} <= listed


def test_another_organisations_template_answers_404(client, world):
    _organisation, other, _user = world
    dpo = make_user(Role.DPO, _organisation)
    client.force_login(dpo)

    assert client.get("/admin/retention/record/import/", {"template": other.pk}).status_code == 404
    assert client.get("/admin/retention/record/import/", {"template": "x"}).status_code == 404


def test_the_template_reads_in_azerbaijani_with_the_columns_unchanged(client, world):
    organisation, _other, user = world
    client.force_login(user)
    client.cookies["django_language"] = "az"

    with translation.override("az"):
        content = template_of(client, "/admin/retention/record/import/", organisation)
    book = load_workbook(io.BytesIO(content))

    assert book.sheetnames == SHEETS["az"]
    assert sheet_rows(book[SHEETS["az"][0]])[0] == RECORD_COLUMNS
    notes = " ".join(row[0] for row in sheet_rows(book[SHEETS["az"][2]]))
    assert "Keep the first row" not in notes and "sətir" in notes


def test_the_templates_as_they_are_import_cleanly(client, world):
    """People first (the other templates' example rows name the example person), then the
    register's vocabulary, consents and records."""
    organisation, _other, user = world
    client.force_login(user)

    for url, model in IMPORTS.items():
        before = model.objects.count()
        content = template_of(client, url, organisation)
        job = run_import(client, url, organisation, content, name="template.xlsx")
        assert job.status == job.Status.DONE, (url, job.message, job.result and report(job))
        assert model.objects.count() == before + 1, url

    person = DataSubject.objects.get(external_ref="EXAMPLE-0001")
    assert Record.objects.get(external_id="EXAMPLE-RECORD-1").subject == person
    assert Consent.objects.get().subject == person
