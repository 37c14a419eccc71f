"""The consent demo: both reference customers' purposes as activities, their policies as notice
versions, consents for the synthetic people (some withdrawn), a few gaps to show, and loading it
twice adds nothing."""

import io
import random

import pytest

from consent import demo
from consent.gaps import filter_having_gaps
from consent.models import Consent, PrivacyNotice, ProcessingActivity
from dpo_portal.register import demo as register_demo
from tests.consent.helpers import ensure_legal_bases

pytestmark = pytest.mark.django_db


def test_demo_loads_both_customers_once_with_gaps_to_show():
    ensure_legal_bases()
    random.seed(1)
    register_demo.load(stdout=io.StringIO(), subjects_per_organisation=60)
    demo.load(stdout=io.StringIO(), subjects_per_organisation=60)
    counts = (ProcessingActivity.objects.count(), Consent.objects.count())

    demo.load(stdout=io.StringIO(), subjects_per_organisation=60)

    assert (ProcessingActivity.objects.count(), Consent.objects.count()) == counts
    allall = ProcessingActivity.objects.filter(organisation__slug="allall")
    qonshu = ProcessingActivity.objects.filter(organisation__slug="qonshu")
    assert allall.count() == 16  # seed 000, 5.1 a)-p)
    assert qonshu.count() == 14  # seed 003, 3.2.1-3.2.4 and 5.1-5.10
    no_basis = filter_having_gaps(ProcessingActivity.objects.all(), code="no_legal_basis")
    assert set(no_basis.values_list("code", flat=True)) == {"5-1-p-other", "5-8-new-business"}
    abroad = filter_having_gaps(
        ProcessingActivity.objects.all(), code="transfer_without_mechanism"
    ).values_list("code", flat=True)
    assert "5-1-a-contract" not in set(abroad)
    notice = PrivacyNotice.objects.current().get(organisation__slug="allall", language="az")
    assert (notice.registry_number, notice.edition) == ("IT0101", "01")
    assert Consent.objects.active().exists() and Consent.objects.withdrawn().exists()
    assert not Consent.objects.filter(activity__legal_basis__isnull=True).exists()
