"""The access package: what the organisation holds about one person, why, from where, for how
long and who received it — as a ZIP with a human-readable HTML document and the same facts as
machine-readable JSON (seed 000, 8.1 a–f; GDPR Art. 15 and 20).

Built in a background job (requests/jobs.py), system by system with progress, and kept in the
job row as bytes: nothing is written to a worker's disk. Every query is scoped to the one
subject, so nothing about anyone else can slip in.
"""

import io
import json
import zipfile
from collections import OrderedDict

from django.core.exceptions import ValidationError
from django.core.serializers.json import DjangoJSONEncoder
from django.db import transaction
from django.template.loader import render_to_string
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from modeltranslation.utils import build_localized_fieldname

from consent.models import Consent, ProcessingActivity
from dpo_portal.audit.models import AuditEvent
from dpo_portal.jobs.models import Job, start_job
from dpo_portal.register.models import DataSubject, Disclosure, Recipient, Source, System
from retention.models import Record

from .models import IdentityStatus, RequestKind, SubjectRequest, TaskReceipt

ACCESS_PACKAGE_JOB = "requests.access_package"

# Kinds answered with the package (the information rights of seed 000, 8.1, and portability).
PACKAGE_KINDS = {
    RequestKind.EXISTENCE,
    RequestKind.LEGAL_BASIS,
    RequestKind.ACCESS,
    RequestKind.PURPOSES_AND_ACCESS,
    RequestKind.SOURCES,
    RequestKind.PROTECTION,
    RequestKind.PORTABILITY,
}


def _text(value):
    return "" if value is None else str(value)


def _choice(obj, field):
    return {"code": getattr(obj, field), "label": _text(getattr(obj, f"get_{field}_display")())}


# --- Gathering --------------------------------------------------------------------------------


def person_facts(subject):
    return {
        "first_name": subject.first_name,
        "last_name": subject.last_name,
        "patronymic": subject.patronymic,
        "birth_date": subject.birth_date,
        "fin": subject.fin,
        "id_document_number": subject.id_document_number,
        "phone": subject.phone,
        "email": subject.email,
        "address": subject.address,
        "reference": subject.external_ref,
        "subject_type": _text(subject.subject_type) if subject.subject_type_id else "",
    }


def record_facts(record):
    rule = record.rule
    return {
        "system": record.system.name,
        "category": record.category.name,
        "activity": record.activity.name if record.activity_id else "",
        "id_in_system": record.external_id,
        "collected_on": record.collected_at,
        "retention_clock_started_on": record.clock_started_at,
        "kept_until": record.expires_on,
        "status": _choice(record, "status"),
        "retention_rule": rule.name if rule else "",
    }


def _subject_records(subject):
    return Record.objects.filter(
        organisation_id=subject.organisation_id, subject_id=subject.pk
    ).undisposed()


def records_by_system(subject, progress=None):
    """[(system name, [record facts])], one query per system so that progress can follow."""
    # The System queryset names them in the active language (a values_list() through the record
    # would read the untranslated column).
    systems = {
        system.pk: system.name
        for system in System.objects.filter(
            pk__in=_subject_records(subject).values("system_id")
        ).order_by("name")
    }
    grouped = []
    for system_id, system_name in systems.items():
        records = (
            _subject_records(subject)
            .filter(system_id=system_id)
            .select_related("system", "category", "activity", "rule")
            .order_by(build_localized_fieldname("category__name", translation.get_language()), "pk")
        )
        grouped.append((system_name, [record_facts(record) for record in records]))
        if progress:
            progress()
    return grouped


def _activities(subject):
    """Every purpose the person's data serves: from their records and their consents."""
    from django.db.models import Q

    return (
        ProcessingActivity.objects.filter(organisation_id=subject.organisation_id)
        .filter(
            Q(pk__in=_subject_records(subject).values("activity_id"))
            | Q(pk__in=Consent.objects.filter(subject_id=subject.pk).values("activity_id"))
        )
        .select_related("legal_basis")
        .prefetch_related("recipients", "sources", "categories")
        .order_by("name")
    )


def recipient_facts(recipient):
    return {
        "name": recipient.name,
        "category": _choice(recipient, "category"),
        "role": _choice(recipient, "role"),
        "country": recipient.country.code if recipient.country else "",
        "country_name": _text(recipient.country.name) if recipient.country else "",
    }


def gather(subject, *, progress=None, on_total=None):
    """Everything the package holds, as plain data (strings, dates, lists, dicts)."""
    subject = DataSubject.objects.select_related("organisation", "subject_type").get(pk=subject.pk)
    organisation = subject.organisation
    system_count = _subject_records(subject).order_by().values("system_id").distinct().count()
    if on_total:
        on_total(system_count + 1)
    records = records_by_system(subject, progress=progress)

    activities = list(_activities(subject))
    disclosures = list(
        Disclosure.objects.filter(organisation_id=organisation.pk, subjects=subject)
        .select_related("recipient")
        .prefetch_related("categories")
        .order_by("-disclosed_on", "pk")
    )
    recipient_ids = {r.pk for a in activities for r in a.recipients.all()}
    recipient_ids |= {d.recipient_id for d in disclosures}
    recipients = list(
        Recipient.objects.filter(organisation_id=organisation.pk, pk__in=recipient_ids).order_by(
            "category", "name"
        )
    )
    by_category = OrderedDict()
    for recipient in recipients:
        by_category.setdefault(recipient.get_category_display(), []).append(recipient.name)
    source_ids = {s.pk for a in activities for s in a.sources.all()}
    sources = Source.objects.filter(organisation_id=organisation.pk, pk__in=source_ids).order_by(
        "name"
    )
    rules = {}
    for record in _subject_records(subject).exclude(rule=None).select_related("rule", "category"):
        rule = record.rule
        rules.setdefault(
            rule.pk,
            {
                "rule": rule.name,
                "period": _text(rule.period_display()),
                "clock_starts_at": _text(rule.get_trigger_display()),
                "at_the_end": _text(rule.get_end_action_display()),
                "legal_reference": rule.legal_reference,
                "categories": set(),
            },
        )["categories"].add(record.category.name)
    retention = [{**r, "categories": sorted(r["categories"])} for r in rules.values()]
    consents = (
        Consent.objects.filter(organisation_id=organisation.pk, subject_id=subject.pk)
        .select_related("activity", "notice")
        .order_by("-given_at", "pk")
    )
    facts = {
        "generated_at": timezone.now(),
        "controller": {
            "name": organisation.name,
            "tax_id": organisation.tax_id,
            "address": organisation.address,
            "dpo_name": organisation.dpo_name,
            "dpo_email": organisation.dpo_email,
            "dpo_phone": organisation.dpo_phone,
        },
        "data_subject": person_facts(subject),
        "records_by_system": [{"system": name, "records": items} for name, items in records],
        "purposes": [
            {
                "activity": activity.name,
                "purpose": activity.purpose,
                "legal_basis": _text(activity.legal_basis.name) if activity.legal_basis else "",
                "legal_basis_article": activity.legal_basis.article if activity.legal_basis else "",
                "categories": sorted(c.name for c in activity.categories.all()),
                "recipients": sorted(r.name for r in activity.recipients.all()),
                "sources": sorted(s.name for s in activity.sources.all()),
            }
            for activity in activities
        ],
        "recipients": [recipient_facts(r) for r in recipients],
        "recipients_by_category": [
            {"category": _text(category), "recipients": names}
            for category, names in by_category.items()
        ],
        "sources": [{"name": s.name, "kind": _choice(s, "kind")} for s in sources],
        "retention": retention,
        "consents": [
            {
                "activity": consent.activity.name,
                "given_at": consent.given_at,
                "channel": _choice(consent, "channel"),
                "notice": str(consent.notice) if consent.notice_id else "",
                "notice_registry_number": consent.notice.registry_number
                if consent.notice_id
                else "",
                "notice_edition": consent.notice.edition if consent.notice_id else "",
                "withdrawn_at": consent.withdrawn_at,
                "withdrawal_channel": consent.withdrawal_channel,
            }
            for consent in consents
        ],
        "disclosures": [
            {
                "disclosed_on": d.disclosed_on,
                "recipient": d.recipient.name,
                "legal_basis": d.legal_basis,
                "request_reference": d.request_reference,
                "categories": sorted(c.name for c in d.categories.all()),
            }
            for d in disclosures
        ],
    }
    if progress:
        progress()
    return facts


# --- The ZIP ----------------------------------------------------------------------------------


def package_filename(request):
    return f"{request.reference}-access-package.zip"


def render_package(facts, *, request, language):
    """The ZIP's bytes: access-package.html and access-package.json, built in memory."""
    with translation.override(language):
        html = render_to_string(
            "requests/access_package.html",
            {"facts": facts, "request_obj": request, "language": language},
        )
    data = json.dumps(
        {"request": request.reference, "language": language, **facts},
        cls=DjangoJSONEncoder,
        ensure_ascii=False,
        indent=2,
    )
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("access-package.html", html)
        archive.writestr("access-package.json", data)
    return buffer.getvalue()


def system_exports(request):
    """What the systems exported for this request, as their receipts carried it."""
    receipts = (
        TaskReceipt.objects.filter(task__request_id=request.pk, export__isnull=False)
        .select_related("system")
        .order_by("system__name", "pk")
    )
    return [
        {
            "system": r.system.name,
            "acted_at": r.acted_at,
            "receipt_sha256": r.sha256,
            "data": r.export,
        }
        for r in receipts
    ]


def build_package(request, *, language, progress=None, on_total=None):
    with translation.override(language):
        facts = gather(request.subject, progress=progress, on_total=on_total)
    facts["exported_by_systems"] = system_exports(request)
    return render_package(facts, request=request, language=language), facts


# --- Starting the job -------------------------------------------------------------------------


def package_language(request, language=None):
    languages = request.organisation.language_list or ["az"]
    return language if language in {"az", "en"} else languages[0]


@transaction.atomic
def start_access_package(request, *, actor, language=None):
    """Queue the package for the request's subject. Returns the Job (its page shows progress
    and, when done, the download)."""
    request = SubjectRequest.objects.select_related("organisation", "subject").get(pk=request.pk)
    if request.subject_id is None or request.subject.is_erased:
        raise ValidationError(_("Match the request to a data subject first."))
    if request.identity_status != IdentityStatus.VERIFIED:
        raise ValidationError(
            _("Verify the requester's identity before giving out a copy of their data.")
        )
    language = package_language(request, language)
    job = start_job(
        ACCESS_PACKAGE_JOB,
        organisation=request.organisation,
        actor=actor,
        parameters={"request_id": request.pk, "language": language},
    )
    AuditEvent.record(
        "requests.access_package_started",
        organisation=request.organisation,
        actor=actor,
        target=request,
        job_id=job.pk,
        language=language,
    )
    return job


def package_jobs(request):
    """The request's access-package jobs, newest first."""
    return Job.objects.filter(
        organisation_id=request.organisation_id,
        kind=ACCESS_PACKAGE_JOB,
        parameters__request_id=request.pk,
    ).order_by("-created_at", "-pk")
