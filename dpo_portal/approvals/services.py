"""Four eyes on irreversible steps, for every app that has one (disposal approval, erasure
completion, hold release). The step's own service calls, inside its transaction, before it acts:

    if requires_second_approval(organisation):
        approval = confirm_second_approval(action=STEP, target=obj, actor=actor)
        if not approval.confirmed:
            return obj  # the first approval is recorded; a second person must confirm

The first call records the first approval; a call by another person confirms it and the step
goes ahead; the first person cannot confirm their own approval.
"""

from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import CharField
from django.db.models.functions import Cast
from django.utils import timezone
from django.utils.translation import gettext as _

from dpo_portal.audit.models import AuditEvent
from dpo_portal.register.roles import signatory

from .models import SecondApproval

DISPOSAL_APPROVAL = "retention.approve_batch"
HOLD_RELEASE = "retention.release_hold"
ERASURE_COMPLETION = "requests.complete_erasure"
# Resolving a request's per-system task by disposing of the person's records there, one step per
# end action: a confirmation answers the very disposal the first DPO approved.
TASK_ERASURE = "requests.erase_task_records"
TASK_ANONYMISATION = "requests.anonymise_task_records"
TASK_ARCHIVING = "requests.archive_task_records"


def requires_second_approval(organisation):
    return organisation.four_eyes


def open_approval(*, action, target):
    """The first approval waiting for its confirmation, or None."""
    return (
        SecondApproval.objects.filter(
            action=action,
            target_type=ContentType.objects.get_for_model(target),
            target_id=str(target.pk),
            second_at__isnull=True,
        )
        .select_related("first_by")
        .first()
    )


def open_approvals(*, actions, targets):
    """The first approvals waiting for their confirmation on ``targets`` (a queryset of one
    model) for any of ``actions``: one query whatever the number of targets (a page listing
    many steps), or a part of one (read_together)."""
    target_ids = targets.annotate(approval_target_id=Cast("pk", CharField()))
    return SecondApproval.objects.filter(
        action__in=list(actions),
        target_type=ContentType.objects.get_for_model(targets.model),
        target_id__in=target_ids.values("approval_target_id"),
        second_at__isnull=True,
    ).select_related("first_by")


@transaction.atomic
def confirm_second_approval(*, action, target, actor):
    """Record the first approval of ``action`` on ``target``, or confirm it as the second
    person. Returns the approval; ``approval.confirmed`` says whether the step may go ahead."""
    organisation = target.organisation
    target_type = ContentType.objects.get_for_model(target)
    approval = (
        SecondApproval.objects.select_for_update()
        .filter(
            action=action,
            target_type=target_type,
            target_id=str(target.pk),
            second_at__isnull=True,
        )
        .first()
    )
    now = timezone.now()
    if approval is None:
        approval = SecondApproval.objects.create(
            organisation=organisation,
            action=action,
            target_type=target_type,
            target_id=str(target.pk),
            first_by=actor,
            first_role=signatory(actor, organisation.pk)["role"],
            first_at=now,
        )
        AuditEvent.record(
            "approvals.first_given",
            organisation=organisation,
            actor=actor,
            target=target,
            step=action,
        )
        return approval
    if approval.first_by_id == actor.pk:
        raise ValidationError(
            _("You gave the first approval: a second DPO must confirm it, not you.")
        )
    approval.second_by, approval.second_at = actor, now
    approval.second_role = signatory(actor, organisation.pk)["role"]
    approval.save(update_fields=["second_by", "second_at", "second_role", "updated_at"])
    AuditEvent.record(
        "approvals.confirmed",
        organisation=organisation,
        actor=actor,
        target=target,
        step=action,
        first_by=approval.first_by_id,
        first_at=approval.first_at,
    )
    return approval


def signatures(approval, *, actor, at, organisation):
    """Who approved a step, as printed on its evidence: [{"user_id", "name", "role", "at"}],
    the first approver then the second, or the one approver where four eyes are off."""
    if approval is None:
        return [{**signatory(actor, organisation.pk), "at": at.isoformat()}]
    first = signatory(approval.first_by, organisation.pk)
    second = signatory(approval.second_by, organisation.pk)
    return [
        {
            **first,
            "role": approval.first_role or first["role"],
            "at": approval.first_at.isoformat(),
        },
        {
            **second,
            "role": approval.second_role or second["role"],
            "at": approval.second_at.isoformat(),
        },
    ]
