"""Daily retention snapshots: one row per organisation × system × category per day, with the same
figures as the inventory, and a second run the same day overwrites instead of duplicating."""

import datetime

import pytest
from django.conf import settings
from django.utils import timezone

from retention.models import RecordStatus, RetentionSnapshot
from retention.snapshots import take_snapshots
from retention.tasks import take_retention_snapshots
from tests.factories import make_category, make_organisation, make_system
from tests.retention.test_report import TODAY, build_inventory, days_ago, make_record

pytestmark = pytest.mark.django_db


def snapshot_figures(organisation, on=TODAY):
    return {
        (s.system.name, s.category.name): (
            s.held,
            s.due,
            s.on_hold,
            s.disposed_in_day,
            s.oldest_overdue_days,
        )
        for s in RetentionSnapshot.objects.filter(organisation=organisation, taken_on=on)
    }


def test_a_snapshot_holds_one_row_per_system_and_category_with_the_days_figures():
    home = make_organisation(name="Homemark Bank")
    build_inventory(home, "H")

    take_snapshots(on=TODAY)

    assert snapshot_figures(home) == {
        # held, due, on hold, disposed that day, age of the oldest overdue record in days
        ("H core banking", "H identity documents"): (6, 2, 1, 0, 40),
        ("H CRM", "H contact details"): (2, 1, 0, 0, 5),
    }


def test_records_disposed_that_day_are_counted_for_that_day_only():
    home = make_organisation()
    system, category = make_system(home, name="Ledger"), make_category(home, name="Payments")
    make_record(home, system, category, disposed_days_ago=0)
    make_record(home, system, category, expires_on=days_ago(-5))

    take_snapshots(on=TODAY)
    take_snapshots(on=days_ago(-1))

    assert snapshot_figures(home, TODAY) == {("Ledger", "Payments"): (1, 0, 0, 1, None)}
    assert snapshot_figures(home, days_ago(-1)) == {("Ledger", "Payments"): (1, 0, 0, 0, None)}


def test_a_second_run_the_same_day_overwrites_and_never_duplicates():
    home = make_organisation()
    system, category = make_system(home, name="Ledger"), make_category(home, name="Payments")
    due = make_record(home, system, category, RecordStatus.DUE, expires_on=days_ago(3))
    take_snapshots(on=TODAY)
    first = RetentionSnapshot.objects.get()

    due.status, due.disposed_at = RecordStatus.DISPOSED, timezone.now()
    due.save()
    take_snapshots(on=TODAY)
    take_snapshots(on=TODAY)

    again = RetentionSnapshot.objects.get()  # still exactly one row
    assert again.pk == first.pk
    assert (again.held, again.due, again.disposed_in_day, again.oldest_overdue_days) == (
        0,
        0,
        1,
        None,
    )


def test_earlier_days_stay_as_they_were_taken():
    home = make_organisation()
    system, category = make_system(home, name="Ledger"), make_category(home, name="Payments")
    make_record(home, system, category, expires_on=days_ago(-5))
    take_snapshots(on=days_ago(1))

    make_record(home, system, category, expires_on=days_ago(-5))
    take_snapshots(on=TODAY)

    assert snapshot_figures(home, days_ago(1)) == {("Ledger", "Payments"): (1, 0, 0, 0, None)}
    assert snapshot_figures(home, TODAY) == {("Ledger", "Payments"): (2, 0, 0, 0, None)}


def test_the_snapshot_task_runs_daily_from_celery_beat():
    home = make_organisation()
    build_inventory(home, "H")

    entries = [
        entry
        for entry in settings.CELERY_BEAT_SCHEDULE.values()
        if entry["task"] == "retention.tasks.take_retention_snapshots"
    ]
    kept = take_retention_snapshots()

    assert len(entries) == 1
    assert entries[0]["schedule"].remaining_estimate(timezone.now()) <= datetime.timedelta(days=1)
    assert kept == 2
    assert RetentionSnapshot.objects.filter(organisation=home, taken_on=TODAY).count() == 2
