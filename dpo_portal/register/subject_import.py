"""The data-subject import in bulk: the same rows, checks and report as DataSubjectResource
through django-import-export, at thousands of rows a second instead of forty.

django-import-export imports row by row: per row it looks the organisation, the subject type and
the existing person up, runs full_clean() (whose suppression check and unique-constraint check
are a query each) and saves with its history row, about 40 rows a second, so a 200,000-row file
ran for more than an hour. Here the lookups are dictionaries loaded once (the organisations the
user may import into, the subject types, the existing people by reference in batches, the
organisation's suppression digests), every row goes through the resource's own widgets and the
model's own validators and normalisers (clean_fields() and DataSubject.normalise(): the register
stays the one place that says what a valid FIN or phone is), and the rows are written with
simple-history's bulk helpers, in one transaction, with the history rows the per-row path wrote.

The report is the resource path's: every reason of a bad row under its column, model-wide ones
(the suppression list) under "—", and one bad row writes nothing. The uniqueness of the
reference needs no query per row: a reference already in the register makes the row an update
of that person, and the job has refused repeated references in the file before this runs.
"""

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from simple_history.utils import bulk_create_with_history, bulk_update_with_history

from dpo_portal.jobs.imports import RowsRefused

from .models import DataSubject, Organisation, SubjectType, SuppressionEntry
from .services import subject_digests

LOOKUP_BATCH = 5_000
WRITE_BATCH = 2_000
PROGRESS_EVERY = 5_000
# Looked up from dictionaries here; every other column is cleaned by the resource's own widget.
LOOKED_UP = {"organisation", "subject_type"}


class SubjectRows:
    """One file's rows for one background job (dpo_portal/jobs/jobs.py import_rows)."""

    def __init__(self, resource, *, organisation_id, user):
        self.resource = resource
        # The resource decides which organisations the user may import into, as on its own path.
        resource.before_import(None, user=user, organisation_id=organisation_id)
        self.organisation_widget = resource.fields["organisation"].widget
        self.subject_type_widget = resource.fields["subject_type"].widget
        self.user = user
        self.fields = [
            field
            for field in resource.get_import_fields()
            if field.attribute and field.column_name not in LOOKED_UP
        ]
        self.column_of = {
            name: field.column_name for name, field in resource.fields.items() if field.column_name
        }

    def _organisations(self, rows):
        slugs = {row.get("organisation") for _number, row in rows} - {None, ""}
        allowed = Organisation.objects.filter(slug__in=slugs)
        if self.organisation_widget.allowed_ids is not None:
            allowed = allowed.filter(pk__in=self.organisation_widget.allowed_ids)
        return {organisation.slug: organisation for organisation in allowed}

    @staticmethod
    def _subject_types(rows):
        slugs = {row.get("organisation") for _number, row in rows} - {None, ""}
        return {
            (slug, code): pk
            for slug, code, pk in SubjectType.objects.filter(
                organisation__slug__in=slugs
            ).values_list("organisation__slug", "code", "pk")
        }

    @staticmethod
    def _existing(organisations, rows):
        """{(organisation id, reference): live DataSubject}: the rows that update a person."""
        wanted = {}
        for _number, row in rows:
            organisation = organisations.get(row.get("organisation"))
            reference = row.get("external_ref")
            if organisation is not None and reference:
                wanted.setdefault(organisation.pk, set()).add(str(reference))
        found = {}
        for organisation_id, references in wanted.items():
            references = sorted(references)
            for start in range(0, len(references), LOOKUP_BATCH):
                for subject in DataSubject.objects.filter(
                    organisation_id=organisation_id,
                    erased_at__isnull=True,
                    external_ref__in=references[start : start + LOOKUP_BATCH],
                ):
                    found[(organisation_id, subject.external_ref)] = subject
        return found

    def _organisation(self, row, organisations):
        code = (row.get("organisation") or "").strip()
        if code in organisations:
            return organisations[code]
        # Missing, or not one the user may import into: the widget words the refusal (a query,
        # for a bad row only).
        return self.organisation_widget.clean(code, row=row)

    def _subject_type(self, row, subject_types, current):
        if "subject_type" not in row:
            return current
        code = row.get("subject_type")
        if not code:
            return None
        key = (row.get("organisation"), code)
        if key not in subject_types:
            return self.subject_type_widget.clean(code, row=row)  # raises its own refusal
        return subject_types[key]

    def import_rows(self, table, *, progress=None):
        """table: [(row number, {column: cell})]; returns {"new", "update", "skip"} counts or
        raises RowsRefused with every reason of every bad row."""
        rows = [
            (number, {c: v.strip() if isinstance(v, str) else v for c, v in row.items()})
            for number, row in table
        ]
        organisations = self._organisations(rows)
        subject_types = self._subject_types(rows)
        existing = self._existing(organisations, rows)
        suppressed = set(
            SuppressionEntry.objects.filter(
                organisation_id__in=[o.pk for o in organisations.values()]
            ).values_list("organisation_id", "kind", "digest")
        )
        new, changed, skipped, errors = [], [], 0, []
        for index, (number, row) in enumerate(rows, start=1):
            outcome = self._row(row, organisations, subject_types, existing, suppressed)
            if isinstance(outcome, dict):
                errors.extend(self._report(number, row, outcome))
            elif outcome is None:
                skipped += 1
            elif outcome.pk is None:
                new.append(outcome)
            else:
                changed.append(outcome)
            if progress and index % PROGRESS_EVERY == 0:
                progress(PROGRESS_EVERY)
        if progress:
            progress(len(rows) % PROGRESS_EVERY)
        if errors:
            raise RowsRefused(errors, personal_columns=set(DataSubject.PERSONAL_FIELDS))
        self._write(new, changed, progress)
        return {"new": len(new), "update": len(changed), "skip": skipped}

    def _row(self, row, organisations, subject_types, existing, suppressed):
        """The person to write, None for an unchanged one, or {field: [reasons]}: the checks of
        the resource's import_row() (widgets, skip_unchanged, full_clean) in its order."""
        errors = {}
        try:
            organisation = self._organisation(row, organisations)
        except ValueError as error:
            organisation, errors["organisation"] = None, [str(error)]
        reference = row.get("external_ref")
        original = (
            existing.get((organisation.pk, str(reference)))
            if organisation is not None and reference
            else None
        )
        subject = DataSubject() if original is None else _copy(original)
        if organisation is not None:
            subject.organisation = organisation
        for field in self.fields:
            if field.column_name not in row:
                continue  # a column the file leaves out keeps its value, as in the resource
            try:
                field.save(subject, row)
            except ValueError as error:
                errors[field.attribute] = [str(error)]
        try:
            subject.subject_type_id = self._subject_type(
                row, subject_types, subject.subject_type_id
            )
        except ValueError as error:
            errors["subject_type"] = [str(error)]
        if original is not None and not errors and _unchanged(subject, original, self.fields):
            return None  # skip_unchanged, as the resource does
        try:
            # The links were checked against the dictionaries above (ForeignKey.validate would
            # ask the database again, twice per row).
            subject.clean_fields(exclude=set(errors) | LOOKED_UP)
        except ValidationError as error:
            errors = error.update_error_dict(errors)
        subject.normalise()
        if subject.organisation_id and any(
            (subject.organisation_id, kind, digest) in suppressed
            for kind, digest in subject_digests(subject).items()
        ):
            errors = subject.suppressed_error().update_error_dict(errors)
        if errors:
            return {key: ValidationError(value).messages for key, value in errors.items()}
        return subject

    def _report(self, number, row, messages):
        for key, reasons in messages.items():
            column = self.column_of.get(key, "—")
            for reason in reasons:
                yield (number, column, row.get(column, ""), reason)

    def _write(self, new, changed, progress):
        now = timezone.now()
        for subject in changed:
            subject.updated_at = now
        fields = [field.attribute for field in self.fields] + ["subject_type", "updated_at"]
        with transaction.atomic():
            for start in range(0, len(new), WRITE_BATCH):
                batch = new[start : start + WRITE_BATCH]
                bulk_create_with_history(batch, DataSubject, default_user=self.user)
                if progress:
                    progress(len(batch))
            for start in range(0, len(changed), WRITE_BATCH):
                batch = changed[start : start + WRITE_BATCH]
                bulk_update_with_history(batch, DataSubject, fields, default_user=self.user)
                if progress:
                    progress(len(batch))


def _copy(subject):
    copy = DataSubject()
    copy.__dict__.update({k: v for k, v in subject.__dict__.items() if k != "_state"})
    copy._state.adding, copy._state.db = False, subject._state.db
    return copy


def _unchanged(subject, original, fields):
    attributes = [field.attribute for field in fields] + ["organisation_id", "subject_type_id"]
    return all(getattr(subject, name) == getattr(original, name) for name in attributes)
