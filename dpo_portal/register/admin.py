from django.contrib import admin
from django.contrib.auth import get_user_model
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _
from modeltranslation.admin import TranslationAdmin

from dpo_portal.deletion import NeverDeletedAdmin, VocabularyAdmin

from . import resources
from .models import (
    DataCategory,
    DataSubject,
    Membership,
    Organisation,
    Source,
    SubjectType,
    System,
    registration_threshold,
)
from .roles import member_organisation_ids, roles_granting
from .scoping import OrganisationImportExportAdmin, OrganisationListFilter, OrganisationScopedAdmin
from .subject_page import sections_for


class MembershipInline(admin.TabularInline):
    model = Membership
    extra = 0
    autocomplete_fields = ["user"]


@admin.register(Organisation)
class OrganisationAdmin(OrganisationScopedAdmin):
    organisation_path = "pk"
    list_select_related = ()
    list_display = ["name", "legal_form", "tax_id", "regime", "dpo_email"]
    search_fields = ["name", "tax_id", "slug"]
    list_filter = ["regime"]
    inlines = [MembershipInline]
    fieldsets = [
        (None, {"fields": ["name", "slug", "legal_form", "tax_id", "address", "country"]}),
        (_("Data protection officer"), {"fields": ["dpo_name", "dpo_email", "dpo_phone"]}),
        (_("Regime and languages"), {"fields": ["regime", "languages"]}),
        (_("Evidence"), {"fields": ["four_eyes"]}),
        (_("Sign-in security"), {"fields": ["second_factor_for_all_staff"]}),
    ]

    def has_add_permission(self, request):
        return request.user.is_superuser

    def has_delete_permission(self, request, obj=None):
        return request.user.is_superuser

    def get_inlines(self, request, obj):
        # Who belongs where is for superusers to decide; DPOs and auditors read it.
        return self.inlines if request.user.is_superuser else []


@admin.register(Membership)
class MembershipAdmin(OrganisationScopedAdmin):
    list_display = ["user", "organisation", "role"]
    list_filter = ["organisation", "role"]
    search_fields = ["user__username", "user__email", "organisation__name"]
    autocomplete_fields = ["user", "organisation"]
    list_select_related = ("user", "organisation")

    def has_add_permission(self, request):
        return request.user.is_superuser

    def has_change_permission(self, request, obj=None):
        return request.user.is_superuser

    def has_delete_permission(self, request, obj=None):
        return request.user.is_superuser


class CodedEntryAdmin(VocabularyAdmin, TranslationAdmin, OrganisationImportExportAdmin):
    list_display = ["name", "code", "organisation"]
    list_filter = ["organisation"]
    search_fields = ["name_az", "name_en", "code"]
    autocomplete_fields = ["organisation"]


class CategoryUsageFilter(admin.SimpleListFilter):
    title = _("usage")
    parameter_name = "usage"

    def lookups(self, request, model_admin):
        return [("unused", _("Used nowhere in the register"))]

    def queryset(self, request, queryset):
        if self.value() == "unused":
            return queryset.unused()
        return queryset


@admin.register(DataCategory)
class DataCategoryAdmin(CodedEntryAdmin):
    resource_classes = [resources.DataCategoryResource]
    list_display = ["name", "code", "parent", "sensitivity", "organisation"]
    list_filter = ["organisation", "sensitivity", CategoryUsageFilter]
    list_select_related = ("organisation", "parent")
    autocomplete_fields = ["organisation", "parent"]


@admin.register(SubjectType)
class SubjectTypeAdmin(CodedEntryAdmin):
    resource_classes = [resources.SubjectTypeResource]


@admin.register(Source)
class SourceAdmin(CodedEntryAdmin):
    resource_classes = [resources.SourceResource]
    list_display = ["name", "code", "kind", "organisation"]
    list_filter = ["organisation", "kind"]


class SystemGapFilter(admin.SimpleListFilter):
    title = _("gaps")
    parameter_name = "gap"

    def lookups(self, request, model_admin):
        return [
            ("registration", _("State registration required but missing (1,000+ subjects)")),
            ("owner", _("No owner")),
        ]

    def queryset(self, request, queryset):
        if self.value() == "registration":
            return queryset.needing_registration()
        if self.value() == "owner":
            return queryset.filter(owner="")
        return queryset


# Who may own a system's request tasks: whoever may work on requests (the requests app's right).
TASK_OWNER_PERM = "requests.change_requesttask"


@admin.register(System)
class SystemAdmin(CodedEntryAdmin):
    resource_classes = [resources.SystemResource]
    list_display = [
        "name",
        "code",
        "owner",
        "hosting_country",
        "subject_count",
        "registration_status",
        "organisation",
    ]
    list_filter = ["organisation", SystemGapFilter, "hosting_country"]
    search_fields = ["name_az", "name_en", "code", "owner", "registration_number"]
    autocomplete_fields = ["organisation", "categories"]

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        if db_field.name == "owner_user":
            # Members of the user's organisations who may work on requests (the tasks' owners).
            organisations = (
                None if request.user.is_superuser else member_organisation_ids(request.user)
            )
            members = Membership.objects.filter(role__in=roles_granting(TASK_OWNER_PERM))
            if organisations is not None:
                members = members.filter(organisation_id__in=organisations)
            kwargs["queryset"] = (
                get_user_model()
                .objects.filter(is_active=True, pk__in=members.values("user_id"))
                .order_by("username")
            )
        return super().formfield_for_foreignkey(db_field, request, **kwargs)

    @admin.display(description=_("state registration"))
    def registration_status(self, obj):
        if obj.needs_registration:
            return format_html(
                '<span class="flag-bad" title="{}">{}</span>',
                obj.registration_warning,
                _("Missing: required for %(threshold)s+ subjects")
                % {"threshold": f"{registration_threshold():,}"},
            )
        return obj.registration_number or "—"

    @admin.display(description=_("state registration rule"))
    def registration_warning_display(self, obj):
        return obj.registration_warning or "—"

    def get_readonly_fields(self, request, obj=None):
        return [*super().get_readonly_fields(request, obj), "registration_warning_display"]


@admin.register(DataSubject)
class DataSubjectAdmin(NeverDeletedAdmin, OrganisationImportExportAdmin):
    resource_classes = [resources.DataSubjectResource]
    list_display = ["__str__", "external_ref", "fin", "phone", "email", "subject_type"]
    list_filter = [OrganisationListFilter, "subject_type"]
    list_select_related = ("organisation", "subject_type")
    # By the organisation's id, not its name (the model's ordering joins the organisation to
    # sort by name): subject_org_last_name then serves the list's order at 100,000 people.
    ordering = ["organisation_id", "last_name", "first_name", "pk"]

    def get_queryset(self, request):
        # The person's page reads their organisation (calendar, sections): with the row.
        return super().get_queryset(request).select_related("organisation")

    # Exact matches on identifiers, prefix on names: each served by an index.
    search_fields = [
        "=fin",
        "=external_ref",
        "=phone",
        "=email",
        "=id_document_number",
        "^last_name",
        "^first_name",
    ]
    autocomplete_fields = ["organisation", "subject_type"]
    readonly_fields = ["erased_at"]
    fieldsets = [
        (None, {"fields": ["organisation", "external_ref", "subject_type"]}),
        (
            _("Identity"),
            {
                "fields": [
                    "first_name",
                    "last_name",
                    "patronymic",
                    "birth_date",
                    "fin",
                    "id_document_number",
                ]
            },
        ),
        (_("Contact"), {"fields": ["phone", "email", "address"]}),
        (_("Erasure"), {"fields": ["erased_at"]}),
    ]

    change_form_template = "admin/register/datasubject/change_form.html"

    def render_change_form(self, request, context, add=False, change=False, form_url="", obj=None):
        # The subject the change view already loaded: no second query for it.
        context["subject_sections"] = sections_for(request, obj) if obj else []
        return super().render_change_form(request, context, add, change, form_url, obj)

    def get_search_results(self, request, queryset, search_term):
        # Phone numbers are stored as +994…; let staff type them as they are written.
        from .models import normalise_fin, normalise_phone

        term = search_term.strip()
        if term and sum(c.isdigit() for c in term) >= 9 and "@" not in term:
            return queryset.filter(phone=normalise_phone(term)), False
        if len(term) == 7 and term.isalnum():
            fin_matches = queryset.filter(fin=normalise_fin(term))
            if fin_matches.exists():
                return fin_matches, False
        return super().get_search_results(request, queryset, term)
