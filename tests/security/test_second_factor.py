"""Second factor for staff: enforced after a real password sign-in, enrolment on first login,
TOTP, single-use recovery codes, optional for managers unless their organisation asks, and a
superuser's audited reset."""

import time

import pytest
from django_otp.plugins.otp_totp.models import TOTPDevice

from dpo_portal.audit.models import AuditEvent
from tests.factories import Role, current_totp, make_organisation, make_subject, make_user
from tests.security.helpers import enrol_authenticator, enter_code, sign_in_with_password

pytestmark = pytest.mark.django_db

ADMIN_PAGES = [
    "/admin/",
    "/admin/register/datasubject/",
    "/admin/register/organisation/",
    "/admin/requests/subjectrequest/",
    "/admin/consent/processingactivity/",
    "/admin/auth/user/",
]


def test_dpo_with_password_only_reaches_no_admin_page_and_is_sent_to_enrolment(client):
    organisation = make_organisation()
    subject = make_subject(organisation)
    dpo = make_user(Role.DPO, organisation)

    response = sign_in_with_password(client, dpo)
    assert response.status_code == 302
    for url in [*ADMIN_PAGES, f"/admin/register/datasubject/{subject.pk}/change/"]:
        response = client.get(url)
        assert response.status_code == 302, url
        assert response["Location"].startswith("/admin/second-factor/enrol/?next="), url
    page = client.get("/admin/register/datasubject/", follow=True)
    assert subject.last_name not in page.content.decode()


def test_dpo_enrols_with_an_authenticator_app_and_then_reaches_the_admin(client):
    organisation = make_organisation()
    dpo = make_user(Role.DPO, organisation)
    sign_in_with_password(client, dpo)

    enrolment = client.get("/admin/second-factor/enrol/?next=/admin/")
    html = enrolment.content.decode()
    assert "<svg" in html  # the QR code, drawn inline: nothing is fetched from elsewhere
    assert 'id="totp-secret"' in html
    codes = enrol_authenticator(client, dpo)

    assert len(codes) == 10
    assert client.get("/admin/").status_code == 200
    assert client.get("/admin/register/datasubject/").status_code == 200


def test_an_enrolled_dpo_signs_in_again_with_the_code_of_the_app(client):
    organisation = make_organisation()
    dpo = make_user(Role.DPO, organisation)
    sign_in_with_password(client, dpo)
    enrol_authenticator(client, dpo)
    client.post("/admin/logout/")

    sign_in_with_password(client, dpo)
    assert client.get("/admin/")["Location"].startswith("/admin/second-factor/verify/")
    wrong = enter_code(client, "000000")
    assert "This code is not right" in wrong.content.decode()
    assert client.get("/admin/").status_code == 302

    time.sleep(1.1)  # django-otp throttles after a wrong code: 1 s, then doubling
    device = TOTPDevice.objects.get(user=dpo)
    response = enter_code(client, current_totp(device))
    assert response.status_code == 302 and response["Location"] == "/admin/"
    assert client.get("/admin/").status_code == 200


def test_a_recovery_code_works_once(client):
    organisation = make_organisation()
    dpo = make_user(Role.COMPLIANCE, organisation)
    sign_in_with_password(client, dpo)
    code = enrol_authenticator(client, dpo)[0]
    client.post("/admin/logout/")

    sign_in_with_password(client, dpo)
    assert enter_code(client, code).status_code == 302
    assert client.get("/admin/").status_code == 200
    client.post("/admin/logout/")

    sign_in_with_password(client, dpo)
    again = enter_code(client, code)
    assert again.status_code == 200
    assert "already used" in again.content.decode()
    assert client.get("/admin/").status_code == 302


def test_a_superuser_must_enrol_too(client):
    superuser = make_user(superuser=True)
    sign_in_with_password(client, superuser)
    assert client.get("/admin/")["Location"].startswith("/admin/second-factor/enrol/")


def test_a_manager_needs_no_second_factor_unless_the_organisation_asks_for_it(client):
    organisation = make_organisation()
    manager = make_user(Role.MANAGER, organisation)
    sign_in_with_password(client, manager)
    assert client.get("/admin/").status_code == 200
    client.post("/admin/logout/")

    organisation.second_factor_for_all_staff = True
    organisation.save()
    sign_in_with_password(client, manager)
    assert client.get("/admin/")["Location"].startswith("/admin/second-factor/enrol/")


def test_a_superuser_resets_a_users_second_factor_and_it_is_audited(client):
    organisation = make_organisation()
    dpo = make_user(Role.DPO, organisation)
    sign_in_with_password(client, dpo)
    enrol_authenticator(client, dpo)
    client.post("/admin/logout/")
    superuser = make_user(superuser=True)
    client.force_login(superuser)

    form = {"action": "reset_second_factor_action", "_selected_action": [dpo.pk]}
    confirmation = client.post("/admin/auth/user/", form)
    assert "Yes, reset" in confirmation.content.decode()
    assert TOTPDevice.objects.filter(user=dpo).exists()
    client.post("/admin/auth/user/", {**form, "post": "yes"})

    assert not TOTPDevice.objects.filter(user=dpo).exists()
    event = AuditEvent.objects.get(action="second_factor.reset", organisation=organisation)
    assert event.actor == superuser and event.target_id == str(dpo.pk)
    client.post("/admin/logout/")
    sign_in_with_password(client, dpo)
    assert client.get("/admin/")["Location"].startswith("/admin/second-factor/enrol/")


def test_only_a_superuser_may_reset_a_second_factor(client):
    organisation = make_organisation()
    dpo = make_user(Role.DPO, organisation)
    other = make_user(Role.DPO, organisation)
    TOTPDevice.objects.create(user=other, name="authenticator")
    client.force_login(dpo)

    client.post(
        "/admin/auth/user/",
        {"action": "reset_second_factor_action", "_selected_action": [other.pk], "post": "yes"},
    )
    assert TOTPDevice.objects.filter(user=other).exists()
    assert not AuditEvent.objects.filter(action="second_factor.reset").exists()
