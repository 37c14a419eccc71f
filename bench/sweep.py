"""The retention sweep over the bench data (bench/generate.py), against one raw SQL UPDATE.

    .venv/bin/python bench/sweep.py [--explain] [--repeat N]     (after bench/generate.py)

(a) The portal's sweep as production runs it: `start_sweep()` plans the pk-range chunks and sends
    one Celery task per chunk (plus the chord's closing task) through Redis to a real worker
    process, `celery -A dpo_portal worker --concurrency=2` (prefork), started here as a
    subprocess with the same DATABASE_URL and REDIS_URL. Measured: wall time from the call to the
    closing task's result; the SQL statements run (counted by a Django execute wrapper in each
    worker process, see bench/worker.py, plus this process's chunk planning); the database's
    committed transactions (pg_stat_database, all sessions, read after the worker has exited so
    its statistics are flushed); the worker's memory: VmRSS and PSS (smaps_rollup: shared pages
    counted once) summed over the worker and its pool processes, sampled from /proc every 50 ms,
    peaks kept.
(b) The data are put back (due and on-hold records active again, batches deleted, VACUUM), then
    one UPDATE flags the same records due (active, expired, under a rule, NOT EXISTS an active
    hold over the record, its subject, its system or its category) in one statement: the floor
    for "mark what is due". It makes no batches and no on-hold marks, which the sweep does too:
    kept as a reference, it does less than the sweep.
(c) The same-work baseline: the sweep's steps as a hand-written set-based SQL script over the
    whole organisation in one backend, each statement committed on its own as the sweep's steps
    are (SAME_WORK below): consent clocks, on-hold marks (one UPDATE per hold target), release,
    the pending batches made by one INSERT ... SELECT DISTINCT ... ON CONFLICT DO NOTHING, due
    and batch set by one UPDATE ... FROM the batches, the batches counted. What it leaves out:
    the batches' history rows and the audit event (a few dozen rows), the chunk bookkeeping.

Buffer touches: pg_statio_user_tables (heap, index and TOAST blocks, hit or read) summed over
every table of the database, before and after each run (the worker's and the script's backends
have exited, so their statistics are flushed), divided by the records flagged due. A count of
pages visited, not a time: the machine's load does not change it.

Before the timed runs, one untimed flag-and-reset pass takes the freshly bulk-loaded table to
a steady state (see main()). With --explain, one chunk of the sweep is also run inline in a
rolled-back transaction with every statement timed, and its slowest statement is shown with
EXPLAIN ANALYZE.
"""

import argparse
import os
import signal
import statistics
import subprocess
import sys
import threading
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.common import (  # noqa: E402
    ROOT,
    Timer,
    bench_organisation,
    execute,
    fetch,
    load_average,
    report,
    scalar,
    setup_django,
    vacuum_analyze,
)
from bench.worker import QUERY_COUNT_KEY  # noqa: E402

CONCURRENCY = 2


# --- the worker process and its memory ---------------------------------------------------------


def descendants(root_pid):
    """The pid and every process below it, from /proc (no psutil)."""
    children = {}
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/stat") as stat:
                fields = stat.read().rsplit(")", 1)[1].split()
        except OSError:
            continue
        children.setdefault(int(fields[1]), []).append(int(entry))
    found, todo = [], [root_pid]
    while todo:
        pid = todo.pop()
        found.append(pid)
        todo.extend(children.get(pid, []))
    return found


def status_kb(pid, field):
    try:
        with open(f"/proc/{pid}/status") as status:
            for line in status:
                if line.startswith(field + ":"):
                    return int(line.split()[1])
    except OSError:
        pass
    return 0


def pss_kb(pid):
    """Proportional set size: pages shared with the other pool processes (forked from the
    same parent) counted once in the sum, split between the sharers."""
    try:
        with open(f"/proc/{pid}/smaps_rollup") as rollup:
            for line in rollup:
                if line.startswith("Pss:"):
                    return int(line.split()[1])
    except OSError:
        pass
    return 0


class MemorySampler(threading.Thread):
    """Peaks of the worker's memory (main process + pool processes), sampled from /proc."""

    def __init__(self, root_pid, interval=0.05):
        super().__init__(daemon=True)
        self.root_pid, self.interval = root_pid, interval
        self.peak = {"rss": 0, "pss": 0, "largest": 0}
        self.stopped = threading.Event()

    def sample(self):
        pids = descendants(self.root_pid)
        rss = [status_kb(pid, "VmRSS") for pid in pids]
        return {"rss": sum(rss), "pss": sum(pss_kb(pid) for pid in pids), "largest": max(rss)}

    def run(self):
        while not self.stopped.is_set():
            for key, value in self.sample().items():
                self.peak[key] = max(self.peak[key], value)
            time.sleep(self.interval)

    def stop(self):
        self.stopped.set()
        self.join()


def start_worker():
    from dpo_portal.celery import app

    app.control.purge()
    worker = subprocess.Popen(
        [
            sys.executable,
            str(ROOT / "bench" / "worker.py"),
            f"--concurrency={CONCURRENCY}",
            "--pool=prefork",
            "--loglevel=WARNING",
            "--hostname=bench@%h",
            "--without-gossip",
            "--without-mingle",
        ],
        cwd=ROOT,
        env=os.environ.copy(),
        stdout=subprocess.DEVNULL,  # the banner; warnings and errors still reach stderr
    )
    deadline = time.monotonic() + 120
    while not app.control.ping(timeout=1.0):
        if worker.poll() is not None or time.monotonic() > deadline:
            sys.exit("bench: the Celery worker did not start")
    # Every pool process up (the ping is answered by the main process).
    while len(descendants(worker.pid)) < CONCURRENCY + 1:
        time.sleep(0.1)
    return worker


def stop_worker(worker):
    worker.send_signal(signal.SIGTERM)  # warm shutdown: its connections close, stats flush
    try:
        worker.wait(timeout=60)
    except subprocess.TimeoutExpired:
        worker.kill()
        worker.wait()


# --- counts ------------------------------------------------------------------------------------


def db_counters():
    execute("SELECT pg_stat_clear_snapshot()")
    return fetch(
        "SELECT xact_commit, tup_updated FROM pg_stat_database WHERE datname = current_database()"
    )[0]


def statuses(organisation):
    rows = fetch(
        "SELECT status, count(*) FROM retention_record WHERE organisation_id = %s GROUP BY 1",
        [organisation.pk],
    )
    return dict(rows)


class QueryCounter:
    """Statements this process sends through Django (the chunk planning of start_sweep)."""

    def __init__(self):
        self.count = 0

    def __call__(self, execute, sql, params, many, context):
        self.count += 1
        return execute(sql, params, many, context)


# --- (a) the sweep through the worker ------------------------------------------------------------


def run_sweep(organisation, today):
    import redis
    from django.db import connection

    from retention.sweep import plan_chunks
    from retention.tasks import start_sweep

    broker = redis.Redis.from_url(os.environ["REDIS_URL"])
    worker = start_worker()
    try:
        sampler = MemorySampler(worker.pid)
        idle = sampler.sample()
        broker.delete(QUERY_COUNT_KEY)
        buffers = buffer_touches()
        before = db_counters()
        sampler.start()
        planning = QueryCounter()
        with Timer() as timer:
            with connection.execute_wrapper(planning):
                result = start_sweep(today=today)
            totals = result.get(timeout=3600)
        sampler.stop()
        high_water_kb = sum(status_kb(pid, "VmHWM") for pid in descendants(worker.pid))
    finally:
        stop_worker(worker)
    time.sleep(1.0)
    after = db_counters()
    buffers = flushed(buffers)
    worker_queries = int(broker.get(QUERY_COUNT_KEY) or 0)
    return {
        "seconds": timer.seconds,
        "totals": totals,
        "chunks": len(plan_chunks()),
        "queries": worker_queries + planning.count,
        "transactions": after[0] - before[0],
        "rows_updated": after[1] - before[1],
        "buffers": buffers,
        "idle_mb": {key: value / 1024 for key, value in idle.items()},
        "peak_mb": {key: value / 1024 for key, value in sampler.peak.items()},
        "high_water_mb": high_water_kb / 1024,
        "statuses": statuses(organisation),
        "batches": scalar(
            "SELECT count(*) FROM retention_disposalbatch WHERE organisation_id = %s",
            [organisation.pk],
        ),
    }


def reset(organisation):
    """Back to the generated state: nothing due or on hold, no batches."""
    execute(
        "UPDATE retention_record SET status = 'active', disposal_batch_id = NULL"
        " WHERE organisation_id = %s AND status IN ('due', 'on_hold')",
        [organisation.pk],
    )
    execute("DELETE FROM retention_disposalbatch WHERE organisation_id = %s", [organisation.pk])
    vacuum_analyze()


# --- where the time goes: one chunk, inline, rolled back ------------------------------------


def profile_chunk(today):
    from django.db import connection, transaction
    from django.test.utils import CaptureQueriesContext

    from retention import sweep

    low, high = sweep.plan_chunks()[0]
    with transaction.atomic():
        with CaptureQueriesContext(connection) as captured:
            sweep.sweep_chunk(low, high, today=today)
        transaction.set_rollback(True)
    statements = [
        (float(query["time"]), query["sql"])
        for query in captured.captured_queries
        if not query["sql"].startswith(("SAVEPOINT", "RELEASE SAVEPOINT"))
    ]
    return (low, high), statements


def explain(statements, index):
    """EXPLAIN ANALYZE statement ``index`` after running the ones before it (they made the
    batches it looks up), all in a transaction that is rolled back."""
    from django.db import connection, transaction

    with transaction.atomic():
        with connection.cursor() as cursor:
            for _seconds, sql in statements[:index]:
                cursor.execute(sql)
            cursor.execute("EXPLAIN (ANALYZE, BUFFERS, COSTS OFF) " + statements[index][1])
            plan = [row[0] for row in cursor.fetchall()]
        transaction.set_rollback(True)
    return plan


# --- (b) the baseline ----------------------------------------------------------------------------

BASELINE = """
UPDATE retention_record r SET status = 'due', updated_at = now()
WHERE r.organisation_id = %(org)s AND r.status = 'active' AND r.expires_on <= %(today)s
  AND r.rule_id IS NOT NULL
  AND NOT EXISTS (SELECT 1 FROM retention_legalhold h WHERE h.record_id = r.id {active})
  AND NOT EXISTS (SELECT 1 FROM retention_legalhold h WHERE h.subject_id = r.subject_id {active})
  AND NOT EXISTS (SELECT 1 FROM retention_legalhold h WHERE h.system_id = r.system_id {active})
  AND NOT EXISTS (SELECT 1 FROM retention_legalhold h WHERE h.category_id = r.category_id {active})
""".format(active="AND h.released_at IS NULL AND (h.until IS NULL OR h.until >= %(today)s)")


def run_baseline(organisation, today):
    before = buffer_touches()
    with Timer() as timer:
        flagged = execute(BASELINE, {"org": organisation.pk, "today": today})
    return {"seconds": timer.seconds, "flagged": flagged, "buffers": flushed(before)}


# --- (c) the same-work baseline --------------------------------------------------------------

HOLD_TARGETS = {
    "record": "h.record_id = r.id",
    "subject": "h.subject_id = r.subject_id",
    "system": "h.system_id = r.system_id",
    "category": "h.category_id = r.category_id",
}
ACTIVE_HOLD = (
    "SELECT 1 FROM retention_legalhold h WHERE {target}"
    " AND h.released_at IS NULL AND (h.until IS NULL OR h.until >= %(today)s)"
)
NOT_HELD = " ".join(
    "AND NOT EXISTS (" + ACTIVE_HOLD.format(target=target) + ")" for target in HOLD_TARGETS.values()
)
EXPIRED = (
    "r.organisation_id = %(org)s AND r.status = 'active' AND r.expires_on <= %(today)s"
    " AND r.rule_id IS NOT NULL"
)
KEY_MATCH = (
    "b.organisation_id = r.organisation_id AND b.system_id = r.system_id"
    " AND b.category_id = r.category_id AND b.rule_id = r.rule_id AND b.status = 'pending'"
)
# What retention/sweep.py does, step for step, as one script. (The sweep recomputes the expiry
# of rules counting from a withdrawal; the bench has no consents, so the clock step is kept
# in its simple form.)
SAME_WORK = [
    (
        "consent clocks",
        "UPDATE retention_record r SET clock_started_at = c.withdrawn_at::date, updated_at = now()"
        " FROM consent_consent c WHERE c.id = r.consent_id AND c.withdrawn_at IS NOT NULL"
        " AND r.organisation_id = %(org)s AND r.clock_started_at IS NULL"
        " AND r.status <> 'disposed'",
    ),
    *(
        (
            f"on hold ({name})",
            "UPDATE retention_record r SET status = 'on_hold', updated_at = now()"
            f" WHERE {EXPIRED} AND EXISTS (" + ACTIVE_HOLD.format(target=target) + ")",
        )
        for name, target in HOLD_TARGETS.items()
    ),
    (
        "release",
        "UPDATE retention_record r SET status = 'active', updated_at = now()"
        f" WHERE r.organisation_id = %(org)s AND r.status = 'on_hold' {NOT_HELD}",
    ),
    (
        "pending batches",
        "INSERT INTO retention_disposalbatch (created_at, updated_at, organisation_id, system_id,"
        " category_id, rule_id, status, record_count, justification, certificate_number,"
        " disposed_count, kept_on_hold_count, unlocated_in_source, action, legal_reference,"
        " disposed_ids_sha256, signatures)"
        " SELECT DISTINCT now(), now(), r.organisation_id, r.system_id, r.category_id,"
        " r.rule_id, 'pending', 0, '', '', 0, 0, 0, '', '', '', '[]'::jsonb"
        f" FROM retention_record r WHERE {EXPIRED} {NOT_HELD}"
        " ON CONFLICT (organisation_id, system_id, category_id, rule_id)"
        " WHERE status = 'pending' DO NOTHING",
    ),
    (
        # The batch by a lookup on its unique index, as the sweep does: written as UPDATE ...
        # FROM the batches, PostgreSQL loops over the 72 batches and visits each one's records
        # through the unique index, in random heap order: 3x slower for the same rows.
        "due and batched",
        "UPDATE retention_record r SET status = 'due', updated_at = now(),"
        " disposal_batch_id = (SELECT b.id FROM retention_disposalbatch b"
        f" WHERE {KEY_MATCH})"
        f" WHERE {EXPIRED} {NOT_HELD}",
    ),
    (
        "batches counted",
        "UPDATE retention_disposalbatch b SET record_count = coalesce((SELECT count(*)"
        " FROM retention_record r WHERE r.disposal_batch_id = b.id AND r.status = 'due'), 0)"
        " WHERE b.organisation_id = %(org)s AND b.status IN ('pending', 'extended')",
    ),
]


def run_same_work(organisation, today):
    params = {"org": organisation.pk, "today": today}
    before = buffer_touches()
    steps = {}
    with Timer() as timer:
        for name, sql in SAME_WORK:
            with Timer() as step:
                rows = execute(sql, params)
            steps[name] = (step.seconds, rows)
    return {
        "seconds": timer.seconds,
        "flagged": steps["due and batched"][1],
        "steps": steps,
        "buffers": flushed(before),
        "batches": scalar(
            "SELECT count(*) FROM retention_disposalbatch WHERE organisation_id = %s",
            [organisation.pk],
        ),
    }


# --- buffer touches ------------------------------------------------------------------------------

STATIO = """
SELECT coalesce(sum(heap_blks_hit + heap_blks_read + coalesce(idx_blks_hit, 0)
                    + coalesce(idx_blks_read, 0) + coalesce(toast_blks_hit, 0)
                    + coalesce(toast_blks_read, 0)), 0),
       coalesce(sum(heap_blks_hit + heap_blks_read + coalesce(idx_blks_hit, 0)
                    + coalesce(idx_blks_read, 0))
                FILTER (WHERE relname = 'retention_record'), 0)
FROM pg_statio_user_tables
"""


def buffer_touches():
    """(every table, the record table): blocks visited so far, hit or read, heap + index."""
    from django.db import connection

    connection.close()  # this backend's own counts are flushed when it exits
    time.sleep(0.5)
    execute("SELECT pg_stat_clear_snapshot()")
    return tuple(int(value) for value in fetch(STATIO)[0])


def flushed(before):
    after = buffer_touches()
    return {"all": after[0] - before[0], "record": after[1] - before[1]}


def per_record(run, flagged):
    buffers = run["buffers"]
    if not flagged:
        return "-"
    return (
        f"{buffers['all'] / flagged:.1f} per flagged record"
        f" ({buffers['all']:,} in all, {buffers['record'] / flagged:.1f} on the record table)"
    )


def memory(sweep, key):
    return f"{sweep['idle_mb'][key]:.0f} MB idle, {sweep['peak_mb'][key]:.0f} MB peak"


def sweep_report(sweep, label):
    report(
        f"sweep through the Celery worker ({label}, concurrency {CONCURRENCY})",
        [
            ("wall time", f"{sweep['seconds']:.1f} s"),
            ("chunks (tasks)", f"{sweep['chunks']} (+1 closing task)"),
            ("SQL statements", f"{sweep['queries']} (worker tasks + chunk planning)"),
            ("transactions committed", f"{sweep['transactions']} (whole database, all sessions)"),
            ("rows updated", f"{sweep['rows_updated']:,} (pg_stat_database tup_updated)"),
            ("flagged due", f"{sweep['statuses'].get('due', 0):,}"),
            ("put on hold", f"{sweep['statuses'].get('on_hold', 0):,}"),
            ("disposal batches", sweep["batches"]),
            ("buffer touches", per_record(sweep, sweep["statuses"].get("due", 0))),
            ("worker processes", f"main + {CONCURRENCY} prefork pool processes"),
            ("worker RSS sum", memory(sweep, "rss")),
            ("worker PSS sum", memory(sweep, "pss") + " (target < 200 MB)"),
            ("largest process RSS", memory(sweep, "largest")),
            ("worker VmHWM sum", f"{sweep['high_water_mb']:.0f} MB (each process's own peak)"),
        ],
    )


def chunk_report(today):
    (low, high), statements = profile_chunk(today)
    rows = [
        (f"{seconds * 1000:8.1f} ms", " ".join(sql.split())[:150]) for seconds, sql in statements
    ]
    report(f"one chunk inline, pk {low}..{high}, {len(statements)} statements", rows)
    slowest = max(range(len(statements)), key=lambda index: statements[index][0])
    print("\n== EXPLAIN ANALYZE of the chunk's slowest statement")
    print("  " + " ".join(statements[slowest][1].split())[:600] + " ...")
    print("\n".join("  " + line for line in explain(statements, slowest)))


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--explain", action="store_true", help="profile one chunk, EXPLAIN it")
    parser.add_argument("--repeat", type=int, default=1, help="sweep/baseline pairs to run")
    args = parser.parse_args()
    setup_django()
    from django.utils import timezone

    organisation = bench_organisation()
    today = timezone.localdate()
    records = scalar(
        "SELECT count(*) FROM retention_record WHERE organisation_id = %s", [organisation.pk]
    )
    label = f"{records:,} records"
    # The bulk-loaded table has full heap pages and freshly built, packed indexes: the first
    # mass UPDATE of it pays page splits and table extension that a table in service does not
    # (it made the first sweep 2x slower). One untimed flag-and-reset pass first brings the
    # table to the steady state that every timed run then starts from.
    reset(organisation)
    run_baseline(organisation, today)
    sweeps, same_works, baselines = [], [], []
    for run in range(1, args.repeat + 1):
        # Sweep and baselines alternate, each from the generated state with a clean table, so
        # none always gets the warmer cache or the quieter minute.
        reset(organisation)
        sweeps.append(run_sweep(organisation, today))
        sweep_report(sweeps[-1], f"{label}, run {run}/{args.repeat}")
        if args.explain and run == 1:
            reset(organisation)
            chunk_report(today)
        reset(organisation)
        same_works.append(run_same_work(organisation, today))
        same = same_works[-1]
        report(
            f"same-work baseline: the sweep's steps as one SQL script ({label}, run {run})",
            [
                *(
                    (name, f"{seconds:.2f} s, {rows:,} rows")
                    for name, (seconds, rows) in same["steps"].items()
                ),
                ("wall time", f"{same['seconds']:.1f} s"),
                ("disposal batches", same["batches"]),
                ("buffer touches", per_record(same, same["flagged"])),
            ],
        )
        reset(organisation)
        baselines.append(run_baseline(organisation, today))
        report(
            f"reference: one raw UPDATE ({label}, run {run}/{args.repeat})",
            [
                ("wall time", f"{baselines[-1]['seconds']:.1f} s"),
                ("flagged due", f"{baselines[-1]['flagged']:,}"),
                ("buffer touches", per_record(baselines[-1], baselines[-1]["flagged"])),
            ],
        )
    # Left as the raw UPDATE flagged it (due records to list in bench/admin_list.py).
    due = {sweep["statuses"].get("due", 0) for sweep in sweeps}
    sweep_s = statistics.median(sweep["seconds"] for sweep in sweeps)
    same_s = statistics.median(same["seconds"] for same in same_works)
    baseline_s = statistics.median(baseline["seconds"] for baseline in baselines)
    flagged = due.pop() if len(due) == 1 else 0
    touches = {
        name: statistics.median(run["buffers"]["all"] for run in runs) / max(flagged, 1)
        for name, runs in (("sweep", sweeps), ("same", same_works), ("raw", baselines))
    }
    report(
        f"sweep against baselines ({label}, median of {args.repeat})",
        [
            ("sweep", f"{sweep_s:.1f} s  (runs: {seconds_list(sweeps)})"),
            ("same-work SQL script", f"{same_s:.1f} s  (runs: {seconds_list(same_works)})"),
            ("raw UPDATE (reference)", f"{baseline_s:.1f} s  (runs: {seconds_list(baselines)})"),
            (
                "same records flagged",
                "yes"
                if {flagged}
                == {run["flagged"] for run in baselines} | {run["flagged"] for run in same_works}
                else "NO",
            ),
            ("sweep / same-work", f"{sweep_s / same_s:.2f}x (target <= 1.2x)"),
            ("sweep / raw UPDATE", f"{sweep_s / baseline_s:.2f}x (reference)"),
            (
                "buffer touches per flagged",
                f"sweep {touches['sweep']:.1f}, same-work {touches['same']:.1f},"
                f" raw UPDATE {touches['raw']:.1f}",
            ),
            ("worker PSS peak", f"{max(s['peak_mb']['pss'] for s in sweeps):.0f} MB (< 200 MB)"),
            ("load average", load_average()),
        ],
    )
    print(
        f"\nRESULT records={records} sweep_seconds={sweep_s:.2f} same_work_seconds={same_s:.2f}"
        f" baseline_seconds={baseline_s:.2f} sweep_buffers_per_flagged={touches['sweep']:.1f}"
    )


def seconds_list(runs):
    return ", ".join(f"{run['seconds']:.1f}" for run in runs)


if __name__ == "__main__":
    main()
