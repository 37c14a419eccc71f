from django.contrib.admin.apps import AdminConfig


class PortalAdminConfig(AdminConfig):
    """The admin, served by our own site so that its index is the DPO dashboard."""

    default_site = "dpo_portal.admin_site.PortalAdminSite"
