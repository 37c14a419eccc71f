"""Demo: AllAll Finance's loan system as a real SQLite database under var/, connected with its
Fides-format data map, so a DPO can preview and run a deletion that removes rows there.

The source holds customers (the demo people of AllAll, by reference and FIN), their loans,
payments and recorded calls. The DSN sits in a file under var/ named by the connector (never in
the portal's database). Idempotent: an existing connector is left as it is.
"""

import datetime
import random
import sqlite3
from pathlib import Path

from django.conf import settings

from dpo_portal.register.models import DataSubject, Organisation, System

from .models import CollectionSetting, Connector, DataMap, FieldSetting

MAP = Path(__file__).with_name("demo_loans.yml")
SCHEMA = [
    "CREATE TABLE customers (id INTEGER PRIMARY KEY, customer_ref TEXT, fin TEXT,"
    " full_name TEXT NOT NULL, email TEXT, phone TEXT, created_on DATE)",
    "CREATE TABLE loans (id INTEGER PRIMARY KEY,"
    " customer_id INTEGER NOT NULL REFERENCES customers (id), amount NUMERIC, opened_on DATE)",
    "CREATE TABLE payments (id INTEGER PRIMARY KEY,"
    " loan_id INTEGER NOT NULL REFERENCES loans (id), amount NUMERIC, paid_on DATE)",
    "CREATE TABLE calls (id INTEGER PRIMARY KEY,"
    " customer_id INTEGER NOT NULL REFERENCES customers (id), phone TEXT, recorded_on DATE)",
]
COLLECTION_DATES = {
    "customers": "created_on",
    "loans": "opened_on",
    "payments": "paid_on",
    "calls": "recorded_on",
}


def build_source(path, people, today):
    path.unlink(missing_ok=True)
    connection = sqlite3.connect(path)
    for statement in SCHEMA:
        connection.execute(statement)
    customers, loans, payments, calls = [], [], [], []
    for number, person in enumerate(people, 1):
        since = today - datetime.timedelta(days=random.randint(60, 1500))
        name = f"{person.first_name} {person.last_name}".strip() or person.external_ref
        customers.append(
            (number, person.external_ref, person.fin, name, person.email, person.phone, since)
        )
        for _loan in range(random.randint(1, 2)):
            loan_id = len(loans) + 1
            loans.append((loan_id, number, random.randint(5, 80) * 100, since))
            for month in range(random.randint(1, 4)):
                paid = since + datetime.timedelta(days=30 * (month + 1))
                payments.append((len(payments) + 1, loan_id, 150, min(paid, today)))
        calls.append((number, number, person.phone, since))
    connection.executemany("INSERT INTO customers VALUES (?, ?, ?, ?, ?, ?, ?)", _dated(customers))
    connection.executemany("INSERT INTO loans VALUES (?, ?, ?, ?)", _dated(loans))
    connection.executemany("INSERT INTO payments VALUES (?, ?, ?, ?)", _dated(payments))
    connection.executemany("INSERT INTO calls VALUES (?, ?, ?, ?)", _dated(calls))
    connection.commit()
    connection.close()
    return len(customers) + len(loans) + len(payments) + len(calls)


def _dated(rows):
    return [[v.isoformat() if isinstance(v, datetime.date) else v for v in row] for row in rows]


def load(stdout, subjects_per_organisation):
    organisation = Organisation.objects.filter(slug="allall").first()
    system = System.objects.filter(organisation=organisation, code="core-loans").first()
    if system is None or Connector.objects.filter(system=system).exists():
        return
    var = Path(settings.VAR_DIR)
    var.mkdir(parents=True, exist_ok=True)
    source, dsn_file = var / "demo-loans.sqlite3", var / "demo-loans.dsn"
    people = list(
        DataSubject.objects.filter(organisation=organisation, erased_at__isnull=True)
        .exclude(external_ref="")
        .order_by("pk")
    )
    rows = build_source(source, people, datetime.date.today())
    dsn_file.write_text(f"sqlite:///{source}\n", encoding="utf-8")
    dsn_file.chmod(0o600)
    connector = Connector.objects.create(
        organisation=organisation,
        system=system,
        kind="sqlite",
        read_dsn=str(dsn_file),
        write_dsn=str(dsn_file),
        sync_enabled=True,
    )
    data_map = DataMap.objects.create(
        organisation=organisation, connector=connector, dataset_yaml=MAP.read_text()
    )
    CollectionSetting.objects.bulk_create(
        CollectionSetting(data_map=data_map, collection=name, collected_at_field=column)
        for name, column in COLLECTION_DATES.items()
    )
    FieldSetting.objects.create(
        data_map=data_map, collection="customers", field="customer_ref", strategy="hash"
    )
    stdout.write(f"connectors: AllAll's loan system in {source} ({rows} rows), connected.")
