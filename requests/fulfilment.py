"""Fulfilment of a subject request: the per-system tasks, their resolution, and completing it.

The request drives the flow by calling the services of the apps it builds on: the retention
inventory says which systems hold the person's records and disposes of them (respecting legal
holds), the consent services withdraw consents and scrub their evidence, and the register erases
the person from the portal itself. Each function takes a keyword-only ``actor``, runs in one
transaction and writes its own audit event (ids, counts and codes only).
"""

from django.core.exceptions import ValidationError
from django.db import models, transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from consent.models import Consent, ConsentChannel
from consent.services import scrub_consent_evidence, withdraw_consent
from dpo_portal.api.webhooks import notify_new_tasks
from dpo_portal.approvals.services import (
    ERASURE_COMPLETION,
    TASK_ANONYMISATION,
    TASK_ARCHIVING,
    TASK_ERASURE,
    confirm_second_approval,
    open_approval,
    requires_second_approval,
)
from dpo_portal.audit.models import AuditEvent
from dpo_portal.jobs.models import Job
from dpo_portal.register.services import erase_subject
from retention.models import EndAction, Record
from retention.services import dispose_records, held_records, records_by_system

from . import deadlines, letters, lifecycle
from .access import ACCESS_PACKAGE_JOB
from .models import (
    TASK_ACTION_FOR_KIND,
    IdentityStatus,
    KeptReason,
    RequestChannel,
    RequestKind,
    RequestStatus,
    RequestTask,
    SubjectRequest,
    TaskAction,
    TaskStatus,
)
from .services import (
    assignees_for,
    close_request,
    mail_task_owner,
    pause_request,
    resume_request,
    scrub_requester_details,
    start_handling,
    task_due_on,
)

# Actions whose resolution disposes of the records in the system.
DISPOSING_ACTIONS = {TaskAction.ERASE, TaskAction.ANONYMISE, TaskAction.ARCHIVE}


class Resolution(models.TextChoices):
    ERASED = "erased", gettext_lazy("Erased")
    ANONYMISED = "anonymised", gettext_lazy("Anonymised")
    ARCHIVED = "archived", gettext_lazy("Archived")
    DONE = "done", gettext_lazy("Done")
    KEPT = "kept", gettext_lazy("Kept, with a reason")


# A disposing resolution, the retention end action it performs and the task action it records.
DISPOSAL = {
    Resolution.ERASED: (EndAction.ERASE, TaskAction.ERASE),
    Resolution.ANONYMISED: (EndAction.ANONYMISE, TaskAction.ANONYMISE),
    Resolution.ARCHIVED: (EndAction.ARCHIVE, TaskAction.ARCHIVE),
}

# Under four eyes, the step a disposing resolution is approved as (dpo_portal/approvals).
DISPOSAL_STEP = {
    Resolution.ERASED: TASK_ERASURE,
    Resolution.ANONYMISED: TASK_ANONYMISATION,
    Resolution.ARCHIVED: TASK_ARCHIVING,
}
RESOLUTION_OF_STEP = {step: resolution for resolution, step in DISPOSAL_STEP.items()}

# Which resolutions close a task of each action (besides "kept", which closes any).
RESOLUTIONS_FOR_ACTION = {
    TaskAction.ERASE: (Resolution.ERASED, Resolution.ANONYMISED),
    TaskAction.ANONYMISE: (Resolution.ANONYMISED, Resolution.ERASED),
    TaskAction.ARCHIVE: (Resolution.ARCHIVED,),
    TaskAction.RECTIFY: (Resolution.DONE,),
    TaskAction.EXPORT: (Resolution.DONE,),
    TaskAction.RESTRICT: (Resolution.DONE,),
    TaskAction.STOP_PROCESSING: (Resolution.DONE,),
}

# How a consent withdrawal arrived, in the consent register's words.
CONSENT_CHANNEL_FOR_REQUEST = {
    RequestChannel.PAPER_WITH_ID: ConsentChannel.PAPER,
    RequestChannel.E_SIGNATURE: ConsentChannel.E_SIGNATURE,
    RequestChannel.EMAIL: ConsentChannel.EMAIL,
    RequestChannel.APP: ConsentChannel.APP_CHECKBOX,
    RequestChannel.WEB: ConsentChannel.WEB,
    RequestChannel.IN_PERSON: ConsentChannel.PAPER,
}


def _lock(request):
    return (
        SubjectRequest.objects.select_related("organisation", "subject")
        .select_for_update(of=("self",))
        .get(pk=request.pk)
    )


def _require_open(request):
    if not request.is_open:
        raise ValidationError(_("The request %(ref)s is closed.") % {"ref": request.reference})


def _require_subject(request):
    if request.subject_id is None:
        raise ValidationError(
            _("Match the request to a data subject first: the tasks follow their records.")
        )
    if request.subject.is_erased:
        raise ValidationError(_("The data subject has already been erased."))


def task_action_for(request):
    return TASK_ACTION_FOR_KIND.get(request.kind)


def subject_records(request, system=None):
    """The matched subject's records still held (optionally in one system)."""
    records = Record.objects.filter(
        organisation_id=request.organisation_id, subject_id=request.subject_id
    ).undisposed()
    if system is not None:
        records = records.filter(system=system)
    return records


# --- Opening tasks ----------------------------------------------------------------------------


@transaction.atomic
def open_tasks_for(request, *, actor):
    """Open one task per system holding the subject's records, for the action the kind asks.

    Idempotent: a system that already has its task gets no second one; systems that appeared in
    the inventory since (a later import) get theirs. Returns the request's tasks.
    """
    request = _lock(request)
    _require_open(request)
    action = task_action_for(request)
    if action is None:
        raise ValidationError(
            _("This kind of request is answered with information, not per-system tasks.")
        )
    _require_subject(request)
    systems = list(records_by_system(request.subject))
    if request.kind == RequestKind.CONSENT_WITHDRAWAL:
        # Only the systems holding records on a consent stop processing on its withdrawal.
        on_consent = set(
            subject_records(request)
            .filter(consent__isnull=False)
            .values_list("system_id", flat=True)
            .distinct()
        )
        systems = [system for system in systems if system.pk in on_consent]
    existing = set(request.tasks.values_list("system_id", flat=True))
    # Each task goes to its system's owner when they may work on requests here; otherwise to
    # whoever handles the request (who can hand it on).
    workers = set(
        assignees_for({request.organisation_id})
        .filter(pk__in=[s.owner_user_id for s in systems if s.owner_user_id])
        .values_list("pk", flat=True)
    )
    due_on = task_due_on(request)
    new_tasks = [
        RequestTask(
            organisation_id=request.organisation_id,
            request=request,
            system=system,
            action=action,
            owner_id=system.owner_user_id
            if system.owner_user_id in workers
            else request.assignee_id,
            due_on=due_on,
        )
        for system in systems
        if system.pk not in existing
    ]
    for task in new_tasks:
        task._history_user = actor
        task.save()
        mail_task_owner(task, request=request, actor=actor)
    notify_new_tasks(new_tasks)
    if request.status == RequestStatus.NEW:
        lifecycle.move(request, RequestStatus.IN_PROGRESS)
        request._history_user = actor
        request.save(update_fields=["status", "updated_at"])
    AuditEvent.record(
        "requests.tasks_opened",
        organisation=request.organisation,
        actor=actor,
        target=request,
        task_action=action,
        opened=len(new_tasks),
        system_ids=[task.system_id for task in new_tasks],
    )
    return list(request.tasks.select_related("system"))


# --- Resolving a task -------------------------------------------------------------------------


def kept_reason_for_hold():
    return KeptReason.LEGAL_HOLD


@transaction.atomic
def resolve_task(task, *, actor, resolution, kept_reason=None, note=""):
    """Close one task.

    erased / anonymised / archived dispose of the subject's records in the task's system through
    the retention services. Records a legal hold covers are never disposed: the free ones are,
    and the task is then closed as kept with the reason "legal hold" and the counts in the note.
    "kept" closes it with a reason (AML/CFT record keeping, tax records, a pending claim …);
    "done" closes a correction, restriction, export or stop-processing task.
    Returns the task; its ``outcome`` attribute holds the counts.
    """
    task = RequestTask.objects.select_for_update().select_related("system").get(pk=task.pk)
    request = _lock(task.request)
    _require_open(request)
    if task.status != TaskStatus.OPEN:
        raise ValidationError(
            _("The task for %(system)s is already closed.") % {"system": task.system}
        )
    note = (note or "").strip()
    disposed = held = 0
    approval = None
    if resolution == Resolution.KEPT:
        if kept_reason not in KeptReason.values:
            raise ValidationError(_("Say why the data is kept."))
        if kept_reason == KeptReason.OTHER and not note:
            raise ValidationError(_("Name the legal requirement that keeps the data in the note."))
        task.status, task.kept_reason = TaskStatus.KEPT, kept_reason
    elif resolution in RESOLUTIONS_FOR_ACTION.get(task.action, ()):
        if resolution in DISPOSAL:
            _require_subject(request)
            if request.identity_status != IdentityStatus.VERIFIED:
                raise ValidationError(
                    _("Verify the requester's identity before disposing of any data.")
                )
            approval = disposal_approval(task, resolution, actor=actor)
            if approval is not None and not approval.confirmed:
                task.first_approval = approval  # recorded; the task stays open
                task.outcome = {"disposed": 0, "held": 0}
                return task
            end_action, done_action = DISPOSAL[resolution]
            records = subject_records(request, task.system)
            result = dispose_records(records, actor=actor, action=end_action, reason="request")
            disposed, held = result.disposed, result.held
            task.action = done_action
            # The counts are kept as numbers, not a sentence in the DPO's language: the letter
            # says them in its own.
            task.disposed_count, task.held_count = disposed, held
            if held:
                task.status, task.kept_reason = TaskStatus.KEPT, kept_reason_for_hold()
            else:
                task.status, task.kept_reason = TaskStatus.DONE, ""
        else:
            task.status, task.kept_reason = TaskStatus.DONE, ""
    else:
        raise ValidationError(
            _("A task to %(action)s cannot be closed as “%(resolution)s”.")
            % {"action": task.get_action_display().lower(), "resolution": resolution}
        )
    task.note = note
    task.resolved_by, task.resolved_at = actor, timezone.now()
    task._history_user = actor
    task.save()
    AuditEvent.record(
        "requests.task_resolved",
        organisation=request.organisation,
        actor=actor,
        target=request,
        task_id=task.pk,
        system_id=task.system_id,
        resolution=resolution,
        status=task.status,
        kept_reason=task.kept_reason,
        disposed=disposed,
        kept_on_hold=held,
        # Four eyes: both DPOs of the disposal, beside their own approval events.
        approved_by=[approval.first_by_id, approval.second_by_id] if approval else [],
    )
    task.outcome = {"disposed": disposed, "held": held}
    return task


def disposal_approval(task, resolution, *, actor):
    """Four eyes (the organisation's setting) on disposing of the person's records in one
    system on request, which cannot be undone: the first DPO's resolution is recorded as a first
    approval, and the same resolution by a second DPO confirms it and goes ahead. Returns the
    approval (None with the setting off); refuses a different disposal while one waits."""
    if not requires_second_approval(task.request.organisation):
        return None
    step = DISPOSAL_STEP[resolution]
    for other in DISPOSAL_STEP.values():
        waiting = open_approval(action=other, target=task) if other != step else None
        if waiting is not None:
            raise ValidationError(
                _(
                    "%(name)s approved closing this task as “%(resolution)s”: a second DPO "
                    "confirms that resolution, or closes the task as kept."
                )
                % {
                    "name": waiting.first_by.get_full_name() or waiting.first_by.get_username(),
                    "resolution": Resolution(RESOLUTION_OF_STEP[other]).label,
                }
            )
    return confirm_second_approval(action=step, target=task, actor=actor)


def held_record_count(request, system):
    """How many of the subject's records in ``system`` a legal hold covers (shown on the task)."""
    return held_records(subject_records(request, system)).count()


# --- Consent withdrawal -----------------------------------------------------------------------


@transaction.atomic
def withdraw_consents(request, *, actor, activities):
    """Withdraw the subject's active consents for ``activities`` (ProcessingActivity rows or ids),
    with effect from when the request was received, and start the retention clock of the records
    held only on them. Returns the number of consents withdrawn."""
    from retention.sweep import start_withdrawn_consent_clocks

    request = _lock(request)
    _require_open(request)
    _require_subject(request)
    activity_ids = [getattr(a, "pk", a) for a in activities]
    consents = list(
        Consent.objects.active().filter(subject_id=request.subject_id, activity_id__in=activity_ids)
    )
    channel = CONSENT_CHANNEL_FOR_REQUEST.get(request.channel, ConsentChannel.PAPER)
    for consent in consents:
        # The person withdrew when they asked; a consent given after that is withdrawn now.
        at = max(request.received_at, consent.given_at)
        withdraw_consent(consent, actor=actor, channel=channel, at=min(at, timezone.now()))
    started = start_withdrawn_consent_clocks(subject_records(request)) if consents else 0
    AuditEvent.record(
        "requests.consents_withdrawn",
        organisation=request.organisation,
        actor=actor,
        target=request,
        consents=len(consents),
        activity_ids=activity_ids,
        clocks_started=started,
    )
    return len(consents)


# --- Completing -------------------------------------------------------------------------------


def kept_explanation(tasks):
    """The kept part of a partial answer (seed 003, 7.1.1): system by system, why it stays."""
    lines = []
    for task in tasks:
        if task.status != TaskStatus.KEPT:
            continue
        line = _("%(system)s: kept — %(reason)s.") % {
            "system": task.system.name,
            "reason": task.get_kept_reason_display(),
        }
        line = " ".join(part for part in (line, task.counts_sentence(), task.note) if part)
        lines.append(line)
    return "\n".join(lines)


def outcome_for(tasks):
    if any(task.status == TaskStatus.KEPT for task in tasks):
        return RequestStatus.PARTIALLY_COMPLETED
    return RequestStatus.COMPLETED


@transaction.atomic
def complete_request(
    request, *, actor, reason="", status=None, at=None, letter_language=None, letter_channel=None
):
    """Answer a request: completed, or partially completed with the kept part explained (the
    outcome follows from the tasks unless ``status`` asks for one; close_request refuses what
    the lifecycle does not allow). With ``letter_language`` the answer is prepared and sent
    (e-mail) or left to post as part of closing, while the requester can still be addressed.
    For a deletion, the person is then erased from the portal itself; a letter the mail server
    refuses rolls the whole closing back, so nobody is erased without their answer. Under four
    eyes, a deletion that may close records the first DPO's approval and stays open."""
    request = _lock(request)
    _require_open(request)
    tasks = list(request.tasks.select_related("system"))
    status = status or outcome_for(tasks)
    explanation = "\n".join(part for part in (kept_explanation(tasks), reason.strip()) if part)
    # The lifecycle's refusal comes before any approval: a second DPO confirms a closing that
    # may happen, never one that would be refused.
    problems = lifecycle.closing_problems(
        request, status, reason=explanation, on=deadlines.local_date(at) if at else None
    )
    if problems:
        raise ValidationError(problems)
    if erasure_awaits_second_approval(request, actor=actor):
        return request  # first approval recorded; the request stays open
    request = close_request(request, status=status, reason=explanation, actor=actor, at=at)
    if letter_language:
        letters.send_final_letter(
            request, language=letter_language, channel=letter_channel, actor=actor
        )
    if request.kind == RequestKind.DELETION and request.subject_id:
        erase_in_portal(request, actor=actor)
    return request


def erasure_awaits_second_approval(request, *, actor):
    """Four eyes (the organisation's setting): completing a deletion erases the person, which
    cannot be undone, so a first DPO's call is recorded and a second DPO's call goes ahead."""
    if request.kind != RequestKind.DELETION or not request.subject_id:
        return False
    if not requires_second_approval(request.organisation):
        return False
    return not confirm_second_approval(
        action=ERASURE_COMPLETION, target=request, actor=actor
    ).confirmed


def change_status(
    request,
    *,
    to,
    actor,
    reason="",
    refusal_ground="",
    lateness_note="",
    letter_language=None,
    letter_channel=None,
):
    """Move ``request`` along one transition of lifecycle.TRANSITIONS, through the use case that
    makes it (the request page's status control calls this; so do the tests of the table)."""
    if to not in RequestStatus.values or not lifecycle.is_allowed(request.status, to):
        lifecycle.move(request, to if to in RequestStatus.values else request.status)
        raise ValidationError(_("Choose a change of status."))
    if to == RequestStatus.IN_PROGRESS and request.status == RequestStatus.PAUSED:
        return resume_request(request, actor=actor)
    if to == RequestStatus.IN_PROGRESS:
        return start_handling(request, actor=actor)
    if to == RequestStatus.PAUSED:
        return pause_request(request, reason=reason, actor=actor)
    if to in lifecycle.ANSWER_STATUSES:
        # Answering explains the kept part and, for a deletion, erases the person after.
        return complete_request(
            request,
            actor=actor,
            reason=reason,
            status=to,
            letter_language=letter_language,
            letter_channel=letter_channel,
        )
    return close_request(
        request,
        status=to,
        reason=reason,
        refusal_ground=refusal_ground,
        lateness_note=lateness_note,
        actor=actor,
    )


def erase_in_portal(request, *, actor):
    """Scrub the subject from the portal: consent evidence, what they told us in their requests
    (live rows, history, letters), the access packages built for them, then the subject row and
    its history (register.services.erase_subject leaves the keyed-hash suppression entries)."""
    subject = request.subject
    scrub_consent_evidence(subject, actor=actor)
    request_ids = set(
        SubjectRequest.objects.filter(
            Q(subject_id=subject.pk) | Q(pk=request.pk), organisation_id=request.organisation_id
        ).values_list("pk", flat=True)
    )
    scrub_requester_details(request_ids)
    packages = Job.objects.filter(
        organisation_id=request.organisation_id,
        kind=ACCESS_PACKAGE_JOB,
        parameters__request_id__in=list(request_ids),
    ).update(result=None, result_name="", result_content_type="", updated_at=timezone.now())
    erase_subject(subject, actor=actor, reason="request")
    AuditEvent.record(
        "requests.subject_erased_in_portal",
        organisation=request.organisation,
        actor=actor,
        target=request,
        subject_id=subject.pk,
        requests_scrubbed=len(request_ids),
        access_packages_dropped=packages,
    )
