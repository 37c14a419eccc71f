"""Writes of the register that touch more than one model. Each takes a keyword-only ``actor``,
runs in one transaction, and writes its own audit event."""

import hashlib
import hmac

from django.conf import settings
from django.contrib.admin.models import LogEntry
from django.contrib.contenttypes.models import ContentType
from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from dpo_portal.audit.models import AuditEvent

from .erasure import redact_person
from .models import (
    DataSubject,
    SuppressionEntry,
    normalise_fin,
    normalise_id_document,
    normalise_phone,
)

_NORMALISERS = {
    SuppressionEntry.Kind.EXTERNAL_REF: lambda v: (v or "").strip(),
    SuppressionEntry.Kind.FIN: normalise_fin,
    SuppressionEntry.Kind.ID_DOCUMENT: normalise_id_document,
    SuppressionEntry.Kind.EMAIL: lambda v: (v or "").strip().lower(),
    SuppressionEntry.Kind.PHONE: normalise_phone,
}
_SUBJECT_FIELD = {
    SuppressionEntry.Kind.EXTERNAL_REF: "external_ref",
    SuppressionEntry.Kind.FIN: "fin",
    SuppressionEntry.Kind.ID_DOCUMENT: "id_document_number",
    SuppressionEntry.Kind.EMAIL: "email",
    SuppressionEntry.Kind.PHONE: "phone",
}


def suppression_digest(organisation_id, kind, value):
    """Keyed hash of one identifier; empty for an empty identifier."""
    value = _NORMALISERS[kind](value)
    if not value:
        return ""
    message = f"{organisation_id}:{kind}:{value}".encode()
    return hmac.new(settings.SUPPRESSION_HASH_KEY.encode(), message, hashlib.sha256).hexdigest()


def subject_digests(subject):
    digests = {}
    for kind, field in _SUBJECT_FIELD.items():
        digest = suppression_digest(subject.organisation_id, kind, getattr(subject, field))
        if digest:
            digests[kind] = digest
    return digests


def is_suppressed(subject):
    """True when any identifier of this (unsaved or live) subject belongs to an erased person."""
    digests = subject_digests(subject)
    if not digests:
        return False
    query = SuppressionEntry.objects.filter(organisation_id=subject.organisation_id)
    condition = Q()
    for kind, digest in digests.items():
        condition |= Q(kind=kind, digest=digest)
    return query.filter(condition).exists()


@transaction.atomic
def erase_subject(subject, *, actor, reason):
    """Scrub a data subject's personal data from the live row, its history and the admin log,
    redact their identifiers from the free text of every object linked to them (erasure.py),
    and put keyed hashes of the identifiers on the suppression list.

    ``reason`` is a code such as "request" or "disposal", never free text about the person.
    Other apps scrub their own copies (consent evidence, request details) in their services and
    call this last.
    """
    subject = DataSubject.objects.select_for_update().get(pk=subject.pk)
    if subject.is_erased:
        return subject
    # While the identifiers are still known: out of every note, reason and log line about them.
    free_text_rows = redact_person(subject)
    SuppressionEntry.objects.bulk_create(
        [
            SuppressionEntry(organisation_id=subject.organisation_id, kind=kind, digest=digest)
            for kind, digest in subject_digests(subject).items()
        ],
        ignore_conflicts=True,
    )
    for field in DataSubject.PERSONAL_FIELDS:
        setattr(subject, field, None if field == "birth_date" else "")
    subject.erased_at = timezone.now()
    # Every earlier version of the row holds the personal data: remove them, then save the
    # scrubbed row, which leaves one history entry saying who erased it and when.
    DataSubject.history.filter(id=subject.pk).delete()
    subject._change_reason = f"erased: {reason}"
    subject._history_user = actor
    subject.save()
    LogEntry.objects.filter(
        content_type=ContentType.objects.get_for_model(DataSubject), object_id=str(subject.pk)
    ).update(object_repr=str(subject), change_message="")
    AuditEvent.record(
        "register.subject_erased",
        organisation=subject.organisation,
        actor=actor,
        target=subject,
        reason=reason,
        free_text_rows_redacted=free_text_rows,
    )
    return subject
