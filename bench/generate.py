"""Benchmark data: one organisation ("bench") with N records (default 1,000,000) on PostgreSQL.

    .venv/bin/python bench/generate.py [--records N]     (DATABASE_URL: PostgreSQL, migrated)

The small register (systems, categories, activities, rules, holds, a DPO user) goes through the
ORM; the N/10 subjects and the N records are made inside PostgreSQL by one
INSERT ... SELECT generate_series each, so a million rows take seconds, not the ORM's hours.

The spread is meant to give the sweep real work: ten category/activity combinations with
weights (transactions 30 %, ..., CCTV 5 %), rules from 30 days to 10 years, counting from
collection or (KYC) from the end of the relationship, which has happened for 60 % of those
records. Collection dates are spread so that about 30 % of the records have expired today; 1 %
are already disposed. Holds: 0.5 % of the subjects, 200 single records and one whole category;
plus one released hold and one lapsed hold, which must not hold anything.

Pseudo-random values come from md5 of the row number, so the data are the same on every run
and the 2,000,000-record set is the 1,000,000 one continued.
"""

import argparse
import datetime
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.common import BENCH_SLUG, Timer, execute, fetch, report, scalar, setup_django  # noqa: E402

# (weight in ‰, category code, activity code or None): the combinations a record can have.
COMBINATIONS = [
    (200, "txn", None),
    (100, "txn", "loans"),
    (150, "kyc", None),
    (150, "contact", None),
    (100, "marketing", "newsletter"),
    (50, "cctv", None),
    (80, "calls", None),
    (100, "logs", None),
    (10, "legal", None),
    (60, "misc", None),
]
CATEGORIES = {
    "txn": "Transactions",
    "kyc": "Identity documents (KYC)",
    "contact": "Contact details",
    "marketing": "Marketing preferences",
    "cctv": "CCTV footage",
    "calls": "Call recordings",
    "logs": "Access logs",
    "legal": "Litigation files",
    "misc": "Other correspondence",
}
ACTIVITIES = {"loans": "Consumer loans", "newsletter": "Newsletter"}
# (code, category, activity, period, unit, trigger): "misc" falls to the organisation default.
RULES = [
    ("default", None, None, 3, "years", "collection"),
    ("txn", "txn", None, 5, "years", "collection"),
    ("loans-txn", "txn", "loans", 7, "years", "collection"),
    ("kyc", "kyc", None, 5, "years", "relationship_end"),
    ("contact", "contact", None, 3, "years", "collection"),
    ("marketing", "marketing", None, 24, "months", "collection"),
    ("cctv", "cctv", None, 30, "days", "collection"),
    ("calls", "calls", None, 1, "years", "collection"),
    ("logs", "logs", None, 6, "months", "collection"),
    ("legal", "legal", None, 10, "years", "collection"),
]
SYSTEMS = ["core", "crm", "cards", "loans", "web", "callcentre", "cctv", "archive"]
DUE_SHARE = 0.3
DAYS_PER_UNIT = {"days": 1, "months": 30.44, "years": 365.25}


def rnd(salt):
    """A deterministic pseudo-random number in [0, 1) for row g.i, as SQL."""
    return f"(('x' || substr(md5(g.i::text || '{salt}'), 1, 8))::bit(32)::bigint / 4294967296.0)"


def make_register(today):
    from django.contrib.auth import get_user_model

    from consent.models import ProcessingActivity
    from dpo_portal.register.models import (
        DataCategory,
        Membership,
        Organisation,
        Role,
        System,
    )
    from retention.models import RetentionRule

    organisation = Organisation.objects.create(slug=BENCH_SLUG, name="Bench Finance MMC")
    org = {"organisation": organisation}
    systems = {
        code: System.objects.create(**org, code=code, name=f"System {code}", owner="IT")
        for code in SYSTEMS
    }
    categories = {
        code: DataCategory.objects.create(**org, code=code, name=name)
        for code, name in CATEGORIES.items()
    }
    activities = {
        code: ProcessingActivity.objects.create(**org, code=code, name=name, purpose=name)
        for code, name in ACTIVITIES.items()
    }
    for code, category, activity, period, unit, trigger in RULES:
        RetentionRule.objects.create(
            **org,
            code=code,
            name=f"Rule {code}",
            category=categories.get(category),
            activity=activities.get(activity),
            period=period,
            unit=unit,
            trigger=trigger,
            legal_reference="bench",
        )
    user = get_user_model().objects.create_user(username="bench-dpo", is_staff=True)
    Membership.objects.create(user=user, organisation=organisation, role=Role.DPO)
    return organisation, systems, categories, activities


def combination_table(organisation, categories, activities):
    """A temporary table: per combination its share of the rows (lo..hi in ‰), ids, rule."""
    from retention.rules import RuleBook

    book = RuleBook(organisation.pk)
    rows, lo = [], 0
    for weight, category, activity in COMBINATIONS:
        category_id = categories[category].pk
        activity_id = activities[activity].pk if activity else None
        rule = book.rule_for(activity_id, category_id)
        span = round(rule.period * DAYS_PER_UNIT[rule.unit])
        months = {"days": None, "months": rule.period, "years": rule.period * 12}[rule.unit]
        days = rule.period if rule.unit == "days" else None
        from_collection = rule.trigger == "collection"
        rows.append((lo, lo + weight, category_id, activity_id, rule.pk, months, days, span))
        rows[-1] += (from_collection,)
        lo += weight
    assert lo == 1000, lo
    execute(
        "CREATE TEMP TABLE bench_combo (lo int, hi int, category_id bigint, activity_id bigint,"
        " rule_id bigint, months int, days int, span int, from_collection bool)"
    )
    for row in rows:
        execute("INSERT INTO bench_combo VALUES (%s, %s, %s, %s, %s, %s, %s, %s, %s)", row)


def insert_subjects(organisation, count):
    execute(
        f"""
        INSERT INTO register_datasubject (created_at, updated_at, organisation_id, external_ref,
            first_name, last_name, patronymic, birth_date, fin, id_document_number, phone, email,
            address)
        SELECT now(), now(), %s, 'S' || lpad(g.i::text, 9, '0'), 'Ad' || g.i, 'Soyad' || g.i,
            '', date '1950-01-01' + floor({rnd("b")} * 20000)::int,
            upper(lpad(to_hex(g.i), 7, '0')), 'AZE' || lpad(g.i::text, 8, '0'),
            '+99450' || lpad(g.i::text, 7, '0'), 's' || g.i || '@example.org', 'Bakı'
        FROM generate_series(0, %s - 1) AS g(i)
        """,
        [organisation.pk, count],
    )
    low = scalar(
        "SELECT min(id) FROM register_datasubject WHERE organisation_id = %s", [organisation.pk]
    )
    high = scalar(
        "SELECT max(id) FROM register_datasubject WHERE organisation_id = %s", [organisation.pk]
    )
    assert high - low + 1 == count, "subject ids are not contiguous"
    return low


def insert_records(organisation, systems, today, count, first_subject_id, subject_count):
    execute("CREATE TEMP TABLE bench_system (n int, id bigint)")
    for n, code in enumerate(SYSTEMS):
        execute("INSERT INTO bench_system VALUES (%s, %s)", [n, systems[code].pk])
    # x: the dates of each row. From collection: collected so that DUE_SHARE of the rows are
    # past their period. From another event: it happened for 60 %, half of those long enough ago.
    return execute(
        f"""
        INSERT INTO retention_record (created_at, updated_at, organisation_id, subject_id,
            system_id, category_id, activity_id, external_id, collected_at, clock_started_at,
            expires_on, status, disposed_at, disposal_action, rule_id)
        SELECT now(), now(), %(org)s, %(s0)s + (g.i * 7919) %% %(ns)s, s.id, c.category_id,
            c.activity_id, 'R' || g.i, x.collected, x.clock,
            CASE WHEN x.base IS NULL THEN NULL
                 WHEN c.days IS NOT NULL THEN x.base + c.days
                 ELSE (x.base + make_interval(months => c.months))::date END,
            CASE WHEN g.i %% 100 = 99 THEN 'disposed' ELSE 'active' END,
            CASE WHEN g.i %% 100 = 99 THEN now() END,
            CASE WHEN g.i %% 100 = 99 THEN 'erase' ELSE '' END,
            c.rule_id
        FROM generate_series(%(first)s::bigint, %(last)s::bigint) AS g(i)
        JOIN bench_combo c ON (g.i * 37) %% 1000 >= c.lo AND (g.i * 37) %% 1000 < c.hi
        JOIN bench_system s ON s.n = floor({rnd("y")} * {len(SYSTEMS)})
        CROSS JOIN LATERAL (
            SELECT CASE WHEN c.from_collection
                        THEN %(today)s - floor({rnd("c")} * c.span / {1 - DUE_SHARE})::int
                        ELSE %(today)s - floor({rnd("e")} * 1500)::int
                          - floor({rnd("c")} * c.span * 2)::int END AS collected,
                   CASE WHEN NOT c.from_collection AND {rnd("s")} < 0.6
                        THEN %(today)s - floor({rnd("c")} * c.span * 2)::int END AS clock
        ) AS d
        CROSS JOIN LATERAL (
            SELECT d.collected,
                   d.clock,
                   CASE WHEN c.from_collection THEN d.collected ELSE d.clock END AS base
        ) AS x
        ORDER BY g.i  -- ids in row-number order: every pk-range chunk gets the whole mix
        """,
        {
            "org": organisation.pk,
            "s0": first_subject_id,
            "ns": subject_count,
            "first": 0,
            "last": count - 1,
            "today": today,
        },
    )


def secondary_indexes():
    return fetch(
        "SELECT indexname, indexdef FROM pg_indexes WHERE tablename = 'retention_record'"
        " AND indexdef NOT LIKE 'CREATE UNIQUE%'"
    )


def place_holds(organisation, categories, systems, first_subject_id, subject_count, today):
    from retention.models import LegalHold

    org = {"organisation": organisation, "reason": "bench", "reference": "bench"}
    holds = [
        LegalHold(**org, subject_id=first_subject_id + (k * 2003) % subject_count)
        for k in range(subject_count // 200)
    ]
    record_ids = [
        row[0]
        for row in fetch(
            "SELECT id FROM retention_record WHERE organisation_id = %s AND id %% 4999 = 0"
            " ORDER BY id LIMIT 200",
            [organisation.pk],
        )
    ]
    holds += [LegalHold(**org, record_id=pk) for pk in record_ids]
    holds.append(LegalHold(**org, category=categories["legal"]))
    # Neither of these holds anything any more.
    holds.append(
        LegalHold(**org, system=systems["core"], released_at=datetime.datetime.now(datetime.UTC))
    )
    holds.append(
        LegalHold(**org, category=categories["cctv"], until=today - datetime.timedelta(days=1))
    )
    LegalHold.objects.bulk_create(holds)
    return len(holds)


def generate(records, today):
    from django.db import transaction

    subjects = max(records // 10, 1)
    timings = []
    with transaction.atomic():
        if scalar("SELECT count(*) FROM register_organisation WHERE slug = %s", [BENCH_SLUG]):
            sys.exit("bench: the bench organisation exists already; use a fresh database")
        organisation, systems, categories, activities = make_register(today)
        combination_table(organisation, categories, activities)
        # Bulk-load practice: build the secondary indexes once after the load instead of
        # updating them row by row; the data are consistent by construction, so the
        # foreign-key triggers are skipped for the load (session_replication_role).
        indexes = secondary_indexes()
        for name, _definition in indexes:
            execute(f'DROP INDEX "{name}"')
        execute("SET LOCAL session_replication_role = replica")
        with Timer() as t:
            first_subject = insert_subjects(organisation, subjects)
        timings.append(("subjects", f"{subjects:,} in {t.seconds:.1f} s"))
        with Timer() as t:
            inserted = insert_records(
                organisation, systems, today, records, first_subject, subjects
            )
        timings.append(("records", f"{inserted:,} in {t.seconds:.1f} s"))
        execute("SET LOCAL session_replication_role = origin")
        with Timer() as t:
            for _name, definition in indexes:
                execute(definition)
        timings.append(("indexes", f"{len(indexes)} rebuilt in {t.seconds:.1f} s"))
        holds = place_holds(organisation, categories, systems, first_subject, subjects, today)
        timings.append(("legal holds", holds))
    with Timer() as t:
        execute("VACUUM (ANALYZE) retention_record")
        execute("VACUUM (ANALYZE) register_datasubject")
    timings.append(("vacuum analyze", f"{t.seconds:.1f} s"))
    expired = scalar(
        "SELECT count(*) FROM retention_record WHERE status = 'active' AND expires_on <= %s",
        [today],
    )
    timings.append(("active and expired", f"{expired:,} ({expired / records:.0%})"))
    return timings


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--records", type=int, default=1_000_000)
    args = parser.parse_args()
    setup_django()
    from django.utils import timezone

    with Timer() as t:
        timings = generate(args.records, timezone.localdate())
    report(f"generate: {args.records:,} records", [*timings, ("total", f"{t.seconds:.1f} s")])


if __name__ == "__main__":
    main()
