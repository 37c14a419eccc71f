from django.contrib import admin

from dpo_portal.deletion import NeverDeletedAdmin
from dpo_portal.register.scoping import OrganisationScopedAdmin

from .models import AuditEvent


@admin.register(AuditEvent)
class AuditEventAdmin(NeverDeletedAdmin, OrganisationScopedAdmin):
    list_display = ["created_at", "action", "target_type", "target_id", "actor", "organisation"]
    list_filter = ["organisation", "action"]
    list_select_related = ("organisation", "actor", "target_type")
    search_fields = ["=target_id", "action"]
    date_hierarchy = "created_at"

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False
