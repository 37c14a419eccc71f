"""Settings from the environment, production hardening, migrations and the login lock-out."""

import os
import secrets
import subprocess
import sys
from pathlib import Path

import pytest
from django.contrib.auth import get_user_model
from django.db import connection

ROOT = Path(__file__).resolve().parent.parent


def manage(*args, **env):
    """Run manage.py in a fresh process with the given environment on top of this one."""
    environment = {**os.environ, **env}
    # The test run's own switches (conftest.py allows async-unsafe ORM calls for Playwright)
    # must not leak into what is checked as production.
    for name in ("DJANGO_SETTINGS_MODULE", "DJANGO_ALLOW_ASYNC_UNSAFE"):
        environment.pop(name, None)
    return subprocess.run(
        [sys.executable, "manage.py", *args],
        cwd=ROOT,
        env=environment,
        capture_output=True,
        text=True,
        timeout=120,
    )


def production_env():
    return {
        "DEBUG": "0",
        "SECRET_KEY": secrets.token_urlsafe(64),
        "ALLOWED_HOSTS": "dpo.example.az",
    }


def test_check_deploy_is_clean_in_production_mode():
    result = manage("check", "--deploy", "--fail-level", "WARNING", **production_env())

    assert result.returncode == 0, result.stdout + result.stderr
    assert "no issues" in result.stdout


def test_production_mode_refuses_to_start_without_a_secret_key():
    env = production_env()
    env["SECRET_KEY"] = ""

    result = manage("check", **env)

    assert result.returncode != 0
    assert "SECRET_KEY must be set" in result.stderr


def test_models_and_migrations_agree():
    result = manage("makemigrations", "--check", "--dry-run", DEBUG="1")

    assert result.returncode == 0, result.stdout + result.stderr


@pytest.mark.django_db
def test_the_portal_asks_postgresql_not_to_jit_compile_its_statements():
    # A request page's short count, costed high, paid 30 ms of compiling for 9 ms of work.
    with connection.cursor() as cursor:
        cursor.execute("SHOW jit")
        assert cursor.fetchone() == ("off",)


@pytest.mark.django_db
def test_five_failed_logins_lock_the_account(client):
    get_user_model().objects.create_user(
        "aysel", password="right-password-2026", is_staff=True, email="aysel@example.az"
    )
    for _attempt in range(5):
        client.post("/admin/login/", {"username": "aysel", "password": "wrong"})

    response = client.post(
        "/admin/login/",
        {"username": "aysel", "password": "right-password-2026", "next": "/admin/"},
    )

    assert response.status_code == 429  # axes' lock-out page
    assert "_auth_user_id" not in client.session
    assert client.get("/admin/").status_code == 302  # still sent to the login page
