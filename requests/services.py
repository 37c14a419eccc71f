"""Use cases of a subject request up to fulfilment: intake, matching, identity, deadlines,
assignment, closing, and the portal's own retention of requester details.

Each takes a keyword-only ``actor`` (None for scheduled jobs), runs in one transaction and writes
its own audit event, whose details are ids, codes and dates: never what the requester wrote.
"""

import datetime

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.core.mail import send_mail
from django.db import transaction
from django.db.models import Q
from django.db.models.functions import Lower
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from dpo_portal.audit.models import AuditEvent
from dpo_portal.notifications.mail import render_mail
from dpo_portal.register.models import (
    DataSubject,
    Membership,
    normalise_fin,
    normalise_id_document,
    normalise_phone,
)
from dpo_portal.register.roles import members_granted, roles_granting

from . import attachments, deadlines, letters, lifecycle
from .models import (
    CLOSED_STATUSES,
    DeadlineEvent,
    IdentityMethod,
    IdentityStatus,
    MessageDirection,
    RequestMessage,
    RequestStatus,
    SignatureValidation,
    SubjectRequest,
)
from .public import downloads


def _lock(request):
    return (
        SubjectRequest.objects.select_related("organisation")
        .select_for_update(of=("self",))
        .get(pk=request.pk)
    )


# --- Intake -----------------------------------------------------------------------------------


LATE_REGISTRATION_DAYS = 30


def intake_errors(request, *, today=None):
    """{field: [message]} of what intake refuses in ``request`` (not yet saved): the requester's
    identifiers in the register's formats, at least one way to identify or reach them, a
    received date that is not in the future, and a reason when it is more than 30 days old."""
    errors = {}
    today = today or timezone.localdate()
    if request.received_at:
        received_on = deadlines.local_date(request.received_at)
        if received_on > today:
            errors["received_at"] = [_("The request cannot be received in the future.")]
        elif (today - received_on).days > LATE_REGISTRATION_DAYS and not (
            request.registered_late_reason or ""
        ).strip():
            errors["registered_late_reason"] = [
                _(
                    "The request was received more than %(days)d days ago: say why it is "
                    "registered only now."
                )
                % {"days": LATE_REGISTRATION_DAYS}
            ]
    for field in ("requester_fin", "requester_id_document", "requester_phone", "requester_email"):
        value = getattr(request, field) or ""
        if not value.strip():
            continue
        try:
            request._meta.get_field(field).run_validators(value.strip())
        except ValidationError as error:
            errors.setdefault(field, []).extend(error.messages)
    if not any(
        (getattr(request, field) or "").strip()
        for field in (*IDENTIFYING_FIELDS, "requester_address")
    ):
        errors["__all__"] = [
            _(
                "Give at least one identifier or contact of the requester: FIN, identity "
                "document, e-mail, phone or postal address."
            )
        ]
    return errors


# What identifies a requester (matching uses them); with the address, what reaches them.
IDENTIFYING_FIELDS = (
    "requester_fin",
    "requester_id_document",
    "requester_email",
    "requester_phone",
)


@transaction.atomic
def register_request(request, *, actor, today=None):
    """Save a new request: its gap-free reference and its due date are set here. Refuses what
    intake_errors() finds."""
    errors = intake_errors(request, today=today)
    if errors:
        raise ValidationError(errors)
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
    if request.assignee_id:
        _mail_assignment(request.organisation, [request], assignee=request.assignee, actor=actor)
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
    request.no_data_held = False
    request._history_user = actor
    request.save(update_fields=["subject", "no_data_held", "updated_at"])
    AuditEvent.record(
        "requests.subject_matched",
        organisation=request.organisation,
        actor=actor,
        target=request,
        subject_id=subject.pk,
    )
    return request


@transaction.atomic
def record_no_data_held(request, *, actor):
    """The DPO records that no data is held about the requester: the answer to an existence or
    access request, and what lets a request with nobody to match close. Refused when the
    register shows otherwise."""
    request = _lock(request)
    if not request.is_open:
        raise ValidationError(_("The request is closed."))
    if request.subject_id and lifecycle.undisposed_records(request).exists():
        raise ValidationError(
            _("The inventory holds records of the matched data subject: data is held.")
        )
    if request.subject_id is None and match_candidates(request).exists():
        raise ValidationError(
            _(
                "Data subjects of the organisation share an identifier with the requester: "
                "match the request or rule them out before recording that no data is held."
            )
        )
    request.no_data_held = True
    request._history_user = actor
    request.save(update_fields=["no_data_held", "updated_at"])
    AuditEvent.record(
        "requests.no_data_held", organisation=request.organisation, actor=actor, target=request
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
        lifecycle.move(request, RequestStatus.IN_PROGRESS)


def _pause(request, *, actor, reason, at=None):
    lifecycle.move(request, RequestStatus.PAUSED)
    _add_event(request, DeadlineEvent.Kind.PAUSE, actor=actor, reason=reason, at=at)


def _resume(request, *, actor, at=None):
    lifecycle.move(request, RequestStatus.IN_PROGRESS)
    _add_event(request, DeadlineEvent.Kind.RESUME, actor=actor, at=at)


@transaction.atomic
def start_handling(request, *, actor):
    request = _lock(request)
    lifecycle.move(request, RequestStatus.IN_PROGRESS)
    request._history_user = actor
    request.save()
    AuditEvent.record(
        "requests.started", organisation=request.organisation, actor=actor, target=request
    )
    return request


@transaction.atomic
def pause_request(request, *, reason, actor, at=None):
    """Stop the clock while the DPO waits for information from the requester (with its reason)."""
    if not (reason or "").strip():
        raise ValidationError(_("Say what information is needed from the requester."))
    request = _lock(request)
    _pause(request, actor=actor, reason=reason, at=at)
    request._history_user = actor
    request.save()
    AuditEvent.record(
        "requests.paused", organisation=request.organisation, actor=actor, target=request
    )
    return request


@transaction.atomic
def resume_request(request, *, actor, at=None):
    """The information arrived: the clock runs again."""
    request = _lock(request)
    if request.identity_status == IdentityStatus.INFO_REQUESTED:
        request.identity_status = IdentityStatus.PENDING
    _resume(request, actor=actor, at=at)
    request._history_user = actor
    request.save()
    AuditEvent.record(
        "requests.resumed",
        organisation=request.organisation,
        actor=actor,
        target=request,
        due_on=request.due_on,
    )
    return request


@transaction.atomic
def verify_identity(request, *, method, actor, at=None):
    """Identity confirmed (seed 000, 8.3). If the clock was stopped for it, it starts again."""
    if method not in IdentityMethod.values:
        raise ValidationError(_("Choose how the identity was verified."))
    request = _lock(request)
    if not request.is_open:
        raise ValidationError(_("The request is closed."))
    if request.status == RequestStatus.PAUSED:
        _resume(request, actor=actor, at=at)
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
    _pause(request, actor=actor, reason=reason, at=at)
    request.identity_status = IdentityStatus.INFO_REQUESTED
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
    request.identity_status = IdentityStatus.PENDING
    _resume(request, actor=actor, at=at)
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
    if not request.is_open:
        raise ValidationError(_("The request is closed."))
    if request.status == RequestStatus.PAUSED:
        _resume(request, actor=actor)
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
    rules = deadlines.rules_of(request.rules)
    events = request.deadline_events.all()
    on = deadlines.local_date(at or timezone.now())
    if rules.max_extension_count:
        used = sum(e.months or 0 for e in events if e.kind == DeadlineEvent.Kind.EXTENSION)
        if not months or used + months > rules.max_extension_count:
            raise ValidationError(
                _("The deadline can be extended by at most %(n)d months in all.")
                % {"n": rules.max_extension_count}
            )
        notice_due = deadlines.extension_notice_due(
            rules,
            deadlines.local_date(request.received_at),
            request.calendar,
            request.deadline_event_list(),
        )
        if on > notice_due:
            raise ValidationError(
                _("An extension must be decided and explained within the first month.")
            )
        kind = DeadlineEvent.Kind.EXTENSION
    else:
        months = None
        if not rules.third_party_extension_count:
            raise ValidationError(_("The rules this request follows allow no extension."))
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

WORK_PERM = "requests.change_subjectrequest"


def may_work_on(user, organisation_ids):
    """Whether ``user`` may be given requests or tasks of these organisations."""
    if user.is_superuser:
        return True
    return members_granted(WORK_PERM, organisation_ids).filter(pk=user.pk).exists()


def workers_in_any(organisation_ids):
    """Who may work on requests in at least one of these organisations (None: in any)."""
    roles = roles_granting(WORK_PERM)
    memberships = Membership.objects.filter(role__in=roles)
    if organisation_ids is not None:
        memberships = memberships.filter(organisation_id__in=organisation_ids)
    return (
        get_user_model()
        .objects.filter(Q(is_superuser=True) | Q(pk__in=memberships.values("user_id")))
        .filter(is_active=True)
        .order_by("username")
    )


def assignees_for(organisation_ids):
    """Who may be given work in every one of these organisations (the assignee lists)."""
    return members_granted(WORK_PERM, organisation_ids)


def _mail_assignee(assignee, *, actor, template, subject, context):
    """Tell the new assignee (not someone who took the work themselves), once committed. The
    mail names the work by reference, kind and system: never the requester."""
    if assignee is None or not assignee.email or assignee == actor:
        return
    with translation.override(context["language"]):
        mail = render_mail(template, context)
        subject = str(subject)
    transaction.on_commit(
        lambda: send_mail(subject, mail.text, None, [assignee.email], html_message=mail.html)
    )


def _language_of(organisation):
    return (organisation.language_list or [settings.LANGUAGE_CODE])[0]


@transaction.atomic
def assign(requests, *, assignee, actor):
    """Give ``requests`` (a queryset the actor may change) to ``assignee``, who must be allowed to
    work on requests in each request's organisation, and mail them the list. Returns how many
    changed hands."""
    rows = list(requests.select_related("organisation").select_for_update(of=("self",)))
    if assignee is not None and not may_work_on(assignee, {r.organisation_id for r in rows}):
        raise ValidationError(
            _("The assignee may not work on the requests of every selected organisation.")
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
    by_organisation = {}
    for row in changed:
        by_organisation.setdefault(row.organisation, []).append(row)
    for organisation, theirs in by_organisation.items():
        _mail_assignment(organisation, theirs, assignee=assignee, actor=actor)
    return len(changed)


def _mail_assignment(organisation, theirs, *, assignee, actor):
    language = _language_of(organisation)
    with translation.override(language):
        subject = ngettext(
            "%(organisation)s: a subject request is assigned to you",
            "%(organisation)s: %(count)d subject requests are assigned to you",
            len(theirs),
        ) % {"organisation": organisation.name, "count": len(theirs)}
    _mail_assignee(
        assignee,
        actor=actor,
        template="requests/email/assigned",
        subject=subject,
        context={
            "organisation": organisation,
            "requests": theirs,
            "actor": actor,
            "language": language,
        },
    )


def task_due_on(request, *, on=None):
    """A task's default deadline: 2 working days before the request's, so the DPO has time to
    check the result and answer; never before today, never after the request's."""
    on = on or timezone.localdate()
    if request.due_on is None:
        return None
    calendar = request.calendar
    due, count = request.due_on, TASK_MARGIN_WORKING_DAYS
    while count and due > on:
        due -= datetime.timedelta(days=1)
        if calendar.is_working_day(due):
            count -= 1
    return min(max(due, on), request.due_on)


TASK_MARGIN_WORKING_DAYS = 2


@transaction.atomic
def assign_task(task, *, owner, actor, due_on=None):
    """Give a task to ``owner`` (who may work on requests of its organisation), optionally with a
    new due date inside the request's deadline, and mail them."""
    from .models import RequestTask

    task = RequestTask.objects.select_for_update().select_related("system").get(pk=task.pk)
    request = _lock(task.request)
    if not request.is_open:
        raise ValidationError(_("The request is closed."))
    if owner is not None and not may_work_on(owner, {task.organisation_id}):
        raise ValidationError(
            _("%(user)s may not work on this organisation's requests.") % {"user": owner}
        )
    if due_on is not None:
        if request.due_on and due_on > request.due_on:
            raise ValidationError(
                _("A task is due by the request's deadline (%(due)s) at the latest.")
                % {"due": request.due_on.isoformat()}
            )
        task.due_on = due_on
    previous = task.owner_id
    task.owner = owner
    task._history_user = actor
    task.save(update_fields=["owner", "due_on", "updated_at"])
    AuditEvent.record(
        "requests.task_assigned",
        organisation=request.organisation,
        actor=actor,
        target=request,
        task_id=task.pk,
        owner_id=getattr(owner, "pk", None),
        due_on=task.due_on,
    )
    if owner is not None and owner.pk != previous:
        mail_task_owner(task, request=request, actor=actor)
    return task


def mail_task_owner(task, *, request, actor):
    organisation = request.organisation
    language = _language_of(organisation)
    with translation.override(language):
        subject = _("%(organisation)s: task for %(system)s on %(reference)s") % {
            "organisation": organisation.name,
            "system": task.system.name,
            "reference": request.reference,
        }
    _mail_assignee(
        task.owner,
        actor=actor,
        template="requests/email/task_assigned",
        subject=subject,
        context={
            "organisation": organisation,
            "task": task,
            "request_obj": request,
            "actor": actor,
            "language": language,
        },
    )


# --- Closing ----------------------------------------------------------------------------------


@transaction.atomic
def close_request(request, *, status, reason, actor, refusal_ground="", lateness_note="", at=None):
    """The one way a request closes: completed, partially completed, refused or withdrawn.
    Refuses, naming what is missing, whatever lifecycle.closing_problems() finds. (A request
    that asks for per-system work completes through fulfilment.complete_request, which
    resolves the outcome from its tasks and, for a deletion, erases the person after.)"""
    request = _lock(request)
    problems = lifecycle.closing_problems(
        request,
        status,
        reason=reason,
        refusal_ground=refusal_ground,
        lateness_note=lateness_note,
        on=deadlines.local_date(at) if at else None,
    )
    if problems:
        raise ValidationError(problems)
    lifecycle.move(request, status)
    request.outcome_reason = (reason or "").strip()
    request.refusal_ground = refusal_ground if status == RequestStatus.REFUSED else ""
    request.lateness_note = (lateness_note or "").strip()
    request.closed_at = at or timezone.now()
    request._history_user = actor
    request.save()
    AuditEvent.record(
        "requests.closed",
        organisation=request.organisation,
        actor=actor,
        target=request,
        status=status,
        refusal_ground=request.refusal_ground,
        on_time=request.answered_on_time,
    )
    return request


# --- The portal's own retention ---------------------------------------------------------------


def scrub_requester_details(request_ids):
    """Blank what the requester told us on these requests, their history rows, the addressing
    and PDFs of their letters, their attachments (files deleted from storage) and the reasons
    typed on their deadline events, and what e-signature checks read about the signer.
    Set-based; returns the number of requests.

    The fulfilment of an erasure calls this for the request being completed; the daily
    retention job calls it for requests closed long enough ago.
    """
    request_ids = list(request_ids)
    if not request_ids:
        return 0
    # Letters and messages first: what to redact in their bodies is read from the request rows.
    letters.scrub_letters(request_ids)
    _scrub_messages(request_ids)
    attachments.remove_files(request_ids)
    downloads.remove_files(request_ids)
    # The extension reason is sent to the requester and may quote them: it goes too.
    blank = dict.fromkeys(
        (
            *SubjectRequest.REQUESTER_FIELDS,
            "extension_reason",
            "registered_late_reason",
            "lateness_note",
        ),
        "",
    )
    now = timezone.now()
    count = SubjectRequest.objects.filter(pk__in=request_ids).update(
        **blank, search_text=Lower("reference"), requester_scrubbed_at=now, updated_at=now
    )
    SubjectRequest.history.filter(id__in=request_ids).update(**blank, requester_scrubbed_at=now)
    DeadlineEvent.objects.filter(request_id__in=request_ids).update(reason="")
    # What an e-signature check read about the signer; the outcome stays as evidence.
    SignatureValidation.objects.filter(request_id__in=request_ids).update(
        signer_name="", signer_fin="", certificate_subject="", report=""
    )
    return count


def _scrub_messages(request_ids):
    """The requester's own messages go whole, like what they sent with the request; the DPO's
    stay (what the person was told) with the requester's identifiers redacted."""
    messages = RequestMessage.objects.filter(request_id__in=request_ids)
    messages.filter(direction=MessageDirection.FROM_PERSON).update(body="")
    identifiers = letters.requester_identifiers(request_ids)
    if not identifiers:
        return
    for pk, body in messages.filter(direction=MessageDirection.TO_PERSON).values_list("pk", "body"):
        redacted = letters.redact(body, identifiers)
        if redacted != body:
            RequestMessage.objects.filter(pk=pk).update(body=redacted)


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
