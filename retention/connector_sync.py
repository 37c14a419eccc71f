"""The inventory of a connected system, read from its database and upserted as records.

Set-based, on every database. The source's rows (dpo_portal.connectors, one streamed query per
collection on the read-only role) are written as they arrive into temporary tables of the
portal's database (COPY on PostgreSQL): the rows, by record id and person number, and the
people, one row per distinct set of identity values normalised by the register's own normalisers
(so a FIN, e-mail or phone matches whatever its spelling). The rest is SQL over them:

- people matched to data subjects by reference, then FIN, identity document, e-mail, phone
  (live subjects only: an erased person's identifiers are scrubbed, and the suppression list
  refuses them); the few people not found come back to Python, where the suppression list's
  keyed digests are checked and they are reported or created (per connector) through the
  register's checks;
- the import's checks that a source row can fail (a collection date that is missing or in the
  future, an id longer than the record's column), counted as refused rows;
- the records that are new or differ from what is held (a LEFT JOIN on the record's key),
  handed to the Importer's staged writer, the one INSERT ... ON CONFLICT the file import and
  the API push use; the rules and expiry come from the Importer's rule book, once per category
  and date. An unchanged record is not written: a second sync writes nothing;
- records of the synced collections whose row is gone from the source (an anti-join), disposed
  through the retention services with the connector as the actor.
"""

import datetime
import time
import uuid

from django.db import connection, transaction
from django.db.models.expressions import RawSQL
from django.utils import timezone
from django.utils.translation import gettext as _

from dpo_portal.audit.models import AuditEvent
from dpo_portal.connectors import services as connectors
from dpo_portal.connectors.engine import SourceError
from dpo_portal.connectors.models import UnknownPeople
from dpo_portal.jobs.imports import ImportRefused
from dpo_portal.register.models import FIN_RE, IDENTIFIER_NORMALISERS, DataSubject

from .imports import Importer, RowError, Staged, parse_date
from .models import EndAction, Record
from .rules import expiry
from .services import dispose_records

SYNC_JOB = "retention.connector_sync"
# The person's identity columns in the people table, in the order a person is matched by.
IDENTITIES = ("external_ref", "fin", "id_document_number", "email", "phone")
NORMALISERS = {"external_ref": lambda value: (value or "").strip(), **IDENTIFIER_NORMALISERS}
COUNTS = (
    "new",
    "changed",
    "unchanged",
    "disposed",
    "refused",
    "unknown_reported",
    "unknown_created",
    "erased_refused",
)


class SyncRefused(ImportRefused):
    """The sync cannot run (the connector's settings, the source): a sentence safe to show."""


def _as_date(value):
    if isinstance(value, datetime.datetime):
        return value.date()
    if isinstance(value, datetime.date):
        return value
    try:
        return parse_date(value, "collected_at", False)  # the import's two spellings
    except RowError:
        return None


class _People:
    """Person numbers of the distinct identity values read, normalised once each."""

    def __init__(self):
        self.numbers = {}  # normalised identity tuple -> person number
        self.rows = []  # (number, *identities, bad, subject)
        self._raw = {}  # (identity fields, raw values) -> person number

    def number(self, fields, raw):
        key = (fields, raw)
        number = self._raw.get(key)
        if number is None:
            values = dict.fromkeys(IDENTITIES, "")
            for field, value in zip(fields, raw, strict=True):
                if value is not None and not values[field]:
                    values[field] = NORMALISERS[field](str(value))
            person = tuple(values[field] for field in IDENTITIES)
            number = self.numbers.get(person)
            if number is None:
                number = self.numbers[person] = len(self.numbers) + 1
                # No identifier at all, or a malformed FIN, refuses the row, as in the import.
                bad = not any(person) or (bool(values["fin"]) and not FIN_RE.match(values["fin"]))
                self.rows.append((number, *person, bad, None))  # subject: matched in SQL
            self._raw[key] = number
        return number


class _Tables:
    """The sync's temporary tables in the portal's database, under one random name."""

    def __init__(self, cursor):
        self.cursor = cursor
        name = f"connector_sync_{uuid.uuid4().hex}"
        self.rows, self.people, self.kinds = f"{name}_rows", f"{name}_people", f"{name}_kinds"
        self.rules, self.write, self.gone = f"{name}_rules", f"{name}_write", f"{name}_gone"
        self.postgres = connection.vendor == "postgresql"
        for table, columns in (
            (self.rows, "external_id text, collection integer, person integer, collected_at date"),
            (
                self.people,
                "person integer PRIMARY KEY, external_ref text, fin text, "
                "id_document_number text, email text, phone text, bad boolean, subject_id bigint",
            ),
            (self.kinds, "collection integer, category_id integer"),
            (
                self.rules,
                "category_id integer, collected_at date, rule_id integer, expires_on date",
            ),
        ):
            cursor.execute(f"CREATE TEMPORARY TABLE {table} ({columns})")

    def insert(self, table, rows):
        if not rows:
            return
        if self.postgres:
            with self.cursor.cursor.copy(f"COPY {table} FROM STDIN") as copy:
                for row in rows:
                    copy.write_row(row)
        else:
            marks = ", ".join(["%s"] * len(rows[0]))
            self.cursor.executemany(f"INSERT INTO {table} VALUES ({marks})", rows)

    def analyse(self):
        # Temporary tables are never analysed by autovacuum: the joins below need the sizes.
        for table in (self.rows, self.people, self.kinds, self.rules):
            self.cursor.execute(f"ANALYZE {table}")
        # The anti-join of the records held against the rows read: the planner cannot tell
        # how many records the collections' prefixes select, and with no index it may scan the
        # rows once per record.
        self.cursor.execute(f"CREATE INDEX {self.rows}_id ON {self.rows} (external_id)")

    def drop(self):
        for table in (self.rows, self.people, self.kinds, self.rules, self.write, self.gone):
            self.cursor.execute(f"DROP TABLE IF EXISTS {table}")


def _stage(connector, tables, importer, activity_id, progress):
    """Read the source into the temporary tables; returns the synced collections' count."""
    people, dates, seen_dates = _People(), {}, set()
    postgres = tables.postgres
    collections = {}
    for spec, rows in connectors.inventory(connector):
        index = collections.setdefault(spec.name, (len(collections) + 1, spec))[0]
        fields, prefix = tuple(spec.identity_fields), f"{spec.name}:"
        out = []
        for row in rows:
            raw_date = row[-1]
            day = dates.get(raw_date, False)
            if day is False:
                day = dates[raw_date] = _as_date(raw_date)
                seen_dates.add(day)
            person = people.number(fields, tuple(row[1:-1]))
            out.append(
                (
                    f"{prefix}{row[0]}",
                    index,
                    person,
                    day if postgres or day is None else day.isoformat(),
                )
            )
        tables.insert(tables.rows, out)
        if progress:
            progress(len(rows))
    tables.insert(tables.people, people.rows)
    tables.insert(
        tables.kinds,
        [(index, c) for index, spec in collections.values() for c in spec.category_ids],
    )
    # The rule and expiry of each category and date, as the import computes them.
    category_ids = sorted({c for _index, spec in collections.values() for c in spec.category_ids})
    rules, days = [], sorted(seen_dates - {None})
    for category_id in category_ids:
        rule = importer.rules.rule_for(activity_id, category_id)
        for day in days:
            rules.append(
                (
                    category_id,
                    day if postgres else day.isoformat(),
                    rule.pk if rule else None,
                    expiry(rule, day, None) if rule else None,
                )
            )
    tables.insert(tables.rules, rules)
    tables.analyse()
    return collections


def _match(tables, organisation_id):
    """Fill each unmatched person's subject: by reference, then FIN, document, e-mail, phone."""
    subject = DataSubject._meta.db_table
    lookups = ", ".join(
        # d.field <> '' too: the reference's unique index is partial on it.
        f"(SELECT min(d.id) FROM {subject} d WHERE d.organisation_id = %s "
        f"AND d.erased_at IS NULL AND {tables.people}.{field} <> '' AND d.{field} <> '' "
        f"AND d.{field} = {tables.people}.{field})"
        for field in IDENTITIES
    )
    tables.cursor.execute(
        f"UPDATE {tables.people} SET subject_id = coalesce({lookups}) "
        "WHERE subject_id IS NULL AND NOT bad",
        [organisation_id] * len(IDENTITIES),
    )


def _unknown(connector, tables, counts):
    tables.cursor.execute(
        f"SELECT {', '.join(IDENTITIES)} FROM {tables.people} "
        "WHERE subject_id IS NULL AND NOT bad ORDER BY person"
    )
    identities = [
        {field: value for field, value in zip(IDENTITIES, row, strict=True) if value}
        for row in tables.cursor.fetchall()
    ]
    if not identities:
        return
    outcome = connectors.unknown_people(
        connector, identities, create=connector.unknown_people == UnknownPeople.CREATE
    )
    counts["unknown_reported"] = outcome["reported"]
    counts["unknown_created"] = outcome["created"]
    counts["erased_refused"] = outcome["erased"]
    if outcome["created"]:
        _match(tables, connector.organisation_id)


def _write_set(tables, organisation_id, system_id, activity_id, today):
    """The records to write (new, or differing from what is held) as the Importer's stage;
    returns (all good rows, new, changed)."""
    record = Record._meta.db_table
    good = (
        f"p.subject_id IS NOT NULL AND NOT p.bad AND s.collected_at <= %(today)s "
        f"AND length(s.external_id) <= {Record._meta.get_field('external_id').max_length}"
    )
    source = f"""
        FROM {tables.rows} s
        JOIN {tables.kinds} k ON k.collection = s.collection
        JOIN {tables.people} p ON p.person = s.person
    """
    params = {
        "org": organisation_id,
        "system": system_id,
        "activity": activity_id,
        "today": today if tables.postgres else today.isoformat(),
    }
    tables.cursor.execute(f"SELECT count(*) {source} WHERE {good}", params)
    (total,) = tables.cursor.fetchone()
    tables.cursor.execute(
        f"""
        CREATE TEMPORARY TABLE {tables.write} AS
        SELECT row_number() OVER () AS n, p.subject_id, CAST(%(system)s AS integer) AS system_id,
               k.category_id, CAST(%(activity)s AS integer) AS activity_id, s.external_id,
               s.collected_at, CAST(NULL AS date) AS clock_started_at, x.rule_id, x.expires_on,
               r.id IS NULL AS is_new
        {source}
        JOIN {tables.rules} x ON x.category_id = k.category_id AND x.collected_at = s.collected_at
        LEFT JOIN {record} r
          ON r.organisation_id = %(org)s AND r.system_id = %(system)s
         AND r.external_id = s.external_id AND r.category_id = k.category_id
        WHERE {good}
          AND (r.id IS NULL OR r.subject_id <> p.subject_id
               OR r.activity_id IS DISTINCT FROM CAST(%(activity)s AS integer)
               OR r.collected_at <> s.collected_at OR r.clock_started_at IS NOT NULL
               OR r.rule_id IS DISTINCT FROM x.rule_id
               OR r.expires_on IS DISTINCT FROM x.expires_on)
        """,
        params,
    )
    tables.cursor.execute(
        f"SELECT count(*), coalesce(sum(CASE WHEN is_new THEN 1 ELSE 0 END), 0) FROM {tables.write}"
    )
    written, new = tables.cursor.fetchone()
    if tables.postgres:
        tables.cursor.execute(f"CREATE INDEX ON {tables.write} (n)")  # the writer's slices
    return total, new, written - new


def _gone(tables, organisation_id, system_id, collections):
    """Records of the synced collections whose row the source no longer has (disposed ones too:
    dispose_records() leaves them alone). Kept in a table of their own: usually a handful, and
    dispose_records() reads the set more than once."""
    record = Record._meta.db_table
    prefixes = " OR ".join(["substr(r.external_id, 1, %s) = %s"] * len(collections))
    params = [organisation_id, system_id]
    for name in collections:
        params += [len(name) + 1, f"{name}:"]
    tables.cursor.execute(
        f"""
        CREATE TEMPORARY TABLE {tables.gone} AS
        SELECT r.id FROM {record} r
        LEFT JOIN {tables.rows} s ON s.external_id = r.external_id
        WHERE r.organisation_id = %s AND r.system_id = %s AND ({prefixes})
          AND s.external_id IS NULL
        """,
        params,
    )
    return Record.objects.filter(pk__in=RawSQL(f"SELECT id FROM {tables.gone}", []))


class _Clock:
    def __init__(self, timings):
        self.timings, self.last = timings, time.perf_counter()

    def __call__(self, step):
        now = time.perf_counter()
        if self.timings is not None:
            self.timings[step] = now - self.last
        self.last = now


def sync(connector, *, actor=None, progress=None, timings=None):
    """Returns the counts: records new, changed, unchanged and disposed (gone from the source);
    import rows refused; people unknown to the register reported or created, and erased people
    refused. ``actor`` is who started it (None for the nightly sync). ``timings``, a dict, gets
    the seconds of each step (the benchmark prints them)."""
    clock = _Clock(timings)
    importer = Importer(connector.organisation)
    activity_id = None
    if connector.activity_code:
        activity_id = importer.activities.get(connector.activity_code)
        if activity_id is None:
            raise SyncRefused(
                _("The connector's activity code is not one of the organisation's activities.")
            )
    organisation_id, system_id = connector.organisation_id, connector.system_id
    counts = dict.fromkeys(COUNTS, 0)
    # One transaction: a failure anywhere leaves nothing written, and takes the temporary
    # tables with it.
    with connection.cursor() as cursor, transaction.atomic():
        tables = _Tables(cursor)
        try:
            collections = _stage(connector, tables, importer, activity_id, progress)
        except SourceError as error:  # its message is free of values and of the DSN
            raise SyncRefused(str(error)) from None
        clock("read and stage")
        _match(tables, organisation_id)
        _unknown(connector, tables, counts)
        clock("match people")
        cursor.execute(
            f"SELECT count(*) FROM {tables.rows} s "
            f"JOIN {tables.kinds} k ON k.collection = s.collection"
        )
        (rows,) = cursor.fetchone()
        good, counts["new"], counts["changed"] = _write_set(
            tables, organisation_id, system_id, activity_id, importer.today
        )
        counts["refused"] = rows - good
        counts["unchanged"] = good - counts["new"] - counts["changed"]
        clock("compare with what is held")
        # The Importer's own writer (the file import's and the API's); it drops its table.
        importer.write(Staged(tables.write, counts["new"] + counts["changed"]))
        clock("write")
        if collections:
            counts["disposed"] = dispose_records(
                _gone(tables, organisation_id, system_id, collections),
                actor=None,
                action=EndAction.ERASE,
                reason="source_gone",
                **connectors.connector_actor_details(connector),
            ).disposed
        clock("dispose")
        tables.drop()
        connector.last_synced_at = timezone.now()
        connector.save(update_fields=["last_synced_at", "updated_at"])
        AuditEvent.record(
            "retention.connector_synced",
            organisation=connector.organisation,
            actor=actor,
            target=connector,
            **counts,
            **connectors.connector_actor_details(connector),
        )
    return counts
