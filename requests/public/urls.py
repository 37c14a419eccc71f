"""The privacy centre, mounted at /privacy/<organisation>/ by dpo_portal/urls.py."""

from django.urls import path

from . import views

app_name = "privacy"

urlpatterns = [
    path("", views.home, name="home"),
    path("request/<slug:kind>/", views.request_form, name="request"),
    path("sent/", views.submitted, name="submitted"),
    path("verify/<str:token>/", views.verify_link, name="verify"),
    path("status/", views.status_lookup, name="status-lookup"),
    path("status/<str:reference>/<str:secret>/", views.status, name="status"),
    path("download/<str:token>/", views.download, name="download"),
]
