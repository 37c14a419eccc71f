"""Fixtures shared by the request tests."""

import pytest

from requests import letters
from retention.services import place_hold
from tests.consent.helpers import make_activity, make_consent
from tests.requests.fulfilment_helpers import (
    dpo_and_organisation,
    make_category,
    make_person,
    make_record,
    make_request,
    three_systems,
)


@pytest.fixture
def private_storage(settings, tmp_path):
    """Attachments kept in a throwaway folder; returns it."""
    settings.STORAGES = {
        **settings.STORAGES,
        "attachments": {
            "BACKEND": "django.core.files.storage.FileSystemStorage",
            "OPTIONS": {"location": str(tmp_path / "attachments")},
        },
    }
    return tmp_path / "attachments"


@pytest.fixture
def deletion_case():
    organisation, dpo = dpo_and_organisation()
    person = make_person(organisation)
    other = make_person(
        organisation,
        first_name="Orxan",
        last_name="Başqa",
        fin="5ZK8R2T",
        phone="+994701112233",
        email="orxan@example.az",
    )
    core, crm, aml = three_systems(organisation)
    identity = make_category(organisation, "identity", name="Identity")
    contact = make_category(organisation, "contact", name="Contact")
    records = {
        "core": make_record(person, core, identity),
        "crm": make_record(person, crm, contact),
        "aml": make_record(person, aml, identity),
    }
    others_record = make_record(other, crm, contact)
    # The AML/CFT law keeps the screening file: a hold on that one record.
    place_hold(
        organisation=organisation,
        actor=dpo,
        reason="AML/CFT law: keep screening files 5 years after the relationship ends",
        reference="AML-2026-7",
        record=records["aml"],
    )
    activity = make_activity(organisation, "marketing", name="Direct marketing")
    make_consent(person, activity, evidence_reference=f"form signed by {person.last_name}")
    request = make_request(person, actor=dpo)
    # A letter acknowledging receipt, which names the requester.
    letters.create_letter(
        request,
        language="en",
        actor=dpo,
        body=f"Dear {person.first_name} {person.last_name}, we received your request.",
    )
    return dpo, person, other, records, others_record, request
