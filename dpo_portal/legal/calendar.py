"""Working days: the `holidays` package as the base, corrected by the Cabinet's decisions the DPO
records in the admin.

The package models the Azerbaijani production calendar: public holidays, holidays falling on a
weekend carried to the next working day (its "observed" days, Labour Code art. 105.5), bayrams
that coincide with another holiday moved on (art. 105.6), and the Cabinet's swaps of rest and
working days of past years. Bayram dates of years the Cabinet has not decided yet are its
estimates: a recorded decision for the year replaces them with the confirmed days off.

Calendars are cached per process, keyed on a stamp of the decisions (how many days are recorded,
when one last changed): a decision saved on one machine is seen by every worker on its next
calendar lookup, with no restart and no settings change.
"""

import datetime
from functools import lru_cache

import holidays
from django.db.models import Count, Max
from django.db.models.signals import post_delete, post_save
from django.utils import translation

from dpo_portal.request_memo import forget, once_per_request

ESTIMATED_MARK = "estimated"


class WorkingCalendar:
    """Working days of one country: weekends, public holidays and their carried-over days,
    weekend days worked in exchange for a day off, corrected by the recorded decisions.

    ``decisions``: {year: (confirms_bayram_dates, {date: (is_day_off, name)})}.
    """

    def __init__(self, country="AZ", decisions=None):
        self.country = country
        try:
            self._holidays = holidays.country_holidays(country)
        except NotImplementedError:
            self._holidays = holidays.HolidayBase()  # weekends only
        self._decisions = decisions or {}
        self._decided_days = {
            day: entry
            for _confirms, days in self._decisions.values()
            for day, entry in days.items()
        }

    # --- What the package says, and what it only estimates

    def _package_day_off(self, day):
        # Looking the date up first populates its year, and with it the year's swapped weekend
        # working days, which is_working_day() reads without populating anything.
        if day in self._holidays:
            return True
        return not self._holidays.is_working_day(day)

    def is_estimated(self, day):
        """The package's day off on ``day`` is only its estimate of a bayram date, and no
        recorded decision has confirmed the year's dates."""
        confirms, _days = self._decisions.get(day.year, (False, {}))
        if confirms:
            return False
        name = self._names_in("en").get(day) or ""
        return ESTIMATED_MARK in name

    def is_working_day(self, day):
        if day in self._decided_days:
            return not self._decided_days[day][0]
        if day in self._holidays and self._dropped(day):
            return day.weekday() not in self._holidays.weekend
        return not self._package_day_off(day)

    def _dropped(self, day):
        """A package estimate in a year whose decision confirmed the bayram dates: the decision's
        own days off replace it."""
        confirms, _days = self._decisions.get(day.year, (False, {}))
        return confirms and ESTIMATED_MARK in (self._names_in("en").get(day) or "")

    def holiday_name(self, day):
        if day in self._decided_days:
            return self._decided_days[day][1]
        return self._holidays.get(day)

    def days_off_between(self, start, end):
        """[(date, name)] of the holidays and swapped days off in (start, end], weekends left
        out: what a DPO checks against the Cabinet's calendar. Names of bayram dates the
        Cabinet has not confirmed yet say "estimated"."""
        names = self._names_in(translation.get_language() or "az")
        result, day = [], start
        while day < end:
            day += datetime.timedelta(days=1)
            if day in self._decided_days:
                is_day_off, name = self._decided_days[day]
                if is_day_off:
                    result.append((day, name))
            elif day in self._holidays and not self.is_working_day(day):
                result.append((day, names.get(day) or self._holidays.get(day)))
        return result

    def estimated_days_between(self, start, end):
        """The days off in (start, end] that are only the package's estimates."""
        return [day for day, _name in self.days_off_between(start, end) if self.is_estimated(day)]

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

    # --- Counting

    def add_working_days(self, day, count):
        """The ``count``-th working day after ``day`` (``day`` itself is not counted)."""
        while count > 0:
            day += datetime.timedelta(days=1)
            if self.is_working_day(day):
                count -= 1
        return day

    def next_working_day(self, day):
        """``day`` itself when it is a working day, else the first one after it."""
        while not self.is_working_day(day):
            day += datetime.timedelta(days=1)
        return day

    def working_days_between(self, start, end):
        """Working days in (start, end]: 0 when end <= start."""
        count, day = 0, start
        while day < end:
            day += datetime.timedelta(days=1)
            count += self.is_working_day(day)
        return count


def package_calendar(country="AZ"):
    """The package alone, with no decisions: for pure date arithmetic without a database."""
    return _cached_calendar(str(country or "AZ").upper(), None)


def working_calendar(country="AZ"):
    """The package corrected by the recorded decisions: what every deadline uses."""
    from .models import CalendarDecision

    country = str(country or "AZ").upper()

    def stamp():
        # One query: any decision or day added, changed or removed changes the stamp.
        figures = CalendarDecision.objects.filter(country=country).aggregate(
            decision_count=Count("pk", distinct=True),
            decision_changed=Max("changed_at"),
            day_count=Count("days"),
            day_changed=Max("days__changed_at"),
        )
        return tuple(sorted(figures.items()))

    # Read once per page view: a request page asks the calendar for every deadline it shows.
    return _cached_calendar(country, once_per_request(("calendar", country), stamp))


def _calendar_changed(**kwargs):
    """A decision saved during a request is counted by that request's next lookup."""
    forget("calendar")


for _model in ("legal.CalendarDecision", "legal.CalendarDay"):
    post_save.connect(_calendar_changed, sender=_model, dispatch_uid=f"calendar-{_model}-save")
    post_delete.connect(_calendar_changed, sender=_model, dispatch_uid=f"calendar-{_model}-del")


@lru_cache(maxsize=32)
def _cached_calendar(country, stamp):
    if stamp is None:
        return WorkingCalendar(country)
    return WorkingCalendar(country, _decisions(country))


def _decisions(country):
    from .models import CalendarDay, CalendarDecision

    decisions = {
        year: (confirms, {})
        for year, confirms in CalendarDecision.objects.filter(country=country).values_list(
            "year", "confirms_bayram_dates"
        )
    }
    for year, day, kind, name in CalendarDay.objects.filter(decision__country=country).values_list(
        "decision__year", "day", "kind", "name"
    ):
        decisions[year][1][day] = (kind == CalendarDay.Kind.DAY_OFF, name)
    return decisions
