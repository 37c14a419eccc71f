"""Signing in through the real door with the test client: password form, then second factor."""

from django_otp.plugins.otp_totp.models import TOTPDevice

from tests.factories import PASSWORD, current_totp


def sign_in_with_password(client, user, password=PASSWORD):
    return client.post(
        "/admin/login/?next=/admin/",
        {"username": user.username, "password": password, "next": "/admin/"},
    )


def enrol_authenticator(client, user):
    """Open the enrolment page and confirm it with the app's code; returns the recovery codes."""
    page = client.get("/admin/second-factor/enrol/?next=/admin/")
    assert page.status_code == 200
    device = TOTPDevice.objects.get(user=user, confirmed=False)
    response = client.post(
        "/admin/second-factor/enrol/", {"otp_token": current_totp(device), "next": "/admin/"}
    )
    assert response.status_code == 200
    return response.context["codes"]


def enter_code(client, code):
    return client.post("/admin/second-factor/verify/", {"otp_token": code, "next": "/admin/"})
