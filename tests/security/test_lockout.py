"""Lockout per account as well as per address (django-axes), with a message that does not tell
whether the account exists."""

import re

import pytest
from django.conf import settings

from tests.factories import PASSWORD, Role, make_organisation, make_user

pytestmark = pytest.mark.django_db

LOCKED = "Too many failed sign-in attempts"


def attempt(client, username, password, address):
    return client.post(
        "/admin/login/", {"username": username, "password": password}, REMOTE_ADDR=address
    )


def test_failures_spread_over_several_addresses_lock_the_account(client):
    dpo = make_user(Role.DPO, make_organisation())
    addresses = ["198.51.100.1", "198.51.100.2", "198.51.100.3"]
    for n in range(settings.AXES_FAILURE_LIMIT):
        response = attempt(client, dpo.username, f"wrong-guess-{n}", addresses[n % 3])
        if n < settings.AXES_FAILURE_LIMIT - 1:
            assert response.status_code == 200 and LOCKED not in response.content.decode()

    right_from_elsewhere = attempt(client, dpo.username, PASSWORD, "203.0.113.9")

    assert right_from_elsewhere.status_code == 429
    assert LOCKED in right_from_elsewhere.content.decode()
    assert "_auth_user_id" not in client.session


def test_failures_from_one_address_lock_that_address_for_every_account(client):
    organisation = make_organisation()
    victim = make_user(Role.DPO, organisation)
    for n in range(settings.AXES_FAILURE_LIMIT):
        attempt(client, f"guess{n}", "wrong-guess", "198.51.100.7")

    response = attempt(client, victim.username, PASSWORD, "198.51.100.7")
    assert response.status_code == 429


def test_the_lockout_message_is_the_same_for_an_account_that_does_not_exist(client):
    real = make_user(Role.DPO, make_organisation())
    pages = []
    for username, base in [(real.username, "198.51.100."), ("nobody-here", "192.0.2.")]:
        for n in range(settings.AXES_FAILURE_LIMIT + 1):
            response = attempt(client, username, "wrong-guess", f"{base}{n + 1}")
        pages.append(response)

    assert [page.status_code for page in pages] == [429, 429]
    texts = [
        re.sub(r'value="[^"]*"', "", page.content.decode())  # CSRF tokens differ
        .replace("nobody-here", "")
        .replace(real.username, "")
        for page in pages
    ]
    assert LOCKED in texts[0]
    assert texts[0] == texts[1]
