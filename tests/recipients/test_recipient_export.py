"""The recipient register for the regulator: XLSX and a printable page per organisation, holding
every recipient of that organisation with its transfers abroad, and nothing of another."""

import io

import pytest
from django.conf import settings
from django.urls import reverse
from openpyxl import load_workbook

from dpo_portal.register.models import RecipientTransfer, TransferMechanism
from tests.factories import Role, make_category, make_organisation, make_recipient, make_user

pytestmark = pytest.mark.django_db


def signed_in(client, user):
    client.force_login(user)
    # Pages in English: the assertions read English labels, whatever the catalogues hold.
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    return client


@pytest.fixture
def orgs():
    mine = make_organisation("allall", name="AllAll Finance")
    other = make_organisation("qonshu", name="Qonshu app")
    bureau = make_recipient(mine, "akb", name="Azərbaycan Kredit Bürosu MMC")
    bureau.categories.add(make_category(mine, "identity", name="Identity data"))
    cloud = make_recipient(mine, "cloud", name="Frankfurt Cloud GmbH", country="DE")
    RecipientTransfer.objects.create(
        recipient=cloud,
        country="DE",
        mechanism=TransferMechanism.CONTRACT_CLAUSES,
        evidence="DPA 2025/14, annex 3",
    )
    RecipientTransfer.objects.create(recipient=cloud, country="TR", mechanism="")
    make_recipient(mine, "staff", name="Employees and officers")
    make_recipient(other, "secret", name="Qonshu Support Partner")
    return mine, other


def sheet_rows(workbook, index):
    return [list(row) for row in workbook.worksheets[index].iter_rows(values_only=True)]


def test_xlsx_holds_every_recipient_of_the_organisation_with_transfers_and_no_other(client, orgs):
    mine, _other = orgs
    officer = make_user(Role.COMPLIANCE, mine)
    url = reverse("admin:register_recipient_register_xlsx", args=[mine.pk])
    response = signed_in(client, officer).get(url)
    assert response.status_code == 200
    assert "recipients-allall-" in response["Content-Disposition"]
    workbook = load_workbook(io.BytesIO(response.content))

    recipients = sheet_rows(workbook, 0)
    codes = {row[0] for row in recipients[4:]}
    assert codes == {"akb", "cloud", "staff"}
    cloud = next(row for row in recipients if row[0] == "cloud")
    assert "Germany: Contract clauses with data-protection guarantees" in cloud[13]
    assert "Turkey" in cloud[13] or "Türkiye" in cloud[13]
    assert cloud[14] == "Yes"  # the transfer to Türkiye has no mechanism
    bureau = next(row for row in recipients if row[0] == "akb")
    assert bureau[5] == "Identity data" and bureau[14] == "No"

    transfers = sheet_rows(workbook, 1)[1:]
    assert {(row[0], row[3]) for row in transfers} == {
        ("cloud", "Contract clauses with data-protection guarantees"),
        ("cloud", "no mechanism"),
    }
    assert all("Qonshu" not in str(cell) for row in recipients + transfers for cell in row)


def test_printable_register_lists_the_same_recipients(client, orgs):
    mine, _other = orgs
    manager = make_user(Role.MANAGER, mine)
    url = reverse("admin:register_recipient_register_print", args=[mine.pk])
    html = signed_in(client, manager).get(url).content.decode()
    for name in ("Azərbaycan Kredit Bürosu MMC", "Frankfurt Cloud GmbH", "Employees and officers"):
        assert name in html
    assert "DPA 2025/14, annex 3" in html
    assert "transfer without a mechanism" in html
    assert "Qonshu Support Partner" not in html


def test_another_organisations_register_cannot_be_exported(client, orgs):
    mine, other = orgs
    officer = make_user(Role.COMPLIANCE, mine)
    signed_in(client, officer)
    for view in ("xlsx", "print"):
        url = reverse(f"admin:register_recipient_register_{view}", args=[other.pk])
        assert client.get(url).status_code == 404
    # The list offers only the user's own organisation's register.
    listing = client.get(reverse("admin:register_recipient_changelist")).content.decode()
    assert reverse("admin:register_recipient_register_xlsx", args=[mine.pk]) in listing
    assert reverse("admin:register_recipient_register_xlsx", args=[other.pk]) not in listing


def test_export_follows_the_users_language(client, orgs):
    mine, _other = orgs
    officer = make_user(Role.COMPLIANCE, mine)
    signed_in(client, officer)
    page = reverse("admin:register_recipient_register_print", args=[mine.pk])
    xlsx = reverse("admin:register_recipient_register_xlsx", args=[mine.pk])

    def in_language(language):
        client.cookies[settings.LANGUAGE_COOKIE_NAME] = language
        html = client.get(page).content.decode()
        rows = sheet_rows(load_workbook(io.BytesIO(client.get(xlsx).content)), 0)
        return html, next(row for row in rows if row[0] == "cloud")[14]

    english, english_gap = in_language("en")
    azerbaijani, azerbaijani_gap = in_language("az")
    assert '<html lang="en">' in english and '<html lang="az">' in azerbaijani
    assert english_gap == "Yes"
    assert azerbaijani_gap == "Bəli"  # the portal's Azerbaijani catalogue
