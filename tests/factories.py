"""Small builders for tests: organisations, users with a role, register entries, subjects.

Plain functions over the ORM (no factory library): each returns a saved object and takes the
fields a test cares about as keyword arguments.
"""

import base64
import itertools

from django.conf import settings
from django.contrib.auth import get_user_model

from dpo_portal.register.models import (
    DataCategory,
    DataSubject,
    Membership,
    Organisation,
    Recipient,
    RecipientCategory,
    RecipientRole,
    Role,
    Source,
    SourceKind,
    SubjectType,
    System,
)

_seq = itertools.count(1)
PASSWORD = "test-pass-2026"


def make_organisation(slug=None, **fields):
    slug = slug or f"org{next(_seq)}"
    fields.setdefault("name", f"Organisation {slug}")
    return Organisation.objects.create(slug=slug, **fields)


def make_user(role=None, *organisations, username=None, superuser=False, **fields):
    """A staff user with ``role`` in each of ``organisations`` (or a superuser)."""
    username = username or f"user{next(_seq)}"
    fields.setdefault("email", f"{username}@example.org")
    user = get_user_model().objects.create_user(
        username=username, password=PASSWORD, is_superuser=superuser, is_staff=True, **fields
    )
    for organisation in organisations:
        Membership.objects.create(user=user, organisation=organisation, role=role)
    return user


def make_category(organisation, code=None, **fields):
    code = code or f"cat{next(_seq)}"
    fields.setdefault("name", f"Category {code}")
    return DataCategory.objects.create(organisation=organisation, code=code, **fields)


def make_subject_type(organisation, code=None, **fields):
    code = code or f"type{next(_seq)}"
    fields.setdefault("name", f"Type {code}")
    return SubjectType.objects.create(organisation=organisation, code=code, **fields)


def make_source(organisation, code=None, **fields):
    code = code or f"src{next(_seq)}"
    fields.setdefault("name", f"Source {code}")
    fields.setdefault("kind", SourceKind.SUBJECT)
    return Source.objects.create(organisation=organisation, code=code, **fields)


def make_system(organisation, code=None, **fields):
    code = code or f"sys{next(_seq)}"
    fields.setdefault("name", f"System {code}")
    fields.setdefault("owner", "IT department")
    return System.objects.create(organisation=organisation, code=code, **fields)


def make_recipient(organisation, code=None, **fields):
    code = code or f"rcp{next(_seq)}"
    fields.setdefault("name", f"Recipient {code}")
    fields.setdefault("category", RecipientCategory.SERVICE_PROVIDER)
    fields.setdefault("role", RecipientRole.PROCESSOR)
    return Recipient.objects.create(organisation=organisation, code=code, **fields)


_FIN_ALPHABET = "0123456789ABCDEFGHJKLMNPQRSTUVWXYZ"


def make_fin(n=None):
    n = next(_seq) * 7919 if n is None else n
    chars = []
    for _ in range(7):
        n, r = divmod(n, len(_FIN_ALPHABET))
        chars.append(_FIN_ALPHABET[r])
    return "".join(chars)


def make_subject(organisation, **fields):
    n = next(_seq)
    fields.setdefault("external_ref", f"EXT-{n:06d}")
    fields.setdefault("first_name", "Aysel")
    fields.setdefault("last_name", f"Məmmədova{n}")
    fields.setdefault("fin", make_fin(n * 7919))
    fields.setdefault("phone", f"+99450{n:07d}")
    fields.setdefault("email", f"person{n}@example.az")
    return DataSubject.objects.create(organisation=organisation, **fields)


def current_totp(device):
    """The code an authenticator app would show now for ``device`` (a TOTPDevice).

    django-otp refuses a code twice and accepts one step of drift: when the current code was
    already used (a second sign-in within 30 seconds), this gives the next one, and when that too
    was used, it waits for the next step, as a person would.
    """
    import time

    from django_otp.oath import TOTP

    totp = TOTP(device.bin_key, device.step, device.t0, device.digits, device.drift)
    last_t = -1 if device.last_t is None else device.last_t
    if totp.t() + device.tolerance <= last_t:
        time.sleep(device.step - (time.time() - device.t0) % device.step + 0.1)
        totp = TOTP(device.bin_key, device.step, device.t0, device.digits, device.drift)
    while totp.t() <= last_t:
        totp.time = totp.time + device.step
    return f"{totp.token():0{device.digits}d}"


def login(page, live_server, username, password=PASSWORD):
    """Log in through the real admin login form in a Playwright page, second factor included.

    A user who must use a second factor and has none enrols like a person would: the test reads
    the key shown as text, computes the code, enters it and continues past the recovery codes. One
    who has enrolled enters the code of their authenticator device, computed here from the key.
    """
    from django_otp.plugins.otp_static.models import StaticDevice, StaticToken
    from django_otp.plugins.otp_totp.models import TOTPDevice

    page.goto(f"{live_server.url}/admin/login/")
    page.fill("#id_username", username)
    page.fill("#id_password", password)
    with page.expect_navigation():
        page.click("input[type=submit]")
    if page.locator("#second-factor-enrol").count():
        device = TOTPDevice.objects.get(user__username=username, confirmed=False)
        shown = page.locator("#totp-secret").inner_text().replace(" ", "")
        assert base64.b32encode(device.bin_key).decode().rstrip("=") == shown
        page.fill("#id_otp_token", current_totp(device))
        with page.expect_navigation():
            page.click("#second-factor-form input[type=submit]")
        with page.expect_navigation():
            page.click("#recovery-codes-continue")
    elif page.locator("#second-factor-verify").count():
        device = TOTPDevice.objects.filter(user__username=username, confirmed=True).first()
        if device is not None:
            code = current_totp(device)
        else:  # only recovery codes (e.g. the force_login device of tests/conftest.py)
            static = StaticDevice.objects.filter(user__username=username).first()
            code = StaticToken.random_token()
            static.token_set.create(token=code)
        page.fill("#id_otp_token", code)
        with page.expect_navigation():
            page.click("#second-factor-form input[type=submit]")


__all__ = [name for name in dir() if name.startswith("make_")] + ["PASSWORD", "Role", "settings"]
