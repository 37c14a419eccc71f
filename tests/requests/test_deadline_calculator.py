"""The deadline calculator on the Azerbaijani calendar and under the GDPR.

Every expected date below was counted by hand on the official production calendar (holidays,
their carried-over days and the Cabinet's swaps of rest and working days); the comment of each
row lists the working days counted.
"""

import datetime

import pytest
from django.test import override_settings
from django.utils import translation

from requests.deadlines import Event, add_months, calendar_for, compute_due, refusal_due

D = datetime.date
AZ, GDPR = "az", "gdpr"


@pytest.fixture
def az_calendar():
    return calendar_for("AZ")


AZERBAIJAN_ANSWER = [
    # received, due, working days counted
    pytest.param(
        D(2025, 3, 14),
        D(2025, 4, 4),
        id="novruz-and-ramazan-2025-with-swapped-day-off",
        # 17 18 19 | Novruz 20–24, carried over 25–26, swapped 27–28, Ramazan 30–31 | 1 2 3 4
    ),
    pytest.param(
        D(2026, 3, 13),
        D(2026, 4, 2),
        id="ramazan-on-novruz-2026-moves-to-next-working-days",
        # 16 17 18 19 | 20–30 off (Ramazan on Novruz carried to 25 and 30) | 31 1 2
    ),
    pytest.param(
        D(2025, 6, 4),
        D(2025, 6, 18),
        id="qurban-2025-on-a-weekend-and-liberation-day-carried-over",
        # 5 | Qurban 6–7, carried to 9 | 10 11 12 13 | 15 (Sun) carried to 16 | 17 18
    ),
    pytest.param(
        D(2026, 5, 22),
        D(2026, 6, 5),
        id="qurban-on-independence-day-2026",
        # 25 26 | Qurban 27–28, 28 also Independence Day so 29 is off | 1 2 3 4 5
    ),
    pytest.param(
        D(2024, 12, 27),
        D(2025, 1, 10),
        id="year-end-2024-with-worked-weekend",
        # Sat 28 and Sun 29 are working days, 30 and 3 Jan off in exchange | 28 29 6 7 8 9 10
    ),
    pytest.param(
        D(2026, 12, 24),
        D(2027, 1, 7),
        id="year-end-2026-new-year-carried-over",
        # 25 28 29 30 | 31 Solidarity Day, 1–2 New Year, 2 (Sat) carried to 4 Jan | 5 6 7
    ),
    pytest.param(
        D(2025, 6, 7),
        D(2025, 6, 19),
        id="received-on-a-holiday-counts-from-next-working-day",
        # received on Qurban (Sat); 9 is carried over | 10 11 12 13 17 18 19
    ),
    pytest.param(
        D(2027, 3, 5),
        D(2027, 3, 19),
        id="estimated-ramazan-2027-after-womens-day",
        # 8 Women's Day, 9–10 Ramazan (estimated) | 11 12 15 16 17 18 19
    ),
]


@pytest.mark.parametrize(("received", "due"), AZERBAIJAN_ANSWER)
def test_azerbaijani_answer_is_due_on_the_seventh_working_day(received, due, az_calendar):
    assert compute_due(AZ, received, (), az_calendar) == (due, None)


@pytest.mark.parametrize(
    ("received", "due"),
    [
        (D(2026, 3, 13), D(2026, 3, 31)),  # 16 17 18 19 | Novruz and Ramazan | 31
        (D(2024, 12, 27), D(2025, 1, 8)),  # 28 29 (worked weekend) | 6 7 8
    ],
)
def test_reasoned_refusal_is_due_within_five_working_days(received, due, az_calendar):
    assert refusal_due(AZ, received, az_calendar) == due


PAUSES_AND_EXTENSIONS = [
    pytest.param(
        D(2026, 3, 13),
        [Event("third_party_extension", D(2026, 3, 16))],
        (D(2026, 4, 13), None),
        id="third-party-adds-seven-working-days",
        # due 2 Apr, then 3 6 7 8 9 10 13
    ),
    pytest.param(
        D(2026, 3, 13),
        [
            Event("third_party_extension", D(2026, 3, 16)),
            Event("third_party_extension", D(2026, 3, 17)),
        ],
        (D(2026, 4, 13), None),
        id="third-party-extension-only-once",
    ),
    pytest.param(
        D(2026, 5, 22),
        [Event("pause", D(2026, 5, 25)), Event("resume", D(2026, 6, 2))],
        (D(2026, 6, 10), None),
        id="pause-across-qurban-gives-back-the-working-days-waited",
        # waited 26, 1, 2 (27–29 May are holidays): due 5 Jun + 3 working days
    ),
    pytest.param(
        D(2026, 5, 22),
        [Event("pause", D(2026, 5, 25))],
        (D(2026, 6, 5), D(2026, 5, 25)),
        id="pause-not-yet-resumed-reports-since-when",
    ),
    pytest.param(
        D(2026, 5, 22),
        [Event("pause", D(2026, 5, 25)), Event("resume", D(2026, 5, 25))],
        (D(2026, 6, 5), None),
        id="information-arriving-the-same-day-moves-nothing",
    ),
    pytest.param(
        D(2026, 3, 2),
        [Event("pause", D(2026, 3, 16)), Event("resume", D(2026, 3, 18))],
        (D(2026, 3, 12), None),
        id="pause-after-the-due-date-does-not-cure-lateness",
        # 3 4 5 6 | 8 Women's Day (Sun) carried to 9 | 10 11 12; paused on the 16th, too late
    ),
    pytest.param(
        D(2026, 12, 24),
        [
            Event("pause", D(2026, 12, 29)),
            Event("resume", D(2027, 1, 5)),
            Event("third_party_extension", D(2027, 1, 6)),
        ],
        (D(2027, 1, 21), None),
        id="pause-over-year-end-then-third-party",
        # due 7 Jan; waited 30 Dec and 5 Jan → 8 11; +7 → 12 13 14 15 18 19 | 20 Martyrs' Day | 21
    ),
]


@pytest.mark.parametrize(("received", "events", "expected"), PAUSES_AND_EXTENSIONS)
def test_azerbaijani_pauses_and_extensions(received, events, expected, az_calendar):
    assert compute_due(AZ, received, events, az_calendar) == expected


GDPR_CASES = [
    pytest.param(D(2026, 1, 31), [], D(2026, 2, 28), id="31-january-plus-a-month-is-28-february"),
    pytest.param(D(2028, 1, 31), [], D(2028, 2, 29), id="leap-year-29-february"),
    pytest.param(D(2026, 3, 31), [], D(2026, 4, 30), id="31-march-to-30-april"),
    pytest.param(D(2026, 12, 15), [], D(2027, 1, 15), id="across-year-end"),
    pytest.param(
        D(2026, 1, 31),
        [Event("extension", D(2026, 2, 10), months=2)],
        D(2026, 4, 30),
        id="extension-counts-three-months-from-receipt",
    ),
    pytest.param(
        D(2026, 1, 15),
        [
            Event("extension", D(2026, 1, 20), months=2),
            Event("extension", D(2026, 2, 1), months=2),
        ],
        D(2026, 4, 15),
        id="no-more-than-two-extra-months",
    ),
    pytest.param(
        D(2026, 1, 31),
        [Event("pause", D(2026, 2, 10)), Event("resume", D(2026, 2, 20))],
        D(2026, 3, 10),
        id="pause-adds-the-days-waited",
    ),
]


@pytest.mark.parametrize(("received", "events", "due"), GDPR_CASES)
def test_gdpr_month_deadlines(received, events, due):
    assert compute_due(GDPR, received, events)[0] == due


def test_add_months_keeps_the_day_or_takes_the_month_end():
    assert add_months(D(2026, 1, 31), 1) == D(2026, 2, 28)
    assert add_months(D(2026, 11, 30), 3) == D(2027, 2, 28)
    assert add_months(D(2026, 5, 15), 12) == D(2027, 5, 15)


def test_calendar_overrides_correct_an_estimated_bayram_date():
    # The Cabinet announced a different date than the estimate: 11 March 2027 off, 10 March on.
    with override_settings(
        REQUEST_CALENDAR_OVERRIDES={"AZ": {"holidays": ["2027-03-11"], "workdays": ["2027-03-10"]}}
    ):
        due, _ = compute_due(AZ, D(2027, 3, 5), (), calendar_for("AZ"))
    # 10 12 15 16 17 18 19
    assert due == D(2027, 3, 19)
    assert not calendar_for("AZ").is_working_day(D(2027, 3, 10))


def test_the_days_off_counted_are_named_and_estimated_bayrams_say_so(az_calendar):
    with translation.override("en"):
        days_off = az_calendar.days_off_between(D(2027, 3, 5), D(2027, 3, 19))
    assert days_off == [
        (D(2027, 3, 8), "Women's Day"),
        (D(2027, 3, 9), "Eid al-Fitr (estimated)"),
        (D(2027, 3, 10), "Eid al-Fitr (estimated)"),
    ]
    with translation.override("az"):
        names = [name for _day, name in az_calendar.days_off_between(D(2027, 3, 5), D(2027, 3, 19))]
    assert names[1] == "Ramazan bayrami (təxmini)"
