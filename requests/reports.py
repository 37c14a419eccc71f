"""The request report for managers: requests per month by kind and outcome, the share answered
on time, and the median working days to close; a chart and an XLSX export.

Aggregates only: the queries select months, kinds, statuses, dates and counts, never a requester
or a subject, so the Manager role reads it with requests.report_subjectrequest alone.
"""

import datetime
import statistics
from dataclasses import dataclass, field

import tablib
from django.db.models import Count
from django.db.models.functions import TruncMonth
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from dpo_portal.legal.models import RegimeVersion
from dpo_portal.register.models import Organisation
from dpo_portal.reports import ReportAdmin

from . import deadlines
from .models import CLOSED_STATUSES, DeadlineEvent, RequestKind, RequestStatus, SubjectRequest

PERM = "requests.report_subjectrequest"
OPEN = "open"
OUTCOMES = [OPEN, *[s.value for s in RequestStatus if s.value in CLOSED_STATUSES]]


def outcome_label(outcome):
    return _("Open") if outcome == OPEN else RequestStatus(outcome).label


def month_start(day):
    return day.replace(day=1)


@dataclass
class Report:
    date_from: datetime.date
    date_to: datetime.date
    rows: list = field(default_factory=list)  # {month, kind, outcomes: {outcome: n}, total}
    closed: int = 0
    on_time: int = 0
    median_working_days: float | None = None

    @property
    def on_time_rate(self):
        return round(100 * self.on_time / self.closed, 1) if self.closed else None

    @property
    def outcome_labels(self):
        return [outcome_label(o) for o in OUTCOMES]

    def totals_by_month(self):
        months = {}
        for row in self.rows:
            months.setdefault(row["month"], {}).setdefault(row["kind"], 0)
            months[row["month"]][row["kind"]] += row["total"]
        return months

    def chart(self):
        """Requests received per month, one stacked series per kind (Chart.js data)."""
        months = sorted(self.totals_by_month())
        by_month = self.totals_by_month()
        kinds = [k for k in RequestKind if any(k.value in by_month[m] for m in months)]
        return {
            "labels": [m.strftime("%Y-%m") for m in months],
            "datasets": [
                {"label": str(kind.label), "data": [by_month[m].get(kind.value, 0) for m in months]}
                for kind in kinds
            ],
        }


def build_report(*, organisation_ids, date_from, date_to):
    """Requests received in [date_from, date_to] of these organisations."""
    start = timezone.make_aware(datetime.datetime.combine(date_from, datetime.time.min))
    end = timezone.make_aware(
        datetime.datetime.combine(date_to + datetime.timedelta(days=1), datetime.time.min)
    )
    received = SubjectRequest.objects.filter(
        organisation_id__in=organisation_ids, received_at__gte=start, received_at__lt=end
    )
    report = Report(date_from=date_from, date_to=date_to)
    grouped = {}
    for row in (
        received.order_by()
        .annotate(month=TruncMonth("received_at"))
        .values("month", "kind", "status")
        .annotate(n=Count("pk"))
    ):
        month = (
            timezone.localtime(row["month"]).date()
            if hasattr(row["month"], "hour")
            else row["month"]
        )
        outcome = row["status"] if row["status"] in CLOSED_STATUSES else OPEN
        entry = grouped.setdefault(
            (month, row["kind"]),
            {"month": month, "kind": row["kind"], "outcomes": dict.fromkeys(OUTCOMES, 0)},
        )
        entry["outcomes"][outcome] += row["n"]
    kind_order = {k.value: n for n, k in enumerate(RequestKind)}
    for key in sorted(grouped, key=lambda k: (k[0], kind_order.get(k[1], 99))):
        entry = grouped[key]
        entry["kind_label"] = RequestKind(entry["kind"]).label
        entry["outcome_counts"] = [entry["outcomes"][o] for o in OUTCOMES]
        entry["total"] = sum(entry["outcome_counts"])
        report.rows.append(entry)

    # Timeliness of the requests of the period that are closed: dates only. A refusal is on
    # time when it went out within the refusal period, so its pauses are read (one query).
    organisations = {
        pk: (regime, str(country))
        for pk, regime, country in Organisation.objects.values_list("pk", "regime", "country")
    }
    closed = list(
        received.filter(status__in=CLOSED_STATUSES, closed_at__isnull=False).values_list(
            "pk",
            "organisation_id",
            "status",
            "received_at",
            "closed_at",
            "due_on",
            "regime_version_id",
        )  # fmt: skip
    )
    versions = {
        version.pk: version.rules()
        for version in RegimeVersion.objects.filter(pk__in={row[-1] for row in closed})
    }
    refusal_events = {}
    for request_id, kind, at, months in DeadlineEvent.objects.filter(
        request_id__in=[row[0] for row in closed if row[2] == RequestStatus.REFUSED]
    ).values_list("request_id", "kind", "at", "months"):
        refusal_events.setdefault(request_id, []).append(
            deadlines.Event(kind, deadlines.local_date(at), months)
        )
    calendars = {
        country: deadlines.working_calendar(country) for _regime, country in organisations.values()
    }
    durations = []
    for pk, organisation_id, status, received_at, closed_at, due_on, version_id in closed:
        regime, country = organisations[organisation_id]
        calendar = calendars[country]
        received_on, closed_on = deadlines.local_date(received_at), deadlines.local_date(closed_at)
        if status == RequestStatus.REFUSED:
            due_on = deadlines.refusal_due(
                versions.get(version_id, regime), received_on, calendar, refusal_events.get(pk, ())
            )
        report.closed += 1
        report.on_time += bool(due_on and closed_on <= due_on)
        durations.append(calendar.working_days_between(received_on, closed_on))
    report.median_working_days = statistics.median(durations) if durations else None
    return report


def report_datasets(report):
    rows = tablib.Dataset(
        headers=[
            str(_("Month")),
            str(_("Kind")),
            *map(str, report.outcome_labels),
            str(_("Total")),
        ],
        title=str(_("By month"))[:31],
    )
    for row in report.rows:
        rows.append(
            [
                row["month"].strftime("%Y-%m"),
                str(row["kind_label"]),
                *row["outcome_counts"],
                row["total"],
            ]
        )
    summary = tablib.Dataset(
        headers=[str(_("Figure")), str(_("Value"))], title=str(_("Summary"))[:31]
    )
    summary.append([str(_("Period from")), report.date_from.isoformat()])
    summary.append([str(_("Period to")), report.date_to.isoformat()])
    summary.append([str(_("Requests closed")), report.closed])
    summary.append([str(_("Closed on time")), report.on_time])
    summary.append(
        [str(_("On-time rate (%)")), report.on_time_rate if report.on_time_rate is not None else ""]
    )
    summary.append(
        [
            str(_("Median working days to close")),
            report.median_working_days if report.median_working_days is not None else "",
        ]
    )
    return rows, summary


class RequestReportAdmin(ReportAdmin):
    """The report's place in the admin index: its entry opens the report page."""

    permission = PERM
    title = _("Request report")
    template = "requests/report.html"
    url_name = "requests_report"
    filename = "request-report"
    formats = ("xlsx",)
    period_labels = {"date_from": _("Received from"), "date_to": _("Received to")}

    def default_period(self, today):
        return {"date_from": month_start(today.replace(year=today.year - 1)), "date_to": today}

    def build(self, *, organisation_ids, date_from, date_to):
        return build_report(organisation_ids=organisation_ids, date_from=date_from, date_to=date_to)

    def datasets(self, report, fmt):
        return list(report_datasets(report))

    def extra_context(self, report):
        return {
            "chart": report.chart() if report else None,
            "outcome_labels": report.outcome_labels if report else [],
        }
