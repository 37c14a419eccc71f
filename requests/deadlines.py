"""When a subject request must be answered: the calculator over a regime version's figures.

The figures are data (dpo_portal/legal: RegimeVersion): a count and a unit (working days,
calendar days, months) for the answer, the third-party extension, the maximum extension and the
reasoned refusal, and the day counting starts. A request follows the version in force on the day
it was received (`version_for`). Passing a regime code instead ("az", "gdpr") uses that regime's
shipped figures, which needs no database.

Counting: the start day is the day of receipt or the next working day after it. A period in days
ends on its last counted day, the start day being the first (7 working days from the next working
day after receipt: the 7th working day after receipt). A period in months ends on the same date
that many months after the start, month-end safe (31 January + 1 month = 28/29 February).

The clock stops while the DPO waits for information to confirm identity and starts again when it
arrives: the due date moves by the working days (working-day periods) or days (others) the request
waited. A pause begun after the due date does not cure lateness. Extensions beyond what the
version allows are ignored here; the services refuse them.

Working days come from dpo_portal/legal/calendar.py: the `holidays` package corrected by the
Cabinet's decisions the DPO records in the admin.

Everything here except `version_for`, `recompute_due_on` and `urgency_expression` is a pure
function of dates.
"""

import calendar
import datetime
from dataclasses import dataclass

from django.db.models import Q
from django.utils import timezone

from dpo_portal.legal.calendar import package_calendar, working_calendar
from dpo_portal.legal.models import PeriodUnit, RegimeVersion
from dpo_portal.legal.rules import DeadlineRules

# "Due soon" in the triage queue and the reminders: due within this many working days.
DUE_SOON_WORKING_DAYS = 2


def rules_of(regime):
    """DeadlineRules from a regime code (its shipped figures), a RegimeVersion or rules."""
    if isinstance(regime, DeadlineRules):
        return regime
    if isinstance(regime, RegimeVersion):
        return regime.rules()
    return DeadlineRules.shipped(regime)


def version_for(regime_code, received_on):
    """The version of the regime in force on the day of receipt (None before the first)."""
    return RegimeVersion.objects.of_regime(regime_code).in_force_on(received_on).first()


# --- Calendars --------------------------------------------------------------------------------


def calendar_for(country):
    """The `holidays` package's calendar of ``country`` alone: date arithmetic without the
    database (the portal itself counts on `organisation_calendar`)."""
    return package_calendar(country)


def organisation_calendar(organisation):
    """The organisation's working calendar, with the Cabinet's decisions recorded so far."""
    return working_calendar(getattr(organisation.country, "code", organisation.country))


# --- Period arithmetic ------------------------------------------------------------------------


def add_months(day, months):
    """Same day ``months`` later, or the last day of that month when it is shorter."""
    month_index = day.month - 1 + months
    year, month = day.year + month_index // 12, month_index % 12 + 1
    return day.replace(
        year=year, month=month, day=min(day.day, calendar.monthrange(year, month)[1])
    )


def shift(day, count, unit, cal):
    """``day`` moved on by ``count`` of ``unit``."""
    if unit == PeriodUnit.WORKING_DAYS:
        return cal.add_working_days(day, count)
    if unit == PeriodUnit.MONTHS:
        return add_months(day, count)
    return day + datetime.timedelta(days=count)


def period_end(received_on, count, unit, counting_starts, cal):
    """The last day of a period of ``count`` ``unit`` counted from the receipt."""
    if counting_starts == "receipt_day":
        start = received_on
    else:
        start = cal.next_working_day(received_on + datetime.timedelta(days=1))
    if unit == PeriodUnit.MONTHS:
        return add_months(start, count)
    if unit == PeriodUnit.WORKING_DAYS:
        # The start day counts as the first when it is a working day.
        return cal.add_working_days(cal.next_working_day(start), count - 1)
    return start + datetime.timedelta(days=count - 1)


# --- The calculator ---------------------------------------------------------------------------


@dataclass(frozen=True)
class Event:
    """A deadline event as the calculator sees it (DeadlineEvent without the database)."""

    kind: str  # pause, resume, extension, third_party_extension
    on: datetime.date
    months: int | None = None  # an extension's length, in the version's extension unit


def initial_due(regime, received_on, cal, working_days=None):
    rules = rules_of(regime)
    count, unit = rules.answer_count, rules.answer_unit
    if working_days:
        count, unit = working_days, PeriodUnit.WORKING_DAYS
    return period_end(received_on, count, unit, rules.counting_starts, cal)


def refusal_due(regime, received_on, cal, events=()):
    """By when a reasoned refusal must go out: its own period where the version has one, moved
    by the pauses (a refusal needs no third party's data, so that extension does not count);
    otherwise with the answer."""
    rules = rules_of(regime)
    if not rules.refusal_count:
        return compute_due(rules, received_on, events, cal)[0]
    pauses = [e for e in events if e.kind in ("pause", "resume")]
    refusal_rules = rules.with_answer_period(rules.refusal_count, rules.refusal_unit)
    return compute_due(refusal_rules, received_on, pauses, cal)[0]


def compute_due(regime, received_on, events=(), cal=None, *, working_days=None):
    """The due date after replaying ``events`` (in date order) over the initial deadline.

    Returns (due_on, paused_since): paused_since is the date of a pause not yet resumed.
    ``working_days`` replaces the version's answer period, e.g. for a refusal.
    """
    rules = rules_of(regime)
    if working_days:
        rules = rules.with_answer_period(working_days, PeriodUnit.WORKING_DAYS)
    cal = cal or package_calendar(rules.calendar_country)
    unit = rules.answer_unit
    waited_unit = PeriodUnit.WORKING_DAYS if unit == PeriodUnit.WORKING_DAYS else "calendar_days"
    extended, third_party_added, waited, paused_since = 0, False, 0, None

    def due():
        # An extension in the answer's unit counts from the receipt (31 January + 3 months is
        # 30 April even though 31 January + 1 month is 28 February); another unit adds on top.
        same_unit = rules.max_extension_unit == unit
        count = rules.answer_count + (extended if same_unit else 0)
        day = period_end(received_on, count, unit, rules.counting_starts, cal)
        if extended and not same_unit:
            day = shift(day, extended, rules.max_extension_unit, cal)
        if third_party_added:
            day = shift(
                day, rules.third_party_extension_count, rules.third_party_extension_unit, cal
            )
        return shift(day, waited, waited_unit, cal) if waited else day

    for event in sorted(events, key=lambda e: e.on):
        if event.kind == "pause" and paused_since is None:
            paused_since = event.on
        elif event.kind == "resume" and paused_since is not None:
            # The days the request waited are given back, unless it was late already.
            if paused_since <= due():
                if waited_unit == PeriodUnit.WORKING_DAYS:
                    waited += cal.working_days_between(paused_since, event.on)
                else:
                    waited += max((event.on - paused_since).days, 0)
            paused_since = None
        elif (
            event.kind == "third_party_extension"
            and rules.third_party_extension_count
            and not third_party_added
        ):
            third_party_added = True
        elif event.kind == "extension" and rules.max_extension_count:
            extended = min(extended + (event.months or 0), rules.max_extension_count)
    return due(), paused_since


def extension_notice_due(regime, received_on, cal, events=()):
    """By when the person must be told of an extension and why (GDPR: within the first month),
    moved by the pauses."""
    rules = rules_of(regime)
    notice_rules = rules.with_answer_period(
        rules.extension_notice_count or rules.answer_count, rules.extension_notice_unit
    )
    pauses = [e for e in events if e.kind in ("pause", "resume")]
    return compute_due(notice_rules, received_on, pauses, cal)[0]


def local_date(moment):
    return timezone.localtime(moment).date() if timezone.is_aware(moment) else moment.date()


def recompute_due_on(request, save=True):
    """Set ``request.regime_version`` (the version in force on its receipt date) and
    ``request.due_on`` from it and the request's deadline events."""
    organisation = request.organisation
    received_on = local_date(request.received_at)
    request.regime_version = version_for(organisation.regime, received_on)
    request.due_on, _paused = compute_due(
        request.regime_version or organisation.regime,
        received_on,
        request.deadline_event_list(),
        organisation_calendar(organisation),
    )
    if save:
        request.save(update_fields=["regime_version", "due_on", "updated_at"])
    return request.due_on


def working_days_to_close(request, cal):
    return cal.working_days_between(local_date(request.received_at), local_date(request.closed_at))


# --- Urgency, in SQL --------------------------------------------------------------------------


def due_soon_limits(on=None, organisations=None):
    """{organisation id: last date counted as "due soon"} for every organisation, or for
    ``organisations`` (rows already read, e.g. the dashboard's)."""
    from dpo_portal.register.models import Organisation

    on = on or timezone.localdate()
    by_country = {}
    if organisations is None:
        countries = Organisation.objects.values_list("pk", "country")
    else:
        countries = [(organisation.pk, organisation.country) for organisation in organisations]
    for pk, country in countries:
        by_country.setdefault(str(country), []).append(pk)
    return {
        pk: working_calendar(country).add_working_days(on, DUE_SOON_WORKING_DAYS)
        for country, pks in by_country.items()
        for pk in pks
    }


def urgency_whens(on=None, organisations=None):
    """The urgency rules, in order, as (condition, urgency) pairs; a request that meets none is
    on track. Works out every organisation's due-soon limit: once per page view (the admin
    keeps the result on the request)."""
    from .models import OPEN_STATUSES, RequestStatus, Urgency

    on = on or timezone.localdate()
    limits = due_soon_limits(on, organisations)
    by_limit = {}
    for pk, limit in limits.items():
        by_limit.setdefault(limit, []).append(pk)
    due_soon = Q(pk__in=[])
    for limit, pks in by_limit.items():
        due_soon |= Q(organisation_id__in=pks, due_on__lte=limit)
    return [
        (~Q(status__in=OPEN_STATUSES), Urgency.CLOSED),
        (Q(status=RequestStatus.PAUSED), Urgency.PAUSED),
        (Q(due_on__lt=on), Urgency.OVERDUE),
        (due_soon, Urgency.DUE_SOON),
    ]


def urgency_condition(urgency, whens):
    """The requests of one urgency as a plain WHERE condition (its rule and none of the earlier
    ones), which the indexes on status and due_on serve; filtering on the CASE annotation
    evaluated it for every request."""
    from .models import Urgency

    condition = Q()
    for rule, value in whens:
        if value == urgency:
            return condition & rule
        condition &= ~rule
    return condition if urgency == Urgency.ON_TRACK else Q(pk__in=[])


def urgency_expression(on=None, whens=None):
    """Annotations ``urgency`` and ``urgency_rank`` for SubjectRequest querysets."""
    from django.db.models import Case, IntegerField, Value, When
    from django.db.models.fields import CharField

    from .models import URGENCY_ORDER, Urgency

    whens = whens if whens is not None else urgency_whens(on)
    return {
        "urgency": Case(
            *[When(condition, then=Value(str(value))) for condition, value in whens],
            default=Value(str(Urgency.ON_TRACK)),
            output_field=CharField(),
        ),
        "urgency_rank": Case(
            *[When(condition, then=Value(URGENCY_ORDER[value])) for condition, value in whens],
            default=Value(URGENCY_ORDER[Urgency.ON_TRACK]),
            output_field=IntegerField(),
        ),
    }
