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
from django import forms
from django.contrib import admin
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import Count, Min, Q, Sum
from django.http import HttpResponse
from django.shortcuts import redirect
from django.template.response import TemplateResponse
from django.urls import NoReverseMatch, path, reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from dpo_portal.dashboard import Panel
from dpo_portal.register.models import DataCategory, Organisation, System
from dpo_portal.register.roles import organisation_ids_for

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


# --- filter -----------------------------------------------------------------------------------


class DateInput(forms.DateInput):
    input_type = "date"

    def __init__(self):
        super().__init__(format="%Y-%m-%d")


class ReportFilterForm(forms.Form):
    date_from = forms.DateField(label=_("From"), required=False, widget=DateInput())
    date_to = forms.DateField(label=_("To"), required=False, widget=DateInput())
    organisation = forms.ModelChoiceField(
        label=_("Organisation"),
        queryset=Organisation.objects.none(),
        required=False,
        empty_label=_("All my organisations"),
    )

    def __init__(self, data=None, *, organisations, today=None):
        today = today or timezone.localdate()
        self.defaults = {
            "date_from": today - datetime.timedelta(days=DEFAULT_PERIOD_DAYS),
            "date_to": today,
        }
        super().__init__(data, initial=self.defaults)
        self.fields["organisation"].queryset = organisations

    def clean(self):
        cleaned = super().clean()
        for name, default in self.defaults.items():
            if name not in self.errors and not cleaned.get(name):
                cleaned[name] = default
        date_from, date_to = cleaned.get("date_from"), cleaned.get("date_to")
        if date_from and date_to and date_from > date_to:
            raise ValidationError(
                _(
                    "The period cannot start after it ends: choose a “from” date on or before "
                    "the “to” date."
                ),
                code="period_reversed",
            )
        return cleaned


# --- exports ----------------------------------------------------------------------------------


def _cell(value):
    # A register name starting with = + - @ would run as a formula in a spreadsheet.
    if isinstance(value, str) and value[:1] in ("=", "+", "-", "@"):
        return "'" + value
    return "" if value is None else value


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
        dataset.append([_cell(value) for value in (*names, *(row[n] for n in FIGURES))])
    return dataset


def trend_dataset(report):
    dataset = tablib.Dataset(
        headers=[
            str(_("Day")),
            str(_("Records held")),
            str(_("Due for disposal")),
            str(_("On hold")),
            str(_("Disposed that day")),
        ],
        title=str(_("Daily trend")),
    )
    for day in report.trend:
        dataset.append([day["taken_on"], day["held"], day["due"], day["on_hold"], day["disposed"]])
    return dataset


def export_response(report, fmt):
    filename = f"retention-report-{report.date_from}-{report.date_to}.{fmt}"
    if fmt == "csv":
        content = report_dataset(report).export("csv")
        content_type = "text/csv; charset=utf-8"
    else:
        content = tablib.Databook([report_dataset(report), trend_dataset(report)]).export("xlsx")
        content_type = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    response = HttpResponse(content, content_type=content_type)
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response


# --- the admin page ---------------------------------------------------------------------------


def report_organisations(user):
    organisations = Organisation.objects.order_by("name")
    if user.is_superuser:
        return organisations
    return organisations.filter(pk__in=organisation_ids_for(user, PERM))


def may_view_report(user):
    return user.is_active and (user.is_superuser or bool(organisation_ids_for(user, PERM)))


class RetentionReportAdmin(admin.ModelAdmin):
    """Registered on the RetentionReport proxy: its entry in the admin index opens the report for
    every role that holds the report's permission, and for no one else."""

    report_template = "retention/report.html"

    def has_module_permission(self, request):
        return may_view_report(request.user)

    def has_view_permission(self, request, obj=None):
        return obj is None and may_view_report(request.user)

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    def get_urls(self):
        view = self.admin_site.admin_view(self.report_view)
        return [path("report/", view, name="retention_report"), *super().get_urls()]

    def changelist_view(self, request, extra_context=None):
        return redirect("admin:retention_report")

    def report_view(self, request):
        if not may_view_report(request.user):
            raise PermissionDenied
        organisations = report_organisations(request.user)
        form = ReportFilterForm(request.GET or None, organisations=organisations)
        report = None
        if form.is_bound and not form.is_valid():
            pass  # the page shows the errors, and no figures for a period that makes no sense
        else:
            params = form.cleaned_data if form.is_bound else form.defaults
            chosen = params.get("organisation")
            ids = [chosen.pk] if chosen else list(organisations.values_list("pk", flat=True))
            report = build_report(
                organisation_ids=ids, date_from=params["date_from"], date_to=params["date_to"]
            )
            fmt = request.GET.get("format")
            if fmt in ("csv", "xlsx"):
                return export_response(report, fmt)
        query = request.GET.copy()
        query.pop("format", None)
        context = {
            **self.admin_site.each_context(request),
            "title": _("Retention report"),
            "opts": self.opts,
            "form": form,
            "report": report,
            "chart": report.chart() if report else None,
            "export_query": query.urlencode(),
            "report_url": reverse("admin:retention_report"),
        }
        return TemplateResponse(request, self.report_template, context)


# --- the dashboard panel ----------------------------------------------------------------------

PANEL_SYSTEMS = 8


def retention_panel(request, organisations):
    """Overdue records by system and batches awaiting a decision, in two aggregate queries, for
    every role that reads the retention report (registered in retention/dashboard.py)."""
    if not may_view_report(request.user):
        return None
    ids = list(
        organisations.filter(pk__in=report_organisations(request.user)).values_list("pk", flat=True)
    )
    overdue = list(
        Record.objects.filter(organisation_id__in=ids, status=RecordStatus.DUE)
        .order_by()
        .values("system_id", "system__name", "organisation__name")
        .annotate(count=Count("pk"), oldest=Min("expires_on"))
        .order_by("-count", "system__name")[:PANEL_SYSTEMS]
    )
    today = timezone.localdate()
    for row in overdue:
        row["oldest_days"] = max((today - row["oldest"]).days, 0)
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
            "overdue": overdue,
            "awaiting": DisposalBatch.objects.filter(organisation_id__in=ids)
            .awaiting_decision(on=today)
            .count(),
            "batches_url": batches_url,
            "report_url": reverse("admin:retention_report"),
            "several_organisations": len(ids) > 1,
        },
    )
