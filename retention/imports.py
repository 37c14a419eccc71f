"""Bulk import of the record inventory from the organisations' systems (CSV or XLSX).

Columns: organisation (slug, may be empty), subject_ref or subject_fin (the person, by their
reference in the organisation's systems or by FIN), system, category, activity (codes; activity
may be empty), external_id (the record's id in its system), collected_at, clock_start (dates,
YYYY-MM-DD or DD.MM.YYYY; clock_start may be empty).

Built for 100,000 rows and more: codes and people are resolved with dictionaries loaded in a few
queries, every row is validated before anything is written, and the rows go in with batched
INSERT ... ON CONFLICT DO UPDATE in one transaction, so a re-import updates what it imported
before. One bad row refuses the whole file: the job gets a row-error report (row number, column,
value, reason) and nothing is written. The file is read by dpo_portal/jobs/imports.py, bounded
and with its encoding and delimiter detected, as every import is.
"""

import datetime

from django.db import transaction
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
    if isinstance(value, datetime.datetime):
        return value.date()
    if isinstance(value, datetime.date):
        return value
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


def past_date(value, column, required):
    """A date that has happened: data cannot have been collected, nor a clock started, later."""
    date = parse_date(value, column, required)
    if date is not None and date > timezone.localdate():
        raise RowError(column, _("A date in the future: the event has not happened yet."))
    return date


def text(row, column):
    value = row.get(column)
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    return str(value).strip()


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
                    target[value] = (pk, erased_at is not None)
        return by_ref, by_fin

    def _is_suppressed(self, kind, value):
        return (kind, suppression_digest(self.organisation.pk, kind, value)) in self.suppressed

    def _subject_id(self, row, by_ref, by_fin):
        ref, fin = text(row, "subject_ref"), normalise_fin(text(row, "subject_fin"))
        if not ref and not fin:
            raise RowError("subject_ref", _("Give the person's reference or FIN."))
        # The reason goes under the column the person was looked up by.
        column = "subject_ref" if ref else "subject_fin"
        if fin and not FIN_RE.match(fin):
            raise RowError(
                "subject_fin", _("A FIN has 7 characters: digits and letters except I and O.")
            )
        found = by_ref.get(ref) if ref else None
        if found is None and fin:
            found = by_fin.get(fin)
        if found is None:
            if (ref and self._is_suppressed(SuppressionEntry.Kind.EXTERNAL_REF, ref)) or (
                fin and self._is_suppressed(SuppressionEntry.Kind.FIN, fin)
            ):
                raise RowError(
                    column,
                    _("This person's data was erased (suppression list): refused."),
                )
            raise RowError(column, _("No such person in this organisation."))
        pk, erased = found
        if erased:
            raise RowError(column, _("This person's data was erased: refused."))
        return pk

    def _code(self, row, column, table, required=True):
        code = text(row, column)
        if not code:
            if required:
                raise RowError(column, _("A code is required."))
            return None
        if code not in table:
            raise RowError(column, _("Unknown code in this organisation."))
        return table[code]

    def build(self, rows, progress=None):
        """Validate every (number, row) pair; returns the Records (unsaved) or fills self.errors
        with (row, column, value, reason)."""
        by_ref, by_fin = self._load_subjects(rows)
        records, seen, expiries = [], {}, {}
        now = timezone.now()
        slug = self.organisation.slug
        for number, row in rows:
            try:
                organisation = text(row, "organisation")
                if organisation and organisation != slug:
                    raise RowError("organisation", _("Another organisation than the import's."))
                subject_id = self._subject_id(row, by_ref, by_fin)
                system_id = self._code(row, "system", self.systems)
                category_id = self._code(row, "category", self.categories)
                activity_id = self._code(row, "activity", self.activities, required=False)
                external_id = text(row, "external_id")
                if not external_id:
                    raise RowError("external_id", _("The record's id in its system is required."))
                if len(external_id) > 100:
                    raise RowError("external_id", _("At most 100 characters."))
                collected_at = past_date(row.get("collected_at"), "collected_at", True)
                clock_start = past_date(row.get("clock_start"), "clock_start", False)
                if clock_start and clock_start < collected_at:
                    raise RowError("clock_start", _("The clock cannot start before collection."))
                key = (system_id, external_id, category_id)
                if key in seen:
                    raise RowError(
                        "external_id",
                        _("The same record appears in row %(row)s.") % {"row": seen[key]},
                    )
                seen[key] = number
            except RowError as error:
                self.errors.append((number, error.column, row.get(error.column), error.reason))
                continue
            rule = self.rules.rule_for(activity_id, category_id)
            # Many rows share a rule and dates: compute each expiry once.
            expiry_key = (rule, collected_at, clock_start)
            if expiry_key not in expiries:
                expiries[expiry_key] = expiry(rule, collected_at, clock_start)
            records.append(
                Record(
                    organisation_id=self.organisation.pk,
                    subject_id=subject_id,
                    system_id=system_id,
                    category_id=category_id,
                    activity_id=activity_id,
                    external_id=external_id,
                    collected_at=collected_at,
                    clock_started_at=clock_start,
                    rule=rule,
                    expires_on=expiries[expiry_key],
                    created_at=now,
                    updated_at=now,
                )
            )
        return records

    @transaction.atomic
    def write(self, records, progress=None):
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
