"""The retention report: its numbers equal a direct count of the inventory, another organisation's
never appear, the period is validated, and the exports carry the same numbers.

Homemark (the user's organisation) holds records in every state over two systems; Othermark
(not theirs) holds records too, with figures that would stand out if they leaked.
"""

import csv
import datetime
import io

import openpyxl
import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from retention.models import Record, RecordStatus
from tests.factories import make_category, make_organisation, make_system, make_user
from tests.register.helpers import log_in
from tests.retention import helpers

REPORT_URL = "admin:retention_report"
TODAY = timezone.localdate()


def days_ago(n):
    return TODAY - datetime.timedelta(days=n)


def make_record(organisation, system, category, status=RecordStatus.ACTIVE, **fields):
    """A record in ``status``; ``disposed_days_ago`` disposes it that many days ago."""
    disposed_days_ago = fields.pop("disposed_days_ago", None)
    if disposed_days_ago is not None:
        status = RecordStatus.DISPOSED
        fields["disposed_at"] = timezone.now() - datetime.timedelta(days=disposed_days_ago)
    return helpers.make_record(
        organisation, system=system, category=category, status=status, **fields
    )


def build_inventory(organisation, mark):
    """Records in every state over two systems and two categories of ``organisation``."""
    core = make_system(organisation, name=f"{mark} core banking")
    crm = make_system(organisation, name=f"{mark} CRM")
    kyc = make_category(organisation, name=f"{mark} identity documents")
    contact = make_category(organisation, name=f"{mark} contact details")
    for _ in range(3):
        make_record(organisation, core, kyc, expires_on=days_ago(-400))
    make_record(organisation, core, kyc, RecordStatus.DUE, expires_on=days_ago(10))
    make_record(organisation, core, kyc, RecordStatus.DUE, expires_on=days_ago(40))
    make_record(organisation, core, kyc, RecordStatus.ON_HOLD, expires_on=days_ago(90))
    make_record(organisation, core, kyc, disposed_days_ago=2)
    make_record(organisation, core, kyc, disposed_days_ago=60)
    make_record(organisation, crm, contact, expires_on=days_ago(-10))
    make_record(organisation, crm, contact, RecordStatus.DUE, expires_on=days_ago(5))
    make_record(organisation, crm, kyc, disposed_days_ago=1)
    return {"systems": [core, crm], "categories": [kyc, contact]}


def direct_counts(organisation, date_from, date_to):
    """The report's figures counted one by one, straight from the inventory."""
    start = timezone.make_aware(datetime.datetime.combine(date_from, datetime.time.min))
    end = timezone.make_aware(
        datetime.datetime.combine(date_to + datetime.timedelta(days=1), datetime.time.min)
    )
    counts = {}
    records = Record.objects.filter(organisation=organisation)
    for system_id, category_id in set(records.values_list("system_id", "category_id")):
        mine = records.filter(system_id=system_id, category_id=category_id)
        oldest_due = mine.filter(status=RecordStatus.DUE).order_by("expires_on").first()
        counts[(system_id, category_id)] = {
            "held": mine.exclude(status=RecordStatus.DISPOSED).count(),
            "due": mine.filter(status=RecordStatus.DUE).count(),
            "on_hold": mine.filter(status=RecordStatus.ON_HOLD).count(),
            "disposed": mine.filter(disposed_at__gte=start, disposed_at__lt=end).count(),
            "oldest_overdue_days": (TODAY - oldest_due.expires_on).days if oldest_due else None,
        }
    return counts


@pytest.fixture
def home(db):
    return make_organisation(name="Homemark Bank")


@pytest.fixture
def other(db):
    organisation = make_organisation(name="Othermark Telecom")
    inventory = build_inventory(organisation, "Othermark")
    # A figure no row of Homemark has, so that a leak would show.
    make_record(
        organisation,
        inventory["systems"][0],
        inventory["categories"][0],
        RecordStatus.DUE,
        expires_on=days_ago(777),
    )
    return organisation


@pytest.fixture
def manager(home):
    from dpo_portal.register.models import Role

    return make_user(Role.MANAGER, home)


def report(client, user, **params):
    # In English, the language the assertions are written in (the portal defaults to az).
    return log_in(client, user).get(reverse(REPORT_URL), params, HTTP_ACCEPT_LANGUAGE="en")


def figures_of(rows):
    return {
        (row["system_id"], row["category_id"]): {
            name: row[name]
            for name in ("held", "due", "on_hold", "disposed", "oldest_overdue_days")
        }
        for row in rows
    }


def test_report_numbers_equal_a_direct_count_of_the_inventory(client, home, other, manager):
    build_inventory(home, "Homemark")
    date_from, date_to = days_ago(30), TODAY

    response = report(client, manager, date_from=date_from, date_to=date_to)

    assert response.status_code == 200
    assert figures_of(response.context["report"].rows) == direct_counts(home, date_from, date_to)
    # The page shows them too: the core banking × identity documents row, as a person reads it.
    page = response.content.decode()
    assert "Homemark core banking" in page and "Homemark identity documents" in page


def test_narrowing_the_period_counts_only_disposals_within_it(client, home, manager):
    build_inventory(home, "Homemark")

    last_week = report(client, manager, date_from=days_ago(7), date_to=TODAY)
    two_months = report(client, manager, date_from=days_ago(90), date_to=TODAY)

    disposed = lambda response: sum(r["disposed"] for r in response.context["report"].rows)  # noqa: E731
    assert disposed(last_week) == 2
    assert disposed(two_months) == 3
    assert figures_of(last_week.context["report"].rows) == direct_counts(home, days_ago(7), TODAY)


def test_another_organisations_numbers_never_appear(client, home, other, manager):
    build_inventory(home, "Homemark")

    page = report(client, manager)
    asked_for_other = report(client, manager, organisation=other.pk)
    csv_export = report(client, manager, format="csv")

    assert {row["organisation_id"] for row in page.context["report"].rows} == {home.pk}
    assert "Othermark" not in page.content.decode()
    assert "777" not in page.content.decode()
    # Naming the other organisation in the URL is refused, not obeyed.
    assert asked_for_other.context["report"] is None
    assert "Othermark" not in asked_for_other.content.decode()
    assert "Othermark" not in csv_export.content.decode()


def test_a_period_that_ends_before_it_starts_is_refused_with_a_readable_message(
    client, home, manager
):
    build_inventory(home, "Homemark")

    response = report(client, manager, date_from=days_ago(1), date_to=days_ago(10))
    download = report(client, manager, date_from=days_ago(1), date_to=days_ago(10), format="xlsx")

    assert response.status_code == 200
    assert "The period cannot start after it ends" in response.content.decode()
    assert response.context["report"] is None
    # No file for a period that makes no sense: the page with the message instead.
    assert download["Content-Type"].startswith("text/html")


def test_an_unreadable_date_is_refused(client, home, manager):
    response = report(client, manager, date_from="31.02.2026")

    assert "Enter a valid date." in response.content.decode()
    assert response.context["report"] is None


def test_csv_and_xlsx_exports_hold_the_same_numbers_as_the_page(client, home, other, manager):
    build_inventory(home, "Homemark")
    params = {"date_from": days_ago(30), "date_to": TODAY}
    shown = report(client, manager, **params).context["report"].rows
    expected = [
        [
            row["system__name"],
            row["category__name"],
            row["held"],
            row["due"],
            row["on_hold"],
            row["disposed"],
            row["oldest_overdue_days"],
        ]
        for row in shown
    ]

    csv_response = report(client, manager, format="csv", **params)
    xlsx_response = report(client, manager, format="xlsx", **params)

    assert "attachment" in csv_response["Content-Disposition"]
    csv_rows = list(csv.reader(io.StringIO(csv_response.content.decode())))[1:]
    assert [[r[1], r[2], *(int(v) if v else None for v in r[3:])] for r in csv_rows] == expected
    sheet = openpyxl.load_workbook(io.BytesIO(xlsx_response.content)).worksheets[0]
    xlsx_rows = [list(r) for r in sheet.iter_rows(min_row=2, values_only=True)]
    assert [r[1:] for r in xlsx_rows] == expected
    assert {r[0] for r in xlsx_rows} == {"Homemark Bank"}


def test_the_report_page_asks_the_same_few_queries_however_large_the_inventory(
    client, home, manager
):
    build_inventory(home, "Small")
    report(client, manager)  # the session and the caches settle
    with CaptureQueriesContext(connection) as small:
        report(client, manager)
    for mark in ("Second", "Third", "Fourth"):
        build_inventory(home, mark)
    with CaptureQueriesContext(connection) as large:
        response = report(client, manager)

    assert len(response.context["report"].rows) == 4 * 3
    assert len(large) == len(small)
