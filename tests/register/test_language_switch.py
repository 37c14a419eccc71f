"""Azerbaijani and English, switchable from the admin header, before and after signing in."""

import pytest

from dpo_portal.register.models import Role
from tests.factories import make_organisation, make_user
from tests.register.helpers import log_in

pytestmark = pytest.mark.django_db


def test_the_login_page_offers_the_language_switch_and_answers_in_the_chosen_language(client):
    page = client.get("/admin/login/")
    assert 'id="language-select"' in page.text

    switched = client.post("/i18n/setlang/", {"language": "az", "next": "/admin/login/"})
    again = client.get(switched["Location"])

    assert '<html lang="az"' in again.text
    assert "Şifrə" in again.text  # Django's own Azerbaijani "Password"


def test_signed_in_pages_switch_to_azerbaijani_and_back(client):
    allall = make_organisation("allall", name="AllAll Finance")
    log_in(client, make_user(Role.DPO, allall))

    client.post("/i18n/setlang/", {"language": "az", "next": "/admin/"})
    azerbaijani = client.get("/admin/")
    client.post("/i18n/setlang/", {"language": "en", "next": "/admin/"})
    english = client.get("/admin/")

    assert 'id="language-select"' in azerbaijani.text
    assert "Çıx" in azerbaijani.text
    assert "Log out" in english.text
