"""Builders for the consent tests: activities, notices, consents, and admin URLs."""

import datetime
import itertools
from importlib import import_module

from django.apps import apps
from django.urls import reverse
from django.utils import timezone

from consent.models import BasisKind, Consent, LegalBasis, PrivacyNotice, ProcessingActivity
from dpo_portal.register.models import Regime

_seq = itertools.count(1)


def ensure_legal_bases():
    """The legal bases the data migration seeds. A transactional test (browser, Celery) empties
    every table when it ends, so tests that run after one put them back the same way."""
    import_module("consent.migrations.0003_seed_legal_bases").seed(apps, None)


def basis(kind, regime=Regime.AZERBAIJAN):
    """A seeded legal basis."""
    ensure_legal_bases()
    return LegalBasis.objects.get(regime=regime, kind=kind)


def make_activity(organisation, code=None, *, basis_kind=BasisKind.CONTRACT, **fields):
    code = code or f"act{next(_seq)}"
    fields.setdefault("name", f"Activity {code}")
    fields.setdefault("purpose", f"Purpose of {code}")
    if basis_kind is not None and "legal_basis" not in fields:
        fields["legal_basis"] = basis(basis_kind)
    if fields.get("legal_basis") and fields["legal_basis"].kind == BasisKind.LEGITIMATE_INTERESTS:
        fields.setdefault("legitimate_interest_assessment", "Balanced: low impact.")
    return ProcessingActivity.objects.create(organisation=organisation, code=code, **fields)


def make_notice(organisation, registry_number="IT0101", edition="01", language="az", **fields):
    fields.setdefault("title", "Məxfilik siyasəti")
    fields.setdefault("effective_from", datetime.date(2025, 8, 21))
    fields.setdefault("text", "…")
    return PrivacyNotice.objects.create(
        organisation=organisation,
        registry_number=registry_number,
        edition=edition,
        language=language,
        **fields,
    )


def make_consent(subject, activity, **fields):
    fields.setdefault("given_at", timezone.now() - datetime.timedelta(days=10))
    fields.setdefault("channel", "web")
    return Consent.objects.create(
        organisation_id=subject.organisation_id, subject=subject, activity=activity, **fields
    )


def consent_url(model_name, view, *args):
    return reverse(f"admin:consent_{model_name}_{view}", args=args)
