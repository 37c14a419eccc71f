"""The record of processing: gap flags in the list and on the activity page, the "has gaps"
filter, and its export per organisation (XLSX and a printable page), scoped to the user."""

import io

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from openpyxl import load_workbook

from consent.gaps import gaps_of
from consent.models import BasisKind, ProcessingActivity
from dpo_portal.register.models import RecipientTransfer, Role, Sensitivity, TransferMechanism
from tests.consent.helpers import basis, consent_url, make_activity
from tests.factories import (
    make_category,
    make_organisation,
    make_recipient,
    make_system,
    make_user,
)
from tests.register.helpers import log_in

pytestmark = pytest.mark.django_db


@pytest.fixture
def org():
    return make_organisation("allall", name="AllAll Finance")


@pytest.fixture
def officer(org):
    return make_user(Role.COMPLIANCE, org, username="officer")


# The gaps consent itself knows; apps to its right (retention) register more.
CONSENT_GAPS = {
    "no_legal_basis",
    "legitimate_interests_unassessed",
    "special_category_basis",
    "transfer_without_mechanism",
}


def codes(activity):
    return {gap.code for gap in gaps_of(activity)} & CONSENT_GAPS


def test_activity_without_legal_basis_is_flagged_until_one_is_set(org):
    activity = make_activity(org, "marketing", basis_kind=None)
    assert codes(activity) == {"no_legal_basis"}

    activity.legal_basis = basis(BasisKind.CONSENT)
    activity.save()

    assert codes(activity) == set()


def test_special_category_data_on_a_basis_that_does_not_allow_it_is_flagged(org):
    health = make_category(org, "health", sensitivity=Sensitivity.SPECIAL)
    face = make_category(org, "face", sensitivity=Sensitivity.BIOMETRIC)
    on_contract = make_activity(org, "scoring", basis_kind=BasisKind.CONTRACT)
    on_contract.categories.add(health)
    on_interests = make_activity(org, "kyc", basis_kind=BasisKind.LEGITIMATE_INTERESTS)
    on_interests.categories.add(face)
    on_consent = make_activity(org, "selfie", basis_kind=BasisKind.CONSENT)
    on_consent.categories.add(face)
    ordinary = make_activity(org, "loans", basis_kind=BasisKind.CONTRACT)
    ordinary.categories.add(make_category(org, "contact"))

    assert codes(on_contract) == {"special_category_basis"}
    assert codes(on_interests) == {"special_category_basis"}
    assert codes(on_consent) == set()
    assert codes(ordinary) == set()


def test_recipient_abroad_without_transfer_mechanism_is_flagged_until_one_is_recorded(org):
    backup = make_recipient(org, "cloud-backup", country="DE")
    activity = make_activity(org, "backups")
    activity.recipients.add(backup, make_recipient(org, "local-ict"))
    assert codes(activity) == {"transfer_without_mechanism"}

    RecipientTransfer.objects.create(
        recipient=backup, country="DE", mechanism=TransferMechanism.ADEQUACY
    )

    assert codes(activity) == set()


def test_list_shows_gap_flags_and_filters_activities_with_gaps(client, org, officer):
    make_activity(org, "no-basis", name="Activity without basis", basis_kind=None)
    make_activity(org, "complete", name="Complete activity")
    log_in(client, officer)

    everything = client.get(
        consent_url("processingactivity", "changelist"), HTTP_ACCEPT_LANGUAGE="en"
    )
    with_gaps = client.get(
        consent_url("processingactivity", "changelist") + "?gap=any", HTTP_ACCEPT_LANGUAGE="en"
    )
    no_basis = client.get(
        consent_url("processingactivity", "changelist") + "?gap=no_legal_basis",
        HTTP_ACCEPT_LANGUAGE="en",
    )

    assert 'data-gap="no_legal_basis"' in everything.content.decode()
    assert "Activity without basis" in with_gaps.content.decode()
    assert "Activity without basis" in no_basis.content.decode()
    assert "Complete activity" not in no_basis.content.decode()


def test_list_query_count_does_not_grow_with_the_number_of_activities(client, org, officer):
    log_in(client, officer)
    url = consent_url("processingactivity", "changelist")
    make_activity(org, basis_kind=None).recipients.add(make_recipient(org, country="TR"))
    client.get(url)
    with CaptureQueriesContext(connection) as few:
        client.get(url)
    for _ in range(10):
        make_activity(org, basis_kind=None).recipients.add(make_recipient(org, country="TR"))
    with CaptureQueriesContext(connection) as many:
        client.get(url)

    assert len(many) == len(few)


def test_activity_page_shows_its_gaps(client, org, officer):
    activity = make_activity(org, "no-basis", basis_kind=None)
    log_in(client, officer)

    page = client.get(
        consent_url("processingactivity", "change", activity.pk), HTTP_ACCEPT_LANGUAGE="en"
    )

    assert "No legal basis" in page.content.decode()


def test_legitimate_interests_need_an_assessment_in_the_form(client, org, officer):
    log_in(client, officer)
    response = client.post(
        consent_url("processingactivity", "add"),
        {
            "organisation": org.pk,
            "code": "fraud",
            "name_az": "Fraud prevention",
            "name_en": "Fraud prevention",
            "purpose_az": "Detect fraud",
            "purpose_en": "Detect fraud",
            "legal_basis": basis(BasisKind.LEGITIMATE_INTERESTS).pk,
            "legitimate_interest_assessment": "",
        },
        HTTP_ACCEPT_LANGUAGE="en",
    )

    assert response.status_code == 200
    assert "written assessment" in response.content.decode()
    assert not ProcessingActivity.objects.filter(code="fraud").exists()


def _record_setup(org):
    other = make_organisation("qonshu", name="Qonshu app")
    system = make_system(org, "core-loans", registration_number="İS-2023-0457")
    loans = make_activity(org, "loans", name="Loan contracts")
    loans.systems.add(system)
    make_activity(org, "marketing", name="Direct marketing", basis_kind=None)
    make_activity(other, "residents", name="Resident accounts")
    return other


def _xlsx_cells(content):
    sheet = load_workbook(io.BytesIO(content)).active
    return [list(row) for row in sheet.iter_rows(values_only=True)]


def test_record_xlsx_holds_every_activity_of_the_organisation_and_none_of_another(
    client, org, officer
):
    _record_setup(org)
    log_in(client, officer)

    response = client.get(
        consent_url("processingactivity", "record_xlsx", org.pk), HTTP_ACCEPT_LANGUAGE="en"
    )

    assert response.status_code == 200
    assert "attachment" in response["Content-Disposition"]
    rows = _xlsx_cells(response.content)
    header = next(row for row in rows if row[0] == "Code")
    activities = rows[rows.index(header) + 1 :]
    assert sorted(row[0] for row in activities) == ["loans", "marketing"]
    flat = " ".join(str(cell) for row in rows for cell in row if cell)
    assert "Resident accounts" not in flat
    assert "İS-2023-0457" in flat  # the Azerbaijani state registration of the system
    assert "AllAll Finance" in flat
    assert "Purpose of the processing" in header and "Categories of recipients" in header


def test_record_page_lists_the_activities_in_the_users_language(client, org, officer):
    _record_setup(org)
    log_in(client, officer)

    english = client.get(
        consent_url("processingactivity", "record", org.pk), HTTP_ACCEPT_LANGUAGE="en"
    ).content.decode()

    assert "Loan contracts" in english and "Direct marketing" in english
    assert "Resident accounts" not in english
    assert "Categories of data subjects" in english


def test_another_organisations_record_answers_404(client, org, officer):
    other = _record_setup(org)
    log_in(client, officer)

    assert client.get(consent_url("processingactivity", "record", other.pk)).status_code == 404
    assert client.get(consent_url("processingactivity", "record_xlsx", other.pk)).status_code == 404


@pytest.fixture
def erasure_column():
    """A column an app to the right registers (as retention does for Art. 30(1)(f))."""
    from consent import reports

    @reports.record_column("erasure", "Time limits for erasure", after="security_measures")
    def erasure_limits(activity_ids):
        return dict.fromkeys(activity_ids, "5 years after the relationship ends")

    yield
    reports._EXTRA_COLUMNS.pop("erasure")


def test_columns_registered_by_other_apps_appear_in_the_record(
    client, org, officer, erasure_column
):
    _record_setup(org)
    log_in(client, officer)

    rows = _xlsx_cells(client.get(consent_url("processingactivity", "record_xlsx", org.pk)).content)
    page = client.get(consent_url("processingactivity", "record", org.pk)).content.decode()

    header = next(row for row in rows if row[0] == "Code" or row[0] == "Kod")
    position = header.index("Time limits for erasure")
    assert header[position - 1] is not None and position > 0
    loans = next(row for row in rows if row[0] == "loans")
    assert loans[position] == "5 years after the relationship ends"
    assert "5 years after the relationship ends" in page


def test_activity_page_shows_the_transfers_abroad_of_its_recipients(client, org, officer):
    backup = make_recipient(org, "cloud-backup", name="Cloud backup", country="DE")
    analytics = make_recipient(org, "analytics", name="Analytics", country="US")
    RecipientTransfer.objects.create(
        recipient=backup, country="DE", mechanism=TransferMechanism.ADEQUACY
    )
    activity = make_activity(org, "backups")
    activity.recipients.add(backup, analytics, make_recipient(org, "local-ict"))
    log_in(client, officer)

    page = client.get(
        consent_url("processingactivity", "change", activity.pk), HTTP_ACCEPT_LANGUAGE="en"
    ).content.decode()

    assert "Cloud backup → Germany: Adequate protection in the destination country" in page
    assert "Analytics → United States of America: no mechanism" in page
    assert "Recipient abroad without a transfer mechanism" in page
