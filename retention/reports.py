"""The retention report for managers: per organisation, system and category, the records held, due
and on hold, those disposed in a period, the age of the oldest overdue record, and a daily trend
drawn from the snapshots; exported as CSV and XLSX with the same numbers.

Aggregates only: no query here selects a field of a record or of a data subject, so the Manager
role reads the report without any right on Record or DataSubject (permission
retention.view_retention_report, scoped to the user's organisations like everything else).

The figures of the table are live (one GROUP BY over the inventory), so they equal a direct count;
the trend comes from RetentionSnapshot rows, one per day (retention/snapshots.py).
"""

import datetime
from dataclasses import dataclass, field
from itertools import groupby

import tablib
from django.db.models import Count, Max, Min, OuterRef, Q, Subquery, Sum
from django.urls import NoReverseMatch, reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from dpo_portal import dashboard
from dpo_portal.dashboard import Panel, count, organisation_ids
from dpo_portal.register.models import DataCategory, Organisation, System
from dpo_portal.register.translation import in_language, language_columns
from dpo_portal.reports import (
    ReportAdmin,
    may_view_report,
)

from .models import DisposalBatch, Record, RecordStatus, RetentionSnapshot

PERM = "retention.view_retention_report"
DEFAULT_PERIOD_DAYS = 30
# Counts per row, in the order of the table, the exports and the snapshot's fields.
FIGURES = ("held", "due", "on_hold", "disposed", "oldest_overdue_days")
# The daily trend's series (snapshot sums), as labelled in the chart and the XLSX.
TREND = {
    "held": _("Records held"),
    "due": _("Due for disposal"),
    "on_hold": _("On hold"),
    "disposed": _("Disposed that day"),
}


def day_bounds(day):
    """The first instant of ``day`` and of the next day, in the portal's time zone."""
    start = timezone.make_aware(datetime.datetime.combine(day, datetime.time.min))
    end = timezone.make_aware(
        datetime.datetime.combine(day + datetime.timedelta(days=1), datetime.time.min)
    )
    return start, end


def record_figures(records=None, *, on, disposed_from, disposed_to):
    """The figures per organisation × system × category, in one aggregate query.

    held: not disposed; due: flagged due by the sweep and not yet disposed; on_hold: kept by a
    legal hold; disposed: disposed within [disposed_from, disposed_to); oldest_overdue_days: days
    since the expiry of the oldest record still due on ``on`` (None when nothing is overdue).
    """
    records = Record.objects.all() if records is None else records
    rows = (
        records.order_by()
        # By ids only: joining the names in before grouping costs 5x on a million records.
        .values("organisation_id", "system_id", "category_id")
        .annotate(
            held=Count("pk", filter=~Q(status=RecordStatus.DISPOSED)),
            due=Count("pk", filter=Q(status=RecordStatus.DUE)),
            on_hold=Count("pk", filter=Q(status=RecordStatus.ON_HOLD)),
            disposed=Count(
                "pk",
                filter=Q(
                    status=RecordStatus.DISPOSED,
                    disposed_at__gte=disposed_from,
                    disposed_at__lt=disposed_to,
                ),
            ),
            oldest_expiry=Min("expires_on", filter=Q(status=RecordStatus.DUE)),
        )
    )
    for row in rows:
        expiry = row.pop("oldest_expiry")
        row["oldest_overdue_days"] = max((on - expiry).days, 0) if expiry else None
        yield row


# --- the report -------------------------------------------------------------------------------


@dataclass
class Report:
    date_from: datetime.date
    date_to: datetime.date
    rows: list = field(default_factory=list)
    totals: dict = field(default_factory=dict)  # organisation id -> its figures summed up
    trend: list = field(default_factory=list)  # one dict per day that has snapshots

    def by_organisation(self):
        """[(organisation name, its rows, its totals)] for the page."""
        result = []
        for organisation_id, rows in groupby(self.rows, key=lambda row: row["organisation_id"]):
            rows = list(rows)
            result.append((rows[0]["organisation__name"], rows, self.totals[organisation_id]))
        return result

    def chart(self):
        """The trend as Chart.js wants it: labels (days) and one dataset per figure."""
        return {
            "labels": [day["taken_on"].isoformat() for day in self.trend],
            "datasets": [
                {"label": str(label), "data": [day[name] for day in self.trend]}
                for name, label in TREND.items()
            ],
        }


def _totals(rows):
    overdue = [row["oldest_overdue_days"] for row in rows if row["oldest_overdue_days"] is not None]
    return {
        **{name: sum(row[name] for row in rows) for name in FIGURES[:-1]},
        "oldest_overdue_days": max(overdue, default=None),
    }


def _add_names(rows):
    """The names of the rows' organisations, systems and categories: three small queries."""
    for key, model in (
        ("organisation", Organisation),
        ("system", System),
        ("category", DataCategory),
    ):
        ids = {row[f"{key}_id"] for row in rows}
        names = dict(model.objects.filter(pk__in=ids).values_list("pk", "name"))
        for row in rows:
            row[f"{key}__name"] = names[row[f"{key}_id"]]


def build_report(*, organisation_ids, date_from, date_to, today=None):
    today = today or timezone.localdate()
    start, end = day_bounds(date_from)[0], day_bounds(date_to)[1]
    records = Record.objects.filter(organisation_id__in=organisation_ids)
    rows = [
        row
        for row in record_figures(records, on=today, disposed_from=start, disposed_to=end)
        if any(row[name] for name in FIGURES)
    ]
    _add_names(rows)
    rows.sort(
        key=lambda r: (
            r["organisation__name"],
            r["organisation_id"],
            r["system__name"],
            r["category__name"],
        )
    )
    totals = {
        organisation_id: _totals(list(group))
        for organisation_id, group in groupby(rows, key=lambda row: row["organisation_id"])
    }
    trend = list(
        RetentionSnapshot.objects.filter(
            organisation_id__in=organisation_ids, taken_on__range=(date_from, date_to)
        )
        .order_by("taken_on")
        .values("taken_on")
        .annotate(
            held=Sum("held"),
            due=Sum("due"),
            on_hold=Sum("on_hold"),
            disposed=Sum("disposed_in_day"),
        )
    )
    return Report(date_from, date_to, rows, totals, trend)


# --- exports ----------------------------------------------------------------------------------


def _headers(report):
    return [
        str(_("Organisation")),
        str(_("System")),
        str(_("Data category")),
        str(TREND["held"]),
        str(TREND["due"]),
        str(TREND["on_hold"]),
        str(_("Disposed %(from)s – %(to)s") % {"from": report.date_from, "to": report.date_to}),
        str(_("Oldest overdue record (days)")),
    ]


def report_dataset(report):
    dataset = tablib.Dataset(headers=_headers(report), title=str(_("Retention report")))
    for row in report.rows:
        names = (row["organisation__name"], row["system__name"], row["category__name"])
        dataset.append([*names, *(row[n] for n in FIGURES)])
    return dataset


def trend_dataset(report):
    dataset = tablib.Dataset(
        headers=[str(_("Day")), *(str(label) for label in TREND.values())],
        title=str(_("Daily trend")),
    )
    for day in report.trend:
        dataset.append([day["taken_on"], *(day[name] for name in TREND)])
    return dataset


# --- the admin page ---------------------------------------------------------------------------


class RetentionReportAdmin(ReportAdmin):
    """Registered on the RetentionReport proxy: its entry in the admin index opens the report for
    every role that holds the report's permission, and for no one else."""

    permission = PERM
    title = _("Retention report")
    template = "retention/report.html"
    url_name = "retention_report"
    filename = "retention-report"

    def build(self, *, organisation_ids, date_from, date_to):
        return build_report(organisation_ids=organisation_ids, date_from=date_from, date_to=date_to)

    def datasets(self, report, fmt):
        return [report_dataset(report), trend_dataset(report)]


# --- the dashboard panel ----------------------------------------------------------------------

PANEL_SYSTEMS = 8
_SYSTEM_NAME_FIELDS = language_columns("name", prefix="system__")


def last_sweeps(organisations):
    """Per organisation (rows of Organisation, in order), when the sweep last finished and what
    it left standing (its ``retention.sweep_finished`` audit event), or None where no sweep has
    run yet: until then "nothing overdue" would be a guess. A dashboard placeholder (``rows``),
    read with the other panels'."""
    from dpo_portal.audit.models import AuditEvent

    latest = (
        AuditEvent.objects.filter(organisation=OuterRef("pk"), action="retention.sweep_finished")
        .order_by("-created_at", "-pk")
        .values("pk")[:1]
    )
    ids = [organisation.pk for organisation in organisations]
    events = (
        AuditEvent.objects.filter(
            pk__in=Organisation.objects.filter(pk__in=ids)
            .annotate(last=Subquery(latest))
            .values("last")
        )
        .order_by("pk")
        .values("organisation_id", "created_at", "details")
    )

    def by_organisation(events):
        found = {event["organisation_id"]: event for event in events}
        return [{"organisation": o.name, "event": found.get(o.pk)} for o in organisations]

    return dashboard.rows(events, then=by_organisation)


def _latest_snapshots(organisation_ids):
    """Each organisation's snapshot rows of its latest day: an OR of one (organisation, day)
    pair per organisation, the day an uncorrelated subquery read once on the snapshot_org_day
    index."""
    latest = Q(pk__in=[])
    for organisation_id in organisation_ids:
        day = (
            RetentionSnapshot.objects.filter(organisation_id=organisation_id)
            .order_by("-taken_on")
            .values("taken_on")[:1]
        )
        latest |= Q(organisation_id=organisation_id, taken_on=Subquery(day))
    return RetentionSnapshot.objects.filter(latest)


def overdue_by_system(organisation_ids, today):
    """The systems with the most overdue records, from each organisation's latest snapshot (a
    few rows per day on the snapshot_org_day index), not from the inventory: counting a
    million records' due ones on every dashboard view cost more than half a second. Returns
    dashboard placeholders (``rows``) for (the rows, the day of the oldest latest snapshot, or
    None when none is taken yet)."""
    figures = (
        _latest_snapshots(organisation_ids)
        .filter(due__gt=0)
        .order_by()
        .values("system_id", "organisation__name", "taken_on", *_SYSTEM_NAME_FIELDS)
        .annotate(count=Sum("due"), oldest_days=Max("oldest_overdue_days"))
        .order_by("-count", "system_id")[:PANEL_SYSTEMS]
    )

    def shown(rows):
        for row in rows:
            row["system__name"] = in_language(row, "name", prefix="system__")
            # The age today, not on the snapshot's day.
            row["oldest_days"] = (row["oldest_days"] or 0) + (today - row["taken_on"]).days
        return rows

    days = (
        _latest_snapshots(organisation_ids)
        .order_by()
        .values("organisation_id", "taken_on")
        .distinct()
        .order_by("organisation_id")
    )
    return dashboard.rows(figures, then=shown), dashboard.rows(
        days, then=lambda days: min((d["taken_on"] for d in days), default=None)
    )


def retention_panel(request, organisations):
    """Overdue records by system (from the daily snapshots) and batches awaiting a decision, read
    with the other panels' placeholders, for every role that reads the retention report
    (registered in retention/dashboard.py)."""
    if not may_view_report(request.user, PERM):
        return None
    ids = organisation_ids(request, organisations, PERM)
    today = timezone.localdate()
    overdue, figures_on = overdue_by_system(ids, today)
    batches_url = None
    if request.user.has_perm("retention.view_disposalbatch"):
        try:
            batches_url = reverse("admin:retention_disposalbatch_changelist")
        except NoReverseMatch:  # the batches' admin is not registered
            pass
    return Panel(
        title=_("Retention"),
        template="retention/dashboard_panel.html",
        context={
            "last_sweeps": last_sweeps([o for o in organisations if o.pk in ids]),
            "overdue": overdue,
            "figures_on": figures_on,
            "awaiting": count(
                DisposalBatch.objects.filter(organisation_id__in=ids).awaiting_decision(on=today)
            ),
            "batches_url": batches_url,
            "report_url": reverse("admin:retention_report"),
            "several_organisations": len(ids) > 1,
        },
    )
