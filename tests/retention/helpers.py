"""Builders for retention tests: an organisation with a system, a category and rules."""

import datetime
import itertools

from retention.models import EndAction, PeriodUnit, Record, RetentionRule, Trigger
from retention.rules import expiry
from tests.consent.helpers import make_activity, make_consent  # noqa: F401 (re-exported)
from tests.factories import make_category, make_organisation, make_subject, make_system

_seq = itertools.count(1)


def make_rule(organisation, code=None, **fields):
    code = code or f"rule{next(_seq)}"
    fields.setdefault("name", f"Rule {code}")
    fields.setdefault("period", 5)
    fields.setdefault("unit", PeriodUnit.YEARS)
    fields.setdefault("trigger", Trigger.COLLECTION)
    fields.setdefault("end_action", EndAction.ERASE)
    fields.setdefault("legal_reference", "Tax Code art. 71.4")
    return RetentionRule.objects.create(organisation=organisation, code=code, **fields)


def make_record(organisation, *, subject=None, system, category, rule=None, **fields):
    subject = subject or make_subject(organisation)
    fields.setdefault("external_id", f"R{next(_seq)}")
    fields.setdefault("collected_at", datetime.date(2015, 1, 10))
    fields.setdefault(
        "expires_on", expiry(rule, fields["collected_at"], fields.get("clock_started_at"))
    )
    return Record.objects.create(
        organisation=organisation,
        subject=subject,
        system=system,
        category=category,
        rule=rule,
        **fields,
    )


def retention_world(slug=None):
    """An organisation with one system, one category and a 5-year rule from collection."""
    organisation = make_organisation(slug)
    system = make_system(organisation, code="core")
    category = make_category(organisation, code="txn")
    rule = make_rule(organisation, category=category, legal_reference="Tax Code art. 71.4")
    return organisation, system, category, rule
