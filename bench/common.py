"""Shared by the benchmark scripts: Django set-up from a plain `python bench/x.py`, and the few
figures every script prints the same way."""

import os
import socket
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
BENCH_SLUG = "bench"


def setup_django():
    if str(ROOT) not in sys.path:
        sys.path.insert(0, str(ROOT))
    # The plain static storage: a fresh clone has no collectstatic manifest (bench/settings.py).
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "bench.settings")
    if not os.environ.get("DATABASE_URL", "").startswith("postgres"):
        sys.exit("bench: DATABASE_URL must point at PostgreSQL (run it through tests/services.sh)")
    import django

    django.setup()


def bench_organisation():
    from dpo_portal.register.models import Organisation

    return Organisation.objects.get(slug=BENCH_SLUG)


def fetch(sql, params=None):
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return cursor.fetchall()


def scalar(sql, params=None):
    return fetch(sql, params)[0][0]


def execute(sql, params=None):
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return cursor.rowcount


def free_port():
    """A free TCP port on the loopback (for a gunicorn a bench starts)."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def load_average():
    """The 1, 5 and 15 minute load averages as ``0.79/0.78/1.12`` (one token, so it also fits
    a RESULT line)."""
    return "/".join(f"{load:.2f}" for load in os.getloadavg())


def vacuum_analyze(table="retention_record"):
    """Same starting point for every timed step: no dead tuples left by the previous one, fresh
    statistics, dirty pages written out. ``table=None``: the whole database."""
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute(f"VACUUM (ANALYZE) {table}" if table else "VACUUM (ANALYZE)")
        cursor.execute("CHECKPOINT")


class Timer:
    def __enter__(self):
        self.start = time.perf_counter()
        return self

    def __exit__(self, *exc):
        self.seconds = time.perf_counter() - self.start


def median_ms(samples):
    return round(statistics.median(samples) * 1000, 1)


def report(title, rows):
    """Print one block of `name: value` lines, aligned, under a title."""
    print(f"\n== {title}")
    width = max(len(name) for name, _value in rows)
    for name, value in rows:
        print(f"  {name.ljust(width)}  {value}")
    sys.stdout.flush()


def staff_client(user):
    """A django.test.Client signed in as ``user`` with the second factor, as after a real code:
    a confirmed recovery-code device marks the session verified (the same door the tests'
    force_login takes, see tests/conftest.py). Its session cookie also serves plain HTTP
    clients (bench/concurrency.py)."""
    from django.test import Client
    from django_otp import DEVICE_ID_SESSION_KEY
    from django_otp.plugins.otp_static.models import StaticDevice

    client = Client()
    client.force_login(user)
    device, _ = StaticDevice.objects.get_or_create(
        user=user, name="bench", defaults={"confirmed": True}
    )
    session = client.session
    session[DEVICE_ID_SESSION_KEY] = device.persistent_id
    session.save()
    return client
