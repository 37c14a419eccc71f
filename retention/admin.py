from django import forms
from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpResponseRedirect
from django.shortcuts import get_object_or_404
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils import timezone
from django.utils.html import format_html
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from modeltranslation.admin import TranslationAdmin

from dpo_portal.jobs.models import start_job
from dpo_portal.register.models import Organisation
from dpo_portal.register.roles import organisation_ids_for
from dpo_portal.register.scoping import OrganisationScopedAdmin, OrganisationScopedForm

from . import reports, services
from .models import (
    BatchStatus,
    DisposalBatch,
    LegalHold,
    Record,
    RetentionReport,
    RetentionRule,
)

SAMPLE_SIZE = 20


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
class RetentionRuleAdmin(TranslationAdmin, OrganisationScopedAdmin):
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


class RecordImportForm(forms.Form):
    organisation = forms.ModelChoiceField(
        label=gettext_lazy("organisation"), queryset=Organisation.objects.none()
    )
    file = forms.FileField(
        label=gettext_lazy("file (CSV or XLSX)"),
        help_text=gettext_lazy(
            "Columns: organisation, subject_ref or subject_fin, system, category, activity, "
            "external_id, collected_at, clock_start."
        ),
    )

    def clean_file(self):
        upload = self.cleaned_data["file"]
        if not upload.name.lower().endswith((".csv", ".xlsx")):
            raise ValidationError(_("Upload a .csv or .xlsx file."))
        return upload


@admin.register(Record)
class RecordAdmin(OrganisationScopedAdmin):
    list_display = [
        "id",
        "external_id",
        "subject_id",
        "system",
        "category",
        "activity",
        "status",
        "collected_at",
        "expires_on",
        "disposal_batch_id",
    ]
    list_display_links = ["id", "external_id"]
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
        form = RecordImportForm(request.POST or None, request.FILES or None)
        allowed = Organisation.objects.all()
        if not request.user.is_superuser:
            allowed = allowed.filter(
                pk__in=organisation_ids_for(request.user, "retention.add_record")
            )
        form.fields["organisation"].queryset = allowed
        if request.method == "POST" and form.is_valid():
            upload = form.cleaned_data["file"]
            # The file goes into the job row (bytes), never onto a disk.
            job = start_job(
                "retention.import_records",
                organisation=form.cleaned_data["organisation"],
                actor=request.user,
                parameters={"filename": upload.name.lower().rsplit("/", 1)[-1]},
                payload=upload.read(),
            )
            messages.info(request, _("The import runs in the background; follow it here."))
            return HttpResponseRedirect(reverse("admin:jobs_job_change", args=[job.pk]))
        context = {
            **self.admin_site.each_context(request),
            "opts": self.opts,
            "form": form,
            "title": _("Import records"),
        }
        return TemplateResponse(request, "retention/import_records.html", context)

    def sweep_view(self, request):
        if not self.has_sweep_permission(request):
            raise PermissionDenied
        organisation_ids = (
            None
            if request.user.is_superuser
            else sorted(organisation_ids_for(request.user, "retention.sweep_disposalbatch"))
        )
        if request.method == "POST":
            from .tasks import start_sweep

            start_sweep(organisation_ids=organisation_ids, actor_id=request.user.pk)
            messages.success(
                request,
                _(
                    "The sweep is running in the background; new disposal batches appear in the "
                    "disposal batch list when it is done."
                ),
            )
            return HttpResponseRedirect(reverse("admin:retention_disposalbatch_changelist"))
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
class LegalHoldAdmin(OrganisationScopedAdmin):
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

    def has_delete_permission(self, request, obj=None):
        return False  # holds are released, never deleted: the record of them must stay

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
            services.release_hold(hold, actor=request.user, reason=form.cleaned_data["reason"])
            messages.success(request, _("The hold is released."))
            return HttpResponseRedirect(reverse("admin:retention_legalhold_change", args=[hold.pk]))
        context = {
            **self.admin_site.each_context(request),
            "opts": self.opts,
            "original": hold,
            "form": form,
            "title": _("Release the legal hold"),
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


@admin.register(DisposalBatch)
class DisposalBatchAdmin(OrganisationScopedAdmin):
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

    def has_delete_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False  # decisions go through the review pages below, never a plain form

    def can_decide(self, request, batch):
        return (
            request.user.is_superuser
            or batch.organisation_id
            in organisation_ids_for(request.user, "retention.approve_disposalbatch")
        ) and batch.status in {BatchStatus.PENDING, BatchStatus.EXTENDED}

    def get_urls(self):
        view = self.admin_site.admin_view
        return [
            path(
                "<int:object_id>/approve/",
                view(self.approve_view),
                name="retention_disposalbatch_approve",
            ),
            path(
                "<int:object_id>/extend/",
                view(self.extend_view),
                name="retention_disposalbatch_extend",
            ),
            path(
                "<int:object_id>/reject/",
                view(self.reject_view),
                name="retention_disposalbatch_reject",
            ),
            path(
                "<int:object_id>/certificate/",
                view(self.certificate_view),
                name="retention_disposalbatch_certificate",
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
            **extra,
        }

    def change_view(self, request, object_id, form_url="", extra_context=None):
        """The review page: what, how many, under which rule, and a sample without names."""
        batch = self._batch(request, object_id)
        records = batch.records.all()
        sample = list(
            records.order_by("pk").values(
                "pk", "external_id", "subject_id", "collected_at", "expires_on", "status"
            )[:SAMPLE_SIZE]
        )
        context = self._context(
            request,
            batch,
            title=str(batch),
            sample=sample,
            held_now=services.held_records(records.filter(status="due")).count()
            if batch.status != BatchStatus.APPROVED
            else 0,
            extend_form=ExtendForm(),
            reject_form=RejectForm(),
        )
        return TemplateResponse(request, "retention/batch_review.html", context)

    def approve_view(self, request, object_id):
        batch = self._batch(request, object_id)
        if not self.can_decide(request, batch):
            raise PermissionDenied
        if request.method == "POST":
            batch = services.approve_batch(batch, actor=request.user)
            messages.success(
                request,
                _("Disposed of %(count)s records; certificate %(number)s issued.")
                % {"count": batch.disposed_count, "number": batch.certificate_number},
            )
            return HttpResponseRedirect(
                reverse("admin:retention_disposalbatch_change", args=[batch.pk])
            )
        return TemplateResponse(
            request,
            "retention/batch_approve.html",
            self._context(request, batch, title=_("Approve disposal")),
        )

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

    def certificate_view(self, request, object_id):
        batch = self._batch(request, object_id)
        if batch.status != BatchStatus.APPROVED:
            raise Http404
        return TemplateResponse(
            request, "retention/certificate.html", {"batch": batch, "title": _("Certificate")}
        )


# The retention report for managers (retention/reports.py), entered from the admin index.
admin.site.register(RetentionReport, reports.RetentionReportAdmin)
