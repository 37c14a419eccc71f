"""Daily reminders: each assignee gets their requests due within 2 working days or overdue; each
organisation's DPOs get the overdue ones. One mail per person, organisation and day, whichever
worker runs the job and however often (notifications.send_once claims the day first).

The mails name requests by reference, kind and due date: never the requester.
"""

from django.contrib.auth import get_user_model
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from dpo_portal.notifications.mail import render_mail
from dpo_portal.notifications.models import send_once
from dpo_portal.register.models import Organisation, Role

from .models import OPEN_STATUSES, RequestTask, SubjectRequest, Urgency

ASSIGNEE_KIND = "requests.assignee_reminder"
TASK_OWNER_KIND = "requests.task_owner_reminder"
OVERDUE_KIND = "requests.overdue_to_dpos"


def _language(organisation):
    return (organisation.language_list or ["az"])[0]


def send_request_reminders(on=None):
    """Returns the number of mails sent."""
    on = on or timezone.localdate()
    return _send_request_reminders(on) + send_task_reminders(on)


def send_task_reminders(on):
    """Each task owner gets their open tasks due within 2 days or overdue, per organisation."""
    tasks = list(
        RequestTask.objects.pressing(on)
        .filter(owner__is_active=True, request__status__in=OPEN_STATUSES)
        .select_related("owner", "system", "request", "organisation")
        .order_by("organisation_id", "owner_id", "due_on", "pk")
    )
    grouped = {}
    for task in tasks:
        grouped.setdefault((task.organisation, task.owner), []).append(task)
    sent = 0
    for (organisation, owner), theirs in grouped.items():
        with translation.override(_language(organisation)):
            sent += send_once(
                kind=TASK_OWNER_KIND,
                organisation=organisation,
                user=owner,
                period=on.isoformat(),
                subject=_("%(organisation)s: %(count)d of your request tasks are due")
                % {"organisation": organisation.name, "count": len(theirs)},
                mail=render_mail(
                    "requests/email/task_owner_reminder",
                    {"organisation": organisation, "tasks": theirs, "on": on},
                ),
                item_count=len(theirs),
            )
    return sent


def _send_request_reminders(on):
    period = on.isoformat()
    pressing = list(
        SubjectRequest.objects.open()
        .with_urgency(on)
        .filter(urgency__in=[Urgency.OVERDUE, Urgency.DUE_SOON])
        .select_related("assignee")
        .order_by("organisation_id", "due_on", "reference")
    )
    by_organisation = {}
    for item in pressing:
        by_organisation.setdefault(item.organisation_id, []).append(item)
    dpos = (
        get_user_model()
        .objects.filter(
            is_active=True,
            memberships__role=Role.DPO,
            memberships__organisation_id__in=list(by_organisation),
        )
        .values_list("memberships__organisation_id", "pk")
    )
    dpo_ids = {}
    for organisation_id, user_id in dpos:
        dpo_ids.setdefault(organisation_id, set()).add(user_id)
    users = get_user_model().objects.in_bulk({uid for ids in dpo_ids.values() for uid in ids})
    sent = 0
    for organisation in Organisation.objects.filter(pk__in=by_organisation):
        items = by_organisation[organisation.pk]
        with translation.override(_language(organisation)):
            by_assignee = {}
            for item in items:
                if item.assignee is not None and item.assignee.is_active:
                    by_assignee.setdefault(item.assignee, []).append(item)
            for assignee, theirs in by_assignee.items():
                sent += send_once(
                    kind=ASSIGNEE_KIND,
                    organisation=organisation,
                    user=assignee,
                    period=period,
                    subject=_("%(organisation)s: %(count)d of your requests need an answer soon")
                    % {"organisation": organisation.name, "count": len(theirs)},
                    mail=render_mail(
                        "requests/email/assignee_reminder",
                        {"organisation": organisation, "requests": theirs, "on": on},
                    ),
                    item_count=len(theirs),
                )
            overdue = [item for item in items if item.urgency == Urgency.OVERDUE]
            if not overdue:
                continue
            subject = _("%(organisation)s: %(count)d subject requests are overdue") % {
                "organisation": organisation.name,
                "count": len(overdue),
            }
            mail = render_mail(
                "requests/email/overdue_reminder",
                {"organisation": organisation, "requests": overdue, "on": on},
            )
            for user_id in sorted(dpo_ids.get(organisation.pk, ())):
                sent += send_once(
                    kind=OVERDUE_KIND,
                    organisation=organisation,
                    user=users[user_id],
                    period=period,
                    subject=subject,
                    mail=mail,
                    item_count=len(overdue),
                )
    return sent
