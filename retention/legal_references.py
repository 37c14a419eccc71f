"""Which legal references the organisations' rules rely on, and which of them nobody has checked
against the official text yet: the regimes they follow (every version in force today or
scheduled), the legal bases of those regimes, their retention rules and the state registration
rule. Set-based: a handful of queries whatever the number of rules."""

from collections import defaultdict

from django.db import connection
from django.db.models import BigIntegerField, CharField, F, Value
from django.db.models.functions import Cast
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
from dpo_portal.register.translation import in_language, language_columns

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
    # The rules citing a reference, from five tables in one UNION ALL: (table, version, names,
    # reference).
    for row in _citations(names, regime_codes, organisation_ids, countries):
        source = row["cited_source"]
        if source == "offer":
            where = _("%(version)s: request kinds") % {"version": names[row["cited_version"]]}
        elif source == "ground":
            where = _("%(version)s: refusal grounds") % {"version": names[row["cited_version"]]}
        elif source == "basis":
            where = _("Legal basis: %(name)s") % {"name": in_language(row, "name", "cited_")}
        elif source == "rule":
            where = _("Retention rule: %(name)s") % {"name": in_language(row, "name", "cited_")}
        else:
            where = _("State registration of information systems")
        uses[row["cited_reference"]].append(where)
    return {pk: sorted(set(where)) for pk, where in uses.items()}


def unverified_references_in_use(organisations, today=None):
    """[(reference, [where it is cited])] of the unverified references, by code."""
    uses = references_in_use(organisations, today)
    return [
        (reference, uses[reference.pk])
        for reference in LegalReference.objects.unverified().filter(pk__in=uses)
    ]


def _citations(version_ids, regime_codes, organisation_ids, countries):
    blank = Value("", output_field=CharField())
    no_version = Cast(Value(None), output_field=BigIntegerField())
    # Aliases of their own: "reference" and "version" are the tables' own field names.
    columns = (
        "cited_source",
        "cited_version",
        *language_columns("name", "cited_"),
        "cited_reference",
    )

    def cited(queryset, source, reference, version=no_version, names=(blank, blank)):
        name_columns = dict(zip(language_columns("name", "cited_"), names, strict=True))
        return (
            queryset.filter(**{f"{reference}__isnull": False})
            .order_by()
            .values()
            .annotate(
                cited_source=Value(source, output_field=CharField()),
                cited_version=version,
                **name_columns,
                cited_reference=F(reference),
            )
            .values(*columns)
        )

    languages = tuple(F(column) for column in language_columns("name"))
    parts = [
        cited(
            RequestKindOffer.objects.filter(version_id__in=version_ids),
            "offer",
            "reference_id",
            version=F("version_id"),
        ),
        cited(
            RefusalGround.objects.filter(version_id__in=version_ids),
            "ground",
            "reference_id",
            version=F("version_id"),
        ),
        cited(
            LegalBasis.objects.filter(regime__in=regime_codes),
            "basis",
            "reference_id",
            names=languages,
        ),
        cited(
            RetentionRule.objects.filter(organisation_id__in=organisation_ids),
            "rule",
            "reference_id",
            names=languages,
        ),
    ]
    registration = RegistrationRule.objects.filter(country__in=countries)
    parts += [
        cited(registration, "registration", f) for f in ("filing_reference_id", "fine_reference_id")
    ]
    # Each part read through a SELECT naming its columns: QuerySet.union() matches columns by
    # position, and the translated models' querysets put their name columns first.
    sql, params = [], []
    for n, part in enumerate(parts):
        part_sql, part_params = part.query.sql_with_params()
        sql.append(f"SELECT {', '.join(columns)} FROM ({part_sql}) cited_{n}")
        params.extend(part_params)
    with connection.cursor() as cursor:
        cursor.execute(" UNION ALL ".join(sql), params)
        return [dict(zip(columns, row, strict=True)) for row in cursor.fetchall()]
