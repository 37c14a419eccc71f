"""Transfers abroad: a recipient whose data leaves Azerbaijan without a mechanism is flagged."""

import pytest
from django.core.exceptions import ValidationError

from dpo_portal.register.models import Recipient, RecipientTransfer, TransferMechanism
from tests.factories import make_organisation, make_recipient

pytestmark = pytest.mark.django_db


def flagged(organisation):
    return set(
        Recipient.objects.filter(organisation=organisation)
        .abroad_without_mechanism()
        .values_list("code", flat=True)
    )


def test_recipients_whose_data_leaves_azerbaijan_without_mechanism_are_flagged():
    org = make_organisation()
    make_recipient(org, "local")  # in Azerbaijan, nothing abroad
    make_recipient(org, "abroad-bare", country="DE")  # abroad, no transfer recorded
    covered = make_recipient(org, "abroad-covered", country="DE")
    RecipientTransfer.objects.create(
        recipient=covered, country="DE", mechanism=TransferMechanism.ADEQUACY
    )
    pending = make_recipient(org, "local-with-pending-transfer")
    RecipientTransfer.objects.create(recipient=pending, country="TR", mechanism="")
    elsewhere = make_recipient(org, "abroad-covered-elsewhere", country="US")
    RecipientTransfer.objects.create(
        recipient=elsewhere, country="DE", mechanism=TransferMechanism.CONSENT, evidence="form"
    )

    assert flagged(org) == {
        "abroad-bare",
        "local-with-pending-transfer",
        "abroad-covered-elsewhere",
    }
    annotated = {
        r.code: r.has_transfer_gap
        for r in Recipient.objects.filter(organisation=org).with_transfer_gap()
    }
    assert annotated["abroad-bare"] and not annotated["abroad-covered"]
    assert not Recipient.objects.get(code="local").has_transfer_gap
    assert Recipient.objects.get(code="abroad-bare").has_transfer_gap


def test_outside_azerbaijan_covers_recipients_based_or_receiving_abroad():
    org = make_organisation()
    make_recipient(org, "local")
    make_recipient(org, "based-abroad", country="GE")
    receives_abroad = make_recipient(org, "cloud")
    RecipientTransfer.objects.create(
        recipient=receives_abroad, country="NL", mechanism=TransferMechanism.ADEQUACY
    )
    codes = set(Recipient.objects.filter(organisation=org).abroad().values_list("code", flat=True))
    assert codes == {"based-abroad", "cloud"}


def test_a_transfer_goes_abroad_and_names_where_its_mechanism_is_documented():
    recipient = make_recipient(make_organisation())
    with pytest.raises(ValidationError) as home:
        RecipientTransfer(recipient=recipient, country="AZ").full_clean()
    assert "country" in home.value.message_dict
    with pytest.raises(ValidationError) as undocumented:
        RecipientTransfer(
            recipient=recipient, country="DE", mechanism=TransferMechanism.CONTRACT_CLAUSES
        ).full_clean()
    assert "evidence" in undocumented.value.message_dict
    RecipientTransfer(
        recipient=recipient, country="DE", mechanism=TransferMechanism.ADEQUACY
    ).full_clean()
