import datetime

from django import forms
from django.contrib import admin, messages
from django.contrib.admin import helpers
from django.core.exceptions import ValidationError
from django.db.models import Q
from django.http import HttpResponse
from django.shortcuts import get_object_or_404
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils import timezone
from django.utils.html import format_html, format_html_join
from django.utils.safestring import mark_safe
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext
from modeltranslation.admin import TranslationAdmin

from dpo_portal.deletion import NeverDeletedAdmin, VocabularyAdmin
from dpo_portal.history import ReadableHistoryAdmin
from dpo_portal.register.models import DataSubject, Organisation, normalise_fin
from dpo_portal.register.scoping import (
    OrganisationImportExportAdmin,
    OrganisationScopedAdmin,
    OrganisationScopedForm,
)

from . import reports
from .gaps import all_gaps, filter_having_gaps, gaps_of
from .models import (
    BasisKind,
    Consent,
    ConsentChannel,
    LegalBasis,
    PrivacyNotice,
    ProcessingActivity,
)
from .resources import ConsentResource
from .services import withdraw_consent


@admin.register(LegalBasis)
class LegalBasisAdmin(VocabularyAdmin, TranslationAdmin, ReadableHistoryAdmin):
    """A reference list shared by every organisation: one organisation's officer must not change
    what all the others rely on, so only superusers add, change or delete (whatever permissions a
    group was given). A basis in use by an activity cannot be deleted (PROTECT): the admin names
    the activities instead."""

    list_display = ["name", "kind", "regime", "article", "reference_verification"]
    list_filter = ["regime", "kind"]
    list_select_related = ["reference"]
    search_fields = ["name_az", "name_en", "article"]
    ordering = ["regime", "kind"]
    autocomplete_fields = ["reference"]

    @admin.display(description=_("legal reference cited"))
    def reference_verification(self, obj):
        if obj.reference is None:
            return "—"
        return f"{obj.reference.citation} ({obj.reference.verification})"

    def has_add_permission(self, request):
        return request.user.is_superuser

    def has_change_permission(self, request, obj=None):
        return request.user.is_superuser

    def has_delete_permission(self, request, obj=None):
        return request.user.is_superuser


# --- Record of processing ---------------------------------------------------------------------


class GapFilter(admin.SimpleListFilter):
    title = _("gaps")
    parameter_name = "gap"

    def lookups(self, request, model_admin):
        return [("any", _("Has gaps")), ("none", _("No gaps"))] + [
            (gap.code, gap.label) for gap in all_gaps()
        ]

    def queryset(self, request, queryset):
        value = self.value()
        if value == "any":
            return filter_having_gaps(queryset)
        if value == "none":
            return filter_having_gaps(queryset, negate=True)
        if value:
            return filter_having_gaps(queryset, code=value)
        return queryset


class BasisKindFilter(admin.SimpleListFilter):
    """By kind of basis: the bases' full names and articles are too long for a filter."""

    title = _("legal basis")
    parameter_name = "basis"

    def lookups(self, request, model_admin):
        return [*BasisKind.choices, ("none", _("None"))]

    def queryset(self, request, queryset):
        if self.value() == "none":
            return queryset.filter(legal_basis__isnull=True)
        if self.value():
            return queryset.filter(legal_basis__kind=self.value())
        return queryset


def gap_flags(gaps):
    if not gaps:
        return format_html('<span class="flag-ok">{}</span>', _("No gaps"))
    return format_html_join(
        mark_safe("<br>"),
        '<span class="flag-bad gap-flag" data-gap="{}">{}</span>',
        ((gap.code, gap.label) for gap in gaps),
    )


@admin.register(ProcessingActivity)
class ProcessingActivityAdmin(VocabularyAdmin, TranslationAdmin, OrganisationScopedAdmin):
    change_list_template = "consent/admin/processingactivity_change_list.html"
    list_display = ["name", "code", "basis", "dpia_needed", "gap_column", "organisation"]
    list_filter = ["organisation", GapFilter, BasisKindFilter, "dpia_needed"]
    list_select_related = ("organisation", "legal_basis")
    search_fields = ["name_az", "name_en", "code", "purpose_az", "purpose_en"]
    autocomplete_fields = [
        "organisation",
        "categories",
        "subject_types",
        "sources",
        "systems",
        "recipients",
    ]
    readonly_fields = ["gap_list", "transfers_abroad"]
    fieldsets = [
        (_("Gaps"), {"fields": ["gap_list"]}),
        (None, {"fields": ["organisation", "code", "name", "purpose", "description", "owner"]}),
        (_("Legal basis"), {"fields": ["legal_basis", "legitimate_interest_assessment"]}),
        (
            _("Whose data, which data, from where"),
            {"fields": ["subject_types", "categories", "sources"]},
        ),
        (
            _("Where it is held and who receives it"),
            {"fields": ["systems", "recipients", "transfers_abroad"]},
        ),
        (_("Security and impact assessment"), {"fields": ["security_measures", "dpia_needed"]}),
    ]

    def get_queryset(self, request):
        return super().get_queryset(request).with_gaps()

    @admin.display(description=_("legal basis"), ordering="legal_basis__kind")
    def basis(self, obj):
        if obj.legal_basis is None:
            return "—"
        return format_html(
            '<span title="{}">{}</span>',
            obj.legal_basis.article,
            obj.legal_basis.get_kind_display(),
        )

    @admin.display(description=_("gaps"))
    def gap_column(self, obj):
        return gap_flags(gaps_of(obj))

    @admin.display(description=_("gaps"))
    def gap_list(self, obj):
        if obj is None or obj.pk is None:
            return "—"
        return gap_flags(gaps_of(obj))

    @admin.display(description=_("transfers abroad"))
    def transfers_abroad(self, obj):
        # Kept on the recipients in the register; shown here as the record of processing has it.
        if obj is None or obj.pk is None:
            return "—"
        recipients = obj.recipients.prefetch_related("transfers").order_by("name")
        return reports.transfer_lines(recipients) or _("None")

    # --- the record of processing, exported -----------------------------------------------

    def get_urls(self):
        view = self.admin_site.admin_view
        return [
            path(
                "record/<int:organisation_id>/",
                view(self.record_view),
                name="consent_processingactivity_record",
            ),
            path(
                "record/<int:organisation_id>/xlsx/",
                view(self.record_xlsx_view),
                name="consent_processingactivity_record_xlsx",
            ),
            *super().get_urls(),
        ]

    def exportable_organisations(self, request):
        organisations = Organisation.objects.order_by("name")
        if request.user.is_superuser:
            return organisations
        return organisations.filter(pk__in=self.organisation_ids(request, "view"))

    def _organisation(self, request, organisation_id):
        # Another organisation's record answers 404, as if it did not exist.
        return get_object_or_404(self.exportable_organisations(request), pk=organisation_id)

    def record_view(self, request, organisation_id):
        organisation = self._organisation(request, organisation_id)
        columns = reports.columns()
        context = {
            **self.admin_site.each_context(request),
            "opts": self.opts,
            "is_nav_sidebar_enabled": False,  # the table needs the whole width, on paper too
            "title": _("Record of processing: %(organisation)s") % {"organisation": organisation},
            "organisation": organisation,
            "controller": reports.controller_lines(organisation),
            "columns": columns,
            "rows": [
                {"code": row["code"], "cells": [row[key] for key, _title in columns]}
                for row in reports.record_rows(organisation)
            ],
        }
        return TemplateResponse(request, "consent/record_of_processing.html", context)

    def record_xlsx_view(self, request, organisation_id):
        organisation = self._organisation(request, organisation_id)
        response = HttpResponse(
            reports.record_xlsx(organisation),
            content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        )
        filename = f"record-of-processing-{organisation.slug}-{timezone.localdate():%Y-%m-%d}.xlsx"
        response["Content-Disposition"] = f'attachment; filename="{filename}"'
        return response

    def changelist_view(self, request, extra_context=None):
        extra_context = {
            "record_organisations": self.exportable_organisations(request),
            **(extra_context or {}),
        }
        return super().changelist_view(request, extra_context)


# --- Privacy notices --------------------------------------------------------------------------


class CurrentNoticeFilter(admin.SimpleListFilter):
    title = _("version")
    parameter_name = "version"

    def lookups(self, request, model_admin):
        return [("current", _("Current")), ("other", _("Superseded or not yet in force"))]

    def queryset(self, request, queryset):
        if self.value() == "current":
            return queryset.filter(is_current=True)
        if self.value() == "other":
            return queryset.filter(is_current=False)
        return queryset


@admin.register(PrivacyNotice)
class PrivacyNoticeAdmin(VocabularyAdmin, OrganisationScopedAdmin):
    list_display = [
        "registry_number",
        "edition",
        "language",
        "title",
        "effective_from",
        "approved_on",
        "current",
        "organisation",
    ]
    list_filter = ["organisation", CurrentNoticeFilter, "language"]
    search_fields = ["registry_number", "edition", "title"]
    autocomplete_fields = ["organisation"]
    fieldsets = [
        (None, {"fields": ["organisation", "registry_number", "edition", "language", "title"]}),
        (_("Approval"), {"fields": ["approved_by", "approved_on", "effective_from"]}),
        (_("Text"), {"fields": ["text"]}),
    ]

    def get_queryset(self, request):
        return super().get_queryset(request).with_is_current()

    @admin.display(description=_("current version"), boolean=True, ordering="-is_current")
    def current(self, obj):
        return obj.is_current


# --- Consents ---------------------------------------------------------------------------------


class ConsentStatusFilter(admin.SimpleListFilter):
    title = _("status")
    parameter_name = "status"

    def lookups(self, request, model_admin):
        return [
            ("active", _("Active")),
            ("withdrawn", _("Withdrawn")),
            ("withdrawn_30d", _("Withdrawn in the last 30 days")),
        ]

    def queryset(self, request, queryset):
        if self.value() == "active":
            return queryset.active()
        if self.value() == "withdrawn":
            return queryset.withdrawn()
        if self.value() == "withdrawn_30d":
            return queryset.withdrawn_since(timezone.now() - datetime.timedelta(days=30))
        return queryset


class ConsentForm(OrganisationScopedForm):
    class Meta:
        model = Consent
        fields = "__all__"

    def clean(self):
        cleaned = super().clean()
        subject = cleaned.get("subject") or getattr(self.instance, "subject", None)
        activity = cleaned.get("activity") or getattr(self.instance, "activity", None)
        if subject is not None and activity is not None and self.instance.withdrawn_at is None:
            existing = (
                Consent.objects.active()
                .filter(subject=subject, activity=activity)
                .exclude(pk=self.instance.pk)
                .first()
            )
            if existing is not None:
                # Said here, in words, rather than left to the database constraint.
                raise ValidationError(
                    _(
                        "This person already has an active consent for “%(activity)s”, given on "
                        "%(given)s. Withdraw that consent before recording a new one."
                    )
                    % {
                        "activity": activity,
                        "given": timezone.localtime(existing.given_at).strftime("%d.%m.%Y %H:%M"),
                    },
                    code="one_active_consent",
                )
        return cleaned


class WithdrawalForm(forms.Form):
    channel = forms.ChoiceField(
        label=_("Withdrawal received through"), choices=ConsentChannel.choices
    )


@admin.register(Consent)
class ConsentAdmin(NeverDeletedAdmin, OrganisationImportExportAdmin):
    form = ConsentForm
    resource_classes = [ConsentResource]
    list_display = [
        "subject",
        "activity",
        "notice",
        "given_at",
        "channel",
        "status",
        "withdrawn_at",
        "organisation",
    ]
    list_filter = ["organisation", ConsentStatusFilter, "channel", "activity"]
    list_select_related = ("organisation", "subject", "activity", "notice")
    search_fields = ["=subject__external_ref", "=subject__fin"]
    autocomplete_fields = ["organisation", "subject", "activity", "notice"]
    actions = ["withdraw_selected"]
    history_list_display = ["withdrawn_at", "withdrawal_channel"]
    fieldsets = [
        (None, {"fields": ["organisation", "subject", "activity", "notice"]}),
        (_("Given"), {"fields": ["given_at", "channel", "evidence_reference"]}),
        (_("Withdrawn"), {"fields": ["withdrawn_at", "withdrawal_channel"]}),
    ]

    def get_readonly_fields(self, request, obj=None):
        # A withdrawal goes through withdraw_consent() (the action), never a hand-edited date.
        readonly = ["withdrawn_at", "withdrawal_channel"]
        if obj is not None:
            readonly += ["organisation", "subject", "activity", "given_at"]
        return readonly

    def get_search_results(self, request, queryset, search_term):
        # Exact matches, each served by an index; a FIN is found however it was typed.
        term = search_term.strip()
        if not term:
            return queryset, False
        people = DataSubject.objects.filter(Q(external_ref=term) | Q(fin=normalise_fin(term)))
        return queryset.filter(subject__in=people.values("pk")), False

    @admin.display(description=_("status"), ordering="withdrawn_at")
    def status(self, obj):
        if obj.is_active:
            return format_html('<span class="flag-ok">{}</span>', _("Active"))
        return format_html('<span class="flag-warn">{}</span>', _("Withdrawn"))

    @admin.action(description=_("Withdraw selected consents"), permissions=["change"])
    def withdraw_selected(self, request, queryset):
        if not request.user.is_superuser:
            queryset = queryset.filter(organisation_id__in=self.organisation_ids(request, "change"))
        queryset = queryset.select_related("subject", "activity", "notice")
        confirmed = request.POST.get("post") == "yes"
        form = WithdrawalForm(request.POST if confirmed else None)
        if confirmed and form.is_valid():
            withdrawn, refused = 0, 0
            for consent in queryset.active():
                try:
                    withdraw_consent(
                        consent, actor=request.user, channel=form.cleaned_data["channel"]
                    )
                    withdrawn += 1
                except ValidationError:
                    refused += 1
            self.message_user(
                request,
                ngettext("%(count)d consent withdrawn.", "%(count)d consents withdrawn.", withdrawn)
                % {"count": withdrawn},
                messages.SUCCESS,
            )
            if refused:
                self.message_user(
                    request,
                    ngettext(
                        "%(count)d consent could not be withdrawn.",
                        "%(count)d consents could not be withdrawn.",
                        refused,
                    )
                    % {"count": refused},
                    messages.ERROR,
                )
            return None
        consents = list(queryset)
        context = {
            **self.admin_site.each_context(request),
            "title": _("Withdraw consents"),
            "opts": self.opts,
            "form": form,
            "queryset": consents,
            "active": [c for c in consents if c.is_active],
            "already_withdrawn": [c for c in consents if not c.is_active],
            "action_checkbox_name": helpers.ACTION_CHECKBOX_NAME,
            "media": self.media,
        }
        request.current_app = self.admin_site.name
        return TemplateResponse(request, "consent/withdraw_confirmation.html", context)


def record_of_processing_url(organisation_id, xlsx=False):
    name = "consent_processingactivity_record_xlsx" if xlsx else "consent_processingactivity_record"
    return reverse(f"admin:{name}", args=[organisation_id])
