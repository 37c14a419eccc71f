import datetime

import tablib
from django import forms
from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.db.models import Q
from django.http import Http404, HttpResponse, HttpResponseRedirect
from django.shortcuts import get_object_or_404
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils import timezone
from django.utils.html import format_html
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext
from modeltranslation.admin import TranslationAdmin

from dpo_portal.approvals.services import DISPOSAL_APPROVAL, HOLD_RELEASE, open_approval
from dpo_portal.connectors.models import RunStatus
from dpo_portal.deletion import NeverDeletedAdmin, VocabularyAdmin
from dpo_portal.exports import spreadsheet_cell
from dpo_portal.jobs.import_admin import import_page
from dpo_portal.jobs.models import start_job
from dpo_portal.pdf import render_pdf
from dpo_portal.register.erasure import warn_if_naming_a_person
from dpo_portal.register.models import Organisation
from dpo_portal.register.roles import organisation_ids_for
from dpo_portal.register.scoping import OrganisationScopedAdmin, OrganisationScopedForm
from dpo_portal.reports import download

from . import connector_disposal, import_template, imports, reports, services
from .models import (
    BatchStatus,
    DisposalBatch,
    LegalHold,
    Record,
    RecordStatus,
    RetentionReport,
    RetentionRule,
)


def job_link(job):
    return format_html(
        '<a href="{}">{}</a>', reverse("admin:jobs_job_change", args=[job.pk]), str(job)
    )


def start_recompute(request, organisation):
    job = start_job("retention.recompute_expiry", organisation=organisation, actor=request.user)
    messages.info(
        request,
        format_html(
            "{} {}", _("The records' expiry is being recomputed in the background:"), job_link(job)
        ),
    )
    return job


# --- Rules ------------------------------------------------------------------------------------


@admin.register(RetentionRule)
class RetentionRuleAdmin(VocabularyAdmin, TranslationAdmin, OrganisationScopedAdmin):
    list_display = [
        "code",
        "name",
        "activity",
        "category",
        "period_display",
        "trigger",
        "end_action",
        "organisation",
    ]
    list_filter = ["organisation", "trigger", "end_action"]
    list_select_related = ("organisation", "activity", "category")
    search_fields = ["code", "name_az", "name_en", "legal_reference_az", "legal_reference_en"]
    fields = [
        "organisation",
        "code",
        "name",
        "activity",
        "category",
        ("period", "unit"),
        "trigger",
        "end_action",
        "legal_reference",
        "reference",
        "description",
    ]

    @admin.display(description=gettext_lazy("period"))
    def period_display(self, obj):
        return obj.period_display()

    def save_model(self, request, obj, form, change):
        super().save_model(request, obj, form, change)
        # Any change may move records from one rule to another: the whole organisation's
        # inventory is re-decided, one UPDATE per rule, in the background.
        start_recompute(request, obj.organisation)

    def delete_model(self, request, obj):
        organisation = obj.organisation
        super().delete_model(request, obj)
        start_recompute(request, organisation)


# --- The inventory ----------------------------------------------------------------------------


@admin.register(Record)
class RecordAdmin(NeverDeletedAdmin, OrganisationScopedAdmin):
    # What a DPO looks for at 1366 px; the record's number and batch are on its page.
    list_display = [
        "external_id",
        "subject_id",
        "system",
        "category",
        "activity",
        "status",
        "collected_at",
        "expires_on",
    ]
    list_display_links = ["external_id"]
    list_filter = ["organisation", "status", "system", "category", "activity"]
    list_select_related = ("system", "category", "activity")
    search_fields = ["external_id__exact"]  # index: record_org_external_id
    raw_id_fields = ["subject", "consent", "disposal_batch"]
    change_list_template = "admin/retention/record/change_list.html"
    readonly_fields = [
        "organisation",
        "subject",
        "system",
        "category",
        "activity",
        "external_id",
        "collected_at",
        "clock_started_at",
        "expires_on",
        "status",
        "rule",
        "consent",
        "disposal_batch",
        "disposed_at",
        "disposal_action",
    ]
    fields = readonly_fields

    def has_add_permission(self, request):
        return False  # records come from the systems, by import

    def has_change_permission(self, request, obj=None):
        return False  # changed by the sweep and disposal only

    def has_import_permission(self, request):
        return request.user.is_superuser or bool(
            organisation_ids_for(request.user, "retention.add_record")
        )

    def has_sweep_permission(self, request):
        return request.user.is_superuser or bool(
            organisation_ids_for(request.user, "retention.sweep_disposalbatch")
        )

    def changelist_view(self, request, extra_context=None):
        extra_context = {
            **(extra_context or {}),
            "can_import": self.has_import_permission(request),
            "can_sweep": self.has_sweep_permission(request),
        }
        return super().changelist_view(request, extra_context)

    def get_urls(self):
        return [
            path(
                "import/",
                self.admin_site.admin_view(self.import_view),
                name="retention_record_import",
            ),
            path(
                "sweep/", self.admin_site.admin_view(self.sweep_view), name="retention_record_sweep"
            ),
            *super().get_urls(),
        ]

    def import_view(self, request):
        if not self.has_import_permission(request):
            raise PermissionDenied
        allowed = Organisation.objects.all()
        if not request.user.is_superuser:
            allowed = allowed.filter(
                pk__in=organisation_ids_for(request.user, "retention.add_record")
            )
        return import_page(
            self,
            request,
            kind="retention.import_records",
            organisations=allowed,
            columns=imports.COLUMNS,
            title=_("Import records"),
            template=import_template.records_template,
        )

    def sweep_view(self, request):
        if not self.has_sweep_permission(request):
            raise PermissionDenied
        organisation_ids = (
            None
            if request.user.is_superuser
            else sorted(organisation_ids_for(request.user, "retention.sweep_disposalbatch"))
        )
        if request.method == "POST":
            organisations = Organisation.objects.order_by("name")
            if organisation_ids is not None:
                organisations = organisations.filter(pk__in=organisation_ids)
            # One job per organisation: each has its page with progress, and its own audit.
            jobs = [
                start_job("retention.sweep", organisation=organisation, actor=request.user)
                for organisation in organisations
            ]
            if len(jobs) == 1:
                return HttpResponseRedirect(reverse("admin:jobs_job_change", args=[jobs[0].pk]))
            messages.info(request, _("The sweep runs in the background; follow it here."))
            return HttpResponseRedirect(
                reverse("admin:jobs_job_changelist") + "?kind__exact=retention.sweep"
            )
        context = {
            **self.admin_site.each_context(request),
            "opts": self.opts,
            "title": _("Run the retention sweep now"),
        }
        return TemplateResponse(request, "retention/sweep_confirm.html", context)


# --- Legal holds ------------------------------------------------------------------------------


class LegalHoldForm(OrganisationScopedForm):
    class Meta:
        model = LegalHold
        fields = ["organisation", "subject", "system", "category", "record", "reason"]
        fields += ["reference", "until"]

    def clean(self):
        cleaned = super().clean()
        targets = [name for name in LegalHold.TARGET_FIELDS if cleaned.get(name)]
        if len(targets) != 1:
            raise ValidationError(
                _("A hold covers exactly one of: a subject, a system, a category or a record.")
            )
        return cleaned


class ReleaseForm(forms.Form):
    reason = forms.CharField(
        label=gettext_lazy("reason for release"), widget=forms.Textarea(attrs={"rows": 3})
    )


@admin.register(LegalHold)
class LegalHoldAdmin(NeverDeletedAdmin, OrganisationScopedAdmin):
    form = LegalHoldForm
    list_display = [
        "__str__",
        "target_kind",
        "until",
        "placed_by",
        "placed_at",
        "released_at",
        "organisation",
    ]
    list_filter = ["organisation", ("released_at", admin.EmptyFieldListFilter)]
    list_select_related = ("organisation", "placed_by")
    raw_id_fields = ["subject", "record"]
    search_fields = ["reference"]

    def get_readonly_fields(self, request, obj=None):
        if obj is None:
            return []
        # A placed hold is not edited: it is released (audited), and a new one placed.
        return [
            "organisation",
            "subject",
            "system",
            "category",
            "record",
            "reason",
            "reference",
            "until",
            "placed_by",
            "placed_at",
            "released_by",
            "released_at",
            "release_reason",
        ]

    def get_fields(self, request, obj=None):
        if obj is None:
            return LegalHoldForm.Meta.fields
        return self.get_readonly_fields(request, obj)

    def save_model(self, request, obj, form, change):
        if change:
            return
        target = {name: getattr(obj, name) for name in LegalHold.TARGET_FIELDS}
        placed = services.place_hold(
            organisation=obj.organisation,
            actor=request.user,
            reason=obj.reason,
            reference=obj.reference,
            until=obj.until,
            **{k: v for k, v in target.items() if v is not None},
        )
        obj.pk = placed.pk
        warn_if_naming_a_person(request, placed)

    def change_view(self, request, object_id, form_url="", extra_context=None):
        hold = self.get_object(request, object_id)
        extra_context = {
            **(extra_context or {}),
            "can_release": hold is not None
            and hold.released_at is None
            and self.has_change_permission(request, hold),
        }
        return super().change_view(request, object_id, form_url, extra_context)

    def get_urls(self):
        return [
            path(
                "<int:object_id>/release/",
                self.admin_site.admin_view(self.release_view),
                name="retention_legalhold_release",
            ),
            *super().get_urls(),
        ]

    def release_view(self, request, object_id):
        hold = get_object_or_404(self.get_queryset(request), pk=object_id)
        if not self.has_change_permission(request, hold) or hold.released_at is not None:
            raise PermissionDenied
        form = ReleaseForm(request.POST or None)
        if request.method == "POST" and form.is_valid():
            try:
                hold = services.release_hold(
                    hold, actor=request.user, reason=form.cleaned_data["reason"]
                )
            except ValidationError as error:
                messages.error(request, " ".join(error.messages))
            else:
                if hold.released_at is not None:
                    messages.success(request, _("The hold is released."))
                    warn_if_naming_a_person(request, hold, ("release_reason",))
                else:
                    messages.info(
                        request,
                        _(
                            "Your approval is recorded. A second DPO must confirm it before the "
                            "hold is released."
                        ),
                    )
            return HttpResponseRedirect(reverse("admin:retention_legalhold_change", args=[hold.pk]))
        context = {
            **self.admin_site.each_context(request),
            "opts": self.opts,
            "original": hold,
            "form": form,
            "title": _("Release the legal hold"),
            "first_approval": open_approval(action=HOLD_RELEASE, target=hold),
        }
        return TemplateResponse(request, "retention/hold_release.html", context)


# --- Disposal review --------------------------------------------------------------------------


class ExtendForm(forms.Form):
    until = forms.DateField(
        label=gettext_lazy("new date"), widget=forms.DateInput(attrs={"type": "date"})
    )
    justification = forms.CharField(
        label=gettext_lazy("justification"), widget=forms.Textarea(attrs={"rows": 3})
    )

    def clean_until(self):
        until = self.cleaned_data["until"]
        if until <= timezone.localdate():
            raise ValidationError(_("The new date must lie in the future."))
        return until


class RejectForm(forms.Form):
    justification = forms.CharField(
        label=gettext_lazy("justification"), widget=forms.Textarea(attrs={"rows": 3})
    )


class ExcludeForm(forms.Form):
    """Records ticked on the batch page, and what keeps them: a hold until a date (an
    extension) or with no end."""

    KINDS = [
        (services.ExclusionKind.EXTENSION, gettext_lazy("Extend: keep them until a date")),
        (services.ExclusionKind.HOLD, gettext_lazy("Hold: keep them until the hold is released")),
    ]
    record = forms.TypedMultipleChoiceField(coerce=int, label=gettext_lazy("records"))
    kind = forms.ChoiceField(label=gettext_lazy("keep them by"), choices=KINDS)
    until = forms.DateField(
        label=gettext_lazy("until"),
        required=False,
        widget=forms.DateInput(attrs={"type": "date"}),
    )
    reason = forms.CharField(
        label=gettext_lazy("reason"), widget=forms.Textarea(attrs={"rows": 2, "cols": 60})
    )

    def __init__(self, data=None, *, record_ids):
        super().__init__(data)
        self.fields["record"].choices = [(pk, pk) for pk in record_ids]

    def clean(self):
        cleaned = super().clean()
        if cleaned.get("kind") == services.ExclusionKind.EXTENSION and not cleaned.get("until"):
            self.add_error("until", _("An extension needs the date until which they are kept."))
        if cleaned.get("kind") == services.ExclusionKind.HOLD:
            cleaned["until"] = None
        return cleaned


class BatchRecordFilter(forms.Form):
    q = forms.CharField(label=gettext_lazy("Record, subject # or id in its system"), required=False)
    status = forms.ChoiceField(
        label=gettext_lazy("status"),
        required=False,
        choices=[("", gettext_lazy("All")), *RecordStatus.choices],
    )

    def filter(self, records):
        if not self.is_valid():
            return records
        q, status = self.cleaned_data["q"].strip(), self.cleaned_data["status"]
        if status:
            records = records.filter(status=status)
        if q:
            match = Q(external_id=q)
            if q.isdigit():
                match |= Q(pk=int(q)) | Q(subject_id=int(q))
            records = records.filter(match)
        return records


BATCH_PAGE_SIZE = 100
BATCH_RECORD_COLUMNS = ["pk", "external_id", "subject_id", "collected_at", "expires_on", "status"]


@admin.register(DisposalBatch)
class DisposalBatchAdmin(NeverDeletedAdmin, OrganisationScopedAdmin):
    list_display = [
        "__str__",
        "system",
        "category",
        "rule",
        "record_count",
        "status",
        "created_at",
        "decided_at",
        "organisation",
    ]
    list_filter = ["organisation", "status"]
    list_select_related = ("organisation", "system", "category", "rule")

    def has_add_permission(self, request):
        return False  # batches are made by the sweep

    def has_change_permission(self, request, obj=None):
        return False  # decisions go through the review pages below, never a plain form

    def can_decide(self, request, batch):
        return self.may_approve(request, batch) and batch.status in {
            BatchStatus.PENDING,
            BatchStatus.EXTENDED,
        }

    def get_urls(self):
        view = self.admin_site.admin_view
        urls = [
            ("approve", self.approve_view),
            ("extend", self.extend_view),
            ("reject", self.reject_view),
            ("exclude", self.exclude_view),
            ("retry", self.retry_view),
            ("records", self.records_export_view),
            ("certificate", self.certificate_view),
            ("certificate.pdf", self.certificate_pdf_view),
        ]
        return [
            *(
                path(
                    f"<int:object_id>/{name}/",
                    view(handler),
                    name=f"retention_disposalbatch_{name.replace('.', '_')}",
                )
                for name, handler in urls
            ),
            *super().get_urls(),
        ]

    def _batch(self, request, object_id):
        if not self.has_view_permission(request):
            raise PermissionDenied
        batch = (
            self.get_queryset(request)
            .select_related("rule", "system", "category", "decided_by", "organisation")
            .filter(pk=object_id)
            .first()
        )
        if batch is None or not self.has_view_permission(request, batch):
            raise Http404
        return batch

    def _context(self, request, batch, **extra):
        return {
            **self.admin_site.each_context(request),
            "opts": self.opts,
            "original": batch,
            "batch": batch,
            "can_decide": self.can_decide(request, batch),
            "first_approval": open_approval(action=DISPOSAL_APPROVAL, target=batch)
            if batch.status != BatchStatus.APPROVED
            else None,
            "four_eyes": batch.organisation.four_eyes,
            **extra,
        }

    def change_view(self, request, object_id, form_url="", extra_context=None):
        """The review page: what, how many, under which rule, and every record of the batch,
        paged and filterable (ids and dates only, no names), with exclusion."""
        batch = self._batch(request, object_id)
        records = batch.records.order_by("pk")
        record_filter = BatchRecordFilter(request.GET or None)
        page = Paginator(
            record_filter.filter(records).values(*BATCH_RECORD_COLUMNS), BATCH_PAGE_SIZE
        ).get_page(request.GET.get("page"))
        query = request.GET.copy()
        query.pop("page", None)
        exclusions = batch.exclusions.select_related("hold", "hold__placed_by").order_by("pk")
        context = self._context(
            request,
            batch,
            **self._source_context(request, batch),
            title=str(batch),
            page=page,
            record_filter=record_filter,
            filter_query=query.urlencode(),
            exclude_form=ExcludeForm(record_ids=[]),
            exclusions=exclusions,
            held_now=services.held_records(records.filter(status="due")).count()
            if batch.status != BatchStatus.APPROVED
            else 0,
        )
        return TemplateResponse(request, "retention/batch_review.html", context)

    def _source_context(self, request, batch):
        """The connected system's part of the page: before the decision the read-only preview
        of what the run changes there; afterwards each run, failed or with its receipt."""
        undecided = batch.status in {BatchStatus.PENDING, BatchStatus.EXTENDED}
        connector, plans, located, error = (
            connector_disposal.preview(batch) if undecided else (None, [], None, "")
        )
        runs = list(connector_disposal.runs(batch).select_related("connector__system"))
        return {
            "source_connector": connector,
            "source_plans": plans,
            "source_located": located,
            "source_error": error,
            "source_runs": runs,
            "may_retry": batch.status == BatchStatus.IN_SOURCE
            and bool(runs)
            and runs[0].status == RunStatus.FAILED
            and self.may_approve(request, batch),
        }

    def may_approve(self, request, batch):
        return request.user.is_superuser or batch.organisation_id in organisation_ids_for(
            request.user, "retention.approve_disposalbatch"
        )

    def retry_view(self, request, object_id):
        batch = self._batch(request, object_id)
        if request.method != "POST" or not self.may_approve(request, batch):
            raise PermissionDenied
        try:
            services.retry_in_source(batch, actor=request.user)
        except ValidationError as error:
            messages.error(request, " ".join(error.messages))
        else:
            messages.success(
                request,
                _("The run in %(system)s is queued again.") % {"system": batch.system.name},
            )
        return HttpResponseRedirect(
            reverse("admin:retention_disposalbatch_change", args=[batch.pk])
        )

    def approve_view(self, request, object_id):
        batch = self._batch(request, object_id)
        if not self.can_decide(request, batch):
            raise PermissionDenied
        if request.method == "POST":
            try:
                batch = services.approve_batch(batch, actor=request.user)
            except ValidationError as error:
                messages.error(request, " ".join(error.messages))
            else:
                if batch.status == BatchStatus.IN_SOURCE:
                    messages.info(
                        request,
                        _(
                            "Approved. The run in %(system)s is queued: the records are "
                            "disposed of and the certificate issued once it has succeeded."
                        )
                        % {"system": batch.system.name},
                    )
                elif batch.status == BatchStatus.APPROVED:
                    messages.success(
                        request,
                        _("%(count)s records %(done)s; certificate %(number)s issued.")
                        % {
                            "count": batch.disposed_count,
                            "done": batch.done_label,
                            "number": batch.certificate_number,
                        },
                    )
                else:
                    messages.info(
                        request,
                        _(
                            "Your approval is recorded. A second DPO must confirm it before "
                            "the records are disposed of."
                        ),
                    )
            return HttpResponseRedirect(
                reverse("admin:retention_disposalbatch_change", args=[batch.pk])
            )
        return TemplateResponse(
            request,
            "retention/batch_approve.html",
            self._context(request, batch, title=_("Approve disposal")),
        )

    def exclude_view(self, request, object_id):
        batch = self._batch(request, object_id)
        if not self.can_decide(request, batch) or request.method != "POST":
            raise PermissionDenied
        record_ids = list(batch.records.filter(status="due").values_list("pk", flat=True))
        form = ExcludeForm(request.POST, record_ids=record_ids)
        if form.is_valid():
            try:
                count = services.exclude_records(
                    batch,
                    form.cleaned_data["record"],
                    actor=request.user,
                    reason=form.cleaned_data["reason"],
                    until=form.cleaned_data["until"],
                )
            except ValidationError as error:
                messages.error(request, " ".join(error.messages))
            else:
                messages.success(
                    request,
                    ngettext(
                        "%(count)s record excluded from the batch.",
                        "%(count)s records excluded from the batch.",
                        count,
                    )
                    % {"count": count},
                )
        else:
            for errors in form.errors.values():
                messages.error(request, " ".join(errors))
        return HttpResponseRedirect(
            reverse("admin:retention_disposalbatch_change", args=[batch.pk])
        )

    def records_export_view(self, request, object_id):
        """Every record of the batch (ids and dates, no names) as CSV or XLSX."""
        batch = self._batch(request, object_id)
        fmt = request.GET.get("format", "csv")
        if fmt not in {"csv", "xlsx"}:
            raise Http404
        dataset = tablib.Dataset(
            headers=[
                _("Record"),
                _("Id in its system"),
                _("Subject #"),
                _("Collected on"),
                _("Expired on"),
                _("Status"),
            ],
            title=str(batch)[:31],
        )
        labels = dict(RecordStatus.choices)
        for row in batch.records.order_by("pk").values_list(*BATCH_RECORD_COLUMNS).iterator():
            *values, status = row
            dataset.append([*(spreadsheet_cell(value) for value in values), str(labels[status])])
        return download([dataset], fmt, f"disposal-batch-{batch.pk}-records")

    def _decision_view(self, request, object_id, form_class, decide, template_title):
        batch = self._batch(request, object_id)
        if not self.can_decide(request, batch):
            raise PermissionDenied
        form = form_class(request.POST or None)
        if request.method == "POST" and form.is_valid():
            try:
                decide(batch, form.cleaned_data)
            except ValidationError as error:
                form.add_error(None, error)
            else:
                return HttpResponseRedirect(
                    reverse("admin:retention_disposalbatch_change", args=[batch.pk])
                )
        return TemplateResponse(
            request,
            "retention/batch_decision.html",
            self._context(request, batch, title=template_title, form=form),
        )

    def extend_view(self, request, object_id):
        def decide(batch, data):
            services.extend_batch(
                batch, actor=request.user, justification=data["justification"], until=data["until"]
            )
            messages.success(request, _("The disposal is postponed."))

        return self._decision_view(request, object_id, ExtendForm, decide, _("Extend"))

    def reject_view(self, request, object_id):
        def decide(batch, data):
            services.reject_batch(batch, actor=request.user, justification=data["justification"])
            messages.success(request, _("The disposal is rejected: the records are kept."))

        return self._decision_view(request, object_id, RejectForm, decide, _("Reject"))

    def _certificate_context(self, request, object_id):
        batch = self._batch(request, object_id)
        if batch.status != BatchStatus.APPROVED:
            raise Http404
        return {
            "batch": batch,
            "title": _("Certificate"),
            "signatures": [
                {**signature, "at": datetime.datetime.fromisoformat(signature["at"])}
                for signature in batch.signatures
            ],
            "excluded": batch.exclusions.count(),
            "source_runs": list(
                connector_disposal.runs(batch)
                .filter(status=RunStatus.SUCCEEDED)
                .select_related("connector__system")
            ),
        }

    def certificate_view(self, request, object_id):
        return TemplateResponse(
            request, "retention/certificate.html", self._certificate_context(request, object_id)
        )

    def certificate_pdf_view(self, request, object_id):
        context = {**self._certificate_context(request, object_id), "for_pdf": True}
        response = HttpResponse(
            render_pdf("retention/certificate.html", context, request=request),
            content_type="application/pdf",
        )
        number = context["batch"].certificate_number
        response["Content-Disposition"] = f'inline; filename="{number}.pdf"'
        return response


# The retention report for managers (retention/reports.py), entered from the admin index.
admin.site.register(RetentionReport, reports.RetentionReportAdmin)
