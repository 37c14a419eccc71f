"""The access package's JSON for a person with records in several systems is exactly what it was
before the package was rebuilt from plain rows (requests/access.py): the file next to this test
was written by the object-by-object code it replaced, from the same world."""

import datetime
import json
from pathlib import Path

import pytest
from django.utils import timezone

from dpo_portal.register.models import Disclosure, RecipientCategory, SourceKind
from requests import access
from retention.models import RecordStatus
from tests.consent.helpers import make_activity, make_consent, make_notice
from tests.factories import make_recipient, make_source
from tests.requests.fulfilment_helpers import (
    dpo_and_organisation,
    make_category,
    make_person,
    make_record,
    make_request,
    three_systems,
)
from tests.requests.test_access_package import unpack
from tests.retention.helpers import make_rule

EXPECTED = Path(__file__).with_name("access_package_same_json.json")


def build_world():
    """Every value named, so the JSON does not depend on the order the tests run in."""
    organisation, dpo = dpo_and_organisation()
    person = make_person(organisation, external_ref="GZ-0001")
    core, crm, aml = three_systems(organisation)
    identity = make_category(organisation, "identity", name="Identity data")
    contact = make_category(organisation, "contact", name="Contact data")
    statements = make_category(organisation, "statements", name="Account statements")
    bureau = make_source(
        organisation, "bureau", name="Credit bureau", kind=SourceKind.CREDIT_BUREAU
    )
    asan = make_source(organisation, "asan", name="ASAN service", kind=SourceKind.STATE_SYSTEM)
    hosting = make_recipient(organisation, "hosting", name="Cloud hosting LLC")
    tax = make_recipient(
        organisation, "tax", name="State Tax Service", category=RecipientCategory.STATE_BODY
    )
    lending = make_activity(organisation, "lending", name="Lending contract")
    lending.sources.add(bureau, asan)
    lending.recipients.add(hosting)
    lending.categories.add(identity, statements)
    marketing = make_activity(organisation, "marketing", name="Direct marketing")
    five_years = make_rule(
        organisation, "tax-5y", name="Tax records: 5 years", legal_reference="Tax Code art. 71.4"
    )
    ten_years = make_rule(
        organisation, "aml-10y", name="AML files: 10 years", period=10, legal_reference="AML art. 9"
    )
    rows = [
        (core, identity, lending, five_years, "LOAN-1", datetime.date(2022, 3, 1), "active"),
        (core, statements, lending, five_years, "STMT-2024", datetime.date(2024, 1, 31), "active"),
        (core, contact, lending, None, "LOAN-1-C", datetime.date(2021, 6, 5), "due"),
        (core, identity, None, ten_years, "LOAN-0", datetime.date(2016, 2, 2), "on_hold"),
        (crm, contact, marketing, None, "CRM-77", datetime.date(2023, 9, 9), "active"),
        (crm, contact, marketing, None, "CRM-12", datetime.date(2020, 1, 1), "due"),
        (aml, identity, None, ten_years, "AML-3", datetime.date(2019, 11, 30), "active"),
        (aml, statements, None, ten_years, "AML-4", datetime.date(2018, 5, 20), "disposed"),
    ]
    for system, category, activity, rule, external_id, collected, status in rows:
        make_record(
            person,
            system,
            category,
            activity=activity,
            rule=rule,
            external_id=external_id,
            collected_at=collected,
            status=RecordStatus(status),
        )
    notice = make_notice(organisation, registry_number="IT0101", edition="01")
    given = timezone.make_aware(datetime.datetime(2025, 9, 1, 10, 30))
    make_consent(person, marketing, notice=notice, given_at=given)
    make_consent(
        person,
        lending,
        given_at=given - datetime.timedelta(days=40),
        withdrawn_at=given - datetime.timedelta(days=2),
        withdrawal_channel="email",
    )
    disclosure = Disclosure.objects.create(
        organisation=organisation,
        disclosed_on=datetime.date(2026, 3, 2),
        recipient=tax,
        legal_basis="Tax Code art. 23",
        request_reference="VXS-2026-11",
    )
    disclosure.subjects.add(person)
    disclosure.categories.add(identity, contact)
    return make_request(person, actor=dpo, kind="access")


def package_json(request, language):
    content, _facts = access.build_package(request, language=language)
    _names, _html, data = unpack(content)
    # The one value that is the moment the package is built.
    data.pop("generated_at")
    return data


@pytest.mark.django_db
def test_the_package_json_is_exactly_what_it_was_before_the_rewrite():
    request = build_world()

    made = {language: package_json(request, language) for language in ("en", "az")}

    # The request's reference is numbered by the year it is registered in.
    expected = json.loads(EXPECTED.read_text().replace("{reference}", request.reference))
    assert made == expected
