from django.contrib import admin
from django.utils.translation import get_language
from django.utils.translation import gettext_lazy as _

from .dashboard import panels_for
from .register.models import Organisation
from .register.roles import member_organisation_ids
from .request_memo import once_per_request


class PortalAdminSite(admin.AdminSite):
    site_header = _("DPO Portal")
    site_title = _("DPO Portal")
    index_title = _("Dashboard")
    index_template = "admin/dashboard.html"

    def visible_organisations(self, request):
        organisations = Organisation.objects.order_by("name")
        if request.user.is_superuser:
            return organisations
        return organisations.filter(pk__in=member_organisation_ids(request.user))

    def get_app_list(self, request, app_label=None):
        # Once per request: the dashboard asks for it twice (its app list and the navigation
        # sidebar), and each time every model's permissions are checked.
        return once_per_request(
            ("app_list", request.user.pk, get_language(), app_label),
            lambda: super(PortalAdminSite, self).get_app_list(request, app_label),
        )

    def index(self, request, extra_context=None):
        organisations = self.visible_organisations(request)
        extra_context = {
            "organisations": organisations,
            "panels": panels_for(request, organisations),
            **(extra_context or {}),
        }
        return super().index(request, extra_context)
