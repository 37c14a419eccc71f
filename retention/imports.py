"""Bulk import of the record inventory from the organisations' systems (CSV or XLSX).

Columns: organisation (slug, may be empty), subject_ref or subject_fin (the person, by their
reference in the organisation's systems or by FIN), system, category, activity (codes; activity
may be empty), external_id (the record's id in its system), collected_at, clock_start (dates,
YYYY-MM-DD or DD.MM.YYYY; clock_start may be empty).

Built for 100,000 rows and more, near the speed of PostgreSQL's own COPY. One pass in Python
parses what only Python can (dates in two formats, FIN shapes, the organisation's codes from
dictionaries of a few hundred entries, the winning rule and its expiry); the parsed rows are
COPYed into a temporary table, and the rest is set-based SQL over it: the person looked up by
reference or FIN (a join, not 5,000-value IN lists), erased people, and the same record twice in
the file (a window over the unique key). Only the bad rows come back to Python, which words
their reasons (and checks the suppression list's keyed digests, for the few people not found).
Every row is validated before anything is written; the rows then go in with INSERT ... SELECT
... ON CONFLICT DO UPDATE in one transaction, so a re-import updates what it imported before.
SQLite (the embedded default, small files) keeps the plain path: dictionaries and bulk_create.

One bad row refuses the whole file: the job gets a row-error report (row number, column,
value, reason), the same on both databases, and nothing is written. The file is read by
dpo_portal/jobs/imports.py, bounded and with its encoding and delimiter detected, as every
import is.
"""

import datetime
import uuid

from django.db import connection, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from consent.models import ProcessingActivity
from dpo_portal.register.models import (
    FIN_RE,
    DataCategory,
    DataSubject,
    SuppressionEntry,
    System,
    normalise_fin,
)
from dpo_portal.register.services import suppression_digest

from .models import Record
from .rules import RuleBook, expiry

COLUMNS = [
    "organisation",
    "subject_ref",
    "subject_fin",
    "system",
    "category",
    "activity",
    "external_id",
    "collected_at",
    "clock_start",
]
PERSONAL_COLUMNS = {"subject_ref", "subject_fin"}  # masked in the row-error report
BATCH_SIZE = 5_000
WRITE_SLICE = 50_000  # rows per INSERT ... SELECT: the job page's progress steps
LOOKUP_BATCH = 5_000
UPDATED_FIELDS = [
    "subject",
    "activity",
    "collected_at",
    "clock_started_at",
    "rule",
    "expires_on",
    "updated_at",
]


class RowError(Exception):
    def __init__(self, column, reason):
        super().__init__(column)
        self.column, self.reason = column, reason


def parse_date(value, column, required):
    if value.__class__ is str:  # a file's or the API's cell: straight to the text
        text = value.strip()
    elif isinstance(value, datetime.datetime):
        return value.date()
    elif isinstance(value, datetime.date):
        return value
    else:
        text = str(value or "").strip()
    if not text:
        if required:
            raise RowError(column, _("A date is required."))
        return None
    if len(text) == 10 and text[4] == "-":
        try:
            return datetime.date.fromisoformat(text)  # the common case, and the fast one
        except ValueError:
            pass
    for pattern in ("%Y-%m-%d", "%d.%m.%Y"):
        try:
            return datetime.datetime.strptime(text, pattern).date()
        except ValueError:
            continue
    raise RowError(column, _("Not a date (use YYYY-MM-DD or DD.MM.YYYY)."))


def past_date(value, column, required, today=None):
    """A date that has happened: data cannot have been collected, nor a clock started, later."""
    date = parse_date(value, column, required)
    if date is not None and date > (today or timezone.localdate()):
        raise RowError(column, _("A date in the future: the event has not happened yet."))
    return date


def text(row, column):
    value = row.get(column)
    if value.__class__ is str:  # nearly every cell: no other test first
        return value.strip()
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    return str(value).strip()


AMBIGUOUS = object()  # a FIN that more than one person in the register has


class Staged:
    """What build() hands to write() on PostgreSQL: the validated rows, left in the temporary
    table of this connection (never copied back into Python)."""

    def __init__(self, table, count):
        self.table, self.count = table, count

    def __len__(self):
        return self.count


class Importer:
    """Validates and writes one file for one organisation."""

    def __init__(self, organisation):
        self.organisation = organisation
        org = organisation.pk
        self.systems = dict(System.objects.filter(organisation_id=org).values_list("code", "pk"))
        self.categories = dict(
            DataCategory.objects.filter(organisation_id=org).values_list("code", "pk")
        )
        self.activities = dict(
            ProcessingActivity.objects.filter(organisation_id=org).values_list("code", "pk")
        )
        self.suppressed = set(
            SuppressionEntry.objects.filter(
                organisation_id=org,
                kind__in=[SuppressionEntry.Kind.EXTERNAL_REF, SuppressionEntry.Kind.FIN],
            ).values_list("kind", "digest")
        )
        self.rules = RuleBook(org)
        self.errors = []
        self._expiries = {}
        self.today = timezone.localdate()

    # --- the checks of one row, in the order the report gives the first failing one -----------

    def _person(self, row):
        """(ref, fin) of the row's person, or RowError: the checks before the lookup."""
        organisation = text(row, "organisation")
        if organisation and organisation != self.organisation.slug:
            raise RowError("organisation", _("Another organisation than the import's."))
        ref, fin = text(row, "subject_ref"), normalise_fin(text(row, "subject_fin"))
        if not ref and not fin:
            raise RowError("subject_ref", _("Give the person's reference or FIN."))
        if fin and not FIN_RE.match(fin):
            raise RowError(
                "subject_fin", _("A FIN has 7 characters: digits and letters except I and O.")
            )
        return ref, fin

    def _fields(self, row):
        """The record's own values, or RowError: the checks after the person's lookup."""
        system_id = self._code(row, "system", self.systems)
        category_id = self._code(row, "category", self.categories)
        activity_id = self._code(row, "activity", self.activities, required=False)
        external_id = text(row, "external_id")
        if not external_id:
            raise RowError("external_id", _("The record's id in its system is required."))
        if len(external_id) > 100:
            raise RowError("external_id", _("At most 100 characters."))
        # Today once per file, not twice per row (a time-zone conversion each).
        collected_at = past_date(row.get("collected_at"), "collected_at", True, self.today)
        clock_start = past_date(row.get("clock_start"), "clock_start", False, self.today)
        if clock_start and clock_start < collected_at:
            raise RowError("clock_start", _("The clock cannot start before collection."))
        # Many rows share codes and dates: find each rule and compute each expiry once (keyed
        # by ids and dates, which hash faster than a rule object).
        key = (activity_id, category_id, collected_at, clock_start)
        found = self._expiries.get(key)
        if found is None:
            rule = self.rules.rule_for(activity_id, category_id)
            found = self._expiries[key] = (
                rule.pk if rule else None,
                expiry(rule, collected_at, clock_start),
            )
        return (
            system_id,
            category_id,
            activity_id,
            external_id,
            collected_at,
            clock_start,
            *found,
        )

    def _is_suppressed(self, kind, value):
        return (kind, suppression_digest(self.organisation.pk, kind, value)) in self.suppressed

    def _not_found(self, ref, fin):
        """The reason for a person not in the register: erased (suppression list) or unknown."""
        column = "subject_ref" if ref else "subject_fin"
        if (ref and self._is_suppressed(SuppressionEntry.Kind.EXTERNAL_REF, ref)) or (
            fin and self._is_suppressed(SuppressionEntry.Kind.FIN, fin)
        ):
            return RowError(column, _("This person's data was erased (suppression list): refused."))
        return RowError(column, _("No such person in this organisation."))

    @staticmethod
    def _erased(ref):
        # The reason goes under the column the person was looked up by.
        return RowError(
            "subject_ref" if ref else "subject_fin", _("This person's data was erased: refused.")
        )

    @staticmethod
    def _ambiguous():
        return RowError(
            "subject_fin",
            _("More than one person in the register has this FIN: give the person's reference."),
        )

    @staticmethod
    def _duplicate(first_row):
        return RowError(
            "external_id", _("The same record appears in row %(row)s.") % {"row": first_row}
        )

    def _code(self, row, column, table, required=True):
        code = text(row, column)
        if not code:
            if required:
                raise RowError(column, _("A code is required."))
            return None
        if code not in table:
            raise RowError(column, _("Unknown code in this organisation."))
        return table[code]

    def _refuse(self, number, row, error):
        self.errors.append((number, error.column, row.get(error.column), error.reason))

    def build(self, rows, progress=None):
        """Validate every (number, row) pair; returns the records to write() (unsaved), or
        fills self.errors with (row, column, value, reason)."""
        if connection.vendor == "postgresql":
            return self._build_in_sql(rows)
        return self._build_in_python(rows)

    def write(self, records, progress=None):
        """Write what build() returned, in one transaction; returns how many records."""
        if isinstance(records, Staged):
            return self._write_staged(records, progress)
        return self._write_objects(records, progress)

    # --- PostgreSQL: COPY into a temporary table, the rest set-based ---------------------------

    STAGE_COLUMNS = (
        "n integer, ref text, fin text, later_error boolean, system_id integer, "
        "category_id integer, activity_id integer, external_id text, collected_at date, "
        "clock_started_at date, rule_id integer, expires_on date"
    )
    STAGE_TYPES = [column.split()[1] for column in STAGE_COLUMNS.split(", ")]

    def _build_in_sql(self, rows):
        staged, later, keys = [], {}, set()
        for number, row in rows:
            try:
                ref, fin = self._person(row)
            except RowError as error:
                self._refuse(number, row, error)
                continue
            try:
                fields = self._fields(row)
            except RowError as error:
                # Reported only if the person is found: their reason comes first.
                later[number] = error
                fields = (None,) * 8
            else:
                keys.add((fields[0], fields[3], fields[1]))
            staged.append((number, ref, fin, number in later, *fields))
        # No key given twice (the usual file, every API batch from a system's own ids): no
        # duplicate to look for, and the check below needs no sort.
        repeated = len(keys) < len(staged) - len(later)
        table = f"record_import_{uuid.uuid4().hex}"
        with connection.cursor() as cursor:
            cursor.execute(f"CREATE TEMPORARY TABLE {table}_rows ({self.STAGE_COLUMNS})")
            with cursor.cursor.copy(f"COPY {table}_rows FROM STDIN") as copy:
                copy.set_types(self.STAGE_TYPES)  # one dumper per column, not one per value
                for values in staged:
                    copy.write_row(values)
            # Statistics for the planner: a temporary table has none until analysed, and its
            # guess hashed the whole register for every batch; knowing the rows, it hashes the
            # batch instead (or probes the index, for a register far larger than the batch).
            cursor.execute(f"ANALYZE {table}_rows (ref, fin)")
            # The person by reference first, by FIN when the reference finds nobody (as the
            # file's column says); erased people are found, and refused below. The FIN join only
            # when a row gives a FIN: it reads the register again, for nothing otherwise. (The
            # reference's unique index is partial: external_ref <> '' lets the planner use it.)
            by_fin = any(values[2] for values in staged)
            # A FIN is no key of the register (two entries may carry one by mistake): the FINs
            # are grouped first, and a FIN of more than one person is refused, not guessed.
            cursor.execute(
                f"""
                CREATE TEMPORARY TABLE {table} AS
                SELECT t.*, {"coalesce(r.id, f.id)" if by_fin else "r.id"} AS subject_id,
                       CASE WHEN r.id IS NOT NULL THEN r.erased_at IS NOT NULL
                            ELSE {"coalesce(f.erased, false)" if by_fin else "false"}
                       END AS erased,
                       {"coalesce(f.people, 0) > 1" if by_fin else "false"} AS ambiguous
                FROM {table}_rows t
                LEFT JOIN register_datasubject r
                  ON r.organisation_id = %(org)s AND t.ref <> '' AND r.external_ref = t.ref
                 AND r.external_ref <> ''
                """
                + (
                    f"""
                LEFT JOIN (
                  SELECT fin, min(id) AS id, bool_or(erased_at IS NOT NULL) AS erased,
                         count(*) AS people
                  FROM register_datasubject
                  WHERE organisation_id = %(org)s
                    AND fin IN (SELECT fin FROM {table}_rows WHERE fin <> '')
                  GROUP BY fin
                ) f ON t.fin <> '' AND f.fin = t.fin AND r.id IS NULL
                """
                    if by_fin
                    else ""
                ),
                {"org": self.organisation.pk},
            )
            cursor.execute(f"DROP TABLE {table}_rows")
            # Only the bad rows come back. A duplicate is a good row whose key an earlier good
            # row already has (the report names that first row).
            first_n = (
                """min(n) FILTER (
                     WHERE subject_id IS NOT NULL AND NOT ambiguous AND NOT erased
                       AND NOT later_error
                   ) OVER (PARTITION BY system_id, external_id, category_id)"""
                if repeated
                else "NULL::integer"
            )
            cursor.execute(
                f"""
                SELECT n, ref, fin, subject_id IS NULL, ambiguous, erased, later_error, first_n
                FROM (
                  SELECT n, ref, fin, subject_id, ambiguous, erased, later_error,
                         {first_n} AS first_n
                  FROM {table}
                ) checked
                WHERE subject_id IS NULL OR ambiguous OR erased OR later_error OR first_n < n
                """
            )
            bad = cursor.fetchall()
        if bad:
            by_number = dict(rows)
            for number, ref, fin, missing, ambiguous, erased, later_error, first_n in bad:
                if missing:
                    error = self._not_found(ref, fin)
                elif ambiguous:
                    error = self._ambiguous()
                elif erased:
                    error = self._erased(ref)
                elif later_error:
                    error = later[number]
                else:
                    error = self._duplicate(first_n)
                self._refuse(number, by_number[number], error)
            self.errors.sort(key=lambda error: error[0])
        if self.errors:
            self._drop(table)
            return Staged(table, 0)
        return Staged(table, len(staged))

    def _drop(self, table):
        with connection.cursor() as cursor:
            cursor.execute(f"DROP TABLE IF EXISTS {table}")

    def _write_staged(self, staged, progress):
        fields = [field for field in Record._meta.concrete_fields if not field.primary_key]
        from_stage = {
            "subject_id",
            "system_id",
            "category_id",
            "activity_id",
            "external_id",
            "collected_at",
            "clock_started_at",
            "rule_id",
            "expires_on",
        }
        now = timezone.now()
        given = {"organisation_id": self.organisation.pk, "created_at": now, "updated_at": now}
        columns, values, params = [], [], []
        for field in fields:
            columns.append(connection.ops.quote_name(field.column))
            if field.column in from_stage:
                values.append(field.column)
            else:
                values.append("%s")
                value = given[field.column] if field.column in given else field.get_default()
                params.append(field.get_db_prep_save(value, connection))
        updated = [Record._meta.get_field(name).column for name in UPDATED_FIELDS]
        sql = f"""
            INSERT INTO {Record._meta.db_table} ({", ".join(columns)})
            SELECT {", ".join(values)} FROM {staged.table} WHERE n >= %s AND n < %s
            ON CONFLICT (organisation_id, system_id, external_id, category_id) DO UPDATE SET
            {", ".join(f"{column} = EXCLUDED.{column}" for column in updated)}
        """
        written = 0
        with transaction.atomic(), connection.cursor() as cursor:
            cursor.execute(f"SELECT min(n), max(n) FROM {staged.table}")
            low, high = cursor.fetchone()
            # Slices of row numbers only for the job page's progress; one transaction. (The API
            # numbers its items from 0: an empty stage is None, not a falsy 0.)
            slices = range(low, high + 1, WRITE_SLICE) if low is not None else ()
            for start in slices:
                cursor.execute(sql, [*params, start, start + WRITE_SLICE])
                written += cursor.rowcount
                if progress:
                    progress(cursor.rowcount)
            cursor.execute(f"DROP TABLE {staged.table}")
        return written

    # --- SQLite: dictionaries and bulk_create --------------------------------------------------

    def _load_subjects(self, rows):
        refs = {text(row, "subject_ref") for _number, row in rows} - {""}
        fins = {normalise_fin(text(row, "subject_fin")) for _number, row in rows} - {""}
        by_ref, by_fin = {}, {}
        subjects = DataSubject.objects.filter(organisation_id=self.organisation.pk)
        for field, wanted, target in (("external_ref", refs, by_ref), ("fin", fins, by_fin)):
            wanted = sorted(wanted)
            for start in range(0, len(wanted), LOOKUP_BATCH):
                chunk = wanted[start : start + LOOKUP_BATCH]
                for value, pk, erased_at in subjects.filter(**{f"{field}__in": chunk}).values_list(
                    field, "pk", "erased_at"
                ):
                    # A FIN may be on two entries by mistake: neither is taken for the row.
                    target[value] = AMBIGUOUS if value in target else (pk, erased_at is not None)
        return by_ref, by_fin

    def _build_in_python(self, rows):
        by_ref, by_fin = self._load_subjects(rows)
        records, seen = [], {}
        now = timezone.now()
        for number, row in rows:
            try:
                ref, fin = self._person(row)
                found = by_ref.get(ref) if ref else None
                if found is None and fin:
                    found = by_fin.get(fin)
                if found is None:
                    raise self._not_found(ref, fin)
                if found is AMBIGUOUS:
                    raise self._ambiguous()
                subject_id, erased = found
                if erased:
                    raise self._erased(ref)
                fields = self._fields(row)
                key = (fields[0], fields[3], fields[1])
                if key in seen:
                    raise self._duplicate(seen[key])
                seen[key] = number
            except RowError as error:
                self._refuse(number, row, error)
                continue
            system_id, category_id, activity_id, external_id, collected, clock, rule_id, expires = (
                fields
            )
            records.append(
                Record(
                    organisation_id=self.organisation.pk,
                    subject_id=subject_id,
                    system_id=system_id,
                    category_id=category_id,
                    activity_id=activity_id,
                    external_id=external_id,
                    collected_at=collected,
                    clock_started_at=clock,
                    rule_id=rule_id,
                    expires_on=expires,
                    created_at=now,
                    updated_at=now,
                )
            )
        return records

    def _write_objects(self, records, progress):
        with transaction.atomic():
            for start in range(0, len(records), BATCH_SIZE):
                batch = records[start : start + BATCH_SIZE]
                Record.objects.bulk_create(
                    batch,
                    update_conflicts=True,
                    unique_fields=["organisation", "system", "external_id", "category"],
                    update_fields=UPDATED_FIELDS,
                )
                if progress:
                    progress(len(batch))
        return len(records)
