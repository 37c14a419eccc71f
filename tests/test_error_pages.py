"""Refusals and errors look like the admin, speak the user's language and lead back."""

import pytest
from django.test import Client
from django.urls import reverse

from dpo_portal.register.models import DataCategory
from tests.factories import Role, make_organisation, make_user


def client_for(user, language):
    client = Client(raise_request_exception=False)
    client.force_login(user)
    client.post("/i18n/setlang/", {"language": language, "next": "/admin/"})
    return client


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("language", "heading", "back"),
    [("az", "Bu səhifəni aça bilməzsiniz", "İdarə panelinə qayıt"),
     ("en", "You may not open this page", "Back to the dashboard")],
)  # fmt: skip
def test_a_refusal_is_an_admin_page_in_the_users_language_with_a_way_back(language, heading, back):
    manager = make_user(Role.MANAGER, make_organisation())
    # A manager may not see people's data: the subject list is refused.
    response = client_for(manager, language).get(reverse("admin:register_datasubject_changelist"))

    html = response.content.decode()
    assert response.status_code == 403
    assert heading in html and back in html
    assert 'id="site-name"' in html  # the admin's header
    assert f'href="{reverse("admin:index")}"' in html
    assert "403 Forbidden" not in html


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("language", "heading"), [("az", "Belə səhifə yoxdur"), ("en", "This page does not exist")]
)
def test_an_unknown_address_is_a_404_page_in_the_users_language(settings, language, heading):
    settings.DEBUG = False
    dpo = make_user(Role.DPO, make_organisation())
    response = client_for(dpo, language).get("/admin/no-such-page/here/")

    assert response.status_code == 404
    assert heading in response.content.decode()


@pytest.mark.django_db
def test_a_csrf_failure_explains_itself_and_nothing_is_lost(settings):
    dpo = make_user(Role.DPO, make_organisation())
    client = Client(enforce_csrf_checks=True)
    client.force_login(dpo)
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "az"
    response = client.post(reverse("admin:register_datacategory_add"), {"name_az": "x"})

    assert response.status_code == 403
    assert "Formanı göndərmək mümkün olmadı" in response.content.decode()
    assert not DataCategory.objects.exists()


def test_the_server_error_page_renders_without_a_request():
    from django.template.loader import render_to_string
    from django.utils import translation

    with translation.override("az"):
        html = render_to_string("500.html")
    assert "Bizim tərəfdə xəta baş verdi" in html and "İdarə panelinə qayıt" in html


def test_the_favicon_is_served(client):
    response = client.get("/favicon.ico")
    assert response.status_code == 301 and response["Location"].endswith("favicon.svg")
