"""Legal bases seeded for both regimes and kept by compliance officers; privacy-notice versions
with the current one per organisation and language."""

import datetime

import pytest

from consent.models import BasisKind, LegalBasis, PrivacyNotice
from dpo_portal.register.models import Regime, Role
from tests.consent.helpers import consent_url, ensure_legal_bases, make_activity, make_notice
from tests.factories import make_organisation, make_user
from tests.register.helpers import log_in

pytestmark = pytest.mark.django_db


def test_legal_bases_of_both_regimes_are_seeded_with_their_articles():
    ensure_legal_bases()

    azerbaijan = dict(
        LegalBasis.objects.filter(regime=Regime.AZERBAIJAN).values_list("kind", "article")
    )
    gdpr = dict(LegalBasis.objects.filter(regime=Regime.GDPR).values_list("kind", "article"))

    # Seed 000, 6.1: consent or public data, contract, a law setting the purpose, legitimate
    # interests.
    assert set(azerbaijan) == {
        BasisKind.CONSENT,
        BasisKind.PUBLIC_DATA,
        BasisKind.CONTRACT,
        BasisKind.LEGAL_OBLIGATION,
        BasisKind.LEGITIMATE_INTERESTS,
    }
    assert all("998-IIIQ" in article for article in azerbaijan.values())
    assert gdpr[BasisKind.CONSENT] == "GDPR Art. 6(1)(a)"
    assert gdpr[BasisKind.LEGITIMATE_INTERESTS] == "GDPR Art. 6(1)(f)"
    assert len(gdpr) == 6


def test_seeding_again_keeps_an_edited_basis_as_it_is():
    ensure_legal_bases()
    LegalBasis.objects.filter(regime=Regime.GDPR, kind=BasisKind.CONSENT).update(
        article="GDPR Art. 6(1)(a), Art. 7"
    )

    ensure_legal_bases()

    assert LegalBasis.objects.filter(regime=Regime.GDPR, kind=BasisKind.CONSENT).count() == 1
    assert LegalBasis.objects.get(regime=Regime.GDPR, kind=BasisKind.CONSENT).article.endswith(
        "Art. 7"
    )


def test_only_a_superuser_changes_a_legal_basis_shared_by_every_organisation(client):
    ensure_legal_bases()
    org = make_organisation()
    basis = LegalBasis.objects.get(regime=Regime.GDPR, kind=BasisKind.CONTRACT)
    url = consent_url("legalbasis", "change", basis.pk)
    form = {
        "regime": basis.regime,
        "kind": basis.kind,
        "name_az": basis.name,
        "name_en": basis.name,
        "article": "GDPR Art. 6(1)(b), first alternative",
        "description_az": basis.description,
        "description_en": basis.description,
    }

    for role in (Role.DPO, Role.COMPLIANCE):
        log_in(client, make_user(role, org))
        assert client.post(url, form).status_code == 403
    basis.refresh_from_db()
    assert basis.article != "GDPR Art. 6(1)(b), first alternative"

    log_in(client, make_user(superuser=True))
    assert client.post(url, form).status_code == 302
    basis.refresh_from_db()
    assert basis.article == "GDPR Art. 6(1)(b), first alternative"


def test_a_compliance_officer_cannot_delete_a_legal_basis(client):
    ensure_legal_bases()
    basis = LegalBasis.objects.get(regime=Regime.GDPR, kind=BasisKind.CONTRACT)
    log_in(client, make_user(Role.COMPLIANCE, make_organisation()))

    assert client.get(consent_url("legalbasis", "delete", basis.pk)).status_code == 403
    assert (
        client.post(consent_url("legalbasis", "delete", basis.pk), {"post": "yes"}).status_code
        == 403
    )
    assert client.get(consent_url("legalbasis", "add")).status_code == 403
    bulk = {"action": "delete_selected", "_selected_action": [basis.pk], "post": "yes"}
    client.post(consent_url("legalbasis", "changelist"), bulk)

    assert LegalBasis.objects.filter(pk=basis.pk).exists()


def test_a_legal_basis_in_use_is_not_deleted_even_by_a_superuser(client):
    ensure_legal_bases()
    org = make_organisation()
    activity = make_activity(org, basis_kind=BasisKind.CONTRACT)
    basis = activity.legal_basis
    log_in(client, make_user(superuser=True))

    page = client.post(consent_url("legalbasis", "delete", basis.pk), {"post": "yes"})

    # The refusal says what uses it (counted, not listed: a vocabulary entry may have a million
    # uses), and nothing is deleted.
    assert page.status_code == 200
    assert "Processing activity: 1" in page.content.decode()
    assert LegalBasis.objects.filter(pk=basis.pk).exists()


def test_current_notice_is_the_latest_in_force_per_organisation_and_language():
    org = make_organisation("allall")
    old = make_notice(org, "IT0101", "01", "az", effective_from=datetime.date(2025, 8, 21))
    new = make_notice(org, "IT0101", "02", "az", effective_from=datetime.date(2026, 3, 1))
    make_notice(org, "IT0101", "03", "az", effective_from=datetime.date(2099, 1, 1))  # not yet
    english = make_notice(org, "IT0101", "01", "en", effective_from=datetime.date(2025, 8, 21))
    other = make_notice(make_organisation("qonshu"), "QONSHU-PP", "1", "az")

    current = set(PrivacyNotice.objects.current(on=datetime.date(2026, 6, 1)))
    earlier = set(PrivacyNotice.objects.current(on=datetime.date(2025, 12, 1)))

    assert current == {new, english, other}
    assert earlier == {old, english, other}


def test_notice_list_marks_and_filters_the_current_version(client):
    org = make_organisation("allall")
    make_notice(org, "IT0101", "01", "az", effective_from=datetime.date(2025, 8, 21))
    make_notice(org, "IT0101", "02", "az", effective_from=datetime.date(2026, 1, 1))
    log_in(client, make_user(Role.COMPLIANCE, org))

    current = client.get(consent_url("privacynotice", "changelist") + "?version=current")
    others = client.get(consent_url("privacynotice", "changelist") + "?version=other")

    assert [row.edition for row in current.context["cl"].result_list] == ["02"]
    assert [row.edition for row in others.context["cl"].result_list] == ["01"]
