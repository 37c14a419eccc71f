"""The recipient register in the admin: the register list and its filters, each recipient's page
(transfers abroad, review history, what it receives and why), the "Mark reviewed" workflow, the
per-organisation export, and the disclosure log.

Found by the admin's autodiscovery; the models stay in the register, the vocabulary every app
shares, so their URLs stay /admin/register/recipient/ and /admin/register/disclosure/.
"""

from django import forms
from django.contrib import admin, messages
from django.contrib.admin.helpers import ACTION_CHECKBOX_NAME
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import models
from django.http import Http404, HttpResponse, HttpResponseRedirect
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils import timezone
from django.utils.html import format_html
from django.utils.translation import gettext, ngettext
from django.utils.translation import gettext_lazy as _
from django_countries.fields import Country
from modeltranslation.admin import TranslationAdmin

from dpo_portal.deletion import NeverDeletedAdmin, VocabularyAdmin
from dpo_portal.register import resources
from dpo_portal.register.erasure import warn_if_naming_a_person
from dpo_portal.register.models import (
    Disclosure,
    Organisation,
    Recipient,
    RecipientReview,
    RecipientTransfer,
)
from dpo_portal.register.roles import organisation_ids_for
from dpo_portal.register.scoping import (
    OrganisationImportExportAdmin,
    OrganisationListFilter,
    OrganisationScopedAdmin,
    OrganisationScopedForm,
)

from .export import register_rows, register_xlsx, with_register_counts
from .services import mark_reviewed, record_disclosure

# --- list filters (each served by an index on (organisation, field)) ---------------------------


class RecipientReviewFilter(admin.SimpleListFilter):
    title = _("review")
    parameter_name = "review"

    def lookups(self, request, model_admin):
        return [("overdue", _("Review overdue")), ("never", _("Never reviewed"))]

    def queryset(self, request, queryset):
        if self.value() == "overdue":
            return queryset.review_overdue()
        if self.value() == "never":
            return queryset.filter(last_reviewed_on__isnull=True)
        return queryset


class RecipientContractFilter(admin.SimpleListFilter):
    title = _("contract")
    parameter_name = "contract"

    def lookups(self, request, model_admin):
        return [
            ("none", _("No contract")),
            ("expiring", _("Expiring within 60 days")),
            ("expired", _("Expired")),
        ]

    def queryset(self, request, queryset):
        if self.value() == "none":
            return queryset.without_contract()
        if self.value() == "expiring":
            return queryset.contract_expiring()
        if self.value() == "expired":
            return queryset.contract_expired()
        return queryset


class RecipientLocationFilter(admin.SimpleListFilter):
    title = _("transfers abroad")
    parameter_name = "abroad"

    def lookups(self, request, model_admin):
        return [
            ("yes", _("Outside Azerbaijan")),
            ("gap", _("Abroad without a transfer mechanism")),
        ]

    def queryset(self, request, queryset):
        if self.value() == "yes":
            return queryset.abroad()
        if self.value() == "gap":
            return queryset.abroad_without_mechanism()
        return queryset


class RecipientCountryFilter(admin.SimpleListFilter):
    """The countries the user's recipients are in, not the whole world."""

    title = _("country")
    parameter_name = "country"

    def lookups(self, request, model_admin):
        codes = (
            model_admin.get_queryset(request)
            .order_by()
            .values_list("country", flat=True)
            .distinct()
        )
        return sorted(((code, Country(code).name) for code in codes), key=lambda c: c[1])

    def queryset(self, request, queryset):
        if self.value():
            return queryset.filter(country=self.value())
        return queryset


# --- the recipient's page ---------------------------------------------------------------------


class RecipientTransferInline(admin.TabularInline):
    model = RecipientTransfer
    extra = 0
    fields = ["country", "mechanism", "evidence", "note"]
    formfield_overrides = {
        models.TextField: {"widget": forms.Textarea(attrs={"rows": 2, "cols": 40})}
    }


class RecipientReviewInline(admin.TabularInline):
    """Review history: read-only, newest first; reviews are added by "Mark reviewed" only."""

    model = RecipientReview
    extra = 0
    can_delete = False
    verbose_name_plural = _("review history")
    fields = [
        "reviewed_on",
        "reviewed_by",
        "note",
        "contract_in_place",
        "security_measures_checked",
        "sub_processors_known",
        "transfer_mechanism_valid",
        "next_review_due",
    ]
    readonly_fields = fields

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("reviewed_by")

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False


class ReviewForm(forms.Form):
    reviewed_on = forms.DateField(
        label=_("Reviewed on"),
        initial=timezone.localdate,
        widget=forms.DateInput(attrs={"type": "date"}),
    )
    note = forms.CharField(
        label=_("Note"), widget=forms.Textarea(attrs={"rows": 4}), required=False
    )
    contract_in_place = forms.BooleanField(label=_("Contract in place"), required=False)
    security_measures_checked = forms.BooleanField(
        label=_("Security measures checked"), required=False
    )
    sub_processors_known = forms.BooleanField(label=_("Sub-processors known"), required=False)
    transfer_mechanism_valid = forms.BooleanField(
        label=_("Transfer mechanism valid"), required=False
    )

    def clean_reviewed_on(self):
        value = self.cleaned_data["reviewed_on"]
        if value > timezone.localdate():
            raise ValidationError(_("A review cannot be recorded in the future."))
        return value

    def checklist(self):
        return {name: self.cleaned_data[name] for name in RecipientReview.CHECKLIST}


@admin.register(Recipient)
class RecipientAdmin(VocabularyAdmin, TranslationAdmin, OrganisationImportExportAdmin):
    deleted_with_it = ("transfers",)
    resource_classes = [resources.RecipientResource]
    change_list_template = "recipients/change_list.html"
    change_form_template = "recipients/change_form.html"
    list_display = [
        "name",
        "category",
        "role",
        "country_column",
        "activity_count_column",
        "category_count_column",
        "contract_column",
        "last_reviewed_on",
        "next_review_column",
        "organisation",
    ]
    list_filter = [
        "organisation",
        RecipientReviewFilter,
        RecipientContractFilter,
        RecipientLocationFilter,
        "category",
        "role",
        RecipientCountryFilter,
    ]
    search_fields = ["name_az", "name_en", "code", "contract_reference"]
    autocomplete_fields = ["organisation", "categories"]
    readonly_fields = ["last_reviewed_on", "next_review_due"]
    inlines = [RecipientTransferInline, RecipientReviewInline]
    actions = ["mark_reviewed_action"]
    fieldsets = [
        (None, {"fields": ["organisation", "code", "name", "category", "role", "description"]}),
        (_("Location and contact"), {"fields": ["country", "contact"]}),
        (
            _("Contract or data-processing agreement"),
            {"fields": ["contract_reference", "contract_signed_on", "contract_expires_on"]},
        ),
        (
            _("Reviews"),
            {"fields": ["review_interval_months", "last_reviewed_on", "next_review_due"]},
        ),
        (_("Data categories it receives"), {"fields": ["categories"]}),
    ]

    def get_queryset(self, request):
        return with_register_counts(super().get_queryset(request))

    # --- list columns -------------------------------------------------------------------------

    @admin.display(description=_("country"), ordering="country")
    def country_column(self, obj):
        if obj.has_transfer_gap:
            return format_html(
                '{} <span class="flag-bad">⚠ {}</span>',
                obj.country.name,
                gettext("no transfer mechanism"),
            )
        return obj.country.name

    @admin.display(description=_("activities"), ordering="activity_count")
    def activity_count_column(self, obj):
        return obj.activity_count

    @admin.display(description=_("data categories"), ordering="category_count")
    def category_count_column(self, obj):
        return obj.category_count

    @admin.display(description=_("contract"), ordering="contract_expires_on")
    def contract_column(self, obj):
        if not obj.contract_reference:
            return format_html('<span class="flag-warn">{}</span>', gettext("none"))
        today = timezone.localdate()
        signed = obj.contract_signed_on.isoformat() if obj.contract_signed_on else "?"
        expires = obj.contract_expires_on
        if expires is None:
            return format_html("{}<br>{} → …", obj.contract_reference, signed)
        css = ""
        if expires < today:
            css = "flag-bad"
        elif (expires - today).days <= 60:
            css = "flag-warn"
        return format_html(
            '{}<br>{} → <span class="{}">{}</span>',
            obj.contract_reference,
            signed,
            css,
            expires.isoformat(),
        )

    @admin.display(description=_("next review"), ordering="next_review_due")
    def next_review_column(self, obj):
        if obj.next_review_due is None:
            return format_html('<span class="flag-warn">{}</span>', gettext("not planned"))
        if obj.next_review_due < timezone.localdate():
            return format_html(
                '<span class="flag-bad">{} ({})</span>',
                obj.next_review_due.isoformat(),
                gettext("overdue"),
            )
        return obj.next_review_due.isoformat()

    # --- pages --------------------------------------------------------------------------------

    def get_urls(self):
        view = self.admin_site.admin_view
        return [
            path(
                "<path:object_id>/mark-reviewed/",
                view(self.mark_reviewed_view),
                name="register_recipient_mark_reviewed",
            ),
            path(
                "register/<int:organisation_id>/xlsx/",
                view(self.export_register_xlsx),
                name="register_recipient_register_xlsx",
            ),
            path(
                "register/<int:organisation_id>/print/",
                view(self.print_register),
                name="register_recipient_register_print",
            ),
            *super().get_urls(),
        ]

    def exportable_organisations(self, request):
        organisations = Organisation.objects.order_by("name")
        if request.user.is_superuser:
            return organisations
        return organisations.filter(
            pk__in=organisation_ids_for(request.user, "register.view_recipient")
        )

    def changelist_view(self, request, extra_context=None):
        extra_context = {
            "register_organisations": self.exportable_organisations(request),
            **(extra_context or {}),
        }
        return super().changelist_view(request, extra_context)

    def change_view(self, request, object_id, form_url="", extra_context=None):
        recipient = self.get_object(request, object_id)
        extra = {}
        if recipient is not None:
            # What it receives and why: the processing activities naming it, read-only here
            # (they are edited in the record of processing).
            activities = (
                recipient.activities.select_related("legal_basis")
                .prefetch_related("categories")
                .order_by("name")
            )
            extra = {
                "receives": activities,
                "transfer_gap": recipient.has_transfer_gap,
                "can_mark_reviewed": self.has_change_permission(request, recipient),
            }
        return super().change_view(request, object_id, form_url, {**extra, **(extra_context or {})})

    def _organisation(self, request, organisation_id):
        try:
            return self.exportable_organisations(request).get(pk=organisation_id)
        except Organisation.DoesNotExist as exc:
            raise Http404 from exc

    def export_register_xlsx(self, request, organisation_id):
        organisation = self._organisation(request, organisation_id)
        content = register_xlsx(organisation)
        response = HttpResponse(
            content,
            content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        )
        stamp = timezone.localdate().isoformat()
        response["Content-Disposition"] = (
            f'attachment; filename="recipients-{organisation.slug}-{stamp}.xlsx"'
        )
        return response

    def print_register(self, request, organisation_id):
        organisation = self._organisation(request, organisation_id)
        context = {
            "organisation": organisation,
            "rows": register_rows(organisation),
            "today": timezone.localdate(),
            "title": gettext("Recipient register"),
        }
        return TemplateResponse(request, "recipients/register_print.html", context)

    # --- review workflow ----------------------------------------------------------------------

    def _review_page(self, request, recipients, form, *, bulk):
        context = {
            **self.admin_site.each_context(request),
            "opts": self.opts,
            "title": gettext("Mark reviewed"),
            "recipients": recipients,
            "form": form,
            "bulk": bulk,
            "action_checkbox_name": ACTION_CHECKBOX_NAME,
        }
        return TemplateResponse(request, "recipients/mark_reviewed.html", context)

    def _record_reviews(self, request, recipients, form):
        mark_reviewed(
            recipients,
            actor=request.user,
            reviewed_on=form.cleaned_data["reviewed_on"],
            note=form.cleaned_data["note"],
            **form.checklist(),
        )
        self.message_user(
            request,
            ngettext(
                "%(count)d recipient marked reviewed.",
                "%(count)d recipients marked reviewed.",
                len(recipients),
            )
            % {"count": len(recipients)},
            messages.SUCCESS,
        )

    def mark_reviewed_view(self, request, object_id):
        recipient = self.get_object(request, object_id)
        if recipient is None:
            raise Http404
        if not self.has_change_permission(request, recipient):
            raise PermissionDenied
        form = ReviewForm(request.POST or None)
        if request.method == "POST" and form.is_valid():
            self._record_reviews(request, [recipient], form)
            return HttpResponseRedirect(
                reverse("admin:register_recipient_change", args=[recipient.pk])
            )
        return self._review_page(request, [recipient], form, bulk=False)

    @admin.action(description=_("Mark selected recipients reviewed"), permissions=["change"])
    def mark_reviewed_action(self, request, queryset):
        if not request.user.is_superuser:
            queryset = queryset.filter(organisation_id__in=self.organisation_ids(request, "change"))
        recipients = list(queryset.order_by("name"))
        if not recipients:
            raise PermissionDenied
        form = ReviewForm(request.POST if request.POST.get("post") else None)
        if request.POST.get("post") and form.is_valid():
            self._record_reviews(request, recipients, form)
            return None  # back to the list
        return self._review_page(request, recipients, form, bulk=True)


# --- disclosure log ---------------------------------------------------------------------------


class DisclosureForm(OrganisationScopedForm):
    class Meta:
        widgets = {"legal_basis": forms.Textarea(attrs={"rows": 2, "cols": 80})}


@admin.register(Disclosure)
class DisclosureAdmin(NeverDeletedAdmin, OrganisationScopedAdmin):
    form = DisclosureForm
    list_display = ["disclosed_on", "recipient", "request_reference", "legal_basis", "organisation"]
    list_filter = [OrganisationListFilter, "recipient"]
    list_select_related = ("organisation", "recipient")
    date_hierarchy = "disclosed_on"
    search_fields = ["request_reference", "legal_basis", "recipient__name_az", "recipient__name_en"]
    autocomplete_fields = ["organisation", "recipient", "subjects", "categories"]
    fieldsets = [
        (
            None,
            {
                "fields": [
                    "organisation",
                    "disclosed_on",
                    "recipient",
                    "legal_basis",
                    "request_reference",
                ]
            },
        ),
        (_("What was disclosed"), {"fields": ["subjects", "categories", "note"]}),
    ]

    def save_related(self, request, form, formsets, change):
        super().save_related(request, form, formsets, change)
        record_disclosure(form.instance, actor=request.user, created=not change)
        warn_if_naming_a_person(request, form.instance)
