"""Staff working at once: gunicorn on 127.0.0.1 and N signed-in DPOs working the triage queue,
request pages and the dashboard (after bench/generate.py and bench/pages.py).

    .venv/bin/python bench/concurrency.py [--users 20 50] [--seconds 60] [--workers 2]

Starts `gunicorn dpo_portal.wsgi` (gthread, --workers processes x --threads, the bench settings)
on a free loopback port. Each simulated user has a session of their own, signed in with the
second factor (bench.common.staff_client), and loops over the queue, a request page and the
dashboard for --seconds, one page after the other with no think time (a stress test: every
user asks for a page the moment the last one arrives) or, with --think T, pausing between 0.5 T
and 1.5 T seconds after each page as a person reading it does. Measured per run: pages
served, pages/s, p50/p95 latency, errors (anything but 200, or no answer in 30 s). The baseline
is the same loop with one user, run first: p95 is printed as a multiple of its p95 too. Before
the runs: VACUUM ANALYZE of the database and a warm-up (see warm_up), so that the figures are a
working portal's, not those of a server's first minute after the bench's bulk writes.
Plain urllib threads (a few dozen, bounded in time and count): no load tool to install.
"""

import argparse
import os
import random
import socket
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.common import (  # noqa: E402
    ROOT,
    bench_organisation,
    free_port,
    load_average,
    report,
    setup_django,
    staff_client,
    vacuum_analyze,
)

TARGET_P95_MS = 500


def sessions(organisation, count):
    """Session cookies of ``count`` DPOs of the bench organisation (made once)."""
    from django.conf import settings
    from django.contrib.auth import get_user_model

    from dpo_portal.register.models import Membership, Role

    cookies = []
    for n in range(count):
        user, created = get_user_model().objects.get_or_create(
            username=f"bench-staff-{n:02d}", defaults={"is_staff": True}
        )
        if created:
            Membership.objects.create(user=user, organisation=organisation, role=Role.DPO)
        client = staff_client(user)
        cookies.append(
            f"{settings.SESSION_COOKIE_NAME}={client.cookies[settings.SESSION_COOKIE_NAME].value}"
        )
    return cookies


def start_server(port, workers, threads):
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "bench.settings", "PYTHONWARNINGS": "ignore"}
    server = subprocess.Popen(
        [
            # Next to the interpreter running the bench (the virtualenv).
            str(Path(sys.executable).parent / "gunicorn"),
            "dpo_portal.wsgi",
            "--bind",
            f"127.0.0.1:{port}",
            "--worker-class",
            "gthread",
            "--workers",
            str(workers),
            "--threads",
            str(threads),
            "--timeout",
            "60",
            "--graceful-timeout",
            "5",
            "--log-level",
            "warning",
        ],
        cwd=ROOT,
        env=env,
    )
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=1):
                return server
        except OSError:
            time.sleep(0.2)
    server.kill()
    sys.exit("bench: gunicorn did not start")


def run_once(port, cookie, path):
    """One page as the user's browser asks for it: (answered with 200, seconds)."""
    request = urllib.request.Request(
        f"http://127.0.0.1:{port}{path}",
        headers={"Cookie": cookie, "X-Forwarded-Proto": "https", "Host": "127.0.0.1"},
    )
    start = time.perf_counter()
    try:
        with urllib.request.urlopen(request, timeout=30) as response:
            response.read()
            ok = response.status == 200
    except (urllib.error.URLError, OSError):
        ok = False
    return ok, time.perf_counter() - start


def run(port, cookies, paths, seconds, think=0.0):
    """Every user loops over ``paths`` until ``seconds`` have passed, pausing about ``think``
    seconds after each page; returns (latencies, errors, {page name: latencies}, wall seconds)."""
    latencies, errors, by_page, lock = [], [], {}, threading.Lock()
    stop = time.monotonic() + seconds

    def user(cookie, offset):
        n = offset
        pause = random.Random(offset)  # the same pauses on every run
        if think:  # users who start at once do not stay in step
            time.sleep(pause.uniform(0, think))
        while time.monotonic() < stop:
            path = paths[n % len(paths)]
            n += 1
            ok, elapsed = run_once(port, cookie, path)
            with lock:
                (latencies if ok else errors).append(elapsed)
                if ok:
                    by_page.setdefault(page_name(path), []).append(elapsed)
            if think:
                time.sleep(pause.uniform(0.5 * think, 1.5 * think))

    threads = [
        threading.Thread(target=user, args=(cookie, n), daemon=True)
        for n, cookie in enumerate(cookies)
    ]
    began = time.perf_counter()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(seconds + 35)
    return latencies, errors, by_page, time.perf_counter() - began


def warm_up(port, cookies, paths, slots):
    """A server that has been serving its staff: every thread of every worker past its first
    pages (imports, compiled templates, its database connection), every user's session read
    once into the cache, as a working team's are. Each user opens each kind of page once,
    ``slots`` (the server's threads) at a time, then ``slots`` users work without pause for 10 s."""
    kinds = list({page_name(path): path for path in paths}.values())
    visits = [(cookie, path) for cookie in cookies for path in kinds]
    with ThreadPoolExecutor(max_workers=slots) as pool:
        list(pool.map(lambda visit: run_once(port, *visit), visits))
    run(port, cookies[:slots], paths, 10)


def page_name(path):
    if path == "/admin/":
        return "dashboard"
    return "request page" if path.endswith("/change/") else "triage queue"


def percentile(samples, fraction):
    if not samples:
        return float("nan")
    ordered = sorted(samples)
    return ordered[min(len(ordered) - 1, int(fraction * len(ordered)))]


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--users", type=int, nargs="+", default=[20, 50])
    parser.add_argument("--seconds", type=int, default=60)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--threads", type=int, default=4)
    parser.add_argument(
        "--think", type=float, default=0.0, help="mean seconds a user reads a page (0: stress)"
    )
    args = parser.parse_args()
    setup_django()
    from requests.models import SubjectRequest

    organisation = bench_organisation()
    cookies = sessions(organisation, max(args.users))
    open_requests = list(
        SubjectRequest.objects.filter(organisation=organisation)
        .open()
        .order_by("pk")
        .values_list("pk", flat=True)[:50]
    )
    paths = []
    for pk in open_requests[:10]:
        paths += [
            "/admin/requests/subjectrequest/",
            f"/admin/requests/subjectrequest/{pk}/change/",
            "/admin/",
        ]
    # The steady state of a working portal, not the aftermath of the bench's own bulk writes
    # (generate, pages, imports): without this, autovacuum works through them during the runs.
    vacuum_analyze(table=None)
    # The server's connections are its own: close ours so the database sees only the server.
    from django.db import connections

    connections.close_all()
    port = free_port()
    server = start_server(port, args.workers, args.threads)
    rows = []
    try:
        warm_up(port, cookies, paths, args.workers * args.threads)
        baseline_p95 = None
        for users in [1, *args.users]:
            latencies, errors, by_page, wall = run(
                port, cookies[:users], paths, args.seconds, args.think
            )
            p50 = percentile(latencies, 0.50) * 1000
            p95 = percentile(latencies, 0.95) * 1000
            if users == 1:
                baseline_p95 = p95
                name = "1 user (baseline)"
            else:
                name = f"{users} users"
            # The p95 target is for 20 staff working (reading each page); a run without pause
            # is a stress test, held to no errors only.
            p95_judged = args.think and users <= 20
            ok = "ok" if (p95 <= TARGET_P95_MS or not p95_judged) and not errors else "OVER TARGET"
            rows.append(
                (
                    name,
                    f"{len(latencies):5d} pages, {len(latencies) / wall:5.1f} pages/s, "
                    f"p50 {p50:6.0f} ms, p95 {p95:6.0f} ms ({p95 / baseline_p95:4.1f}x baseline), "
                    f"{len(errors)} errors" + ("" if users == 1 else f" {ok}"),
                )
            )
            # Which page the slow ones are: p50 and p95 of each page.
            rows += [
                (
                    f"  {page}",
                    f"{len(samples):5d} pages, p50 {percentile(samples, 0.5) * 1000:6.0f} ms, "
                    f"p95 {percentile(samples, 0.95) * 1000:6.0f} ms",
                )
                for page, samples in sorted(by_page.items())
            ]
    finally:
        server.terminate()
        try:
            server.wait(15)
        except subprocess.TimeoutExpired:
            server.kill()
            server.wait()
    report(
        f"gunicorn, {args.workers} workers x {args.threads} threads, staff on the queue, "
        f"request pages and the dashboard ({args.seconds} s per run, loopback, "
        + (f"{args.think:g} s reading each page)" if args.think else "no think time)"),
        [
            *rows,
            (
                "target",
                f"20 users reading each page: p95 <= {TARGET_P95_MS} ms and 0 errors; "
                "50 users, and any run without pause: 0 errors",
            ),
            ("load average", load_average()),
        ],
    )


if __name__ == "__main__":
    main()
