"""Connectors on a PostgreSQL source: a full inventory sync and an erasure of 1,000 subjects (a
disposal batch), each against the same work as hand-written set-based SQL in the same run.

    tests/services.sh .venv/bin/python bench/connectors.py [--customers N] [--subjects 1000]

Two identical source databases are generated in the cluster of DATABASE_URL (customers → loans
→ payments, calls; ~7.5 rows per customer): the connector works on one, the hand-written SQL on
the other. The portal's database is migrated and given the organisation, its categories and the
customers as data subjects.

Sync: the connector's chunked, keyset-paginated reads through the Importer (subject matching,
rules, expiry, the upsert), against one hand-written SELECT per table joined to customers and
one INSERT ... SELECT FROM unnest(...) ON CONFLICT per table (no validation, no expiry).
Erasure: the data map's statements for 1,000 people, against four hand-written statements
(DELETE payments / loans / calls by sub-select, UPDATE customers) on the other database.
"""

import argparse
import os
import random
import sys
import uuid
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.common import Timer, setup_django  # noqa: E402

DAY = "2024-05-06"


def generate(connection, customers):
    random.seed(15)
    with connection.cursor() as cursor:
        for statement in (
            "CREATE TABLE customers (id integer PRIMARY KEY, customer_ref varchar(100), "
            "fin varchar(7), full_name varchar(200) NOT NULL, email varchar(200), "
            "phone varchar(30), created_on date)",
            "CREATE TABLE loans (id integer PRIMARY KEY, customer_id integer NOT NULL "
            "REFERENCES customers (id), amount numeric(12,2), opened_on date)",
            "CREATE TABLE payments (id integer PRIMARY KEY, loan_id integer NOT NULL "
            "REFERENCES loans (id), amount numeric(12,2), paid_on date)",
            "CREATE TABLE calls (id integer PRIMARY KEY, customer_id integer NOT NULL "
            "REFERENCES customers (id), phone varchar(30), recorded_on date)",
        ):
            cursor.execute(statement)
        cursor.execute(
            "INSERT INTO customers SELECT n, 'BC' || lpad(n::text, 8, '0'), NULL, "
            "'Customer ' || n, 'c' || n || '@example.az', '+99450' || lpad(n::text, 7, '0'), "
            "%s::date FROM generate_series(1, %s) n",
            [DAY, customers],
        )
        # Two loans per customer, three payments per loan on average (1..5), one call.
        cursor.execute(
            "INSERT INTO loans SELECT n, (n + 1) / 2, 1000, %s::date FROM generate_series(1, %s) n",
            [DAY, customers * 2],
        )
        cursor.execute(
            "INSERT INTO payments SELECT row_number() OVER (), l, 100, %s::date FROM "
            "generate_series(1, %s) l, generate_series(1, 1 + (l %% 5)) p",
            [DAY, customers * 2],
        )
        cursor.execute(
            "INSERT INTO calls SELECT n, n, '+994500000000', %s::date "
            "FROM generate_series(1, %s) n",
            [DAY, customers],
        )
        for table in ("loans", "payments", "calls"):
            column = "loan_id" if table == "payments" else "customer_id"
            cursor.execute(f"CREATE INDEX ON {table} ({column})")
        cursor.execute("CREATE INDEX ON customers (customer_ref)")
        cursor.execute("ANALYZE")
        cursor.execute(
            "SELECT (SELECT count(*) FROM customers) + (SELECT count(*) FROM loans) "
            "+ (SELECT count(*) FROM payments) + (SELECT count(*) FROM calls)"
        )
        return cursor.fetchone()[0]


def portal(customers):
    from dpo_portal.register.models import DataCategory, DataSubject, Organisation, System

    organisation, _ = Organisation.objects.get_or_create(
        slug="bench-connectors", defaults={"name": "Bench connectors"}
    )
    for code in ("identity", "identity-fin", "contact", "financial"):
        DataCategory.objects.get_or_create(organisation=organisation, code=code, name=code)
    system, _ = System.objects.get_or_create(
        organisation=organisation, code="core-loans", defaults={"name": "Loans", "owner": "IT"}
    )
    DataSubject.objects.bulk_create(
        [
            DataSubject(organisation=organisation, external_ref=f"BC{n:08d}", first_name="B")
            for n in range(1, customers + 1)
        ],
        batch_size=10_000,
    )
    return organisation, system


def connect(organisation, system):
    from dpo_portal.connectors.models import CollectionSetting, Connector, DataMap
    from tests.connectors.source import COLLECTION_DATES, DATA_MAP

    connector = Connector.objects.create(
        organisation=organisation,
        system=system,
        kind="postgresql",
        read_dsn="BENCH_SOURCE_DSN",
        write_dsn="BENCH_SOURCE_DSN",
        statement_timeout_ms=600_000,
    )
    # The test map without its quoting table (the bench schema has none).
    yaml = DATA_MAP[: DATA_MAP.index('      - name: notes "x"')]
    data_map = DataMap.objects.create(
        organisation=organisation, connector=connector, dataset_yaml=yaml
    )
    for collection, column in COLLECTION_DATES.items():
        CollectionSetting.objects.create(
            data_map=data_map, collection=collection, collected_at_field=column
        )
    return connector


def hand_written_sync(source, organisation, system):
    """The floor: one SELECT per table, one INSERT ... SELECT FROM unnest per table."""
    from django.db import connection

    from dpo_portal.register.models import DataCategory, DataSubject

    subjects = dict(
        DataSubject.objects.filter(organisation=organisation).values_list("external_ref", "pk")
    )
    codes = dict(DataCategory.objects.filter(organisation=organisation).values_list("code", "pk"))
    queries = {
        "customers": (
            "SELECT c.id, c.customer_ref, c.created_on FROM customers c",
            ["identity", "identity-fin", "contact"],
        ),
        "loans": (
            "SELECT l.id, c.customer_ref, l.opened_on FROM loans l "
            "JOIN customers c ON c.id = l.customer_id",
            ["financial"],
        ),
        "payments": (
            "SELECT p.id, c.customer_ref, p.paid_on FROM payments p JOIN loans l ON l.id = "
            "p.loan_id JOIN customers c ON c.id = l.customer_id",
            ["financial"],
        ),
        "calls": (
            "SELECT k.id, c.customer_ref, k.recorded_on FROM calls k "
            "JOIN customers c ON c.id = k.customer_id",
            ["contact"],
        ),
    }
    written = 0
    for table, (query, categories) in queries.items():
        rows = source.execute(query).fetchall()
        for code in categories:
            ids = [f"bench-{table}:{r[0]}" for r in rows]
            people = [subjects[r[1]] for r in rows]
            dates = [r[2] for r in rows]
            with connection.cursor() as cursor:
                cursor.execute(
                    "INSERT INTO retention_record (organisation_id, system_id, category_id, "
                    "subject_id, external_id, collected_at, status, disposal_action, created_at, "
                    "updated_at) SELECT %s, %s, %s, s, e, d, 'active', '', now(), now() "
                    "FROM unnest(%s::bigint[], %s::text[], %s::date[]) AS t(s, e, d) "
                    "ON CONFLICT (organisation_id, system_id, external_id, category_id) "
                    "DO UPDATE SET subject_id = EXCLUDED.subject_id, "
                    "collected_at = EXCLUDED.collected_at, updated_at = now()",
                    [organisation.pk, system.pk, codes[code], people, ids, dates],
                )
                written += cursor.rowcount
    return written


# The disposal batches of the erasure: one per category, what each changes by hand.
HAND_DISPOSAL = {
    "financial": [
        ("payments", "DELETE FROM payments WHERE id = ANY(%s::int[])"),
        ("loans", "DELETE FROM loans WHERE id = ANY(%s::int[])"),
    ],
    "contact": [
        ("calls", "DELETE FROM calls WHERE id = ANY(%s::int[])"),
        ("customers", "UPDATE customers SET email = NULL, phone = NULL WHERE id = ANY(%s::int[])"),
    ],
    "identity": [
        (
            "customers",
            "UPDATE customers SET customer_ref = NULL, full_name = '***' WHERE id = ANY(%s::int[])",
        ),
    ],
    "identity-fin": [("customers", "UPDATE customers SET fin = NULL WHERE id = ANY(%s::int[])")],
}


def disposal_batches(source, organisation, system, people, prefix):
    """The people's rows as records due in one disposal batch per category (set up, not timed):
    customers and calls by the customer's id, loans 2c-1 and 2c, their payments from the source.
    Upserted, so records a sync made before are the ones batched. ``prefix`` keeps the
    hand-written run's records apart from the connector's."""
    from django.db import connection

    from dpo_portal.register.models import DataCategory
    from retention.models import DisposalBatch, RetentionRule

    customers = sorted(int(p.external_ref[2:]) for p in people)
    subject_of = {int(p.external_ref[2:]): p.pk for p in people}
    loans = [n for c in customers for n in (2 * c - 1, 2 * c)]
    payments = source.execute(
        "SELECT id, loan_id FROM payments WHERE loan_id = ANY(%s)", [loans]
    ).fetchall()
    rows = {
        "financial": [("loans", n, subject_of[(n + 1) // 2]) for n in loans]
        + [("payments", n, subject_of[(loan + 1) // 2]) for n, loan in payments],
        "contact": [("customers", c, subject_of[c]) for c in customers]
        + [("calls", c, subject_of[c]) for c in customers],
        "identity": [("customers", c, subject_of[c]) for c in customers],
        "identity-fin": [("customers", c, subject_of[c]) for c in customers],
    }
    batches = []
    for code, entries in rows.items():
        category = DataCategory.objects.get(organisation=organisation, code=code)
        rule, _ = RetentionRule.objects.get_or_create(
            organisation=organisation,
            code=f"bench-{prefix}{code}",
            defaults={"name": code, "period": 1, "unit": "days", "category": category},
        )
        batch = DisposalBatch.objects.create(
            organisation=organisation, system=system, category=category, rule=rule
        )
        with connection.cursor() as cursor:
            cursor.execute(
                "INSERT INTO retention_record (organisation_id, system_id, category_id, "
                "subject_id, external_id, collected_at, expires_on, status, disposal_action, "
                "rule_id, disposal_batch_id, created_at, updated_at) "
                "SELECT %s, %s, %s, s, e, %s::date, %s::date, 'due', '', %s, %s, now(), now() "
                "FROM unnest(%s::bigint[], %s::text[]) AS t(s, e) "
                "ON CONFLICT (organisation_id, system_id, external_id, category_id) "
                "DO UPDATE SET status = 'due', rule_id = EXCLUDED.rule_id, "
                "disposal_batch_id = EXCLUDED.disposal_batch_id, expires_on = EXCLUDED.expires_on",
                [
                    organisation.pk,
                    system.pk,
                    category.pk,
                    DAY,
                    DAY,
                    rule.pk,
                    batch.pk,
                    [subject for _table, _key, subject in entries],
                    [f"{prefix}{table}:{key}" for table, key, _subject in entries],
                ],
            )
            batch.record_count = cursor.rowcount
        batch.save(update_fields=["record_count"])
        batches.append(batch)
    return batches


def batch_erasure(batches, actor):
    """The portal's way: each batch approved, then carried out in the source (the Celery task's
    body, run here) and its records disposed of with the certificate. Returns the run ids (the
    task's message carries one; the bench looks it up by its batch)."""
    from dpo_portal.connectors.models import ConnectorRun
    from retention import services

    run_ids = []
    for batch in batches:
        services.approve_batch(batch, actor=actor)
        run_ids.append(ConnectorRun.objects.values_list("pk", flat=True).get(batch_id=batch.pk))
        services.finish_in_source(run_ids[-1])
    return run_ids


def rows_changed(run_ids):
    """The rows the runs changed, by their receipts (read after the timer: no user waits for
    the bench's check)."""
    from dpo_portal.connectors.models import ConnectorRun

    changed = 0
    for run in ConnectorRun.objects.filter(pk__in=run_ids):
        if run.error:
            sys.exit(f"bench: the run of batch {run.batch_id} failed: {run.error}")
        changed += sum(t["changed"] for t in run.tables)
    return changed


def hand_written_erasure(source, batches):
    """The floor for the same work: per batch, its records' keys read from the portal, the
    statements on those keys in one source transaction, the records marked disposed."""
    from django.db import connection

    changed = 0
    for batch in batches:
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT external_id FROM retention_record WHERE disposal_batch_id = %s "
                "AND status = 'due'",
                [batch.pk],
            )
            keys = {}
            for (external_id,) in cursor.fetchall():
                table, _sep, key = external_id.removeprefix("hand-").partition(":")
                keys.setdefault(table, []).append(int(key))
        with source.transaction():
            for table, statement in HAND_DISPOSAL[batch.category.code]:
                changed += source.execute(statement, [keys.get(table, [])]).rowcount
        with connection.cursor() as cursor:
            cursor.execute(
                "UPDATE retention_record SET status = 'disposed', disposed_at = now(), "
                "disposal_action = 'erase', updated_at = now() "
                "WHERE disposal_batch_id = %s AND status = 'due'",
                [batch.pk],
            )
    return changed


def warm_up_the_broker():
    """A running web process has sent a message before: Celery's modules loaded, its app
    finalised (the task registry bound) with its result backend, its broker connection open and
    the queue declared. The bench's process does that here, before the timers, not inside the
    first approval (about 0.17 s, once per process, that no user waits for; opening only the
    connection here, as before, left 37 ms of it in the first approval's message)."""
    from dpo_portal.celery import app
    from retention import tasks

    # The task the approval sends, bound to the app (which finalises it, once per process).
    assert tasks.dispose_in_source.name
    # One message through the same path as an approval's (its queue declared, the sender and
    # the events dispatcher built): a task of Celery's own, which no one consumes here (the
    # services' Redis is thrown away with the bench).
    app.send_task("celery.backend_cleanup")


def erasure(sources, connector, organisation, system, subjects):
    """Erasure of ``subjects`` people as disposal batches (one per category) by the connector on
    the first source, against the same work by hand-written SQL on the second."""
    from django.contrib.auth import get_user_model
    from django.db import connection

    from dpo_portal.register.models import DataSubject

    actor, _ = get_user_model().objects.get_or_create(
        username="bench-dpo", defaults={"is_superuser": True, "is_staff": True}
    )
    people = list(DataSubject.objects.filter(organisation=organisation).order_by("?")[:subjects])
    batches = disposal_batches(sources[0], organisation, system, people, "")
    hand_batches = disposal_batches(sources[1], organisation, system, people, "hand-")
    records = sum(b.record_count for b in batches)
    # The set-up has just bulk-written the people and the records: statistics as autovacuum
    # would have them by the time a DPO approves (without, the planner takes the subject table
    # for three rows).
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE register_datasubject")
        cursor.execute("ANALYZE retention_record")
    warm_up_the_broker()
    with Timer() as erase_timer:
        run_ids = batch_erasure(batches, actor)
    with Timer() as hand_timer:
        hand = hand_written_erasure(sources[1], hand_batches)
    changed = rows_changed(run_ids)
    print(
        f"erasure   connector {erase_timer.seconds:7.2f} s  {changed:,} rows changed for "
        f"{len(people):,} subjects in {len(batches)} disposal batches of {records:,} records "
        f"({changed / erase_timer.seconds:,.0f} rows/s)"
    )
    print(
        f"          hand SQL  {hand_timer.seconds:7.2f} s  {hand:,} rows  "
        f"ratio {erase_timer.seconds / hand_timer.seconds:.2f}x"
    )
    return erase_timer.seconds, hand_timer.seconds


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--customers", type=int, default=13_500)
    parser.add_argument("--subjects", type=int, default=1_000)
    parser.add_argument(
        "--erasure-only",
        action="store_true",
        help="skip the sync (the erasure's set-up then makes the batches' records itself)",
    )
    args = parser.parse_args()
    setup_django()
    import psycopg
    from django.core.management import call_command
    from psycopg import sql

    call_command("migrate", verbosity=0)
    admin = psycopg.conninfo.conninfo_to_dict(os.environ["DATABASE_URL"])
    names = [f"bench_source_{uuid.uuid4().hex[:8]}" for _ in range(2)]
    with psycopg.connect(**admin, autocommit=True) as connection:
        for name in names:
            connection.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
    sources = [psycopg.connect(**{**admin, "dbname": n}, autocommit=True) for n in names]
    rows = [generate(s, args.customers) for s in sources][0]
    os.environ["BENCH_SOURCE_DSN"] = psycopg.conninfo.make_conninfo(**{**admin, "dbname": names[0]})
    organisation, system = portal(args.customers)
    connector = connect(organisation, system)
    print(
        f"bench: source of {rows:,} rows ({args.customers:,} customers), load average "
        f"{' '.join(open('/proc/loadavg').read().split()[:3])}"
    )

    if args.erasure_only:
        erasure(sources, connector, organisation, system, args.subjects)
        drop_sources(sources, admin, names)
        return

    from retention import connector_sync

    steps = {}
    with Timer() as sync_timer:
        counts = connector_sync.sync(connector, timings=steps)
    with Timer() as floor_timer:
        floor = hand_written_sync(sources[1], organisation, system)
    print(
        f"sync      connector {sync_timer.seconds:7.2f} s  {rows / sync_timer.seconds:9,.0f} "
        f"source rows/s  ({counts['new']:,} records)"
    )
    print(
        f"          hand SQL  {floor_timer.seconds:7.2f} s  ({floor:,} records)  "
        f"ratio {sync_timer.seconds / floor_timer.seconds:.2f}x"
    )
    print("          steps: " + ", ".join(f"{k} {v:.2f} s" for k, v in steps.items()))
    steps = {}
    with Timer() as again_timer:
        again = connector_sync.sync(connector, timings=steps)
    print(
        f"          second sync {again_timer.seconds:.2f} s, {again['unchanged']:,} unchanged, "
        f"{again['new'] + again['changed']} written, {again['disposed']} disposed"
    )
    print("          steps: " + ", ".join(f"{k} {v:.2f} s" for k, v in steps.items()))

    erase_seconds, erase_floor_seconds = erasure(
        sources, connector, organisation, system, args.subjects
    )
    print(
        f"RESULT rows={rows} sync_seconds={sync_timer.seconds:.2f} "
        f"sync_floor_seconds={floor_timer.seconds:.2f} erase_seconds={erase_seconds:.2f} "
        f"erase_floor_seconds={erase_floor_seconds:.2f}"
    )
    drop_sources(sources, admin, names)


def drop_sources(sources, admin, names):
    import psycopg
    from psycopg import sql

    for source in sources:
        source.close()
    with psycopg.connect(**admin, autocommit=True) as connection:
        for name in names:
            connection.execute(
                sql.SQL("DROP DATABASE {} WITH (FORCE)").format(sql.Identifier(name))
            )


if __name__ == "__main__":
    main()
