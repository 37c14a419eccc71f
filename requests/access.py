"""The access package: what the organisation holds about one person, why, from where, for how
long and who received it — as a ZIP with a human-readable HTML document and the same facts as
machine-readable JSON (seed 000, 8.1 a–f; GDPR Art. 15 and 20).

Built in a background job (requests/jobs.py), system by system with progress, and kept in the
job row as bytes: nothing is written to a worker's disk. Every query is scoped to the one
subject, so nothing about anyone else can slip in.
"""

import io
import uuid
import zipfile
from collections import OrderedDict

from django.core.exceptions import ValidationError
from django.core.serializers.json import DjangoJSONEncoder
from django.db import transaction
from django.db.models import Q
from django.template.loader import render_to_string
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from consent.models import Consent, ProcessingActivity
from dpo_portal.audit.models import AuditEvent
from dpo_portal.jobs.models import Job, start_job
from dpo_portal.register.models import (
    DataCategory,
    DataSubject,
    Disclosure,
    Recipient,
    Source,
    System,
)
from dpo_portal.register.translation import by_translation
from retention.models import Record, RecordStatus, RetentionRule

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


RECORD_COLUMNS = (
    "pk",
    "system_id",
    "category_id",
    "activity_id",
    "rule_id",
    "external_id",
    "collected_at",
    "clock_started_at",
    "expires_on",
    "status",
)


def _subject_records(subject):
    return Record.objects.filter(
        organisation_id=subject.organisation_id, subject_id=subject.pk
    ).undisposed()


def _names(model, ids):
    """{pk: name in the active language} of a few register rows (the model's manager reads the
    translated column; a values() through the record would read the untranslated one)."""
    return {row.pk: row.name for row in model.objects.filter(pk__in=ids)}


def _name_ranks(model, ids):
    """{pk: rank} by name as shown in the active language, as the database sorts it; rows of the
    same name share a rank, so their records interleave by pk as an ORDER BY name, pk does."""
    ranks, previous, rank = {}, object(), 0
    ordered = (
        model.objects.filter(pk__in=ids)
        .annotate(shown=by_translation("name"))
        .order_by("shown", "pk")
        .values_list("pk", "shown")
    )
    for position, (pk, name) in enumerate(ordered):
        if name != previous:
            rank, previous = position, name
        ranks[pk] = rank
    return ranks


def subject_record_rows(subject):
    """The person's undisposed records as plain rows, in one query (10,000 records as model
    instances with four related rows each cost seconds)."""
    return list(_subject_records(subject).order_by("-pk").values(*RECORD_COLUMNS))


def records_by_system(rows, progress=None):
    """[(system id, name, [record facts])]: systems by name, records by category name, pk."""

    def ids(column):
        return {row[column] for row in rows if row[column] is not None}

    # The System queryset names and orders them in the active language.
    systems = {
        system.pk: system.name
        for system in System.objects.filter(pk__in=ids("system_id")).order_by(
            by_translation("name"), "pk"
        )
    }
    categories = _names(DataCategory, ids("category_id"))
    category_rank = _name_ranks(DataCategory, ids("category_id"))
    activities = _names(ProcessingActivity, ids("activity_id"))
    rules = _names(RetentionRule, ids("rule_id"))
    # Each label translated once, not once per record.
    statuses = {code: _text(label) for code, label in RecordStatus.choices}
    by_system = {}
    for row in rows:
        by_system.setdefault(row["system_id"], []).append(row)
    grouped = []
    for system_id, system_name in systems.items():
        records = sorted(
            by_system[system_id], key=lambda row: (category_rank[row["category_id"]], row["pk"])
        )
        grouped.append(
            (
                system_id,
                system_name,
                [
                    {
                        "system": system_name,
                        "category": categories[row["category_id"]],
                        "activity": activities[row["activity_id"]] if row["activity_id"] else "",
                        "id_in_system": row["external_id"],
                        "collected_on": row["collected_at"],
                        "retention_clock_started_on": row["clock_started_at"],
                        "kept_until": row["expires_on"],
                        "status": {"code": row["status"], "label": statuses[row["status"]]},
                        "retention_rule": rules[row["rule_id"]] if row["rule_id"] else "",
                    }
                    for row in records
                ],
            )
        )
        if progress:
            progress()
    return grouped, categories


def retention_facts(rows, categories):
    """The rules the person's records fall under, each with the categories it covers, in the
    order their first record comes in (newest first, the Record's ordering)."""
    covered = {}
    for row in rows:
        if row["rule_id"] is not None:
            covered.setdefault(row["rule_id"], set()).add(categories[row["category_id"]])
    rules = RetentionRule.objects.in_bulk(covered)
    return [
        {
            "rule": rule.name,
            "period": _text(rule.period_display()),
            "clock_starts_at": _text(rule.get_trigger_display()),
            "at_the_end": _text(rule.get_end_action_display()),
            "legal_reference": rule.legal_reference,
            "categories": sorted(covered[pk]),
        }
        for pk, rule in ((pk, rules[pk]) for pk in covered)
    ]


# What other parts of the portal hold per system about the person (a connector's rows read from
# the source system, the receipts of API exports) joins that system's entry in the package:
#
#     @contributes_per_system
#     def connector_rows(subject, system_ids):
#         return {system_id: {"source_rows": [...]}, ...}    # plain data, one query per source
#
# Each function gets the subject and the ids of the systems it has records in, and returns more
# keys for those systems' entries of records_by_system.
_SYSTEM_CONTRIBUTIONS = []


def contributes_per_system(func):
    _SYSTEM_CONTRIBUTIONS.append(func)
    return func


def system_contributions(subject, system_ids):
    merged = {}
    for func in _SYSTEM_CONTRIBUTIONS:
        for system_id, keys in func(subject, system_ids).items():
            merged.setdefault(system_id, {}).update(keys)
    return merged


def _activities(subject):
    """Every purpose the person's data serves: from their records and their consents."""
    return (
        ProcessingActivity.objects.filter(organisation_id=subject.organisation_id)
        .filter(
            Q(pk__in=_subject_records(subject).values("activity_id"))
            | Q(pk__in=Consent.objects.filter(subject_id=subject.pk).values("activity_id"))
        )
        .select_related("legal_basis")
        .prefetch_related("recipients", "sources", "categories")
        .order_by(by_translation("name"), "pk")
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
    rows = subject_record_rows(subject)
    if on_total:
        on_total(len({row["system_id"] for row in rows}) + 1)
    records, categories = records_by_system(rows, progress=progress)
    contributed = system_contributions(subject, [system_id for system_id, _n, _r in records])

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
            "category", by_translation("name"), "pk"
        )
    )
    by_category = OrderedDict()
    for recipient in recipients:
        by_category.setdefault(recipient.get_category_display(), []).append(recipient.name)
    source_ids = {s.pk for a in activities for s in a.sources.all()}
    sources = Source.objects.filter(organisation_id=organisation.pk, pk__in=source_ids).order_by(
        by_translation("name"), "pk"
    )
    retention = retention_facts(rows, categories)
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
        "records_by_system": [
            {"system": name, "records": items, **contributed.get(system_id, {})}
            for system_id, name, items in records
        ],
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


# A system with more records than this is summarised in the HTML (counts per category); every
# record is still in the JSON. Ten thousand table rows made a document nobody reads and took
# most of the package's time to render.
HTML_DETAIL_ROWS = 100


def html_systems(facts):
    """The records section of the HTML: each system's records, or their counts per category."""
    systems = []
    for system in facts["records_by_system"]:
        records = system["records"]
        entry = {"system": system["system"], "total": len(records)}
        if len(records) <= HTML_DETAIL_ROWS:
            entry["records"] = records
        else:
            counts = {}
            for record in records:
                counts[record["category"]] = counts.get(record["category"], 0) + 1
            entry["by_category"] = sorted(counts.items())
        systems.append(entry)
    return systems


def write_json(out, data):
    """The package's JSON into ``out``: indented, each record on a line of its own. Indenting
    every record's fields made the encoder run in pure Python (a second for 10,000 records);
    the records are encoded by the C encoder instead, between the indented parts. The same
    JSON value either way."""
    indented = DjangoJSONEncoder(ensure_ascii=False, indent=2)
    flat = DjangoJSONEncoder(ensure_ascii=False)
    marker = f"records-{uuid.uuid4().hex}-"
    systems = data["records_by_system"]
    skeleton = {
        **data,
        "records_by_system": [
            {**system, "records": f"{marker}{n}"} for n, system in enumerate(systems)
        ],
    }
    text = indented.encode(skeleton)
    for n, system in enumerate(systems):
        before, text = text.split(f'"{marker}{n}"', 1)
        out.write(before)
        # The records one level deeper than the line the marker is on.
        line_start = before[before.rfind("\n") + 1 :]
        indent = " " * (len(line_start) - len(line_start.lstrip(" ")) + 2)
        if system["records"]:
            out.write("[\n" + indent)
            out.write((",\n" + indent).join(flat.encode(r) for r in system["records"]))
            out.write("\n" + indent[:-2] + "]")
        else:
            out.write("[]")
    out.write(text)


def render_package(facts, *, request, language):
    """The ZIP's bytes: access-package.html and access-package.json, the JSON encoded straight
    into the archive in chunks rather than built as one string first."""
    with translation.override(language):
        html = render_to_string(
            "requests/access_package.html",
            {
                "facts": facts,
                "systems": html_systems(facts),
                "request_obj": request,
                "language": language,
            },
        )
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("access-package.html", html)
        with (
            archive.open("access-package.json", "w") as raw,
            io.TextIOWrapper(raw, encoding="utf-8") as out,
        ):
            write_json(out, {"request": request.reference, "language": language, **facts})
    return buffer.getvalue()


def system_exports(request):
    """What the systems exported for this request, as their receipts carried it."""
    receipts = (
        TaskReceipt.objects.filter(task__request_id=request.pk, export__isnull=False)
        .select_related("system")
        .order_by(by_translation("system__name"), "pk")
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
        # The systems' names in the package's language, as everywhere else in it.
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
