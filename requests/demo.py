"""Demo subject requests for both reference customers: every kind their regime knows, every
status, some overdue, some due soon, a paused one, an extended one, letters for the answered ones.

Requesters are demo data subjects, so the request page shows matching candidates; the newest
requests are left unmatched for that reason. The fulfilment demo (requests/demo_fulfilment.py:
a deletion held in part by the AML hold) is loaded after them.
"""

import datetime
import random

from django.contrib.auth import get_user_model
from django.utils import timezone

from dpo_portal.register.models import DataSubject, Organisation

from . import deadlines, demo_fulfilment, fulfilment, letters, services
from .models import (
    IdentityMethod,
    KeptReason,
    RequestChannel,
    RequestKind,
    RequestStatus,
    SubjectRequest,
    kinds_for_regime,
)

# (days since receipt, status, what happens to it); cycled over the kinds of the regime.
SCENARIOS = [
    (1, RequestStatus.NEW, "unmatched"),
    (30, RequestStatus.IN_PROGRESS, "overdue"),
    (None, RequestStatus.IN_PROGRESS, "due soon"),
    (3, RequestStatus.PAUSED, "identity information requested"),
    (30, RequestStatus.COMPLETED, "answered on time"),
    (45, RequestStatus.PARTIALLY_COMPLETED, "answered in part"),
    (60, RequestStatus.REFUSED, "refused with reasons"),
    (12, RequestStatus.WITHDRAWN, "withdrawn"),
    (45, RequestStatus.IN_PROGRESS, "overdue, extended"),
]
ASSIGNEES = {"allall": "demo-dpo", "qonshu": "demo-dpo-both"}
CHANNELS = list(RequestChannel)


def _requester(subject):
    return {
        "requester_name": f"{subject.first_name} {subject.last_name}".strip(),
        "requester_email": subject.email,
        "requester_phone": subject.phone,
        "requester_fin": subject.fin,
        "requester_id_document": subject.id_document_number,
    }


def _days_ago_due_soon(organisation, now):
    """Days since a receipt whose answer is due today or within 2 working days, whatever the
    calendar around today looks like."""
    calendar = deadlines.organisation_calendar(organisation)
    today = timezone.localtime(now).date()
    limit = calendar.add_working_days(today, deadlines.DUE_SOON_WORKING_DAYS)
    for days in range(1, 60):
        due, _paused = deadlines.compute_due(
            organisation.regime, today - datetime.timedelta(days=days), (), calendar
        )
        if today <= due <= limit:
            return days
    return 8


def _request(organisation, kind, scenario, subject, assignee, now):
    days, status, label = scenario
    if days is None:
        days = _days_ago_due_soon(organisation, now)
    received_at = now - datetime.timedelta(days=days)
    request = services.register_request(
        SubjectRequest(
            organisation=organisation,
            kind=kind,
            channel=random.choice(CHANNELS),
            received_at=received_at,
            details=f"Demo request: {label}.",
            assignee=assignee if status != RequestStatus.NEW else None,
            **_requester(subject),
        ),
        actor=None,
        # Registered on the day it arrived, as intake expects (no "registered late" note).
        today=deadlines.local_date(received_at),
    )
    if status == RequestStatus.NEW:
        return request
    services.match_subject(request, subject, actor=assignee)
    step = datetime.timedelta(days=1)
    if status == RequestStatus.PAUSED:
        services.request_identity_information(
            request,
            reason="The copy of the identity document is unreadable.",
            actor=assignee,
            at=received_at + step,
        )
        return request
    services.verify_identity(
        request, method=random.choice(list(IdentityMethod)), actor=assignee, at=received_at + step
    )
    if "extended" in label:
        services.extend_deadline(
            request,
            reason="The credit bureau must supply the credit history.",
            actor=assignee,
            at=received_at + 2 * step,
        )
    if status in (RequestStatus.IN_PROGRESS,):
        return request
    # Closed the way the lifecycle allows: an answer after every system's task is resolved
    # (one kept under AML/CFT record keeping for the answer in part), a refusal on its ground.
    # One answer in part came late, so the report's on-time rate has something to show.
    closed_at = received_at + (15 if status == RequestStatus.PARTIALLY_COMPLETED else 5) * step
    if status in (RequestStatus.COMPLETED, RequestStatus.PARTIALLY_COMPLETED):
        _resolve_tasks(request, assignee, keep_one=status == RequestStatus.PARTIALLY_COMPLETED)
        for actor in (assignee, demo_fulfilment.second_dpo(organisation, assignee)):
            # Under four eyes a deletion's closing needs a second DPO; otherwise one suffices.
            request = fulfilment.complete_request(
                request,
                actor=actor,
                status=status,
                reason="" if status == RequestStatus.COMPLETED else PARTIAL_REASON,
                at=closed_at,
            )
            if not request.is_open:
                break
    else:
        services.close_request(
            request,
            status=status,
            reason=CLOSING_REASONS[status],
            refusal_ground="identity_not_established" if status == RequestStatus.REFUSED else "",
            actor=assignee,
            at=closed_at,
        )
    language = (organisation.language_list or ["az"])[0]
    letters.create_letter(request, language=language, actor=assignee)
    return request


PARTIAL_REASON = "Loan records are kept under AML/CFT record keeping."
CLOSING_REASONS = {
    RequestStatus.REFUSED: "The requester's identity could not be linked to any customer.",
    RequestStatus.WITHDRAWN: "The requester withdrew the request by phone.",
}


def _resolve_tasks(request, actor, *, keep_one):
    """Open the kind's tasks and resolve each the way its action is done (the first kept)."""
    if fulfilment.task_action_for(request) is None:
        return
    for n, task in enumerate(fulfilment.open_tasks_for(request, actor=actor)):
        if keep_one and n == 0:
            fulfilment.resolve_task(
                task,
                actor=actor,
                resolution=fulfilment.Resolution.KEPT,
                kept_reason=KeptReason.AML_CFT,
            )
            continue
        resolution = fulfilment.RESOLUTIONS_FOR_ACTION[task.action][0]
        demo_fulfilment.resolve_with_four_eyes(task, actor=actor, resolution=resolution)


def load(stdout, subjects_per_organisation):
    _load_requests(stdout)
    # The fulfilment demo: a deletion blocked in part by the AML hold (idempotent on its own).
    demo_fulfilment.load_blocked_deletion(stdout)


def _load_requests(stdout):
    organisations = list(Organisation.objects.filter(slug__in=ASSIGNEES).order_by("slug"))
    if not organisations:
        stdout.write("Requests: the register's demo organisations are missing, nothing added.")
        return
    if SubjectRequest.objects.filter(organisation__in=organisations).exists():
        stdout.write("Requests: demo requests exist already, nothing added.")
        return
    users = {
        u.username: u for u in get_user_model().objects.filter(username__in=ASSIGNEES.values())
    }
    now = timezone.now()
    made = 0
    for organisation in organisations:
        assignee = users.get(ASSIGNEES[organisation.slug])
        subjects = list(
            DataSubject.objects.active()
            .filter(organisation=organisation)
            .exclude(email="")
            .order_by("pk")[:200]
        )
        if not subjects:
            continue
        kinds = kinds_for_regime(organisation.regime)
        # Every kind once, each with the next scenario; then every scenario once more on a
        # deletion or an access request, so each status shows up for each organisation.
        plan = [(kind, SCENARIOS[n % len(SCENARIOS)]) for n, kind in enumerate(kinds)]
        plan += [
            (RequestKind.DELETION if n % 2 else RequestKind.ACCESS, scenario)
            for n, scenario in enumerate(SCENARIOS)
        ]
        for kind, scenario in plan:
            if not subjects:
                break
            subject = random.choice(subjects)
            _request(organisation, kind, scenario, subject, assignee, now)
            made += 1
            subject.refresh_from_db(fields=["erased_at"])
            if subject.is_erased:
                subjects.remove(subject)  # a completed deletion: nobody asks about them again
    stdout.write(f"Requests: {made} demo subject requests.")
