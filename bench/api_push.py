"""Records pushed through POST /api/v1/records/batch against a real server (gunicorn on
127.0.0.1), in the bench organisation that already holds the generated inventory, compared in the
same run with the file import of the same rows and with PostgreSQL COPY of the same rows.

    .venv/bin/python bench/api_push.py [--rows N] [--workers W] [--clients C]
                                                    (after bench/generate.py)

The API client sends batches of 10,000 records one after the other (one system's token, as a
nightly push would; --clients 2 keeps two requests in flight), each a real HTTP request through
gunicorn, token check, pydantic, the file import's Importer (validation, subject and code
lookups, rules, expiry, upsert) and the audit event. The bodies are encoded before the clock
starts, and each worker has served refused batches before (a running server is warm). The file
import runs the same rows as a CSV through run_job. The COPY baseline writes the same rows, ids
already resolved, straight into retention_record with its indexes. Each step's rows are deleted
before the next, so each starts from the generated inventory.

Besides seconds, each step's CPU time is summed over the client, gunicorn and the PostgreSQL
cluster's processes: on a machine shared with other work the clock says how much of the CPU the
step got, the CPU time what it cost.
"""

import argparse
import io
import json
import os
import subprocess
import sys
import time
import urllib.error
import urllib.request
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.common import (  # noqa: E402
    ROOT,
    Timer,
    bench_organisation,
    execute,
    free_port,
    load_average,
    report,
    scalar,
    setup_django,
    vacuum_analyze,
)
from bench.import_records import run_import  # noqa: E402

PREFIX = "API-"
SYSTEM = "core"
BATCH = 10_000
KINDS = [("txn", ""), ("txn", "loans"), ("kyc", ""), ("contact", ""), ("calls", "")]
COLUMNS = (
    "created_at, updated_at, organisation_id, subject_id, system_id, category_id, activity_id, "
    "external_id, collected_at, clock_started_at, expires_on, status, disposed_at, "
    "disposal_action, rule_id"
)


def make_rows(organisation, count):
    subjects = scalar(
        "SELECT count(*) FROM register_datasubject WHERE organisation_id = %s", [organisation.pk]
    )
    rows = []
    for n in range(count):
        category, activity = KINDS[n % len(KINDS)]
        year, month, day = 2015 + n % 11, 1 + n % 12, 1 + n % 28
        # Clocks start a year after collection, never in the future.
        clock = (
            f"{min(year + 1, 2025)}-{month:02d}-{day:02d}" if category == "kyc" and n % 2 else None
        )
        rows.append(
            {
                "subject_ref": f"S{(n * 7) % subjects:09d}",
                "category": category,
                "activity": activity or None,
                "external_id": f"{PREFIX}{n}",
                "collected_at": f"{year}-{month:02d}-{day:02d}",
                "clock_start": clock,
            }
        )
    return rows


def as_csv(organisation, rows):
    import csv

    from retention.imports import COLUMNS as FILE_COLUMNS

    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(FILE_COLUMNS)
    for row in rows:
        writer.writerow(
            [
                organisation.slug,
                row["subject_ref"],
                "",
                SYSTEM,
                row["category"],
                row["activity"] or "",
                row["external_id"],
                row["collected_at"],
                row["clock_start"] or "",
            ]
        )
    return out.getvalue().encode()


def pushed_count(organisation):
    return scalar(
        "SELECT count(*) FROM retention_record WHERE organisation_id = %s AND external_id LIKE %s",
        [organisation.pk, PREFIX + "%"],
    )


def delete_pushed(organisation):
    execute(
        "DELETE FROM retention_record WHERE organisation_id = %s AND external_id LIKE %s",
        [organisation.pk, PREFIX + "%"],
    )
    vacuum_analyze()


def cpu_by_process():
    """{pid: (parent pid, CPU seconds so far)} of every process on the machine (/proc)."""
    ticks = os.sysconf("SC_CLK_TCK")
    found = {}
    for entry in filter(str.isdigit, os.listdir("/proc")):
        try:
            with open(f"/proc/{entry}/stat") as stat:
                fields = stat.read().rsplit(")", 1)[1].split()
        except (OSError, IndexError):
            continue  # not a process, or gone meanwhile
        found[int(entry)] = (int(fields[1]), (int(fields[11]) + int(fields[12])) / ticks)
    return found


def cpu_seconds(roots):
    """CPU time used so far by ``roots`` and all their descendants: this process (the client,
    and gunicorn under it) and the PostgreSQL cluster. A step's cost to the machine, which the
    other engineers' load does not change the way it changes seconds on the clock."""
    processes = cpu_by_process()
    children = {}
    for pid, (parent, _cpu) in processes.items():
        children.setdefault(parent, []).append(pid)
    total, todo, seen = 0.0, list(roots), set()
    while todo:
        pid = todo.pop()
        if pid in seen or pid not in processes:
            continue
        seen.add(pid)
        total += processes[pid][1]
        todo.extend(children.get(pid, []))
    return total


def measured_roots():
    """This process and the postmaster (the parent of this connection's backend)."""
    backend = scalar("SELECT pg_backend_pid()")
    return [os.getpid(), cpu_by_process()[backend][0]]


def start_gunicorn(workers):
    port = free_port()
    env = {
        **os.environ,
        "DEBUG": "0",
        "SECURE_SSL_REDIRECT": "0",
        "API_TOKEN_RATE": "100000/min",
        "PYTHONWARNINGS": "ignore",
    }
    server = subprocess.Popen(
        [
            str(ROOT / ".venv/bin/gunicorn"),
            "dpo_portal.wsgi:application",
            "--bind",
            f"127.0.0.1:{port}",
            "--workers",
            str(workers),
            "--timeout",
            "600",
            "--log-level",
            "warning",
        ],
        cwd=ROOT,
        env=env,
    )
    url = f"http://127.0.0.1:{port}"
    for _ in range(300):
        try:
            with urllib.request.urlopen(f"{url}/api/v1/schema/", timeout=5):
                return server, url
        except OSError:
            time.sleep(0.2)
    server.terminate()
    sys.exit("bench: gunicorn did not answer")


def post_batch(url, secret, body):
    """One batch through the API: (status, answer)."""
    request = urllib.request.Request(
        f"{url}/api/v1/records/batch",
        data=body,
        method="POST",
        headers={
            "Authorization": f"Bearer {secret}",
            "Content-Type": "application/json",
            "Accept-Language": "en",
        },
    )
    try:
        with urllib.request.urlopen(request, timeout=600) as answer:
            return answer.status, json.load(answer)
    except urllib.error.HTTPError as error:
        return error.code, error.read()[:2000]


def encode(rows):
    """The batches' JSON bodies, made before the clock starts, as the file import's CSV and the
    COPY baseline's data are: the client's own serialising is not the server's time."""
    batches = [rows[start : start + BATCH] for start in range(0, len(rows), BATCH)]
    return [(len(batch), json.dumps({"records": batch}).encode()) for batch in batches]


def warm_up(url, secret, workers):
    """A running server has served requests before: each worker's first request imports the
    API's modules and loads the translations. Refused batches (an unknown category: 422,
    nothing written), sent as many at a time as there are workers, so that each takes some;
    none is timed."""
    refused = {
        "subject_ref": "S000000000",
        "category": "no-such-category",
        "external_id": f"{PREFIX}warm-up",
        "collected_at": "2020-01-01",
    }
    body = json.dumps({"records": [refused]}).encode()
    with ThreadPoolExecutor(workers) as pool:
        answers = list(pool.map(lambda _n: post_batch(url, secret, body)[0], range(4 * workers)))
    if set(answers) != {422}:
        sys.exit(f"bench: the warm-up batches answered {sorted(set(answers))}, not 422")


def push(url, secret, bodies, clients=1):
    """The batches, each client sending its share one after the other (clients > 1: a system
    that keeps that many requests in flight)."""

    def send(share):
        for count, body in share:
            status, answer = post_batch(url, secret, body)
            if status != 200:
                return f"the API refused a batch ({status}): {answer!r}"
            if answer["written"] != count:
                return f"a batch wrote {answer['written']} records"
        return None

    with ThreadPoolExecutor(clients) as pool:
        failures = [f for f in pool.map(send, [bodies[n::clients] for n in range(clients)]) if f]
    if failures:
        sys.exit(f"bench: {failures[0]}")


def copy_out(organisation):
    """The imported rows as COPY text, ids resolved (not timed)."""
    from django.db import connection

    buffer = io.BytesIO()
    with connection.cursor() as cursor:
        with cursor.connection.cursor().copy(
            f"COPY (SELECT {COLUMNS} FROM retention_record WHERE organisation_id = "
            f"{int(organisation.pk)} AND external_id LIKE '{PREFIX}%') TO STDOUT"
        ) as copy:
            for data in copy:
                buffer.write(data)
    return buffer.getvalue()


def copy_in(data):
    from django.db import connection, transaction

    with Timer() as timer, transaction.atomic(), connection.cursor() as cursor:
        with cursor.connection.cursor().copy(
            f"COPY retention_record ({COLUMNS}) FROM STDIN"
        ) as copy:
            copy.write(data)
    return timer.seconds


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rows", type=int, default=100_000)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument(
        "--clients", type=int, default=1, help="requests in flight at once (default 1)"
    )
    args = parser.parse_args()
    setup_django()
    import datetime

    from django.contrib.auth import get_user_model
    from django.utils import timezone

    from dpo_portal.api.services import create_token
    from dpo_portal.register.models import System

    organisation = bench_organisation()
    user = get_user_model().objects.get(username="bench-dpo")
    held = scalar(
        "SELECT count(*) FROM retention_record WHERE organisation_id = %s", [organisation.pk]
    )
    system = System.objects.get(organisation=organisation, code=SYSTEM)
    _token, secret = create_token(
        system,
        name="bench",
        scopes=["inventory"],
        expires_at=timezone.now() + datetime.timedelta(days=1),
        actor=None,
    )
    rows = make_rows(organisation, args.rows)
    delete_pushed(organisation)

    bodies = encode(rows)
    roots = measured_roots()
    load_before = load_average()
    server, url = start_gunicorn(args.workers)
    try:
        warm_up(url, secret, args.workers)
        cpu = cpu_seconds(roots)
        with Timer() as api:
            push(url, secret, bodies, args.clients)
        # Before the workers stop: their database sessions end with them.
        api_cpu = cpu_seconds(roots) - cpu
    finally:
        server.terminate()
        server.wait(timeout=60)
    written = pushed_count(organisation)
    delete_pushed(organisation)

    content = as_csv(organisation, rows)
    cpu = cpu_seconds(roots)
    imported_seconds = run_import(organisation, user, content)
    import_cpu = cpu_seconds(roots) - cpu
    data = copy_out(organisation)
    delete_pushed(organisation)
    cpu = cpu_seconds(roots)
    copy_seconds = copy_in(data)
    copy_cpu = cpu_seconds(roots) - cpu
    copied = pushed_count(organisation)
    delete_pushed(organisation)
    per_batch = BATCH / args.rows

    api_rate = args.rows / api.seconds
    report(
        f"API push: {args.rows:,} records in batches of {BATCH:,} through gunicorn "
        f"({args.workers} workers, {args.clients} client{'s' if args.clients > 1 else ''}), "
        f"{held:,} records already held",
        [
            ("API push", f"{api.seconds:.1f} s = {api_rate:,.0f} records/s ({written:,} written)"),
            (
                "file import, same rows",
                f"{imported_seconds:.1f} s = {args.rows / imported_seconds:,.0f} rows/s",
            ),
            (
                "COPY, same rows",
                f"{copy_seconds:.1f} s = {args.rows / copy_seconds:,.0f} rows/s ({copied:,})",
            ),
            ("API / file import", f"{imported_seconds / api.seconds:.2f}x"),
            ("API / COPY", f"{copy_seconds / api.seconds:.2f}x"),
            ("goal", ">= 20,000 records/s, >= 0.5x COPY"),
            (
                f"CPU per {BATCH:,} records",
                f"API {api_cpu * per_batch:.2f} s, file import {import_cpu * per_batch:.2f} s, "
                f"COPY {copy_cpu * per_batch:.2f} s (client, gunicorn and PostgreSQL processes)",
            ),
            ("API / file import by CPU", f"{import_cpu / api_cpu:.2f}x"),
            ("API / COPY by CPU", f"{copy_cpu / api_cpu:.2f}x"),
            ("load average", f"{load_before} before, {load_average()} after (2 cores)"),
        ],
    )


if __name__ == "__main__":
    main()
