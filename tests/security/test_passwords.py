"""The password validators refuse weak passwords, in the user's language, on the form a person
uses to change theirs."""

import pytest
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.utils import translation

from tests.factories import PASSWORD, Role, make_organisation, make_user

pytestmark = pytest.mark.django_db

WEAK = ["2026-12-01", "demo-portal-2026", "Passw0rd!"]


@pytest.mark.parametrize("password", WEAK)
def test_the_password_change_form_refuses_a_weak_password(client, password):
    user = make_user(Role.DPO, make_organisation(), username="leyla.aliyeva")
    client.force_login(user)

    response = client.post(
        "/admin/password_change/",
        {"old_password": PASSWORD, "new_password1": password, "new_password2": password},
    )

    assert response.status_code == 200
    assert response.context["form"].errors["new_password2"]
    user.refresh_from_db()
    assert user.check_password(PASSWORD)


@pytest.mark.parametrize(
    "password, english, azerbaijani",
    [
        ("2026-12-01", "has no letters", "hərf yoxdur"),
        ("demo-portal-2026", "built on a word attackers try first", "hücumçuların ilk yoxladığı"),
        ("Passw0rd!", "too short", "çox qısadır"),
    ],
)
def test_each_refusal_is_said_in_the_users_language(password, english, azerbaijani):
    for language, expected in [("en", english), ("az", azerbaijani)]:
        with translation.override(language), pytest.raises(ValidationError) as refused:
            validate_password(password)
        assert any(expected in message for message in refused.value.messages), (
            language,
            refused.value.messages,
        )


@pytest.mark.parametrize("password", ["leyla.aliyeva1", "123456789012", "password1234"])
def test_similar_numeric_and_common_passwords_are_refused(password):
    user = make_user(Role.DPO, make_organisation(), username="leyla.aliyeva")
    with pytest.raises(ValidationError):
        validate_password(password, user)


def test_the_demo_password_and_a_good_one_pass(settings):
    validate_password(settings.DEMO_PASSWORD)
    validate_password("nar-bagi-sahilde-yasil")
