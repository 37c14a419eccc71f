"""load_demo refuses a production database (DEBUG off) unless told it is not one, and then no
demo user keeps the published password."""

import io
import re

import pytest
from django.contrib.auth import get_user_model
from django.core.management import CommandError, call_command

pytestmark = pytest.mark.django_db


def test_load_demo_refuses_to_run_with_debug_off(settings):
    settings.DEBUG = False
    with pytest.raises(CommandError, match="--i-know-this-is-not-production"):
        call_command("load_demo", subjects=5, stdout=io.StringIO())
    assert not get_user_model().objects.filter(username__startswith="demo-").exists()


def test_with_the_flag_no_demo_user_has_a_known_password(settings):
    settings.DEBUG = False
    out = io.StringIO()
    call_command("load_demo", "--i-know-this-is-not-production", subjects=5, stdout=out)

    printed = re.search(r"shown only now, not stored\): (\S+)", out.getvalue()).group(1)
    users = get_user_model().objects.filter(username__startswith="demo-")
    admin = users.get(username="demo-admin")
    assert admin.is_superuser
    for user in users:
        assert not user.check_password(settings.DEMO_PASSWORD), user.username
        assert user.check_password(printed), user.username


def test_with_debug_on_the_demo_users_have_the_published_password(settings):
    settings.DEBUG = True
    call_command("load_demo", subjects=5, stdout=io.StringIO())
    assert get_user_model().objects.get(username="demo-dpo").check_password(settings.DEMO_PASSWORD)
