from django.contrib import admin
from django.http import HttpResponsePermanentRedirect
from django.templatetags.static import static
from django.urls import include, path
from django.views.generic import RedirectView

from dpo_portal.api.site import build_api
from requests import api as requests_api
from retention import api as retention_api

# /api/v1/: each app's endpoints, the schema (/api/v1/schema/) and its documentation (/docs/).
api_v1 = build_api(
    [("", retention_api.router), ("", requests_api.router), ("", requests_api.tasks_router)]
)


def favicon(request):
    # Resolved per request: the manifest of hashed static names exists only after collectstatic.
    return HttpResponsePermanentRedirect(static("dpo_portal/favicon.svg"))


urlpatterns = [
    path("", RedirectView.as_view(pattern_name="admin:index", permanent=False)),
    # Browsers ask for /favicon.ico whatever the page says.
    path("favicon.ico", favicon),
    path("i18n/", include("django.conf.urls.i18n")),
    path("admin/second-factor/", include("dpo_portal.security.urls")),
    path("admin/", admin.site.urls),
    path("api/v1/", api_v1.urls),
    path("privacy/<slug:organisation>/", include("requests.public.urls")),
]
