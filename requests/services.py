"""Use cases of a subject request up to fulfilment: intake, matching, identity, deadlines,
assignment, letters, closing, and the portal's own retention of requester details.

Each takes a keyword-only ``actor`` (None for scheduled jobs), runs in one transaction and writes
its own audit event, whose details are ids, codes and dates: never what the requester wrote.
"""

import datetime

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Q
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from dpo_portal.audit.models import AuditEvent
from dpo_portal.notifications.mail import render_text
from dpo_portal.register.models import (
    DataSubject,
    Regime,
    normalise_fin,
    normalise_id_document,
    normalise_phone,
)

from . import deadlines
from .models import (
    CLOSED_STATUSES,
    DeadlineEvent,
    IdentityMethod,
    IdentityStatus,
    RequestStatus,
    ResponseLetter,
    SubjectRequest,
)


def _lock(request):
    return (
        SubjectRequest.objects.select_related("organisation")
        .select_for_update(of=("self",))
        .get(pk=request.pk)
    )


# --- Intake -----------------------------------------------------------------------------------


@transaction.atomic
def register_request(request, *, actor):
    """Save a new request: its gap-free reference and its due date are set here."""
    request.due_on = None
    request._history_user = actor
    request.save()
    AuditEvent.record(
        "requests.received",
        organisation=request.organisation,
        actor=actor,
        target=request,
        reference=request.reference,
        kind=request.kind,
        channel=request.channel,
        due_on=request.due_on,
    )
    return request


def match_candidates(request):
    """Data subjects of the request's organisation sharing an identifier with the requester."""
    condition = Q()
    if fin := normalise_fin(request.requester_fin):
        condition |= Q(fin=fin)
    if document := normalise_id_document(request.requester_id_document):
        condition |= Q(id_document_number=document)
    if email := (request.requester_email or "").strip().lower():
        condition |= Q(email=email)
    if phone := normalise_phone(request.requester_phone):
        condition |= Q(phone=phone)
    if not condition:
        return DataSubject.objects.none()
    return (
        DataSubject.objects.active()
        .filter(condition, organisation_id=request.organisation_id)
        .order_by("last_name", "first_name", "pk")
    )


def matched_on(request, subject):
    """Which identifiers a candidate shares with the requester (shown next to it)."""
    fields = [
        (_("FIN"), normalise_fin(request.requester_fin), subject.fin),
        (
            _("identity document"),
            normalise_id_document(request.requester_id_document),
            subject.id_document_number,
        ),
        (_("e-mail"), (request.requester_email or "").strip().lower(), subject.email),
        (_("phone"), normalise_phone(request.requester_phone), subject.phone),
    ]
    return [label for label, asked, held in fields if asked and asked == held]


@transaction.atomic
def match_subject(request, subject, *, actor):
    request = _lock(request)
    if subject.organisation_id != request.organisation_id:
        raise ValidationError(_("The data subject belongs to another organisation."))
    request.subject = subject
    request._history_user = actor
    request.save(update_fields=["subject", "updated_at"])
    AuditEvent.record(
        "requests.subject_matched",
        organisation=request.organisation,
        actor=actor,
        target=request,
        subject_id=subject.pk,
    )
    return request


# --- Identity and the clock -------------------------------------------------------------------


def _add_event(request, kind, *, actor, reason="", months=None, at=None):
    event = DeadlineEvent.objects.create(
        request=request, kind=kind, by=actor, reason=reason, months=months, at=at or timezone.now()
    )
    deadlines.recompute_due_on(request, save=False)
    return event


def _start_work(request):
    if request.status == RequestStatus.NEW:
        request.status = RequestStatus.IN_PROGRESS


@transaction.atomic
def verify_identity(request, *, method, actor, at=None):
    """Identity confirmed (seed 000, 8.3). If the clock was stopped for it, it starts again."""
    if method not in IdentityMethod.values:
        raise ValidationError(_("Choose how the identity was verified."))
    request = _lock(request)
    if request.identity_status == IdentityStatus.INFO_REQUESTED:
        _add_event(request, DeadlineEvent.Kind.RESUME, actor=actor, at=at)
        request.status = RequestStatus.IN_PROGRESS
    request.identity_status = IdentityStatus.VERIFIED
    request.identity_method = method
    request.identity_verified_by = actor
    request.identity_verified_at = at or timezone.now()
    _start_work(request)
    request._history_user = actor
    request.save()
    AuditEvent.record(
        "requests.identity_verified",
        organisation=request.organisation,
        actor=actor,
        target=request,
        method=method,
    )
    return request


@transaction.atomic
def request_identity_information(request, *, reason, actor, at=None):
    """Reasonable doubt about identity (seed 000, 8.4): ask for more and stop the clock."""
    if not (reason or "").strip():
        raise ValidationError(_("Say what information is needed from the requester."))
    request = _lock(request)
    if not request.is_open:
        raise ValidationError(_("The request is closed."))
    if request.identity_status == IdentityStatus.INFO_REQUESTED:
        return request
    _add_event(request, DeadlineEvent.Kind.PAUSE, actor=actor, reason=reason, at=at)
    request.identity_status = IdentityStatus.INFO_REQUESTED
    request.status = RequestStatus.PAUSED
    request._history_user = actor
    request.save()
    AuditEvent.record(
        "requests.identity_info_requested",
        organisation=request.organisation,
        actor=actor,
        target=request,
    )
    return request


@transaction.atomic
def identity_information_received(request, *, actor, at=None):
    """The information arrived: the clock runs again (identity still to be checked)."""
    request = _lock(request)
    if request.identity_status != IdentityStatus.INFO_REQUESTED:
        return request
    _add_event(request, DeadlineEvent.Kind.RESUME, actor=actor, at=at)
    request.identity_status = IdentityStatus.PENDING
    request.status = RequestStatus.IN_PROGRESS
    request._history_user = actor
    request.save()
    AuditEvent.record(
        "requests.identity_info_received",
        organisation=request.organisation,
        actor=actor,
        target=request,
        due_on=request.due_on,
    )
    return request


@transaction.atomic
def identity_failed(request, *, actor):
    request = _lock(request)
    if request.identity_status == IdentityStatus.INFO_REQUESTED:
        _add_event(request, DeadlineEvent.Kind.RESUME, actor=actor)
        request.status = RequestStatus.IN_PROGRESS
    request.identity_status = IdentityStatus.FAILED
    request._history_user = actor
    request.save()
    AuditEvent.record(
        "requests.identity_failed", organisation=request.organisation, actor=actor, target=request
    )
    return request


@transaction.atomic
def extend_deadline(request, *, reason, actor, months=None, at=None):
    """Azerbaijan: 7 more working days where a third party must supply data (once).
    GDPR: up to two more months in all, decided and explained within the first month."""
    request = _lock(request)
    if not request.is_open:
        raise ValidationError(_("The request is closed."))
    if not (reason or "").strip():
        raise ValidationError(_("Give the reason for the extension: it is sent to the requester."))
    regime = request.organisation.regime
    events = request.deadline_events.all()
    on = deadlines.local_date(at or timezone.now())
    if regime == Regime.GDPR:
        rules = deadlines.rules(regime)
        used = sum(e.months or 0 for e in events if e.kind == DeadlineEvent.Kind.EXTENSION)
        if not months or used + months > rules["max_extension_months"]:
            raise ValidationError(
                _("The deadline can be extended by at most %(n)d months in all.")
                % {"n": rules["max_extension_months"]}
            )
        first_month_ends, _paused = deadlines.compute_due(
            regime,
            deadlines.local_date(request.received_at),
            [e for e in request.deadline_event_list() if e.kind != "extension"],
            request.calendar,
        )
        if on > first_month_ends:
            raise ValidationError(
                _("An extension must be decided and explained within the first month.")
            )
        kind = DeadlineEvent.Kind.EXTENSION
    else:
        months = None
        if any(e.kind == DeadlineEvent.Kind.THIRD_PARTY_EXTENSION for e in events):
            raise ValidationError(_("The deadline was already extended for a third party."))
        kind = DeadlineEvent.Kind.THIRD_PARTY_EXTENSION
    _add_event(request, kind, actor=actor, reason=reason, months=months, at=at)
    request.extended = True
    request.extension_reason = reason
    request._history_user = actor
    request.save()
    AuditEvent.record(
        "requests.deadline_extended",
        organisation=request.organisation,
        actor=actor,
        target=request,
        kind=kind,
        months=months,
        due_on=request.due_on,
    )
    return request


# --- Assignment -------------------------------------------------------------------------------


@transaction.atomic
def assign(requests, *, assignee, actor):
    """Give ``requests`` (a queryset the actor may change) to ``assignee``. The assignee must be a
    member of each request's organisation. Returns how many changed hands."""
    from dpo_portal.register.models import Membership

    rows = list(requests.select_related("organisation").select_for_update(of=("self",)))
    if assignee is not None:
        member_of = set(
            Membership.objects.filter(user=assignee).values_list("organisation_id", flat=True)
        )
        if any(r.organisation_id not in member_of for r in rows) and not assignee.is_superuser:
            raise ValidationError(
                _("The assignee is not a member of every request's organisation.")
            )
    changed = [r for r in rows if r.assignee_id != getattr(assignee, "pk", None)]
    for row in changed:
        row.assignee = assignee
        row._history_user = actor
        row.save(update_fields=["assignee", "updated_at"])
        AuditEvent.record(
            "requests.assigned",
            organisation=row.organisation,
            actor=actor,
            target=row,
            assignee_id=getattr(assignee, "pk", None),
        )
    return len(changed)


# --- Letters ----------------------------------------------------------------------------------


def letter_template(request, language):
    return [
        f"requests/letters/{request.kind}_{language}.txt",
        f"requests/letters/default_{language}.txt",
    ]


def render_letter(request, language):
    with translation.override(language):
        return render_text(
            letter_template(request, language),
            {
                "request": request,
                "organisation": request.organisation,
                "legal_reference": request.legal_reference,
                "today": timezone.localdate(),
                "tasks": list(request.tasks.select_related("system")),
                "deadline_events": list(request.deadline_events.all()),
            },
        ).strip()


@transaction.atomic
def create_letter(request, *, language, actor, body=None):
    """Fill the letter template for the request (or keep the DPO's edited ``body``) and keep it."""
    if language not in dict(settings.LANGUAGES):
        raise ValidationError(_("Unknown language."))
    letter = ResponseLetter(
        request=request,
        language=language,
        template=letter_template(request, language)[0],
        body=body if body is not None else render_letter(request, language),
        created_by=actor,
    )
    letter._history_user = actor
    letter.save()
    AuditEvent.record(
        "requests.letter_created",
        organisation=request.organisation,
        actor=actor,
        target=request,
        letter_id=letter.pk,
        language=language,
    )
    return letter


# --- Closing ----------------------------------------------------------------------------------


@transaction.atomic
def close_request(request, *, status, reason, actor, at=None):
    """Close with an outcome: completed, partially completed, refused or withdrawn."""
    request = _lock(request)
    if status not in CLOSED_STATUSES:
        raise ValidationError(_("Not a closing status."))
    if status in (RequestStatus.REFUSED, RequestStatus.PARTIALLY_COMPLETED) and not reason:
        raise ValidationError(_("A refusal or a partial answer must give its reasons."))
    request.status = status
    request.outcome_reason = reason or ""
    request.closed_at = at or timezone.now()
    request._history_user = actor
    request.save()
    AuditEvent.record(
        "requests.closed",
        organisation=request.organisation,
        actor=actor,
        target=request,
        status=status,
        on_time=request.answered_on_time,
    )
    return request


# --- The portal's own retention ---------------------------------------------------------------


def scrub_requester_details(request_ids):
    """Blank what the requester told us on these requests, their history rows, their letters
    and the reasons typed on their deadline events. Set-based; returns the number of requests.

    The fulfilment of an erasure calls this for the request being completed; the daily
    retention job calls it for requests closed long enough ago.
    """
    request_ids = list(request_ids)
    if not request_ids:
        return 0
    # The extension reason is sent to the requester and may quote them: it goes too.
    blank = dict.fromkeys((*SubjectRequest.REQUESTER_FIELDS, "extension_reason"), "")
    now = timezone.now()
    count = SubjectRequest.objects.filter(pk__in=request_ids).update(
        **blank, requester_scrubbed_at=now, updated_at=now
    )
    SubjectRequest.history.filter(id__in=request_ids).update(**blank, requester_scrubbed_at=now)
    scrubbed_text = _("[removed under the portal's retention rules]")
    ResponseLetter.objects.filter(request_id__in=request_ids).update(body=scrubbed_text)
    ResponseLetter.history.filter(request_id__in=request_ids).update(body=scrubbed_text)
    DeadlineEvent.objects.filter(request_id__in=request_ids).update(reason="")
    return count


def closed_request_retention_days():
    return getattr(settings, "PORTAL_RETENTION", {}).get("closed_request_details_days", 365)


def scrub_closed_requests(*, on=None, actor=None):
    """Scrub requester details of requests closed more than the configured days ago."""
    now = on or timezone.now()
    cutoff = now - datetime.timedelta(days=closed_request_retention_days())
    due = SubjectRequest.objects.filter(
        status__in=CLOSED_STATUSES, closed_at__lt=cutoff, requester_scrubbed_at__isnull=True
    )
    total = 0
    by_organisation = {}
    for pk, organisation_id in due.values_list("pk", "organisation_id").iterator():
        by_organisation.setdefault(organisation_id, []).append(pk)
    from dpo_portal.register.models import Organisation

    for organisation in Organisation.objects.filter(pk__in=by_organisation):
        with transaction.atomic():
            count = scrub_requester_details(by_organisation[organisation.pk])
            AuditEvent.record(
                "requests.requester_details_scrubbed",
                organisation=organisation,
                actor=actor,
                count=count,
                older_than_days=closed_request_retention_days(),
            )
        total += count
    return total
