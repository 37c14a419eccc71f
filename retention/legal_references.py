"""Which legal references the organisations' rules rely on, and which of them nobody has checked
against the official text yet: the regimes they follow (every version in force today or
scheduled), the legal bases of those regimes, their retention rules and the state registration
rule. Set-based: a handful of queries whatever the number of rules."""

from collections import defaultdict

from django.utils import timezone
from django.utils.translation import gettext as _

from consent.models import LegalBasis
from dpo_portal.legal.models import (
    LegalReference,
    RefusalGround,
    RegimeVersion,
    RegistrationRule,
    RequestKindOffer,
)
from dpo_portal.register.models import Organisation

from .models import RetentionRule

VERSION_REFERENCES = ("law", "answer_reference", "extension_reference", "refusal_reference")


def _current_and_scheduled_versions(regime_codes, today):
    keep = []
    by_regime = defaultdict(list)
    for version in RegimeVersion.objects.filter(regime__code__in=regime_codes).select_related(
        "regime"
    ):
        by_regime[version.regime.code].append(version)
    for of_regime in by_regime.values():
        in_force = [v for v in of_regime if v.effective_from <= today]
        if in_force:
            keep.append(max(in_force, key=lambda v: v.effective_from))
        keep.extend(v for v in of_regime if v.effective_from > today)
    return keep


def references_in_use(organisations, today=None):
    """{reference id: [where it is cited]} for the organisations' regimes and rules
    (``organisations``: rows of Organisation, or their ids)."""
    today = today or timezone.localdate()
    if not all(isinstance(o, Organisation) for o in organisations):
        organisations = list(Organisation.objects.filter(pk__in=organisations))
    organisation_ids = [o.pk for o in organisations]
    regime_codes = {o.regime for o in organisations}
    countries = {str(o.country) for o in organisations}
    uses = defaultdict(list)

    versions = _current_and_scheduled_versions(regime_codes, today)
    for version in versions:
        for name in VERSION_REFERENCES:
            reference_id = getattr(version, f"{name}_id")
            if reference_id:
                uses[reference_id].append(str(version))
    names = {v.pk: str(v) for v in versions}
    for version_id, reference_id in RequestKindOffer.objects.filter(
        version_id__in=names, reference__isnull=False
    ).values_list("version_id", "reference_id"):
        uses[reference_id].append(_("%(version)s: request kinds") % {"version": names[version_id]})
    for version_id, reference_id in RefusalGround.objects.filter(
        version_id__in=names, reference__isnull=False
    ).values_list("version_id", "reference_id"):
        uses[reference_id].append(
            _("%(version)s: refusal grounds") % {"version": names[version_id]}
        )
    for name, reference_id in LegalBasis.objects.filter(
        regime__in=regime_codes, reference__isnull=False
    ).values_list("name", "reference_id"):
        uses[reference_id].append(_("Legal basis: %(name)s") % {"name": name})
    for name, reference_id in RetentionRule.objects.filter(
        organisation_id__in=organisation_ids, reference__isnull=False
    ).values_list("name", "reference_id"):
        uses[reference_id].append(_("Retention rule: %(name)s") % {"name": name})
    for rule in RegistrationRule.objects.filter(country__in=countries):
        for reference_id in (rule.filing_reference_id, rule.fine_reference_id):
            if reference_id:
                uses[reference_id].append(_("State registration of information systems"))
    return {pk: sorted(set(where)) for pk, where in uses.items()}


def unverified_references_in_use(organisations, today=None):
    """[(reference, [where it is cited])] of the unverified references, by code."""
    uses = references_in_use(organisations, today)
    return [
        (reference, uses[reference.pk])
        for reference in LegalReference.objects.unverified().filter(pk__in=uses)
    ]
