"""A loan system's database for the connector tests: customers → loans → payments, and calls,
as PostgreSQL (a separate database of the test cluster, with a read-only and a write role),
MariaDB (a database of the suite's MariaDB server, with a read-only and a write user) or SQLite,
with the Fides-format data map that describes it."""

import datetime
import hashlib
import sqlite3

from dpo_portal.connectors import services
from dpo_portal.connectors.models import CollectionSetting, Connector, DataMap, FieldSetting
from tests.factories import make_category, make_system

SCHEMA = [
    """CREATE TABLE customers (
        id INTEGER PRIMARY KEY, customer_ref VARCHAR(100), fin VARCHAR(7),
        full_name VARCHAR(200) NOT NULL, email VARCHAR(200), phone VARCHAR(30), created_on DATE)""",
    """CREATE TABLE loans (
        id INTEGER PRIMARY KEY, customer_id INTEGER NOT NULL REFERENCES customers (id),
        amount NUMERIC(12, 2), opened_on DATE)""",
    """CREATE TABLE payments (
        id INTEGER PRIMARY KEY, loan_id INTEGER NOT NULL REFERENCES loans (id),
        amount NUMERIC(12, 2), paid_on DATE)""",
    """CREATE TABLE calls (
        id INTEGER PRIMARY KEY, customer_id INTEGER NOT NULL REFERENCES customers (id),
        phone VARCHAR(30), recorded_on DATE)""",
    # A table whose names need quoting: a quote, a double quote, a backtick, a comment marker and
    # percent signs, one shaped like a driver's placeholder (MariaDB reads the double quotes with
    # ANSI_QUOTES, the tests' own SQL only).
    'CREATE TABLE "notes ""x""" (id INTEGER PRIMARY KEY,'
    " customer_id INTEGER NOT NULL REFERENCES customers (id),"
    ' "O\'Brien said ""hi"" `x`; -- %s 100%" VARCHAR(200))',
]
# The tests' direct SQL reading that column (double quotes: ANSI SQL, as every engine reads it).
NOTES_QUERY = 'SELECT "O\'Brien said ""hi"" `x`; -- %s 100%" FROM "notes ""x""" ORDER BY id'

DATA_MAP = """\
dataset:
  - fides_key: allall_loans
    name: AllAll Finance loan system
    collections:
      - name: customers
        fields:
          - name: id
            data_categories: [system.operations]
            fides_meta: {primary_key: true}
          - name: customer_ref
            data_categories: [user.unique_id]
            fides_meta: {identity: external_ref}
          - name: fin
            data_categories: [user.government_id]
            fides_meta: {identity: fin}
          - name: full_name
            data_categories: [user.name]
            fides_meta:
              masking_strategy_override: {strategy: string_rewrite}
          - name: email
            data_categories: [user.contact.email]
          - name: phone
            data_categories: [user.contact.phone_number]
          - name: created_on
            data_categories: [system.operations]
      - name: loans
        fides_meta:
          masking_strategy_override: {strategy: delete}
        fields:
          - name: id
            data_categories: [system.operations]
          - name: customer_id
            data_categories: [system.operations]
            fides_meta:
              references:
                - {dataset: allall_loans, field: customers.id, direction: from}
          - name: amount
            data_categories: [user.financial]
          - name: opened_on
            data_categories: [system.operations]
      - name: payments
        fides_meta:
          masking_strategy_override: {strategy: delete}
        fields:
          - name: id
            data_categories: [system.operations]
          - name: loan_id
            data_categories: [system.operations]
            fides_meta:
              references:
                - {dataset: allall_loans, field: loans.id, direction: from}
          - name: amount
            data_categories: [user.financial]
          - name: paid_on
            data_categories: [system.operations]
      - name: calls
        fides_meta:
          masking_strategy_override: {strategy: delete}
        fields:
          - name: id
            data_categories: [system.operations]
          - name: customer_id
            data_categories: [system.operations]
            fides_meta:
              references:
                - {dataset: allall_loans, field: customers.id, direction: from}
          - name: phone
            data_categories: [user.contact.phone_number]
          - name: recorded_on
            data_categories: [system.operations]
      - name: notes "x"
        fields:
          - name: id
            data_categories: [system.operations]
          - name: customer_id
            data_categories: [system.operations]
            fides_meta:
              references:
                - {dataset: allall_loans, field: customers.id, direction: from}
          - name: O'Brien said "hi" `x`; -- %s 100%
            data_categories: [user.content]
"""

COLLECTION_DATES = {
    "customers": "created_on",
    "loans": "opened_on",
    "payments": "paid_on",
    "calls": "recorded_on",
}

# (id, reference, FIN, name, e-mail, phone) of the people at the source.
CUSTOMERS = [
    (1, "AF-1001", "5ARP7K2", "Leyla Məmmədova", "leyla@example.az", "+994501110001"),
    (2, "AF-1002", "6BTQ8M3", "Rəşad Əliyev", "resad@example.az", "+994501110002"),
    (
        3,
        "x'; DROP TABLE loans; --",
        "7CVR9N4",
        "Nigar Həsənova",
        "nigar@example.az",
        "+994501110003",
    ),
]
# loans: (id, customer id), payments: (id, loan id), calls: (id, customer id)
LOANS = [(10, 1), (11, 1), (20, 2), (30, 3)]
PAYMENTS = [(100, 10), (101, 10), (102, 11), (200, 20), (300, 30)]
CALLS = [(1000, 1), (2000, 2), (3000, 3)]
NOTES = [(1, 1, "wants a call back"), (2, 2, "prefers e-mail")]
DAY = datetime.date(2024, 5, 6)


def seed(execute, placeholder):
    """Create the schema and its rows with ``execute(sql, params)``."""
    for statement in SCHEMA:
        execute(statement, [])

    def insert(table, columns, rows):
        marks = ", ".join([placeholder] * len(columns))
        # The drivers that take %s read every % of the statement, the names' included.
        names = f"{table} ({', '.join(columns)})"
        if placeholder == "%s":
            names = names.replace("%", "%%")
        for row in rows:
            execute(f"INSERT INTO {names} VALUES ({marks})", list(row))

    insert(
        "customers",
        ["id", "customer_ref", "fin", "full_name", "email", "phone", "created_on"],
        [(*c, DAY) for c in CUSTOMERS],
    )
    insert(
        "loans", ["id", "customer_id", "amount", "opened_on"], [(i, c, 1500, DAY) for i, c in LOANS]
    )
    insert(
        "payments",
        ["id", "loan_id", "amount", "paid_on"],
        [(i, loan, 100, DAY) for i, loan in PAYMENTS],
    )
    insert(
        "calls",
        ["id", "customer_id", "phone", "recorded_on"],
        [(i, c, "+994500000000", DAY) for i, c in CALLS],
    )
    insert('"notes ""x"""', ["id", "customer_id", '"O\'Brien said ""hi"" `x`; -- %s 100%"'], NOTES)


def map_identified_by(identity):
    """The data map with the customers found by one identity only: "email" or "phone_number"
    (the e-mail or phone column), instead of the reference and FIN."""
    column = {"email": "email", "phone_number": "phone"}[identity]
    text = DATA_MAP.replace("            fides_meta: {identity: external_ref}\n", "")
    text = text.replace("            fides_meta: {identity: fin}\n", "")
    # The first such column is the customers' (calls has a phone too).
    marker = f"          - name: {column}\n            data_categories: [user.contact."
    start = text.index(marker)
    end = text.index("\n", start + len(marker)) + 1
    return text[:end] + f"            fides_meta: {{identity: {identity}}}\n" + text[end:]


def make_sqlite_source(path):
    connection = sqlite3.connect(path)
    seed(
        lambda q, p: connection.execute(
            q, [str(v) if isinstance(v, datetime.date) else v for v in p]
        ),
        "?",
    )
    connection.commit()
    connection.close()


def hashed(organisation, value):
    """The keyed hash every engine must write for ``value``: hex SHA-256 of salt + value, so a
    person hashes alike whatever database holds their rows."""
    return hashlib.sha256(f"{services._salt(organisation.pk)}{value}".encode()).hexdigest()


def categories(organisation):
    return {
        code: make_category(organisation, code, name=name)
        for code, name in [
            ("identity", "Identity"),
            ("identity-fin", "FIN"),
            ("contact", "Contact"),
            ("financial", "Financial"),
            ("other", "Other"),
        ]
    }


def connect(
    organisation,
    *,
    kind,
    read_dsn="SOURCE_READ_DSN",
    write_dsn="SOURCE_WRITE_DSN",
    system=None,
    data_map=DATA_MAP,
    **fields,
):
    system = system or make_system(organisation, "core-loans", name="Loan management system (core)")
    connector = Connector.objects.create(
        organisation=organisation,
        system=system,
        kind=kind,
        read_dsn=read_dsn,
        write_dsn=write_dsn,
        **fields,
    )
    data_map = DataMap.objects.create(
        organisation=organisation, connector=connector, dataset_yaml=data_map
    )
    for collection, column in COLLECTION_DATES.items():
        CollectionSetting.objects.create(
            data_map=data_map, collection=collection, collected_at_field=column
        )
    FieldSetting.objects.create(
        data_map=data_map, collection="customers", field="customer_ref", strategy="hash"
    )
    return connector
