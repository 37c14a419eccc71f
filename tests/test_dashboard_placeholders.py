"""The dashboard reads every panel's placeholders in one statement and gives the panel the same
values the ORM would have: rows in their order with dates, times and JSON as Python values,
several counts from one pass, and a panel with nothing to show left out."""

import datetime

import pytest
from django.db import connection
from django.db.models import Q
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from dpo_portal.dashboard import Panel, _read_placeholders, count, count_each, rows
from retention.models import SweepRun

pytestmark = pytest.mark.django_db


def runs():
    started = timezone.now().replace(microsecond=0)
    for n, ids in enumerate([[3, 1], None, [2]]):
        SweepRun.objects.create(
            day=datetime.date(2026, 11, 20 + n),
            organisation_ids=ids,
            started_at=started - datetime.timedelta(hours=n),
        )
    return started


def read(context):
    panel = Panel(title="t", template="t.html", context=context)
    with CaptureQueriesContext(connection) as captured:
        _read_placeholders([panel])
    return panel.context, len(captured.captured_queries)


def test_rows_come_in_their_order_as_the_orm_gives_them():
    started = runs()
    queryset = SweepRun.objects.order_by("-day").values("day", "started_at", "organisation_ids")

    context, queries = read({"runs": rows(queryset), "all": count(SweepRun.objects.all())})

    assert queries == 1
    assert context["runs"] == list(queryset)
    assert context["runs"][0] == {
        "day": datetime.date(2026, 11, 22),
        "started_at": started - datetime.timedelta(hours=2),
        "organisation_ids": [2],
    }
    assert context["all"] == 3


def test_several_counts_in_the_one_statement_and_what_then_makes_of_them():
    runs()
    everything = SweepRun.objects.all()

    context, queries = read(
        {
            "counts": count_each(
                everything,
                then=lambda counts: sorted(counts.items()),
                late=Q(day__gte=datetime.date(2026, 11, 21)),
                none=Q(day__year=1999),
                impossible=Q(pk__in=[]),
            ),
            "days": rows(everything.order_by("day").values("day"), then=len),
        }
    )

    assert queries == 1
    assert context["counts"] == [("impossible", 0), ("late", 2), ("none", 0)]
    assert context["days"] == 3


def test_no_rows_read_as_an_empty_list():
    context, _queries = read({"runs": rows(SweepRun.objects.order_by("pk").values("pk"))})

    assert context["runs"] == []
