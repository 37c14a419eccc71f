"""Regime versions as data: the shipped ones keep today's deadlines, a request follows the
version in force on its receipt date, and a version's own figures compute their own table."""

import datetime

import pytest
from django.utils import timezone

from dpo_portal.legal.models import Regime, RegimeVersion
from requests.deadlines import Event, calendar_for, compute_due, refusal_due, version_for
from tests.factories import make_organisation
from tests.requests.helpers import make_request
from tests.requests.test_deadline_calculator import (
    AZERBAIJAN_ANSWER,
    GDPR_CASES,
    PAUSES_AND_EXTENSIONS,
)

D = datetime.date
pytestmark = pytest.mark.django_db


def _shipped(code):
    return RegimeVersion.objects.of_regime(code).order_by("effective_from").first()


@pytest.mark.parametrize(("received", "due"), AZERBAIJAN_ANSWER)
def test_shipped_998_version_keeps_todays_answer_deadlines(received, due):
    version = version_for("az", received)
    assert version == _shipped("az")
    assert compute_due(version, received, (), calendar_for("AZ")) == (due, None)


@pytest.mark.parametrize(("received", "events", "expected"), PAUSES_AND_EXTENSIONS)
def test_shipped_998_version_keeps_pauses_and_extensions(received, events, expected):
    assert compute_due(_shipped("az"), received, events, calendar_for("AZ")) == expected


@pytest.mark.parametrize(("received", "events", "due"), GDPR_CASES)
def test_shipped_gdpr_version_keeps_the_month_deadlines(received, events, due):
    assert compute_due(_shipped("gdpr"), received, events)[0] == due


def test_shipped_998_refusal_stays_five_working_days():
    assert refusal_due(_shipped("az"), D(2026, 3, 13), calendar_for("AZ")) == D(2026, 3, 31)


def _new_version(effective_from, **figures):
    base = _shipped("az")
    fields = {
        f.name: getattr(base, f.name)
        for f in RegimeVersion._meta.concrete_fields
        if f.name not in ("id", "effective_from")
    }
    fields.update(name_en="New law", name_az="Yeni qanun", **figures)
    return RegimeVersion.objects.create(effective_from=effective_from, **fields)


def test_a_request_received_the_day_before_a_new_version_keeps_the_old_rule():
    switch = timezone.localdate() - datetime.timedelta(days=3)
    new = _new_version(switch, refusal_count=3)
    organisation = make_organisation()
    noon = datetime.time(12, tzinfo=timezone.get_current_timezone())
    before = make_request(
        organisation,
        received_at=datetime.datetime.combine(switch - datetime.timedelta(days=1), noon),
    )
    on_the_day = make_request(organisation, received_at=datetime.datetime.combine(switch, noon))
    assert before.regime_version == _shipped("az")
    assert on_the_day.regime_version == new
    cal = on_the_day.calendar
    assert before.refusal_due_on == cal.add_working_days(switch - datetime.timedelta(days=1), 5)
    assert on_the_day.refusal_due_on == cal.add_working_days(switch, 3)


TEN_CALENDAR_DAYS_FROM_RECEIPT = [
    # received, due: the receipt day is day 1, weekends and holidays count.
    pytest.param(D(2026, 3, 2), D(2026, 3, 11), id="plain-fortnight"),
    pytest.param(D(2026, 3, 14), D(2026, 3, 23), id="received-on-saturday-counts-it"),
    pytest.param(D(2026, 3, 18), D(2026, 3, 27), id="novruz-days-count-too"),
    pytest.param(D(2026, 2, 25), D(2026, 3, 6), id="across-february-end"),
    pytest.param(D(2028, 2, 25), D(2028, 3, 5), id="leap-year"),
]


@pytest.mark.parametrize(("received", "due"), TEN_CALENDAR_DAYS_FROM_RECEIPT)
def test_a_ten_calendar_day_version_counted_from_receipt(received, due):
    version = _new_version(
        D(2027, 1, 1),
        answer_count=10,
        answer_unit="calendar_days",
        counting_starts="receipt_day",
        third_party_extension_count=5,
        third_party_extension_unit="calendar_days",
        refusal_count=0,
    )
    cal = calendar_for("AZ")
    assert compute_due(version, received, (), cal) == (due, None)
    # A refusal is due with the answer; a third party adds 5 calendar days; a pause gives back
    # the calendar days waited.
    assert refusal_due(version, received, cal) == due
    third_party = [Event("third_party_extension", received)]
    assert compute_due(version, received, third_party, cal)[0] == due + datetime.timedelta(5)
    paused = [Event("pause", received), Event("resume", received + datetime.timedelta(4))]
    assert compute_due(version, received, paused, cal)[0] == due + datetime.timedelta(4)


def test_shipped_data_names_both_regimes_with_their_kinds_and_grounds():
    az = _shipped("az")
    assert str(Regime.objects.get(code="az").version_on(D(2026, 12, 1))) == az.name
    assert az.kinds.count() == 12 and not az.kinds.filter(kind="portability").exists()
    assert _shipped("gdpr").kinds.filter(kind="portability").exists()
    assert az.refusal_grounds.get(code="tax_records").reference.citation_en == "Tax Code, art. 71.4"
