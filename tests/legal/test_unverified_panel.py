"""The dashboard lists exactly the unverified references the organisation's regime and rules
cite, and nothing else."""

import pytest
from django.urls import reverse

from consent.models import LegalBasis
from dpo_portal.legal.models import LegalReference, RegimeVersion
from retention.legal_references import unverified_references_in_use
from retention.models import RetentionRule
from tests.factories import Role, make_organisation, make_user

pytestmark = pytest.mark.django_db


def _codes(rows):
    return {reference.code for reference, _where in rows}


def _expected_unverified_of_regime(code):
    version = RegimeVersion.objects.of_regime(code).get()
    ids = {version.law_id, version.answer_reference_id, version.extension_reference_id}
    ids |= {version.refusal_reference_id}
    ids |= set(version.kinds.values_list("reference_id", flat=True))
    ids |= set(version.refusal_grounds.values_list("reference_id", flat=True))
    ids |= set(LegalBasis.objects.filter(regime=code).values_list("reference_id", flat=True))
    return set(
        LegalReference.objects.unverified().filter(pk__in=ids).values_list("code", flat=True)
    )


def test_the_panel_lists_exactly_the_unverified_references_in_use(client):
    organisation = make_organisation(regime="az")
    unused = LegalReference.objects.create(
        code="unused-unverified", citation_az="X", citation_en="Unused law, art. 1"
    )
    cited = LegalReference.objects.create(
        code="rule-cited", citation_az="Y", citation_en="Archives Law, art. 4"
    )
    RetentionRule.objects.create(
        organisation=organisation, code="arch", name="Archive", period=1, reference=cited
    )
    expected = _expected_unverified_of_regime("az") | {
        "rule-cited",
        "az-state-register-regulations",
    }
    rows = unverified_references_in_use([organisation.pk])
    assert _codes(rows) == expected
    assert {"az-998-art-7", "az-998-art-12"} <= expected  # the shipped marks, as the issue says
    assert "az-tax-code-71-4" not in expected and unused.code not in expected

    client.force_login(make_user(Role.AUDITOR, organisation))
    with_settings = client.get(reverse("admin:index"), HTTP_ACCEPT_LANGUAGE="en")
    html = with_settings.content.decode()
    assert "Unverified legal references in use" in html
    assert "Archives Law, art. 4" in html and "Unused law, art. 1" not in html


def test_verifying_a_reference_takes_it_off_the_panel(client):
    organisation = make_organisation(regime="gdpr")
    dpo = make_user(Role.DPO, organisation)
    before = _codes(unverified_references_in_use([organisation.pk]))
    assert before == _expected_unverified_of_regime("gdpr") | {"az-state-register-regulations"}
    reference = LegalReference.objects.get(code="az-state-register-regulations")
    history_before = reference.history.count()
    client.force_login(dpo)
    response = client.post(
        reverse("admin:legal_legalreference_changelist"),
        {"action": "mark_verified", "_selected_action": [reference.pk]},
    )
    assert response.status_code == 302
    reference.refresh_from_db()
    assert reference.verified_by == dpo and reference.verified_on is not None
    assert reference.code not in _codes(unverified_references_in_use([organisation.pk]))
    assert reference.history.count() == history_before + 1  # the check is in its history
