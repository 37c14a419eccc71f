"""A sweep whose worker is killed (SIGKILL) while a chunk is in flight finishes by itself: a
second worker takes the chunks still queued, and the beat-driven closer sends again the chunk the
dead worker held (its message would come back only after Redis's visibility timeout, ten
minutes here, far beyond this test's bound) and closes the run: every due record flagged, the
batch counted right, one `sweep_finished` event.

Real processes throughout: two `celery worker` processes and a `celery beat` against the test's
Redis and PostgreSQL database."""

import datetime
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import psycopg
import pytest
from django.db import connection
from django.db.models import Count

from dpo_portal.audit.models import AuditEvent
from dpo_portal.celery import app
from retention.models import DisposalBatch, Record, RecordStatus, SweepChunk, SweepRun
from retention.sweep import plan_chunks
from retention.tasks import start_sweep
from tests.factories import make_subject

from .helpers import retention_world

TODAY = datetime.date(2026, 6, 1)
CHUNK = 40
EXPIRED, RUNNING = 1_600, 400
ROOT = Path(__file__).resolve().parents[2]


def database_url():
    db = connection.settings_dict
    return f"postgres://{db['USER']}:{db['PASSWORD'] or ''}@{db['HOST']}:{db['PORT']}/{db['NAME']}"


def start(tmp_path, *args, name):
    env = {
        **os.environ,
        "DATABASE_URL": database_url(),
        "CELERY_VISIBILITY_TIMEOUT": "600",  # as in production: not what finishes the sweep
        "SWEEP_QUIET_SECONDS": "3",
        "SWEEP_CLOSER_INTERVAL": "1",
    }
    log = open(tmp_path / f"{name}.log", "wb")  # noqa: SIM115 (closed with the process)
    process = subprocess.Popen(
        [sys.executable, "-m", "celery", "-A", "dpo_portal", *args, "--loglevel=WARNING"],
        cwd=ROOT,
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    process.log = log
    return process


def worker(tmp_path, name):
    return start(
        tmp_path,
        "worker",
        "--pool=solo",
        "--concurrency=1",
        "--without-mingle",
        "--without-gossip",
        f"--hostname={name}@%h",
        name=name,
    )


def stop(process):
    if process.poll() is None:
        process.terminate()
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
    process.log.close()


def wait_for(condition, seconds, what, processes=()):
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if condition():
            return
        time.sleep(0.05)
    logs = "\n".join(Path(p.log.name).read_text(errors="replace")[-3000:] for p in processes)
    pytest.fail(f"{what} within {seconds} s\n{logs}")


def waiting_on(locker):
    """The server processes waiting for a lock this test's connection holds."""
    # Activity is read once per transaction unless the snapshot is dropped, and the locks are
    # held in one.
    locker.execute("SELECT pg_stat_clear_snapshot()")
    return [
        pid
        for (pid,) in locker.execute(
            "SELECT pid FROM pg_stat_activity WHERE %s = ANY(pg_blocking_pids(pid))",
            [locker.info.backend_pid],
        )
    ]


def inventory():
    organisation, system, category, rule = retention_world("acme")
    subjects = [make_subject(organisation) for _ in range(20)]
    Record.objects.bulk_create(
        Record(
            organisation=organisation,
            subject=subjects[n % len(subjects)],
            system=system,
            category=category,
            rule=rule,
            external_id=f"R{n}",
            collected_at=datetime.date(2015, 1, 1),
            # A five-year rule from collection: the first ones ran out, the last ones have not.
            expires_on=datetime.date(2020, 1, 1) if n < EXPIRED else datetime.date(2030, 1, 1),
        )
        for n in range(EXPIRED + RUNNING)
    )
    return organisation


@pytest.mark.django_db(transaction=True)
def test_a_sweep_whose_worker_is_killed_finishes_by_itself(tmp_path):
    organisation = inventory()
    app.control.purge()
    # The worker is to be killed while it holds a chunk, not in the instant between two: from
    # the fourth chunk on, a due record is locked (by this test) before the sweep starts, so the
    # worker sweeps three chunks, then waits on the lock, its chunk unacknowledged.
    locker = psycopg.connect(database_url())
    locker.execute(
        "SELECT 1 FROM retention_record WHERE id = ANY(%s) FOR UPDATE",
        [[first_pk for first_pk, _ in plan_chunks(chunk_size=CHUNK)[3:]]],
    )
    first = worker(tmp_path, "first")
    processes = [first]
    try:
        start_sweep(today=TODAY, chunk_size=CHUNK)
        run = SweepRun.objects.get()
        chunks = SweepChunk.objects.filter(run=run)
        total = chunks.count()
        assert total == (EXPIRED + RUNNING) // CHUNK

        blocked = []
        wait_for(
            lambda: blocked.extend(waiting_on(locker)) or blocked,
            120,
            "the first worker did not reach a locked record",
            processes,
        )
        first.send_signal(signal.SIGKILL)
        first.wait(timeout=10)
        # Its server session, waiting on the lock, would outlive it until TCP noticed.
        locker.execute("SELECT pg_terminate_backend(%s)", [blocked[0]])
        locker.rollback()
        done_when_killed = chunks.exclude(finished_at=None).count()
        assert 1 <= done_when_killed <= 3  # killed mid-sweep, chunks still to do

        processes += [
            worker(tmp_path, "second"),
            start(tmp_path, "beat", "-s", str(tmp_path / "beat"), name="beat"),
        ]
        wait_for(
            lambda: SweepRun.objects.filter(pk=run.pk, finished_at__isnull=False).exists(),
            120,
            "the sweep did not finish",
            processes,
        )
    finally:
        locker.close()
        for process in processes:
            stop(process)
        connection.close()

    run.refresh_from_db()
    assert run.resumed >= 1  # the closer sent the dead worker's chunk again
    assert not chunks.filter(finished_at=None).exists()
    statuses = dict(
        Record.objects.order_by()
        .values("status")
        .annotate(n=Count("pk"))
        .values_list("status", "n")
    )
    assert statuses == {RecordStatus.DUE: EXPIRED, RecordStatus.ACTIVE: RUNNING}
    batch = DisposalBatch.objects.get()
    assert batch.record_count == EXPIRED
    assert Record.objects.filter(status=RecordStatus.DUE, disposal_batch=batch).count() == EXPIRED
    finished = AuditEvent.objects.filter(
        action="retention.sweep_finished", organisation=organisation
    )
    assert finished.count() == 1
    assert (finished.get().details["due"], finished.get().details["pending_batches"]) == (
        EXPIRED,
        1,
    )
