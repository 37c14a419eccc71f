"""Which rule governs a record, and when its retention runs out.

Precedence: a rule for the record's activity *and* category beats a rule for only one of them,
which beats a rule for neither (the organisation's default); among equally specific rules the
longest period wins (ties: the oldest rule, so the choice is stable).

Expiry: the clock starts at collection for "collection" rules and at ``clock_started_at`` (the
end of the relationship, the last activity, the withdrawal, the account closure) for the others;
no such date yet means no expiry yet. Months and years follow the civil-law reading: the period
ends on the same day of the final month, or on that month's last day when it has no such day
(31 January + 1 month = 28/29 February; 29 February + 1 year = 28 February). The same arithmetic
exists twice, in Python (for imports and tests) and as a SQL expression (for bulk recomputes),
and the tests hold them to the same answers.
"""

import datetime
from calendar import monthrange

from django.db import models, transaction
from django.db.models import F, Func, Q
from django.utils import timezone

from .models import (
    BatchStatus,
    PeriodUnit,
    Record,
    RecordStatus,
    RetentionRule,
    Trigger,
)

# Used only to compare lengths across units ("among equals the longest"): 60 months = 5 years.
_UNIT_DAYS = {PeriodUnit.DAYS: 1.0, PeriodUnit.MONTHS: 365.25 / 12, PeriodUnit.YEARS: 365.25}


def add_period(start, period, unit):
    if start is None:
        return None
    if unit == PeriodUnit.DAYS:
        return start + datetime.timedelta(days=period)
    months = period * 12 if unit == PeriodUnit.YEARS else period
    # relativedelta's arithmetic (the same day, or the month's last day), without building one:
    # an import computes an expiry for nearly every row of a batch.
    year, month = divmod(start.month - 1 + months, 12)
    year, month = start.year + year, month + 1
    return start.replace(year=year, month=month, day=min(start.day, monthrange(year, month)[1]))


def clock_start(rule, collected_at, clock_started_at):
    if rule is None:
        return None
    return collected_at if rule.trigger == Trigger.COLLECTION else clock_started_at


def expiry(rule, collected_at, clock_started_at):
    if rule is None:
        return None
    return add_period(clock_start(rule, collected_at, clock_started_at), rule.period, rule.unit)


def rule_length(rule):
    return rule.period * _UNIT_DAYS[rule.unit]


def precedence_key(rule):
    """Larger wins: specificity first, then length, then the oldest rule."""
    return (rule.specificity, rule_length(rule), -(rule.pk or 0))


def winning_rule(rules, activity_id, category_id):
    candidates = [
        rule
        for rule in rules
        if rule.activity_id in (None, activity_id) and rule.category_id in (None, category_id)
    ]
    return max(candidates, key=precedence_key, default=None)


class RuleBook:
    """An organisation's rules, loaded once; answers "which rule, which expiry" from memory."""

    def __init__(self, organisation_id):
        self.rules = list(RetentionRule.objects.filter(organisation_id=organisation_id))
        self._cache = {}

    def rule_for(self, activity_id, category_id):
        key = (activity_id, category_id)
        if key not in self._cache:
            self._cache[key] = winning_rule(self.rules, activity_id, category_id)
        return self._cache[key]

    def combinations(self, activity_ids, category_ids):
        """{rule: [(activity_id, category_id), ...]} for every pair, None activity included;
        pairs no rule covers are under None."""
        result = {}
        for category_id in category_ids:
            for activity_id in [None, *activity_ids]:
                rule = self.rule_for(activity_id, category_id)
                result.setdefault(rule, []).append((activity_id, category_id))
        return result


# --- The same arithmetic in SQL ---------------------------------------------------------------


class AddPeriod(Func):
    """``date + period`` in SQL with the month-end clamping of ``add_period``."""

    output_field = models.DateField()

    def __init__(self, expression, period, unit):
        super().__init__(expression)
        self.period, self.unit = int(period), unit

    @property
    def months(self):
        return self.period * 12 if self.unit == PeriodUnit.YEARS else self.period

    def as_postgresql(self, compiler, connection):
        sql, params = compiler.compile(self.source_expressions[0])
        if self.unit == PeriodUnit.DAYS:
            return f"(({sql})::date + %s)", [*params, self.period]
        # PostgreSQL clamps to the month's last day, as add_period does.
        return f"(({sql})::date + make_interval(months => %s))::date", [*params, self.months]

    def as_sqlite(self, compiler, connection):
        sql, params = compiler.compile(self.source_expressions[0])
        if self.unit == PeriodUnit.DAYS:
            return f"date({sql}, %s)", [*params, f"+{self.period} days"]
        # SQLite rolls 31 Jan + 1 month over into March; clamp to the target month's last day.
        return (
            f"min(date({sql}, %s), date({sql}, 'start of month', %s, '-1 day'))",
            [*params, f"+{self.months} months", *params, f"+{self.months + 1} months"],
        )

    def as_sql(self, compiler, connection, **extra):  # other databases: not supported
        raise NotImplementedError(connection.vendor)


def expiry_expression(rule, clock=None):
    """SQL for a record's expiry under ``rule``; ``clock`` overrides the clock-start column."""
    if clock is None:
        clock = F("collected_at") if rule.trigger == Trigger.COLLECTION else F("clock_started_at")
    return AddPeriod(clock, rule.period, rule.unit)


def _pairs_q(pairs):
    by_category = {}
    for activity_id, category_id in pairs:
        by_category.setdefault(category_id, []).append(activity_id)
    q = Q()
    for category_id, activity_ids in by_category.items():
        named = [a for a in activity_ids if a is not None]
        part = Q(activity_id__in=named) if named else Q(pk__in=[])
        if None in activity_ids:
            part |= Q(activity__isnull=True)
        q |= Q(category_id=category_id) & part
    return q


def recompute_organisation(organisation_id, *, today=None, on_total=None, progress=None):
    """Re-decide every live record's rule and expiry: one UPDATE per rule, set-based.

    Records already due whose new expiry lies in the future go back to active and leave their
    (still pending) batch. Returns the number of records updated.
    """
    from consent.models import ProcessingActivity
    from dpo_portal.register.models import DataCategory

    today = today or timezone.localdate()
    book = RuleBook(organisation_id)
    activity_ids = list(
        ProcessingActivity.objects.filter(organisation_id=organisation_id).values_list(
            "pk", flat=True
        )
    )
    category_ids = list(
        DataCategory.objects.filter(organisation_id=organisation_id).values_list("pk", flat=True)
    )
    live = Record.objects.filter(organisation_id=organisation_id).exclude(
        status=RecordStatus.DISPOSED
    )
    updated = 0
    groups = book.combinations(activity_ids, category_ids)
    if on_total:
        on_total(len(groups))
    with transaction.atomic():
        for rule, pairs in groups.items():
            records = live.filter(_pairs_q(pairs))
            if rule is None:
                updated += records.exclude(rule=None, expires_on=None).update(
                    rule=None, expires_on=None
                )
            else:
                updated += records.update(rule=rule, expires_on=expiry_expression(rule))
            if progress:
                progress(1)
        release_undue(organisation_id, today=today)
    return updated


def release_undue(organisation_id, *, today):
    """Due records that a rule change made not due any more go back to active, out of their
    pending batch, and the batches' counts follow."""
    from .models import DisposalBatch

    moved = Record.objects.filter(organisation_id=organisation_id, status=RecordStatus.DUE).filter(
        Q(expires_on__isnull=True) | Q(expires_on__gt=today),
        Q(disposal_batch__isnull=True) | Q(disposal_batch__status=BatchStatus.PENDING),
    )
    if moved.update(status=RecordStatus.ACTIVE, disposal_batch=None):
        for batch in DisposalBatch.objects.filter(
            organisation_id=organisation_id, status=BatchStatus.PENDING
        ):
            batch.record_count = batch.records.count()
            if batch.record_count:
                batch.save(update_fields=["record_count", "updated_at"])
            else:
                batch.delete()
