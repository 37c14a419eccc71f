"""Which rule governs a record, and when its retention runs out."""

import datetime

import pytest

from retention.models import PeriodUnit, Record, RetentionRule, Trigger
from retention.rules import add_period, expiry, recompute_organisation, winning_rule
from tests.factories import make_category, make_organisation, make_system

from .helpers import make_activity, make_record, make_rule

D = datetime.date


@pytest.mark.parametrize(
    ("start", "period", "unit", "expected"),
    [
        (D(2024, 1, 31), 1, PeriodUnit.MONTHS, D(2024, 2, 29)),  # leap February's last day
        (D(2023, 1, 31), 1, PeriodUnit.MONTHS, D(2023, 2, 28)),
        (D(2024, 3, 31), 1, PeriodUnit.MONTHS, D(2024, 4, 30)),  # 30-day month
        (D(2024, 2, 29), 1, PeriodUnit.YEARS, D(2025, 2, 28)),  # 29 Feb, no 29 Feb next year
        (D(2024, 2, 29), 4, PeriodUnit.YEARS, D(2028, 2, 29)),  # ...but four years on there is
        (D(2024, 2, 29), 12, PeriodUnit.MONTHS, D(2025, 2, 28)),
        (D(2024, 2, 28), 1, PeriodUnit.MONTHS, D(2024, 3, 28)),  # same day, not month end
        (D(2023, 12, 31), 2, PeriodUnit.MONTHS, D(2024, 2, 29)),
        (D(2024, 12, 31), 30, PeriodUnit.DAYS, D(2025, 1, 30)),
        (D(2024, 2, 28), 1, PeriodUnit.DAYS, D(2024, 2, 29)),
        (D(2020, 6, 15), 5, PeriodUnit.YEARS, D(2025, 6, 15)),
    ],
)
def test_periods_end_on_the_same_day_or_the_month_end(start, period, unit, expected):
    assert add_period(start, period, unit) == expected


@pytest.mark.parametrize(
    ("trigger", "clock", "expected"),
    [
        (Trigger.COLLECTION, None, D(2025, 3, 1)),
        (Trigger.COLLECTION, D(2022, 5, 5), D(2025, 3, 1)),  # the clock date does not matter
        (Trigger.RELATIONSHIP_END, D(2022, 5, 5), D(2027, 5, 5)),
        (Trigger.RELATIONSHIP_END, None, None),  # relationship still running: no expiry yet
        (Trigger.LAST_ACTIVITY, D(2021, 8, 31), D(2026, 8, 31)),
        (Trigger.LAST_ACTIVITY, None, None),
        (Trigger.CONSENT_WITHDRAWAL, D(2024, 2, 29), D(2029, 2, 28)),
        (Trigger.CONSENT_WITHDRAWAL, None, None),
        (Trigger.ACCOUNT_CLOSURE, D(2023, 10, 1), D(2028, 10, 1)),
        (Trigger.ACCOUNT_CLOSURE, None, None),
    ],
)
def test_each_trigger_starts_the_clock_at_its_own_event(trigger, clock, expected):
    rule = RetentionRule(period=5, unit=PeriodUnit.YEARS, trigger=trigger)
    assert expiry(rule, D(2020, 3, 1), clock) == expected


def test_no_rule_means_no_expiry():
    assert expiry(None, D(2020, 3, 1), None) is None


def _rule(pk, activity=None, category=None, period=1, unit=PeriodUnit.YEARS):
    return RetentionRule(
        pk=pk, activity_id=activity, category_id=category, period=period, unit=unit
    )


BOTH = _rule(1, activity=10, category=20, period=1)
CATEGORY_ONLY_LONG = _rule(2, category=20, period=10)
ACTIVITY_ONLY = _rule(3, activity=10, period=3)
DEFAULT = _rule(4, period=50)
CATEGORY_ONLY_SHORT_MONTHS = _rule(5, category=20, period=119, unit=PeriodUnit.MONTHS)
OTHER_CATEGORY = _rule(6, category=99, period=100)


@pytest.mark.parametrize(
    ("rules", "activity", "category", "winner"),
    [
        # activity + category beats everything, even much longer rules
        ([BOTH, CATEGORY_ONLY_LONG, ACTIVITY_ONLY, DEFAULT], 10, 20, BOTH),
        # among one-sided rules the longest wins (10 years > 3 years)
        ([CATEGORY_ONLY_LONG, ACTIVITY_ONLY, DEFAULT], 10, 20, CATEGORY_ONLY_LONG),
        # 10 years beat 119 months, across units
        ([CATEGORY_ONLY_SHORT_MONTHS, CATEGORY_ONLY_LONG], None, 20, CATEGORY_ONLY_LONG),
        ([ACTIVITY_ONLY, DEFAULT], 10, 20, ACTIVITY_ONLY),
        # a rule for neither is the fallback
        ([DEFAULT, OTHER_CATEGORY], 10, 20, DEFAULT),
        # rules for another activity or category never apply
        ([OTHER_CATEGORY, BOTH], 11, 20, None),
        ([BOTH], None, 20, None),
    ],
)
def test_most_specific_rule_wins_and_among_equals_the_longest(rules, activity, category, winner):
    assert winning_rule(rules, activity, category) == winner


@pytest.mark.django_db
def test_changing_a_rule_recomputes_expiry_in_the_database_as_in_python():
    organisation = make_organisation()
    system, category = make_system(organisation), make_category(organisation)
    activity = make_activity(organisation)
    general = make_rule(organisation, category=category, period=1, unit=PeriodUnit.MONTHS)
    starts = [D(2024, 1, 31), D(2023, 12, 31), D(2024, 2, 29), D(2024, 3, 31)]
    records = [
        make_record(
            organisation, system=system, category=category, rule=general, collected_at=start
        )
        for start in starts
    ]
    specific = make_rule(
        organisation,
        activity=activity,
        category=category,
        period=13,
        unit=PeriodUnit.MONTHS,
        trigger=Trigger.LAST_ACTIVITY,
    )
    Record.objects.filter(pk=records[0].pk).update(
        activity=activity, clock_started_at=D(2024, 1, 31)
    )
    Record.objects.filter(pk=records[1].pk).update(activity=activity)  # no clock yet

    recompute_organisation(organisation.pk, today=D(2020, 1, 1))

    got = {r.pk: (r.rule_id, r.expires_on) for r in Record.objects.all()}
    assert got[records[0].pk] == (specific.pk, D(2025, 2, 28))
    assert got[records[1].pk] == (specific.pk, None)
    assert got[records[2].pk] == (general.pk, D(2024, 3, 29))
    assert got[records[3].pk] == (general.pk, D(2024, 4, 30))


@pytest.mark.django_db
def test_a_record_no_rule_covers_any_more_loses_its_expiry():
    organisation = make_organisation()
    system, category = make_system(organisation), make_category(organisation)
    rule = make_rule(organisation, category=category)
    record = make_record(organisation, system=system, category=category, rule=rule, subject=None)
    assert record.expires_on is not None
    rule.category = make_category(organisation)
    rule.save()
    recompute_organisation(organisation.pk)
    record.refresh_from_db()
    assert (record.rule_id, record.expires_on) == (None, None)
