"""Connectors on a PostgreSQL source: a full inventory sync and an erasure of 1,000 subjects (a
disposal batch), each against hand-written set-based SQL in the same run.

    tests/services.sh .venv/bin/python bench/connectors.py [--customers N] [--subjects 1000]

Three identical source databases are generated in the cluster of DATABASE_URL (customers →
loans → payments, calls; ~7.5 rows per customer): the connector works on the first, the
hand-written SQL on the others. The portal's database is migrated and given the organisation,
its categories and the customers as data subjects.

Sync: the connector's chunked, keyset-paginated reads through the Importer (subject matching,
rules, expiry, the upsert), against one hand-written SELECT per table joined to customers and
one INSERT ... SELECT FROM unnest(...) ON CONFLICT per table (no validation, no expiry).
Erasure: three disjoint sets of people, one per method, as disposal batches (one per
category): the portal's approval and run (the connector), against two floors — the same-work
floor (same_work_erasure: every write the portal makes, in plain SQL), which the ratio is
judged against, and the older source-statements-only floor (hand_written_erasure), kept as a
reference. The bench exits with an error if the same-work floor's writes do not match the
connector's in number.
"""

import argparse
import os
import random
import sys
import uuid
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.common import Timer, load_average, setup_django  # noqa: E402

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


def draw_people(organisation, count, groups):
    """``groups`` disjoint lists of ``count`` random people each, alike in their rows: a
    customer's payments depend on its number modulo 5 (generate), so each list takes the same
    number of each residue, and every list has as many rows (and records) as the others."""
    from dpo_portal.register.models import DataSubject

    by_residue = {}
    for person in DataSubject.objects.filter(organisation=organisation).only("external_ref"):
        by_residue.setdefault(int(person.external_ref[2:]) % 5, []).append(person)
    if min(len(people) for people in by_residue.values()) < groups * -(-count // 5):
        sys.exit("bench: too few customers for disjoint people per method and round")
    for people in by_residue.values():
        random.shuffle(people)
    drawn = [[] for _ in range(groups)]
    for n in range(count):
        for group in drawn:
            group.append(by_residue[n % 5].pop())
    return drawn


def disposal_batches(source, organisation, system, people, label):
    """The people's rows as records due in one disposal batch per category (set up, not timed):
    customers and calls by the customer's id, loans 2c-1 and 2c, their payments from the source.
    Upserted, so records a sync made before are the ones batched. Each method has its own
    people, so their records never overlap; ``label`` names the batches' rules (one pending batch
    per rule and category, and the old floor leaves its batches pending)."""
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
            code=f"bench-{label}-{code}",
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
                    [f"{table}:{key}" for table, key, _subject in entries],
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


def batch_keys(cursor, batch):
    """{table: [source keys]} of the batch's due records, read from the portal."""
    cursor.execute(
        "SELECT external_id FROM retention_record WHERE disposal_batch_id = %s AND status = 'due'",
        [batch.pk],
    )
    keys = {}
    for (external_id,) in cursor.fetchall():
        table, _sep, key = external_id.partition(":")
        keys.setdefault(table, []).append(int(key))
    return keys


def hand_written_erasure(source, batches):
    """The older floor, kept as a reference: per batch, its records' keys read from the portal,
    the statements on those keys in one source transaction, the records marked disposed. None of
    the evidence the portal writes (see same_work_erasure)."""
    from django.db import connection

    changed = 0
    for batch in batches:
        with connection.cursor() as cursor:
            keys = batch_keys(cursor, batch)
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


def same_work_erasure(source, batches, connector, actor):
    """The floor the connector is judged against: per batch, every write the portal's path
    (approve_batch, then finish_in_source) makes, as hand-written set-based SQL on cursors (no
    model saves). The batch's keys read from the portal; the source statements in one source
    transaction; then in one portal transaction:

    - the batch sent to its system (status, decider, signatures) and its history row, in one
      ``UPDATE … RETURNING`` feeding an ``INSERT … SELECT`` into the history table (what
      django-simple-history writes: the row's columns, history_date, history_type '~', the
      user, no change reason);
    - the run row with its receipt (per table: action, matched, changed, fields, statement
      shape), written succeeded at once (the portal inserts it queued and updates it);
    - the records marked disposed (``UPDATE … RETURNING id``: the certificate's ids, digest,
      first and last id);
    - the people left without records, by the portal's query; more than SCRUB_INLINE_LIMIT of
      them get the portal's background job row, fewer are scrubbed by the portal's own
      scrub_subjects (a per-person erasure across the portal, with no set-based twin);
    - the certificate number (the counter's upsert, one statement), the batch approved with its
      certificate and its second history row, in one statement as above;
    - the batch's four audit events (run queued, sent to the system, run finished, approved)
      under one locking read of the chain head, hashed in Python by the portal's chain
      functions, in one INSERT, and the head moved on.

    Left out, on purpose: the portal's two transactions per batch (the approval in the request,
    the run in a worker) and the Celery messages between them (the approval's, and the scrub
    job's); the batch's locking read and the re-reads of the batch, run, connector and data map
    a worker needs; the hold lookup (the bench places none). Records themselves have no history
    (retention.models.Record: no django-simple-history, on purpose), so none is written here or
    by the portal. Returns the source rows changed."""
    import json

    from django.contrib.contenttypes.models import ContentType
    from django.core.serializers.json import DjangoJSONEncoder
    from django.db import connection, transaction
    from django.utils import timezone

    from dpo_portal.audit import chain
    from dpo_portal.audit.models import AuditChainHead, AuditEvent
    from dpo_portal.connectors.models import ConnectorRun
    from dpo_portal.jobs.models import Job
    from dpo_portal.register.models import DataSubject, Membership
    from retention import services
    from retention.models import CertificateCounter, DisposalBatch, Record

    tables = {
        model: connection.ops.quote_name(model._meta.db_table)
        for model in (
            AuditChainHead,
            AuditEvent,
            CertificateCounter,
            ConnectorRun,
            DisposalBatch,
            Job,
            Membership,
            Record,
        )
    }
    history_table = connection.ops.quote_name(DisposalBatch.history.model._meta.db_table)
    tracked = ", ".join(
        f.column
        for f in DisposalBatch.history.model._meta.concrete_fields
        if not f.column.startswith("history_")
    )
    labels = {
        model: (
            ContentType.objects.get_for_model(model),
            f"{model._meta.app_label}.{model._meta.model_name}",
        )
        for model in (ConnectorRun, DisposalBatch)
    }
    roles = dict(Membership._meta.get_field("role").choices)

    def batch_with_history(cursor, assignments, values, batch_id, at):
        cursor.execute(
            f"WITH b AS (UPDATE {tables[DisposalBatch]} SET {assignments}, updated_at = %s "
            f"WHERE id = %s RETURNING *) INSERT INTO {history_table} ({tracked}, history_date, "
            f"history_change_reason, history_type, history_user_id) "
            f"SELECT {tracked}, %s, NULL, '~', %s FROM b",
            [*values, at, batch_id, at, actor.pk],
        )

    changed = 0
    for batch in batches:
        organisation_id = batch.organisation_id
        with connection.cursor() as cursor:
            keys = batch_keys(cursor, batch)
        started = timezone.now()
        receipt = []
        with source.transaction():
            for table, statement in HAND_DISPOSAL[batch.category.code]:
                found = source.execute(statement, [keys.get(table, [])]).rowcount
                if found:
                    action = "delete" if statement.startswith("DELETE") else "update"
                    receipt.append(
                        {
                            "table": table,
                            "action": action,
                            "matched": found,
                            "changed": found,
                            "fields": [],
                            "statement": statement,
                            "kept_reason": "",
                        }
                    )
                changed += found
        finished = timezone.now()
        with transaction.atomic(), connection.cursor() as cursor:
            cursor.execute(
                f"SELECT role FROM {tables[Membership]} WHERE organisation_id = %s "
                "AND user_id = %s ORDER BY id LIMIT 1",
                [organisation_id, actor.pk],
            )
            row = cursor.fetchone()
            role = str(roles.get(row[0], row[0])) if row else "Administrator"
            decided = timezone.now()
            signed = [
                {
                    "user_id": actor.pk,
                    "name": actor.get_full_name() or actor.get_username(),
                    "role": role,
                    "at": decided.isoformat(),
                }
            ]
            batch_with_history(
                cursor,
                "status = 'in_source', decided_by_id = %s, decided_at = %s, signatures = %s",
                [actor.pk, decided, json.dumps(signed)],
                batch.pk,
                decided,
            )
            now = timezone.now()
            cursor.execute(
                f"INSERT INTO {tables[ConnectorRun]} (organisation_id, created_at, updated_at, "
                "connector_id, kind, task_id, batch_id, status, confirmed_by_id, started_at, "
                "finished_at, server, database, tables, error, attempts) VALUES (%s, %s, %s, %s, "
                "'erase', NULL, %s, 'succeeded', %s, %s, %s, %s, %s, %s, '', 1) RETURNING id",
                [
                    organisation_id,
                    now,
                    now,
                    connector.pk,
                    batch.pk,
                    actor.pk,
                    started,
                    finished,
                    f"PostgreSQL {source.info.server_version // 10000}."
                    f"{source.info.server_version % 10000}",
                    source.info.dbname,
                    json.dumps(receipt),
                ],
            )
            run_id = cursor.fetchone()[0]
            action = batch.rule.end_action
            disposed_at = timezone.now()
            cursor.execute(
                f"UPDATE {tables[Record]} SET status = 'disposed', disposed_at = %s, "
                "disposal_action = %s, updated_at = %s WHERE disposal_batch_id = %s "
                "AND status = 'due' RETURNING id",
                [disposed_at, action, disposed_at, batch.pk],
            )
            disposed_ids = sorted(record_id for (record_id,) in cursor.fetchall())
            cursor.execute(
                f"SELECT s.id FROM {connection.ops.quote_name(DataSubject._meta.db_table)} s "
                "WHERE s.erased_at IS NULL AND s.id IN (SELECT subject_id FROM "
                f"{tables[Record]} WHERE disposal_batch_id = %s AND status = 'disposed') "
                f"AND NOT EXISTS (SELECT 1 FROM {tables[Record]} r WHERE r.subject_id = s.id "
                "AND r.status <> 'disposed')",
                [batch.pk],
            )
            left = [subject_id for (subject_id,) in cursor.fetchall()]
            scrubbed = 0
            if len(left) > services.SCRUB_INLINE_LIMIT:
                cursor.execute(
                    f"INSERT INTO {tables[Job]} (organisation_id, created_at, updated_at, kind, "
                    "started_by_id, status, total, done, parameters, message, result_name, "
                    "result_content_type) VALUES (%s, %s, %s, "
                    "'retention.scrub_disposed_subjects', %s, 'queued', 0, 0, %s, '', '', '')",
                    [organisation_id, now, now, actor.pk, json.dumps({"batch_id": batch.pk})],
                )
                scrubbed = "background"
            elif left:
                scrubbed = services.scrub_subjects(
                    DataSubject.objects.filter(pk__in=left), actor=actor
                )
            year = timezone.localdate(disposed_at).year
            cursor.execute(
                f"INSERT INTO {tables[CertificateCounter]} (organisation_id, year, last_number) "
                "VALUES (%s, %s, 1) ON CONFLICT (organisation_id, year) DO UPDATE "
                f"SET last_number = {tables[CertificateCounter]}.last_number + 1 "
                "RETURNING last_number",
                [organisation_id, year],
            )
            certificate = f"DC-{year}-{cursor.fetchone()[0]:06d}"
            batch_with_history(
                cursor,
                "status = 'approved', disposed_count = %s, kept_on_hold_count = 0, action = %s, "
                "legal_reference = %s, certificate_number = %s, unlocated_in_source = 0, "
                "first_record_id = %s, last_record_id = %s, disposed_ids_sha256 = %s",
                [
                    len(disposed_ids),
                    action,
                    batch.rule.legal_reference,
                    certificate,
                    disposed_ids[0] if disposed_ids else None,
                    disposed_ids[-1] if disposed_ids else None,
                    services.disposed_ids_digest(disposed_ids),
                ],
                batch.pk,
                timezone.now(),
            )
            events = [
                (
                    "connectors.run_queued",
                    ConnectorRun,
                    run_id,
                    {"task_id": None, "batch_id": batch.pk, "run_kind": "erase"},
                ),
                (
                    "retention.batch_sent_to_source",
                    DisposalBatch,
                    batch.pk,
                    {"run_id": run_id, "records": batch.record_count, "approvers": [actor.pk]},
                ),
                (
                    "connectors.run_finished",
                    ConnectorRun,
                    run_id,
                    {
                        "ok": True,
                        "tables": len(receipt),
                        "changed": sum(t["changed"] for t in receipt),
                    },
                ),
                (
                    "retention.batch_approved",
                    DisposalBatch,
                    batch.pk,
                    {
                        "end_action": action,
                        "disposed": len(disposed_ids),
                        "kept_on_hold": 0,
                        "subjects_scrubbed": scrubbed,
                        "certificate": certificate,
                        "approvers": [actor.pk],
                    },
                ),
            ]
            cursor.execute(
                f"SELECT last_sequence, last_hash FROM {tables[AuditChainHead]} "
                "WHERE organisation_id = %s FOR UPDATE",
                [organisation_id],
            )
            sequence, previous_hash = cursor.fetchone()
            rows = []
            for name, model, target_id, details in events:
                content_type, label = labels[model]
                details, at, sequence = chain.normalised(details), timezone.now(), sequence + 1
                content = chain.canonical(
                    organisation_id=organisation_id,
                    sequence=sequence,
                    actor_id=actor.pk,
                    action=name,
                    target=label,
                    target_id=str(target_id),
                    details=details,
                    at=at,
                )
                event_hash = chain.link_hash(previous_hash, content)
                rows.append(
                    [
                        organisation_id,
                        actor.pk,
                        name,
                        content_type.pk,
                        str(target_id),
                        json.dumps(details, cls=DjangoJSONEncoder),
                        at,
                        sequence,
                        previous_hash,
                        event_hash,
                    ]
                )
                previous_hash = event_hash
            cursor.execute(
                f"INSERT INTO {tables[AuditEvent]} (organisation_id, actor_id, action, "
                "target_type_id, target_id, details, created_at, sequence, previous_hash, hash) "
                "VALUES " + ", ".join(["(%s, %s, %s, %s, %s, %s, %s, %s, %s, %s)"] * len(rows)),
                [value for row in rows for value in row],
            )
            cursor.execute(
                f"UPDATE {tables[AuditChainHead]} SET last_sequence = %s, last_hash = %s "
                "WHERE organisation_id = %s",
                [sequence, previous_hash, organisation_id],
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


# The erasure's three methods, each on its own source (in this order) and its own people.
METHODS = ("connector", "hand", "same work")


def evidence():
    """What the portal holds as evidence of disposals so far, counted (outside the timers):
    compared before and after each method, so the same-work floor's writes can be checked
    against the connector's."""
    from bench.common import fetch

    (row,) = fetch(
        "SELECT (SELECT count(*) FROM audit_auditevent), "
        "(SELECT count(*) FROM retention_historicaldisposalbatch), "
        "(SELECT count(*) FROM connectors_connectorrun WHERE status = 'succeeded'), "
        "(SELECT count(*) FROM retention_disposalbatch WHERE certificate_number <> ''), "
        "(SELECT count(*) FROM jobs_job), "
        "(SELECT count(*) FROM retention_record WHERE status = 'disposed'), "
        "(SELECT count(*) FROM register_datasubject WHERE erased_at IS NOT NULL)"
    )
    names = ("audit events", "batch history rows", "runs", "certificates", "scrub jobs")
    return dict(zip((*names, "records disposed", "people scrubbed"), row, strict=True))


def erasure(sources, connector, organisation, system, subjects, repeat):
    """Erasure of ``subjects`` people as disposal batches (one per category), ``repeat`` times:
    by the connector on the first source, by the older floor (source statements and records
    only) on the second, by the same-work floor on the third, each method on people of its own
    (drawn at random, disjoint, each with as many rows: draw_people), so no method's check of the
    people left without records sees another's records. The methods' order turns by one each
    round. Returns the median seconds per method."""
    import statistics

    from django.contrib.auth import get_user_model
    from django.contrib.contenttypes.models import ContentType
    from django.db import connection

    from dpo_portal.audit import chain
    from dpo_portal.connectors.models import ConnectorRun
    from retention.models import DisposalBatch

    actor, _ = get_user_model().objects.get_or_create(
        username="bench-dpo", defaults={"is_superuser": True, "is_staff": True}
    )
    drawn = draw_people(organisation, subjects, len(METHODS) * repeat)
    # Content types as a running process has them cached (both paths look them up).
    ContentType.objects.get_for_models(ConnectorRun, DisposalBatch)
    warm_up_the_broker()
    seconds = {method: [] for method in METHODS}
    for round_number in range(repeat):
        people = dict(zip(METHODS, drawn[len(METHODS) * round_number :], strict=False))
        batches = {
            m: disposal_batches(sources[i], organisation, system, people[m], f"{i}-{round_number}")
            for i, m in enumerate(METHODS)
        }
        records = sum(b.record_count for b in batches["connector"])
        # The set-up has just bulk-written the people and the records: statistics as autovacuum
        # would have them by the time a DPO approves (without, the planner takes the subject
        # table for three rows).
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE register_datasubject")
            cursor.execute("ANALYZE retention_record")
        turn = round_number % len(METHODS)
        written, changed = {}, {}
        for method in METHODS[turn:] + METHODS[:turn]:
            before = evidence()
            with Timer() as timer:
                if method == "connector":
                    run_ids = batch_erasure(batches[method], actor)
                elif method == "hand":
                    changed[method] = hand_written_erasure(sources[1], batches[method])
                else:
                    changed[method] = same_work_erasure(
                        sources[2], batches[method], connector, actor
                    )
            after = evidence()
            seconds[method].append(timer.seconds)
            written[method] = {name: after[name] - before[name] for name in after}
        changed["connector"] = rows_changed(run_ids)
        connector_seconds = seconds["connector"][-1]
        print(
            f"erasure   connector {connector_seconds:7.2f} s  {changed['connector']:,} rows "
            f"changed for {subjects:,} subjects in {len(batches['connector'])} disposal batches "
            f"of {records:,} records ({changed['connector'] / connector_seconds:,.0f} rows/s)"
        )
        print(
            f"          same work {seconds['same work'][-1]:7.2f} s  {changed['same work']:,} "
            f"rows  ratio {connector_seconds / seconds['same work'][-1]:.2f}x"
        )
        print(
            f"          hand SQL  {seconds['hand'][-1]:7.2f} s  {changed['hand']:,} rows  "
            f"ratio {connector_seconds / seconds['hand'][-1]:.2f}x (reference: the source "
            "statements and the records' UPDATE only)"
        )
        print(
            f"          order {', '.join(METHODS[turn:] + METHODS[:turn])}; written by each: "
            + "; ".join(
                f"{m}: " + ", ".join(f"{k} {v:,}" for k, v in written[m].items() if v)
                for m in METHODS
            )
        )
        differ = {
            name: (written["connector"][name], written["same work"][name])
            for name in written["connector"]
            if written["connector"][name] != written["same work"][name]
        }
        if changed["connector"] != changed["same work"]:
            differ["source rows changed"] = (changed["connector"], changed["same work"])
        if differ:
            sys.exit(
                "bench: the same-work floor did not write what the connector wrote "
                "(connector, floor): " + ", ".join(f"{k} {v}" for k, v in differ.items())
            )
    # The floor's events are links of the same chain as the connector's: it must still verify.
    if not chain.verify(organisation.pk).intact:
        sys.exit("bench: the audit chain does not verify after the erasure")
    return {method: statistics.median(values) for method, values in seconds.items()}


def result_fields(erase):
    """The erasure's figures in the RESULT line: the connector, both floors, both ratios."""
    return (
        f"erase_seconds={erase['connector']:.2f} "
        f"erase_same_work_seconds={erase['same work']:.2f} "
        f"erase_floor_seconds={erase['hand']:.2f} "
        f"erase_ratio={erase['connector'] / erase['same work']:.2f} "
        f"erase_reference_ratio={erase['connector'] / erase['hand']:.2f}"
    )


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--customers", type=int, default=13_500)
    parser.add_argument("--subjects", type=int, default=1_000)
    parser.add_argument(
        "--erasure-only",
        action="store_true",
        help="skip the sync (the erasure's set-up then makes the batches' records itself)",
    )
    parser.add_argument(
        "--repeat",
        type=int,
        default=1,
        help="rounds of the erasure, each on new people (medians in the RESULT line)",
    )
    args = parser.parse_args()
    setup_django()
    import psycopg
    from django.core.management import call_command
    from psycopg import sql

    call_command("migrate", verbosity=0)
    admin = psycopg.conninfo.conninfo_to_dict(os.environ["DATABASE_URL"])
    names = [f"bench_source_{uuid.uuid4().hex[:8]}" for _ in range(len(METHODS))]
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
        f"{load_average()}"
    )

    if args.erasure_only:
        erase = erasure(sources, connector, organisation, system, args.subjects, args.repeat)
        print(f"RESULT rows={rows} {result_fields(erase)} load={load_average()}")
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

    erase = erasure(sources, connector, organisation, system, args.subjects, args.repeat)
    print(
        f"RESULT rows={rows} sync_seconds={sync_timer.seconds:.2f} "
        f"sync_floor_seconds={floor_timer.seconds:.2f} {result_fields(erase)} "
        f"load={load_average()}"
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
