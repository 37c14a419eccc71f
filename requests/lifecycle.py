"""The lifecycle of a subject request, declared once: its transitions, and what closing needs.

TRANSITIONS is the only list of status changes a request may make. The services move a request
with ``move()`` (which refuses any other change), the request page offers the buttons of
``transitions_from(status)`` only, and the tests walk the whole table. ``closing_problems()`` says,
in sentences for the DPO, what is missing before a request may close with a given outcome;
``services.close_request`` refuses while the list is not empty.
"""

from dataclasses import dataclass

from django.core.exceptions import ValidationError
from django.db.models import Count
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from retention.models import Record

from .models import (
    CLOSED_STATUSES,
    TASK_ACTION_FOR_KIND,
    IdentityStatus,
    RequestKind,
    RequestStatus,
    TaskStatus,
)

NEW, IN_PROGRESS, PAUSED = RequestStatus.NEW, RequestStatus.IN_PROGRESS, RequestStatus.PAUSED
COMPLETED, PARTIALLY = RequestStatus.COMPLETED, RequestStatus.PARTIALLY_COMPLETED
REFUSED, WITHDRAWN = RequestStatus.REFUSED, RequestStatus.WITHDRAWN


@dataclass(frozen=True)
class Transition:
    source: str
    target: str
    label: str


TRANSITIONS = (
    Transition(NEW, IN_PROGRESS, gettext_lazy("Start handling")),
    Transition(NEW, PAUSED, gettext_lazy("Pause: wait for information")),
    Transition(NEW, REFUSED, gettext_lazy("Refuse")),
    Transition(NEW, WITHDRAWN, gettext_lazy("Withdrawn by the requester")),
    Transition(IN_PROGRESS, PAUSED, gettext_lazy("Pause: wait for information")),
    Transition(IN_PROGRESS, COMPLETED, gettext_lazy("Complete")),
    Transition(IN_PROGRESS, PARTIALLY, gettext_lazy("Complete in part")),
    Transition(IN_PROGRESS, REFUSED, gettext_lazy("Refuse")),
    Transition(IN_PROGRESS, WITHDRAWN, gettext_lazy("Withdrawn by the requester")),
    Transition(PAUSED, IN_PROGRESS, gettext_lazy("Resume: information received")),
    Transition(PAUSED, REFUSED, gettext_lazy("Refuse")),
    Transition(PAUSED, WITHDRAWN, gettext_lazy("Withdrawn by the requester")),
)

ALLOWED = {(t.source, t.target) for t in TRANSITIONS}

# Kinds answered with what the organisation tells anyone: how it protects data in general
# (seed 000, 7.3) is not personal data, so no identity check is needed before answering.
KINDS_WITHOUT_IDENTITY = frozenset({RequestKind.PROTECTION})

# The answer is given with the outcome (completed in whole or in part).
ANSWER_STATUSES = (COMPLETED, PARTIALLY)


def transitions_from(status):
    return [t for t in TRANSITIONS if t.source == status]


def is_allowed(source, target):
    return (source, target) in ALLOWED


def move(request, target):
    """Set ``request.status`` to ``target`` if the table allows it (the caller saves)."""
    if not is_allowed(request.status, target):
        raise ValidationError(
            _("A request that is “%(source)s” cannot become “%(target)s”.")
            % {
                "source": RequestStatus(request.status).label,
                "target": RequestStatus(target).label,
            },
            code="transition_not_allowed",
        )
    request.status = target


def needs_identity(request):
    return request.kind not in KINDS_WITHOUT_IDENTITY


def undisposed_records(request):
    if request.subject_id is None:
        return Record.objects.none()
    return Record.objects.filter(
        organisation_id=request.organisation_id, subject_id=request.subject_id
    ).undisposed()


def closing_problems(
    request,
    target,
    *,
    reason="",
    refusal_ground="",
    lateness_note="",
    on=None,
    tasks=None,
    held=None,
    held_on_consent=None,
):
    """What stands between ``request`` and closing it as ``target``: a list of sentences, empty
    when it may close. ``request`` carries its saved state: its tasks and the person's records
    are read, unless a page that has just read them gives them: ``tasks`` with their systems,
    and as held_by_system() gives them, the person's undisposed records by system (``held``)
    and, for a consent withdrawal, those kept on a consent (``held_on_consent``)."""
    if target not in CLOSED_STATUSES:
        return [_("Not a closing status.")]
    if not is_allowed(request.status, target):
        return [
            _("A request that is “%(source)s” cannot become “%(target)s”.")
            % {
                "source": RequestStatus(request.status).label,
                "target": RequestStatus(target).label,
            }
        ]
    reason = (reason or "").strip()
    if target in ANSWER_STATUSES:
        return _answer_problems(request, target, reason, tasks, held, held_on_consent)
    if target == REFUSED:
        return _refusal_problems(request, reason, refusal_ground, lateness_note, on)
    if not reason:
        return [_("Say how the requester withdrew the request.")]
    return []


def records_held_by_system(request, *, on_consent_only=False):
    """The person's undisposed records counted per system (``on_consent_only``: those kept on a
    consent alone): rows of system_id, system__name and held, for held_by_system()."""
    records = undisposed_records(request)
    if on_consent_only:
        records = records.filter(consent__isnull=False)
    return records.order_by().values("system_id", "system__name").annotate(held=Count("pk"))


def held_by_system(rows):
    """{system id: (system name, how many records it holds)} of records_held_by_system()."""
    return {row["system_id"]: (row["system__name"], row["held"]) for row in rows}


def _answer_problems(request, target, reason, tasks, held, held_on_consent):
    problems = []
    if needs_identity(request) and request.identity_status != IdentityStatus.VERIFIED:
        problems.append(_("The requester's identity is not verified."))
    if request.subject_id is None and not request.no_data_held:
        problems.append(
            _(
                "No data subject is matched: match the request to the person, or record that "
                "no data is held about them."
            )
        )
    if tasks is None:
        tasks = list(request.tasks.select_related("system"))
    still_open = [task.system.name for task in tasks if task.status == TaskStatus.OPEN]
    if still_open:
        problems.append(
            _("Tasks still open for: %(systems)s.") % {"systems": ", ".join(sorted(still_open))}
        )
    if request.subject_id is None:
        held = {}
    elif held is None and (request.no_data_held or request.kind in TASK_ACTION_FOR_KIND):
        held = held_by_system(records_held_by_system(request))
    if request.no_data_held and held:
        problems.append(
            _("“No data held” is recorded, but the inventory holds records of this person.")
        )
    if request.kind in TASK_ACTION_FOR_KIND and request.subject_id:
        kept_systems = {task.system_id for task in tasks if task.status == TaskStatus.KEPT}
        task_systems = {task.system_id for task in tasks}
        holding = held
        if request.kind == RequestKind.CONSENT_WITHDRAWAL:
            holding = held_on_consent
            if holding is None:
                holding = held_by_system(records_held_by_system(request, on_consent_only=True))
        untasked = sorted({name for pk, (name, _n) in holding.items() if pk not in task_systems})
        if untasked:
            problems.append(
                _("No task yet for the systems holding the person's records: %(systems)s.")
                % {"systems": ", ".join(untasked)}
            )
        if request.kind == RequestKind.DELETION:
            left = sum(n for pk, (_name, n) in held.items() if pk not in kept_systems)
            if left:
                problems.append(
                    _(
                        "%(n)d record(s) of the person are still held with no reason to keep "
                        "them: dispose of them or record why they are kept."
                    )
                    % {"n": left}
                )
    kept = any(task.status == TaskStatus.KEPT for task in tasks)
    if target == COMPLETED and kept:
        problems.append(
            _("Part of the data is kept: the outcome is “partially completed”, with its reasons.")
        )
    if target == PARTIALLY and not kept and not reason:
        problems.append(_("A partial answer must say what was not done and why."))
    return problems


def _refusal_problems(request, reason, refusal_ground, lateness_note, on):
    problems = []
    version = request.regime_version
    if version is None or version.refusal_ground(refusal_ground) is None:
        problems.append(_("Choose the ground of the refusal (with its legal reference)."))
    if not reason:
        problems.append(_("Write the reasons of the refusal: they are sent to the requester."))
    on = on or timezone.localdate()
    if on > request.refusal_due_on and not (lateness_note or "").strip():
        problems.append(
            _("The refusal is late (it was due by %(due)s): add a note on why.")
            % {"due": date_format(request.refusal_due_on, "DATE_FORMAT")}
        )
    return problems
