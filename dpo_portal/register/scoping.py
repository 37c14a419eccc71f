"""Organisation scoping for the admin: every list, page, filter, autocomplete, history page, import
and export shows a user only the organisations where their role allows it.

Every admin of an organisation-owned model inherits OrganisationScopedAdmin. Another
organisation's object answers 404, as if it did not exist; a foreign key can only point inside the
row's own organisation.
"""

from django import forms
from django.apps import apps
from django.contrib import admin
from django.contrib.admin.helpers import ACTION_CHECKBOX_NAME
from django.contrib.admin.utils import unquote
from django.contrib.auth import get_permission_codename
from django.core.exceptions import PermissionDenied
from django.db.models import QuerySet
from django.http import Http404
from django.utils.html import format_html
from django.utils.safestring import mark_safe
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _
from import_export.admin import ImportExportMixin
from import_export.formats.base_formats import CSV, JSON, XLSX

from dpo_portal.exports import SafeCSV, SafeXLSX
from dpo_portal.history import ReadableHistoryAdmin
from dpo_portal.jobs.import_admin import import_page
from dpo_portal.jobs.import_templates import resource_template
from dpo_portal.jobs.jobs import IMPORT_KIND, resource_columns
from dpo_portal.pagination import CappedCountPaginator

from .models import Organisation, OrganisationOwned
from .roles import member_organisation_ids, organisation_ids_for


def _is_organisation_owned(model):
    return model is not None and issubclass(model, OrganisationOwned)


def _organisations_to_link_from(request):
    """For the organisation picker (autocomplete) of an organisation-owned model's form: the
    organisations where the user may add or change that model. None for any other request.

    A user who reads one organisation and edits another would otherwise be offered both, and
    the form would then refuse the read-only one.
    """
    match = getattr(request, "resolver_match", None)
    if match is None or match.url_name != "autocomplete":
        return None
    try:
        source = apps.get_model(request.GET["app_label"], request.GET["model_name"])
    except (KeyError, LookupError):
        return None
    if not _is_organisation_owned(source):
        return None
    opts = source._meta
    return organisation_ids_for(
        request.user, f"{opts.app_label}.{get_permission_codename('add', opts)}"
    ) | organisation_ids_for(
        request.user, f"{opts.app_label}.{get_permission_codename('change', opts)}"
    )


class OrganisationScopedForm(forms.ModelForm):
    """Refuses a link from a row of one organisation to a row of another."""

    def _organisation_id(self, cleaned):
        # The organisation the row belongs to: the one chosen on the form, else the row's own
        # (for an Organisation, itself).
        if isinstance(self.instance, Organisation):
            return self.instance.pk
        organisation = cleaned.get("organisation")
        return organisation.pk if organisation else getattr(self.instance, "organisation_id", None)

    def clean(self):
        cleaned = super().clean()
        organisation_id = self._organisation_id(cleaned)
        if organisation_id is None:
            return cleaned
        for name, value in list(cleaned.items()):
            if name == "organisation" or value is None:
                continue
            items = value if isinstance(value, QuerySet | list | tuple) else [value]
            for item in items:
                item_organisation = getattr(item, "organisation_id", None)
                if item_organisation is not None and item_organisation != organisation_id:
                    self.add_error(
                        name,
                        _("“%(item)s” belongs to another organisation.") % {"item": item},
                    )
                    break
        return cleaned


class OrganisationListFilter(admin.SimpleListFilter):
    """Filter by organisation, offering only the user's own."""

    title = _("organisation")
    parameter_name = "organisation"

    def lookups(self, request, model_admin):
        organisations = Organisation.objects.order_by("name")
        if not request.user.is_superuser:
            organisations = organisations.filter(pk__in=member_organisation_ids(request.user))
        return [(str(o.pk), o.name) for o in organisations]

    def queryset(self, request, queryset):
        if self.value():
            return queryset.filter(organisation_id=self.value())
        return queryset


class ScopedRelatedFilter(admin.RelatedFieldListFilter):
    """A related-field filter that offers only rows of the user's organisations."""

    def field_choices(self, field, request, model_admin):
        ordering = self.field_admin_ordering(field, request, model_admin)
        limit = None
        if not request.user.is_superuser and _is_organisation_owned(field.related_model):
            limit = {"organisation_id__in": member_organisation_ids(request.user)}
        return field.get_choices(include_blank=False, ordering=ordering, limit_choices_to=limit)


class OrganisationScopedAdmin(ReadableHistoryAdmin):
    """Base admin of every organisation-owned model."""

    form = OrganisationScopedForm
    show_full_result_count = False
    # Big lists (records, subjects, requests) are counted up to a cap (dpo_portal/pagination.py).
    paginator = CappedCountPaginator
    list_select_related = ("organisation",)
    list_per_page = 50
    # The path from this model to its organisation's id, for models that are not
    # OrganisationOwned themselves (Organisation: "pk").
    organisation_path = "organisation_id"

    @admin.display(description=mark_safe('<input type="checkbox" id="action-toggle">'))
    def action_checkbox(self, obj):
        # Django's own HTML, without rendering a widget template per row: 50 of them were an
        # eighth of a big list's time (the triage queue, the record list).
        label = format_html(gettext("Select this object for an action - {}"), str(obj))
        return format_html(
            '<input type="checkbox" name="{}" value="{}" class="action-select" aria-label="{}">',
            ACTION_CHECKBOX_NAME,
            str(obj.pk),
            label,
        )

    # --- which organisations -----------------------------------------------------------------

    def perm(self, action):
        return f"{self.opts.app_label}.{get_permission_codename(action, self.opts)}"

    def organisation_ids(self, request, action):
        return organisation_ids_for(request.user, self.perm(action))

    def organisation_id_of(self, obj):
        value = obj
        for part in self.organisation_path.split("__"):
            value = getattr(value, part)
        return value

    def _allowed_on(self, request, obj, *actions):
        if obj is None or request.user.is_superuser:
            return True
        organisation_id = self.organisation_id_of(obj)
        return any(organisation_id in self.organisation_ids(request, a) for a in actions)

    def get_queryset(self, request):
        queryset = super().get_queryset(request)
        if request.user.is_superuser:
            return queryset
        visible = self.organisation_ids(request, "view") | self.organisation_ids(request, "change")
        if self.model is Organisation:
            writable = _organisations_to_link_from(request)
            if writable is not None:
                visible = visible & writable
        return queryset.filter(**{f"{self.organisation_path}__in": visible})

    # --- what they may do there --------------------------------------------------------------

    def has_view_permission(self, request, obj=None):
        return super().has_view_permission(request, obj) and self._allowed_on(
            request, obj, "view", "change"
        )

    def has_add_permission(self, request, *args):
        return super().has_add_permission(request, *args) and (
            request.user.is_superuser or bool(self.organisation_ids(request, "add"))
        )

    def has_change_permission(self, request, obj=None):
        return super().has_change_permission(request, obj) and self._allowed_on(
            request, obj, "change"
        )

    def has_delete_permission(self, request, obj=None):
        return super().has_delete_permission(request, obj) and self._allowed_on(
            request, obj, "delete"
        )

    def _get_obj_does_not_exist_redirect(self, request, opts, object_id):
        # Django redirects to the index with a message; for an object of another organisation
        # that would still confirm something is there. Answer as for any unknown URL.
        raise Http404

    # --- links stay inside the organisation --------------------------------------------------

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        user = request.user
        if not user.is_superuser:
            if db_field.related_model is Organisation:
                writable = self.organisation_ids(request, "add") | self.organisation_ids(
                    request, "change"
                )
                kwargs["queryset"] = Organisation.objects.filter(pk__in=writable)
            elif _is_organisation_owned(db_field.related_model) and "queryset" not in kwargs:
                kwargs["queryset"] = db_field.related_model._default_manager.filter(
                    organisation_id__in=member_organisation_ids(user)
                )
        return super().formfield_for_foreignkey(db_field, request, **kwargs)

    def formfield_for_manytomany(self, db_field, request, **kwargs):
        if not request.user.is_superuser and _is_organisation_owned(db_field.related_model):
            kwargs.setdefault(
                "queryset",
                db_field.related_model._default_manager.filter(
                    organisation_id__in=member_organisation_ids(request.user)
                ),
            )
        return super().formfield_for_manytomany(db_field, request, **kwargs)

    def get_list_display(self, request):
        # A member of one organisation learns nothing from an organisation column, and it costs a
        # column a 1366 px laptop needs for the entries themselves.
        columns = list(super().get_list_display(request))
        if "organisation" in columns and not request.user.is_superuser:
            if len(self.organisation_ids(request, "view")) <= 1:
                columns.remove("organisation")
        return columns

    def get_list_filter(self, request):
        # Related-field filters of our models offer only the user's organisations' rows.
        filters = []
        for item in super().get_list_filter(request):
            if isinstance(item, str) and "__" not in item:
                field = self.opts.get_field(item)
                if field.is_relation and field.related_model is Organisation:
                    item = OrganisationListFilter
                elif field.is_relation and _is_organisation_owned(field.related_model):
                    item = (item, ScopedRelatedFilter)
            filters.append(item)
        return filters

    # --- history pages ------------------------------------------------------------------------

    @property
    def keeps_history(self):
        """Whether the model has django-simple-history (Record, Job and AuditEvent do not: the
        sweep, the job runner and the audit trail are their own record)."""
        return hasattr(self.model._meta, "simple_history_manager_attribute")

    def render_change_form(self, request, context, *args, **kwargs):
        # templates/admin/change_form_object_tools.html shows the history link only with history.
        context["keeps_history"] = self.keeps_history
        return super().render_change_form(request, context, *args, **kwargs)

    def _ensure_visible(self, request, object_id):
        # A role that may not see the model at all is refused before anything is looked up (403),
        # as on the change page.
        if not self.has_view_or_change_permission(request):
            raise PermissionDenied
        # get_object() looks in the scoped queryset and answers None for a malformed id too.
        if self.get_object(request, unquote(object_id)) is None:
            raise Http404

    def history_view(self, request, object_id, extra_context=None):
        # simple-history falls back to the newest historical row when the live object is not in
        # the queryset; for another organisation's object that would show its data.
        self._ensure_visible(request, object_id)
        if not self.keeps_history:
            raise Http404
        return super().history_view(request, object_id, extra_context)

    def history_form_view(self, request, object_id, version_id, extra_context=None):
        self._ensure_visible(request, object_id)
        if not self.keeps_history:
            raise Http404
        return super().history_form_view(request, object_id, version_id, extra_context)


class OrganisationImportExportAdmin(ImportExportMixin, OrganisationScopedAdmin):
    """Scoped admin with import (dry-run preview, all-or-nothing) and export in CSV, XLSX, JSON.

    The export uses get_queryset(), so it is scoped; the import resource is told the user and
    writes only into organisations where the user may add.
    """

    import_formats = [CSV, XLSX, JSON]
    export_formats = [SafeCSV, SafeXLSX, JSON]  # formula-safe cells (dpo_portal.exports)

    def has_import_permission(self, request):
        return super().has_import_permission(request) and self.has_add_permission(request)

    def import_action(self, request, **kwargs):
        """The import page queues a background job (the library's own page would import inside
        the request, unbounded): the same job, limits and row-error report as every import."""
        if not self.has_import_permission(request):
            raise PermissionDenied
        resource_class = self.get_import_resource_classes(request)[0]
        opts = self.model._meta
        allowed = Organisation.objects.all()
        if not request.user.is_superuser:
            allowed = allowed.filter(
                pk__in=organisation_ids_for(request.user, f"{opts.app_label}.add_{opts.model_name}")
            )
        return import_page(
            self,
            request,
            kind=IMPORT_KIND,
            organisations=allowed,
            columns=resource_columns(resource_class()),
            title=_("Import %(things)s") % {"things": opts.verbose_name_plural},
            parameters={"resource": f"{resource_class.__module__}.{resource_class.__qualname__}"},
            template=lambda organisation: resource_template(
                resource_class(), organisation, name=f"{opts.model_name}-import-template"
            ),
        )

    def process_import(self, request, **kwargs):
        raise Http404  # no confirmation step: the background job checks and writes in one go
