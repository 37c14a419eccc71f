"""Every kind of page carries the Content-Security-Policy and the other security headers: the
login page, the dashboard, a printable letter and a download."""

import pytest
from django.urls import reverse

from consent.admin import record_of_processing_url
from requests import services
from requests.models import RequestKind, RequestStatus, ResponseLetter
from tests.factories import Role, make_organisation, make_user
from tests.requests.helpers import make_request

pytestmark = pytest.mark.django_db


def directives(response):
    policy = response["Content-Security-Policy"]
    return {
        name: values
        for name, *values in (part.split() for part in policy.split(";") if part.strip())
    }


def assert_hardened(response):
    policy = directives(response)
    assert policy["default-src"] == ["'self'"]
    assert "'self'" in policy["script-src"]
    # A nonce joins script-src only on a page that uses one (django-csp adds it lazily); the
    # portal's pages have no inline script left, so there is none to allow.
    assert set(policy["script-src"]) - {"'self'"} <= {
        value for value in policy["script-src"] if value.startswith("'nonce-")
    }
    assert "'unsafe-inline'" not in policy["script-src"]
    assert "'unsafe-eval'" not in policy["script-src"]
    assert policy["object-src"] == ["'none'"]
    assert policy["frame-ancestors"] == ["'none'"]
    assert response["Referrer-Policy"] == "same-origin"
    assert "camera=()" in response["Permissions-Policy"]
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["X-Frame-Options"] == "DENY"


def test_the_login_page_is_hardened(client):
    response = client.get("/admin/login/")
    assert response.status_code == 200
    assert_hardened(response)


def test_the_dashboard_a_printable_letter_and_a_download_are_hardened(client):
    organisation = make_organisation()
    dpo = make_user(Role.DPO, organisation)
    request = make_request(organisation, kind=RequestKind.DELETION, requester_name="Rəşad Əliyev")
    services.close_request(
        request,
        status=RequestStatus.REFUSED,
        refusal_ground="identity_not_established",
        reason="Still owed",
        actor=dpo,
    )
    client.force_login(dpo)
    client.post(reverse("admin:requests_new_letter", args=[request.pk]), {"language": "en"})
    letter = ResponseLetter.objects.get(request=request)

    dashboard = client.get("/admin/")
    printable = client.get(reverse("admin:requests_letter", args=[request.pk, letter.pk]))
    download = client.get(record_of_processing_url(organisation.pk, xlsx=True))

    assert dashboard.status_code == printable.status_code == download.status_code == 200
    assert "spreadsheet" in download["Content-Type"]
    for response in (dashboard, printable, download):
        assert_hardened(response)


def test_the_pages_have_no_inline_script_or_event_handler(client):
    organisation = make_organisation()
    client.force_login(make_user(Role.DPO, organisation))
    for url in ["/admin/login/", "/admin/", "/admin/register/datasubject/"]:
        html = client.get(url).content.decode()
        assert " onclick=" not in html and " onchange=" not in html, url
