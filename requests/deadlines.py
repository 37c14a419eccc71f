"""When a subject request must be answered.

Azerbaijan (Law on Personal Data): 7 working days counted from the next working day after
receipt; 7 more working days where a third party must supply data; a reasoned refusal within 5
working days. Working days follow the Azerbaijani production calendar as the `holidays` package
models it: public holidays, holidays falling on a weekend carried to the next working day (its
"observed" days, Labour Code art. 105.5), Ramazan and Qurban bayrams that coincide with another
holiday moved on (art. 105.6), and the Cabinet's yearly swaps of rest and working days (a
"substituted" day off plus a weekend day that becomes a working day). Bayram dates of years the
Cabinet has not confirmed yet are the package's estimates; correct them in
settings.REQUEST_CALENDAR_OVERRIDES once the decision is published.

GDPR (Art. 12(3)): one month, month-end safe (31 January + 1 month = 28/29 February), extendable
by up to two further months, the subject told with reasons within the first month.

The clock stops while the DPO waits for information to confirm identity and starts again when it
arrives: the due date moves by the working days (Azerbaijan) or days (GDPR) the request waited.
A pause begun after the due date does not cure lateness.

Everything here except `recompute_due_on` and `urgency_expression` is a pure function of dates.
"""

import calendar
import datetime
from dataclasses import dataclass
from functools import cache

import holidays
from django.conf import settings
from django.utils import timezone, translation

from dpo_portal.register.models import Regime

DEFAULT_RULES = {
    Regime.AZERBAIJAN: {
        "working_days": 7,
        "third_party_working_days": 7,
        "refusal_working_days": 5,
    },
    Regime.GDPR: {
        "months": 1,
        "max_extension_months": 2,
    },
}

# "Due soon" in the triage queue and the reminders: due within this many working days.
DUE_SOON_WORKING_DAYS = 2


def rules(regime):
    configured = getattr(settings, "REQUEST_DEADLINES", {}).get(str(regime), {})
    return {**DEFAULT_RULES[regime], **configured}


# --- Calendars --------------------------------------------------------------------------------


class WorkingCalendar:
    """Working days of one country: weekends, public holidays and their carried-over days,
    weekend days worked in exchange for a day off, plus the portal's own overrides."""

    def __init__(self, country="AZ", overrides=None):
        self.country = country
        try:
            self._holidays = holidays.country_holidays(country)
        except NotImplementedError:
            self._holidays = holidays.HolidayBase()  # weekends only
        overrides = overrides or {}
        self._extra_holidays = {_as_date(d) for d in overrides.get("holidays", ())}
        self._extra_workdays = {_as_date(d) for d in overrides.get("workdays", ())}

    def is_working_day(self, day):
        if day in self._extra_workdays:
            return True
        if day in self._extra_holidays:
            return False
        # Looking the date up first populates its year, and with it the year's swapped weekend
        # working days, which is_working_day() reads without populating anything.
        if day in self._holidays:
            return False
        return self._holidays.is_working_day(day)

    def holiday_name(self, day):
        return self._holidays.get(day)

    def days_off_between(self, start, end):
        """[(date, name)] of the holidays and swapped days off in (start, end], weekends left
        out: what a DPO checks against the Cabinet's calendar. Names of bayram dates the
        Cabinet has not confirmed yet say "estimated"."""
        names = self._names_in(translation.get_language() or "az")
        result, day = [], start
        while day < end:
            day += datetime.timedelta(days=1)
            if day in self._extra_holidays:
                result.append((day, ""))
            elif day in self._holidays and not self.is_working_day(day):
                result.append((day, names.get(day) or self._holidays.get(day)))
        return result

    def _names_in(self, language):
        """The same calendar with its names in ``language`` (the package knows az and en_US)."""
        code = "az" if language.startswith("az") else "en_US"
        cache_ = self.__dict__.setdefault("_named", {})
        if code not in cache_:
            try:
                cache_[code] = holidays.country_holidays(self.country, language=code)
            except (NotImplementedError, ValueError):
                cache_[code] = self._holidays
        return cache_[code]

    def add_working_days(self, day, count):
        """The ``count``-th working day after ``day`` (``day`` itself is not counted)."""
        while count > 0:
            day += datetime.timedelta(days=1)
            if self.is_working_day(day):
                count -= 1
        return day

    def working_days_between(self, start, end):
        """Working days in (start, end]: 0 when end <= start."""
        count, day = 0, start
        while day < end:
            day += datetime.timedelta(days=1)
            count += self.is_working_day(day)
        return count


def _as_date(value):
    return value if isinstance(value, datetime.date) else datetime.date.fromisoformat(value)


@cache
def _calendar(country, overrides_key):
    overrides = getattr(settings, "REQUEST_CALENDAR_OVERRIDES", {}).get(country, {})
    return WorkingCalendar(country, overrides)


def calendar_for(country):
    country = str(country or "AZ").upper()
    overrides = getattr(settings, "REQUEST_CALENDAR_OVERRIDES", {}).get(country, {})
    # Key the cache on the overrides too, so tests overriding settings get a fresh calendar.
    return _calendar(country, repr(sorted((k, tuple(v)) for k, v in overrides.items())))


def organisation_calendar(organisation):
    return calendar_for(getattr(organisation.country, "code", organisation.country))


# --- Month arithmetic -------------------------------------------------------------------------


def add_months(day, months):
    """Same day ``months`` later, or the last day of that month when it is shorter."""
    month_index = day.month - 1 + months
    year, month = day.year + month_index // 12, month_index % 12 + 1
    return day.replace(
        year=year, month=month, day=min(day.day, calendar.monthrange(year, month)[1])
    )


# --- The calculator ---------------------------------------------------------------------------


@dataclass(frozen=True)
class Event:
    """A deadline event as the calculator sees it (DeadlineEvent without the database)."""

    kind: str  # pause, resume, extension, third_party_extension
    on: datetime.date
    months: int | None = None


def initial_due(regime, received_on, cal, working_days=None):
    if regime == Regime.GDPR:
        return add_months(received_on, rules(regime)["months"])
    # add_working_days starts on the day after receipt and counts working days only, so the
    # first counted day is the next working day after receipt.
    return cal.add_working_days(received_on, working_days or rules(regime)["working_days"])


def refusal_due(regime, received_on, cal, events=()):
    """By when a reasoned refusal must go out: Azerbaijan 5 working days, moved by the pauses
    (a refusal needs no third party's data, so that extension does not count); GDPR within the
    month of the answer."""
    if regime == Regime.GDPR:
        return compute_due(regime, received_on, events, cal)[0]
    pauses = [e for e in events if e.kind in ("pause", "resume")]
    return compute_due(
        regime, received_on, pauses, cal, working_days=rules(regime)["refusal_working_days"]
    )[0]


def compute_due(regime, received_on, events=(), cal=None, *, working_days=None):
    """The due date after replaying ``events`` (in date order) over the initial deadline.

    Returns (due_on, paused_since): paused_since is the date of a pause not yet resumed.
    Extensions beyond what the regime allows are ignored here; the services refuse them.
    ``working_days`` replaces the regime's answer period (Azerbaijan), e.g. for a refusal.
    """
    cal = cal or calendar_for("AZ")
    if regime == Regime.GDPR:
        return _compute_gdpr(received_on, events)
    regime_rules = rules(regime)
    due = initial_due(regime, received_on, cal, working_days)
    paused_since, third_party_added = None, False
    for event in sorted(events, key=lambda e: e.on):
        if event.kind == "pause" and paused_since is None:
            paused_since = event.on
        elif event.kind == "resume" and paused_since is not None:
            # The working days the request waited are given back, unless it was late already.
            if paused_since <= due:
                due = cal.add_working_days(due, cal.working_days_between(paused_since, event.on))
            paused_since = None
        elif event.kind == "third_party_extension" and not third_party_added:
            due = cal.add_working_days(due, regime_rules["third_party_working_days"])
            third_party_added = True
    return due, paused_since


def _compute_gdpr(received_on, events):
    # Months count from the receipt date, so 31 January + 3 months is 30 April even though
    # 31 January + 1 month is 28 February; paused days are added on top.
    regime_rules = rules(Regime.GDPR)
    months, paused_days, paused_since = regime_rules["months"], 0, None

    def due():
        return add_months(received_on, months) + datetime.timedelta(days=paused_days)

    for event in sorted(events, key=lambda e: e.on):
        if event.kind == "pause" and paused_since is None:
            paused_since = event.on
        elif event.kind == "resume" and paused_since is not None:
            if paused_since <= due():
                paused_days += max((event.on - paused_since).days, 0)
            paused_since = None
        elif event.kind == "extension":
            allowed = regime_rules["months"] + regime_rules["max_extension_months"]
            months = min(months + (event.months or 0), allowed)
    return due(), paused_since


def local_date(moment):
    return timezone.localtime(moment).date() if timezone.is_aware(moment) else moment.date()


def recompute_due_on(request, save=True):
    """Set ``request.due_on`` from its receipt date and its deadline events."""
    organisation = request.organisation
    request.due_on, _paused = compute_due(
        organisation.regime,
        local_date(request.received_at),
        request.deadline_event_list(),
        organisation_calendar(organisation),
    )
    if save:
        request.save(update_fields=["due_on", "updated_at"])
    return request.due_on


def working_days_to_close(request, cal):
    return cal.working_days_between(local_date(request.received_at), local_date(request.closed_at))


# --- Urgency, in SQL --------------------------------------------------------------------------


def due_soon_limits(on=None):
    """{organisation id: last date counted as "due soon"} for every organisation."""
    from dpo_portal.register.models import Organisation

    on = on or timezone.localdate()
    by_country = {}
    for pk, country in Organisation.objects.values_list("pk", "country"):
        by_country.setdefault(str(country), []).append(pk)
    return {
        pk: calendar_for(country).add_working_days(on, DUE_SOON_WORKING_DAYS)
        for country, pks in by_country.items()
        for pk in pks
    }


def urgency_expression(on=None):
    """Annotations ``urgency`` and ``urgency_rank`` for SubjectRequest querysets."""
    from django.db.models import Case, IntegerField, Q, Value, When
    from django.db.models.fields import CharField

    from .models import OPEN_STATUSES, URGENCY_ORDER, RequestStatus, Urgency

    on = on or timezone.localdate()
    limits = due_soon_limits(on)
    by_limit = {}
    for pk, limit in limits.items():
        by_limit.setdefault(limit, []).append(pk)
    due_soon = Q(pk__in=[])
    for limit, pks in by_limit.items():
        due_soon |= Q(organisation_id__in=pks, due_on__lte=limit)
    whens = [
        (~Q(status__in=OPEN_STATUSES), Urgency.CLOSED),
        (Q(status=RequestStatus.PAUSED), Urgency.PAUSED),
        (Q(due_on__lt=on), Urgency.OVERDUE),
        (due_soon, Urgency.DUE_SOON),
    ]
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
