"""Shared test fixtures: a real browser (Playwright + Debian's Chromium) and a real Celery worker.

Run the suite with `make test`: tests/services.sh provides a throwaway PostgreSQL (DATABASE_URL),
Redis (REDIS_URL) and SECRET_KEY.

Fixtures
--------
browser             session: headless Chromium (/usr/bin/chromium, or $CHROMIUM_PATH).
page                function: a fresh browser context (locale en-US) whose base_url is the
                    live_server, so `page.goto("/admin/")` works. Requests `live_server` and
                    `transactional_db`: the server thread only sees committed rows. A screenshot of
                    a failing test is saved under test-results/. Fails the test on any
                    Content-Security-Policy violation reported on the browser console.
celery_worker_real  function: a real Celery worker (solo pool, in a thread of the test process)
                    consuming from the REDIS_URL broker, with eager mode off. Requests
                    `transactional_db`, so the worker thread sees what the test committed. The
                    queue is purged first, so leftovers of earlier tests are not run. Results can
                    be read with `.get(timeout=...)` (the result backend is Redis too).

Signing in
----------
The portal asks staff for a second factor (django-otp) after the password. Two doors, on purpose:

* ``client.force_login(user)`` (and pytest-django's ``admin_client``) counts as signed in WITH the
  second factor: the autouse fixture ``_force_login_counts_as_second_factor`` wraps
  ``Client.force_login`` so that it also gives the user a confirmed recovery-code device named
  FORCE_LOGIN_DEVICE_NAME and marks the session verified by it, exactly as django_otp.login()
  does after a real code. force_login already skips the password; it is the test client's
  "already authenticated" door, and tests that use it are about what comes after signing in.
  Nothing in the portal's own code knows about it.
* The real door: tests/factories.py:login(page, ...) in the browser, and a POST to /admin/login/
  with the test client, go through the password AND the second-factor pages
  (tests/security/test_second_factor.py proves the enforcement that way).

Tests under tests/e2e/ are marked `e2e` automatically (`-m "not e2e"` skips the browser).
"""

import os
import re
from pathlib import Path

import pytest

# Playwright's sync API runs an asyncio event loop in the main thread, which makes Django's
# "async unsafe" guard refuse ORM calls in tests. The tests themselves are synchronous.
os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"

CHROMIUM_PATH = os.environ.get("CHROMIUM_PATH", "/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
E2E_DIR = Path(__file__).parent / "e2e"
ARTEFACTS_DIR = Path(__file__).resolve().parent.parent / "test-results"


def pytest_collection_modifyitems(config, items):
    for item in items:
        if E2E_DIR in Path(item.path).parents:
            item.add_marker(pytest.mark.e2e)


@pytest.hookimpl(wrapper=True, tryfirst=True)
def pytest_runtest_makereport(item, call):
    # Keep each phase's report on the item, so fixtures can tell whether the test failed.
    report = yield
    setattr(item, f"rep_{report.when}", report)
    return report


@pytest.fixture(autouse=True, scope="session")
def _test_web_settings(django_test_environment):
    """Session-wide adjustments so the test client and the live server work over plain HTTP.

    * The settings redirect HTTP to HTTPS whenever DEBUG is off, as it is under test.
    * The manifest static storage needs `collectstatic`, and the live server serves static files
      from the apps (finders), never hashed names from STATIC_ROOT: use the plain storage, as
      Django's documentation recommends for tests. WhiteNoise looks files up on demand.
    * Tests read messages in English, while the portal's default language is Azerbaijani: a test
      about Azerbaijani pages switches language itself (tests/test_translations.py and the
      language-switch tests).
    * Tests create many users; the production password hasher is slow on purpose.
    """
    from django.conf import settings
    from django.test.utils import override_settings

    storages = {
        **settings.STORAGES,
        "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
    }
    with override_settings(
        LANGUAGE_CODE="en",
        PASSWORD_HASHERS=["django.contrib.auth.hashers.MD5PasswordHasher"],
        SECURE_SSL_REDIRECT=False,
        STORAGES=storages,
        WHITENOISE_AUTOREFRESH=True,
        WHITENOISE_USE_FINDERS=True,
    ):
        yield


# --- signing in ----------------------------------------------------------------------------------

FORCE_LOGIN_DEVICE_NAME = "test client force_login"


@pytest.fixture(autouse=True)
def _force_login_counts_as_second_factor(monkeypatch):
    """See "Signing in" above: force_login marks the session verified by a second factor."""
    from django.test import Client
    from django_otp import DEVICE_ID_SESSION_KEY
    from django_otp.plugins.otp_static.models import StaticDevice

    real_force_login = Client.force_login

    def force_login(self, user, backend=None):
        real_force_login(self, user, backend)
        device, _ = StaticDevice.objects.get_or_create(
            user=user, name=FORCE_LOGIN_DEVICE_NAME, defaults={"confirmed": True}
        )
        session = self.session
        session[DEVICE_ID_SESSION_KEY] = device.persistent_id
        session.save()

    monkeypatch.setattr(Client, "force_login", force_login)


# --- browser -------------------------------------------------------------------------------------


@pytest.fixture(scope="session")
def playwright_instance():
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        yield playwright


@pytest.fixture(scope="session")
def browser(playwright_instance):
    browser = playwright_instance.chromium.launch(
        executable_path=CHROMIUM_PATH, headless=True, args=CHROMIUM_ARGS
    )
    yield browser
    browser.close()


@pytest.fixture
def page(request, browser, live_server, transactional_db):
    context = browser.new_context(base_url=live_server.url, locale="en-US")
    context.set_default_timeout(15_000)
    page = context.new_page()
    # Every browser test also guards the Content-Security-Policy: a script, handler or resource
    # the policy refused shows up on the console (Chromium says "...violates the following
    # Content Security Policy directive..."), and fails the test at teardown.
    csp_violations = []
    page.on(
        "console",
        lambda message: (
            "Content Security Policy" in message.text and csp_violations.append(message.text)
        ),
    )
    page.on(
        "pageerror",
        lambda error: "Content Security Policy" in str(error) and csp_violations.append(str(error)),
    )
    yield page
    report = getattr(request.node, "rep_call", None)
    if report is not None and report.failed:
        ARTEFACTS_DIR.mkdir(exist_ok=True)
        name = re.sub(r"[^\w.-]+", "_", request.node.nodeid)
        try:
            page.screenshot(path=str(ARTEFACTS_DIR / f"{name}.png"), full_page=True)
        except Exception:
            pass  # a missing screenshot must not hide the real failure
    context.close()
    if csp_violations:
        pytest.fail(
            "Content-Security-Policy violations in the browser:\n" + "\n".join(csp_violations)
        )


# --- celery --------------------------------------------------------------------------------------


@pytest.fixture
def celery_worker_real(transactional_db):
    """A real Celery worker for the project's app, in a thread of this process.

    Tasks are sent through the REDIS_URL broker and run in the worker thread, which has its own
    database connection: that is why the test database must be transactional (committed rows).
    """
    from celery.contrib.testing.worker import start_worker
    from celery.signals import task_postrun
    from django.db import connections

    from dpo_portal.celery import app

    def close_db_connections(**kwargs):
        # Runs in the worker thread: leave no connection open there (CONN_MAX_AGE may be > 0),
        # or the test database could not be flushed or dropped afterwards.
        connections.close_all()

    previous_eager = app.conf.task_always_eager
    app.conf.task_always_eager = False
    task_postrun.connect(close_db_connections, weak=False)
    try:
        app.control.purge()
        with start_worker(
            app,
            pool="solo",
            concurrency=1,
            loglevel="WARNING",
            perform_ping_check=False,
            shutdown_timeout=30,
        ) as worker:
            yield worker
    finally:
        task_postrun.disconnect(close_db_connections)
        app.conf.task_always_eager = previous_eager


@pytest.fixture(autouse=True)
def _shipped_legal_rules(request):
    """The regimes, references and registration rule the data migration ships. A transactional
    test (live server, real worker) flushes every table when it ends, data migrations included:
    bring them back for each test that uses the database (load() only adds what is missing)."""
    marker = request.node.get_closest_marker("django_db")
    transactional = "transactional_db" in request.fixturenames or (
        marker is not None and marker.kwargs.get("transaction")
    )
    if transactional:
        request.getfixturevalue("transactional_db")
    elif marker is not None or "db" in request.fixturenames:
        request.getfixturevalue("db")
    else:
        return
    from django.apps import apps

    from dpo_portal.legal.shipped import load
    from dpo_portal.register.models import _rule_cache

    load(apps)
    # A test's rolled-back edit of the rule sends no signal: start each test with a fresh read,
    # as a new process would.
    _rule_cache.clear()
