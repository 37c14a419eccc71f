"""The test infrastructure itself: PostgreSQL, Redis and a real Celery worker."""

import os
import time
import uuid

import pytest
import redis
from django.contrib.auth.models import Group
from django.db import connection

from dpo_portal.celery import app as celery_app


@pytest.mark.django_db
def test_the_suite_runs_on_postgresql():
    # Production runs on PostgreSQL, and so does the suite (tests/services.sh, `make test`):
    # the sweep, the imports and the erasure search use its SQL.
    assert connection.vendor == "postgresql", "run the tests through `make test`"
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")
        assert cursor.fetchone() == (1,)


def test_redis_answers_ping():
    client = redis.Redis.from_url(os.environ.get("REDIS_URL", "redis://127.0.0.1:6379/0"))
    try:
        assert client.ping() is True
    finally:
        client.close()


@celery_app.task(name="tests.rename_group")
def rename_group(group_id, new_name):
    # Runs in the worker thread: proves it reads and writes the test database.
    Group.objects.filter(pk=group_id).update(name=new_name)
    return Group.objects.get(pk=group_id).name


def test_real_celery_worker_runs_task_against_test_database(celery_worker_real):
    group = Group.objects.create(name=f"before-{uuid.uuid4().hex[:8]}")
    new_name = f"after-{uuid.uuid4().hex[:8]}"

    result = rename_group.delay(group.pk, new_name)

    assert result.get(timeout=20) == new_name
    deadline = time.monotonic() + 5
    while Group.objects.get(pk=group.pk).name != new_name and time.monotonic() < deadline:
        time.sleep(0.1)
    assert Group.objects.get(pk=group.pk).name == new_name
