"""Erasure that leaves no trace in free text.

Before a person's row is scrubbed, the portal knows their identifiers (names, FIN, ID document,
e-mail, phone, external reference). Staff write about people in notes and reasons ("Police asked
about Aysel Məmmədova (5ZK8R2T)"): every free-text field of every object linked to the person is
redacted, in the live rows, their history rows and the admin log's object_repr/change_message.

Each app names its own free-text fields in its ``erasure.py`` as FREE_TEXT, a list of
``PersonText`` (this file holds the register's); they are collected like roles.py's grants, so
the register never imports an app to its right. ``subject`` is the path from the model to the
person (``"subject"``, ``"subjects"``, ``"request__subject"``): several paths may lead to them.

Set-based: one query per model finds the linked rows, the redaction is computed in Python (a
case-insensitive pattern of every identifier form) and written back with one bulk_update per
model and per history table.
"""

import re
from dataclasses import dataclass
from functools import cache
from importlib import import_module

from django.apps import apps
from django.contrib import messages
from django.contrib.admin.models import LogEntry
from django.contrib.contenttypes.models import ContentType
from django.db.models import Q
from django.utils.module_loading import module_has_submodule
from django.utils.translation import gettext as _

from .models import normalise_fin, normalise_id_document

REDACTED = "[erased]"
SHORTEST_IDENTIFIER = 3  # shorter parts ("Əli" is three) would redact ordinary words


@dataclass(frozen=True)
class PersonText:
    model: str  # "app_label.ModelName"
    fields: tuple = ()
    subject: tuple = ("subject",)  # paths to the person's pk

    @property
    def model_class(self):
        return apps.get_model(self.model)

    def linked(self, subject_ids):
        condition = Q()
        for path in self.subject:
            condition |= Q(**{f"{path}__in": subject_ids})
        return self.model_class._default_manager.filter(condition).distinct()


FREE_TEXT = [
    PersonText("register.Disclosure", ("note", "request_reference"), ("subjects",)),
]


@cache
def free_text_fields():
    """Every app's FREE_TEXT, in the order of INSTALLED_APPS."""
    entries = []
    for config in apps.get_app_configs():
        if module_has_submodule(config.module, "erasure"):
            entries.extend(getattr(import_module(f"{config.name}.erasure"), "FREE_TEXT", ()))
    return entries


class Identifiers:
    """The forms in which a person may be written down, as one case-insensitive pattern."""

    def __init__(self, subject):
        names = [subject.first_name, subject.last_name, subject.patronymic]
        full = [" ".join(p for p in parts if p) for parts in (names[:2], names[1::-1], names)]
        plain = {
            *full,
            *names,
            subject.email,
            subject.external_ref,
            subject.fin,
            normalise_fin(subject.fin),
            subject.id_document_number,
            normalise_id_document(subject.id_document_number),
        }
        plain = {
            value.strip() for value in plain if value and len(value.strip()) >= SHORTEST_IDENTIFIER
        }
        patterns = [re.escape(value) for value in sorted(plain, key=len, reverse=True)]
        # A phone is written in many ways (+994 50 123 45 67, 050-123-45-67): its last nine
        # digits with any separators between them.
        digits = re.sub(r"\D", "", subject.phone or "")[-9:]
        if len(digits) >= 7:
            patterns.insert(0, r"[\s().-]*".join(digits))
        self.pattern = re.compile("|".join(patterns), re.IGNORECASE) if patterns else None

    def redact(self, text):
        if not text or self.pattern is None or not isinstance(text, str):
            return text
        return self.pattern.sub(REDACTED, text)

    def found_in(self, text):
        return bool(text and self.pattern is not None and self.pattern.search(text))


def _redact_rows(queryset, fields, identifiers, key="pk"):
    changed = []
    for row in queryset.only(key, *fields).iterator():
        dirty = False
        for field in fields:
            value = getattr(row, field)
            redacted = identifiers.redact(value)
            if redacted != value:
                setattr(row, field, redacted)
                dirty = True
        if dirty:
            changed.append(row)
    if changed:
        queryset.model._default_manager.bulk_update(changed, fields, batch_size=500)
    return len(changed)


def redact_person(subject):
    """Redact ``subject``'s identifiers from every registered free-text field of every object
    linked to them, from those objects' history rows, and from the admin log lines of those
    objects and of the person. Call before the person's own row is scrubbed. Returns the number
    of rows rewritten (a count, for the audit event)."""
    identifiers = Identifiers(subject)
    if identifiers.pattern is None:
        return 0
    rewritten = 0
    log_targets = Q(
        content_type=ContentType.objects.get_for_model(type(subject)), object_id=str(subject.pk)
    )
    for entry in free_text_fields():
        model = entry.model_class
        ids = list(entry.linked([subject.pk]).values_list("pk", flat=True))
        if not ids:
            continue
        if entry.fields:
            rewritten += _redact_rows(
                model._default_manager.filter(pk__in=ids), entry.fields, identifiers
            )
            history = getattr(model, "history", None)
            if history is not None:
                rewritten += _redact_rows(
                    history.filter(id__in=ids), entry.fields, identifiers, key="history_id"
                )
        log_targets |= Q(
            content_type=ContentType.objects.get_for_model(model),
            object_id__in=[str(pk) for pk in ids],
        )
    rewritten += _redact_rows(
        LogEntry.objects.filter(log_targets), ("object_repr", "change_message"), identifiers
    )
    return rewritten


def identifier_warnings(obj, fields=None):
    """Sentences for a staff form: which free-text fields of ``obj`` (of ``fields`` only, when
    given: those a step just wrote) name a person it is linked to. Staff should write what the
    record needs, not who it is about: the portal redacts those words when the person is erased,
    and until then they are personal data in a note. A sentence names the field, never what
    matched in it."""
    from .models import DataSubject

    warnings = []
    for entry in free_text_fields():
        if entry.model_class is not type(obj) or not entry.fields:
            continue
        subject_ids = set()
        for path in entry.subject:
            subject_ids.update(
                type(obj)._default_manager.filter(pk=obj.pk).values_list(path, flat=True)
            )
        subject_ids.discard(None)
        for subject in DataSubject.objects.filter(pk__in=subject_ids, erased_at__isnull=True):
            identifiers = Identifiers(subject)
            for field in entry.fields:
                if fields is not None and field not in fields:
                    continue
                if identifiers.found_in(getattr(obj, field)):
                    warnings.append(
                        _(
                            "“%(field)s” names a person it concerns (name, FIN, document, e-mail "
                            "or phone). Keep it to what the record needs: it will be redacted "
                            "when the person is erased."
                        )
                        % {"field": type(obj)._meta.get_field(field).verbose_name}
                    )
                    break
    return list(dict.fromkeys(warnings))


def warn_if_naming_a_person(request, obj, fields=None):
    """Show identifier_warnings(obj, fields) on the next admin page (after the object was
    saved): a warning, never a refusal; the text is kept as written."""
    if obj is None:
        return
    for warning in identifier_warnings(obj, fields):
        messages.warning(request, warning)
