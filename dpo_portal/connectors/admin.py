"""Connectors in the admin: the connector of a System (whether its DSNs are set, a test
connection, a sync on demand), its data map with the portal's additions, the category mapping,
and the runs (read-only)."""

from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.http import Http404
from django.shortcuts import redirect
from django.urls import path, reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from dpo_portal.jobs.models import start_job
from dpo_portal.register.scoping import OrganisationScopedAdmin

from . import engine, services
from .models import (
    CategoryMapping,
    CollectionSetting,
    Connector,
    ConnectorRun,
    DataMap,
    FieldSetting,
)

# The retention app registers this job kind (it writes the records); the name is the contract.
SYNC_JOB = "retention.connector_sync"


@admin.register(Connector)
class ConnectorAdmin(OrganisationScopedAdmin):
    list_display = ["system", "kind", "read_dsn_set", "write_dsn_set", "last_synced_at"]
    list_filter = ["kind"]
    list_select_related = ("organisation", "system")
    autocomplete_fields = ["system"]
    fields = [
        "organisation",
        "system",
        "kind",
        "read_dsn",
        "read_dsn_set",
        "write_dsn",
        "write_dsn_set",
        "activity_code",
        "statement_timeout_ms",
        "lock_timeout_ms",
        "sync_enabled",
        "unknown_people",
        "last_synced_at",
    ]
    readonly_fields = ["read_dsn_set", "write_dsn_set", "last_synced_at"]
    change_form_template = "admin/connectors/connector/change_form.html"

    @admin.display(description=gettext_lazy("read-only DSN set"), boolean=True)
    def read_dsn_set(self, obj):
        return engine.dsn_is_set(obj.read_dsn) if obj.is_database else None

    @admin.display(description=gettext_lazy("write DSN set"), boolean=True)
    def write_dsn_set(self, obj):
        return engine.dsn_is_set(obj.write_dsn) if obj.is_database else None

    def get_urls(self):
        return [
            path(
                "<path:object_id>/test-connection/",
                self.admin_site.admin_view(self.test_connection_view),
                name="connectors_connector_test",
            ),
            path(
                "<path:object_id>/sync/",
                self.admin_site.admin_view(self.sync_view),
                name="connectors_connector_sync",
            ),
            *super().get_urls(),
        ]

    def _posted_object(self, request, object_id):
        if request.method != "POST":
            raise Http404
        obj = self.get_object(request, object_id)
        if obj is None:
            raise Http404
        if not self.has_change_permission(request, obj):
            raise PermissionDenied
        return obj

    def test_connection_view(self, request, object_id):
        connector = self._posted_object(request, object_id)
        ok, message = services.test_connection(connector, actor=request.user)
        self.message_user(request, message, messages.SUCCESS if ok else messages.ERROR)
        return redirect("admin:connectors_connector_change", connector.pk)

    def sync_view(self, request, object_id):
        connector = self._posted_object(request, object_id)
        if not hasattr(connector, "data_map"):
            self.message_user(request, _("Give the connector a data map first."), messages.ERROR)
            return redirect("admin:connectors_connector_change", connector.pk)
        job = start_job(
            SYNC_JOB,
            organisation=connector.organisation,
            actor=request.user,
            parameters={"connector_id": connector.pk, "language": request.LANGUAGE_CODE},
        )
        return redirect(reverse("admin:jobs_job_change", args=[job.pk]))

    def change_view(self, request, object_id, form_url="", extra_context=None):
        obj = self.get_object(request, object_id)
        extra_context = extra_context or {}
        if obj is not None and hasattr(obj, "data_map"):
            try:
                extra_context["unsynced"] = services.unsynced(obj)
            except Exception:  # an invalid map is reported on its own page
                extra_context["unsynced"] = []
        return super().change_view(request, object_id, form_url, extra_context)


class CollectionSettingInline(admin.TabularInline):
    model = CollectionSetting
    extra = 0


class FieldSettingInline(admin.TabularInline):
    model = FieldSetting
    extra = 0


@admin.register(DataMap)
class DataMapAdmin(OrganisationScopedAdmin):
    list_display = ["connector", "updated_at"]
    list_select_related = ("organisation", "connector__system")
    fields = ["organisation", "connector", "dataset_yaml"]
    inlines = [CollectionSettingInline, FieldSettingInline]


@admin.register(CategoryMapping)
class CategoryMappingAdmin(OrganisationScopedAdmin):
    list_display = ["fides_category", "category"]
    list_select_related = ("organisation", "category")
    fields = ["organisation", "fides_category", "category"]


@admin.register(ConnectorRun)
class ConnectorRunAdmin(OrganisationScopedAdmin):
    list_display = ["connector", "kind", "status", "created_at", "finished_at", "confirmed_by"]
    list_filter = ["kind", "status"]
    list_select_related = ("organisation", "connector__system", "confirmed_by")
    fields = [
        "connector",
        "kind",
        "task_id",
        "status",
        "confirmed_by",
        "started_at",
        "finished_at",
        "server",
        "database",
        "tables",
        "error",
        "attempts",
    ]
    readonly_fields = fields

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False
