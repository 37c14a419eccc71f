from django.contrib import admin
from django.http import HttpResponsePermanentRedirect
from django.templatetags.static import static
from django.urls import include, path
from django.views.generic import RedirectView


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
    path("privacy/<slug:organisation>/", include("requests.public.urls")),
]
