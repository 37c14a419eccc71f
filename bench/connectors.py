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


def hand_written_erasure(source, refs):
    sub = "SELECT id FROM customers WHERE customer_ref = ANY(%s)"
    changed = 0
    for statement in (
        "DELETE FROM payments WHERE loan_id IN "
        f"(SELECT id FROM loans WHERE customer_id IN ({sub}))",
        f"DELETE FROM loans WHERE customer_id IN ({sub})",
        f"DELETE FROM calls WHERE customer_id IN ({sub})",
        "UPDATE customers SET customer_ref = NULL, fin = NULL, full_name = '***', "
        "email = NULL, phone = NULL WHERE customer_ref = ANY(%s)",
    ):
        changed += source.execute(statement, [refs]).rowcount
    return changed


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--customers", type=int, default=13_500)
    parser.add_argument("--subjects", type=int, default=1_000)
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

    from dpo_portal.connectors import services as connectors
    from dpo_portal.register.models import DataSubject
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

    people = list(
        DataSubject.objects.filter(organisation=organisation).order_by("?")[: args.subjects]
    )
    with Timer() as erase_timer:
        _server, _db, tables = connectors.erase(connector, people)
    changed = sum(t["changed"] for t in tables)
    with Timer() as hand_timer:
        hand = hand_written_erasure(sources[1], [p.external_ref for p in people])
    print(
        f"erasure   connector {erase_timer.seconds:7.2f} s  {changed:,} rows changed for "
        f"{len(people):,} subjects ({changed / erase_timer.seconds:,.0f} rows/s)"
    )
    print(
        f"          hand SQL  {hand_timer.seconds:7.2f} s  {hand:,} rows  "
        f"ratio {erase_timer.seconds / hand_timer.seconds:.2f}x"
    )
    print(
        f"RESULT rows={rows} sync_seconds={sync_timer.seconds:.2f} "
        f"sync_floor_seconds={floor_timer.seconds:.2f} erase_seconds={erase_timer.seconds:.2f} "
        f"erase_floor_seconds={hand_timer.seconds:.2f}"
    )
    for source in sources:
        source.close()
    with psycopg.connect(**admin, autocommit=True) as connection:
        for name in names:
            connection.execute(
                sql.SQL("DROP DATABASE {} WITH (FORCE)").format(sql.Identifier(name))
            )


if __name__ == "__main__":
    main()
