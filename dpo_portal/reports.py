"""Report pages in the admin: aggregate figures for a period, for the organisations where the
user's role holds the report's permission, with spreadsheet exports.

A report is a ReportAdmin registered on a proxy model (its entry in the admin index); it names
its permission, template and URL, and defines two methods, build() and datasets():

    class RequestReportAdmin(ReportAdmin):
        permission = "requests.report_subjectrequest"
        ...
        def build(self, *, organisation_ids, date_from, date_to): ...
        def datasets(self, report, fmt): ...  # tablib Datasets, one sheet each

The page and its exports run the same build(), so a download holds the numbers on screen.
"""

import datetime

import tablib
from django import forms
from django.contrib import admin
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import HttpResponse
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from .exports import safe_dataset
from .register.models import Organisation
from .register.roles import organisation_ids_for

CONTENT_TYPES = {
    "csv": "text/csv; charset=utf-8",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
}


def report_organisations(user, permission):
    """The organisations whose figures ``user`` may read under ``permission``."""
    organisations = Organisation.objects.order_by("name")
    if user.is_superuser:
        return organisations
    return organisations.filter(pk__in=organisation_ids_for(user, permission))


def may_view_report(user, permission):
    return user.is_active and (user.is_superuser or bool(organisation_ids_for(user, permission)))


def download(datasets, fmt, filename):
    """CSV of the first dataset, or an XLSX workbook with one sheet per dataset; every cell made
    safe (dpo_portal.exports)."""
    datasets = [safe_dataset(dataset) for dataset in datasets]
    content = datasets[0].export("csv") if fmt == "csv" else tablib.Databook(datasets).export(fmt)
    response = HttpResponse(content, content_type=CONTENT_TYPES[fmt])
    response["Content-Disposition"] = f'attachment; filename="{filename}.{fmt}"'
    return response


class DateInput(forms.DateInput):
    input_type = "date"

    def __init__(self):
        super().__init__(format="%Y-%m-%d")


class PeriodForm(forms.Form):
    """Organisation (one of the user's, or all of them) and a period; empty dates take the
    report's defaults."""

    date_from = forms.DateField(label=_("From"), required=False, widget=DateInput())
    date_to = forms.DateField(label=_("To"), required=False, widget=DateInput())
    organisation = forms.ModelChoiceField(
        label=_("Organisation"),
        queryset=Organisation.objects.none(),
        required=False,
        empty_label=_("All my organisations"),
    )

    def __init__(self, data=None, *, organisations, defaults, labels=None):
        self.defaults = defaults
        super().__init__(data, initial=defaults)
        self.fields["organisation"].queryset = organisations
        for name, label in (labels or {}).items():
            self.fields[name].label = label

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


class ReportAdmin(admin.ModelAdmin):
    """A read-only admin entry that opens a report page instead of a change list."""

    permission = None  # "app_label.codename" granting the report, per organisation
    title = None
    template = None
    url_name = None  # the page is admin:<url_name>
    filename = "report"
    formats = ("csv", "xlsx")
    period_labels = None  # {"date_from": _("Received from"), …} to rename the period fields

    # --- what a subclass provides -------------------------------------------------------------
    # Every report defines build(*, organisation_ids, date_from, date_to) -> report and
    # datasets(report, fmt) -> [tablib.Dataset, …]; these two have defaults:

    def default_period(self, today):
        return {"date_from": today - datetime.timedelta(days=30), "date_to": today}

    def extra_context(self, report):
        return {"chart": report.chart() if report else None}

    # --- who may see it -----------------------------------------------------------------------

    def organisations(self, user):
        return report_organisations(user, self.permission)

    def may_view(self, user):
        return may_view_report(user, self.permission)

    def has_module_permission(self, request):
        return self.may_view(request.user)

    def has_view_permission(self, request, obj=None):
        return obj is None and self.may_view(request.user)

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    # --- the page -----------------------------------------------------------------------------

    def get_urls(self):
        view = self.admin_site.admin_view(self.report_view)
        changelist = f"{self.opts.app_label}_{self.opts.model_name}_changelist"
        # The report is the entry's change list: the admin index links straight to it.
        return [path("", view, name=self.url_name), path("", view, name=changelist)]

    def report_view(self, request):
        if not self.may_view(request.user):
            raise PermissionDenied
        organisations = self.organisations(request.user)
        form = PeriodForm(
            request.GET or None,
            organisations=organisations,
            defaults=self.default_period(timezone.localdate()),
            labels=self.period_labels,
        )
        report = None
        # An invalid period shows its error and no figures: numbers for a period that makes no
        # sense would only mislead.
        if not form.is_bound or form.is_valid():
            params = form.cleaned_data if form.is_bound else form.defaults
            chosen = params.get("organisation")
            ids = [chosen.pk] if chosen else list(organisations.values_list("pk", flat=True))
            report = self.build(
                organisation_ids=ids, date_from=params["date_from"], date_to=params["date_to"]
            )
            fmt = request.GET.get("format")
            if fmt in self.formats:
                filename = f"{self.filename}-{params['date_from']}-{params['date_to']}"
                return download(self.datasets(report, fmt), fmt, filename)
        query = request.GET.copy()
        query.pop("format", None)
        context = {
            **self.admin_site.each_context(request),
            "title": self.title,
            "opts": self.opts,
            "form": form,
            "report": report,
            "formats": self.formats,
            "export_query": query.urlencode(),
            "report_url": reverse(f"admin:{self.url_name}"),
            **self.extra_context(report),
        }
        return TemplateResponse(request, self.template, context)
