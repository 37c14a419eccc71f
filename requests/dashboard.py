from django.db.models import Count, OuterRef, Q, Subquery
from django.db.models.functions import Coalesce
from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from dpo_portal.dashboard import Panel, count_each, organisation_ids, panel, rows

from .mailbox.models import IncomingMail, IncomingMailStatus, Mailbox, MailboxProblem
from .models import SubjectRequest, Urgency

PANEL_URGENCIES = (Urgency.OVERDUE, Urgency.DUE_SOON, Urgency.ON_TRACK, Urgency.PAUSED)
URGENCY_FLAG = {Urgency.OVERDUE: "flag-bad", Urgency.DUE_SOON: "flag-warn"}


@panel(order=30)
def open_requests_by_urgency(request, organisations):
    """Open requests of the user's organisations by urgency and the user's own queue, counted
    with the dashboard's other counters (the calendars' stamp read first), each urgency on the
    index of status and due date."""
    user = request.user
    ids = organisation_ids(request, organisations, "requests.view_subjectrequest")
    if not ids:
        return None
    requests = SubjectRequest.objects.filter(organisation_id__in=ids)
    conditions = requests.urgency_conditions(
        organisations=[o for o in organisations if o.pk in ids]
    )
    changelist = reverse("admin:requests_subjectrequest_changelist")

    def shown(counts):
        rows = [
            (u.label, counts[u.value], f"{changelist}?urgency={u.value}", URGENCY_FLAG.get(u, ""))
            for u in PANEL_URGENCIES
        ]
        return {"rows": rows, "mine": counts["mine"]}

    return Panel(
        title=_("Open subject requests"),
        template="requests/dashboard_panel.html",
        context={
            # The user's own open requests counted with them.
            "urgency": count_each(requests.open(), then=shown, **conditions, mine=Q(assignee=user)),
            "my_queue_url": f"{changelist}?assignee=me",
        },
    )


@panel(order=31)
def incoming_mail(request, organisations):
    """The mailboxes of the user's organisations: drafts waiting, and any mailbox that cannot
    be read (server down, login refused, password not set). Hidden where no mailbox is named.
    Read with the dashboard's other placeholders."""
    ids = organisation_ids(request, organisations, "requests.view_incomingmail")
    if not ids:
        return None
    waiting = (
        IncomingMail.objects.filter(
            organisation_id=OuterRef("organisation_id"), status=IncomingMailStatus.DRAFT
        )
        .order_by()
        .values("organisation_id")
        .annotate(n=Count("pk"))
        .values("n")
    )
    mailboxes = (
        Mailbox.objects.filter(organisation_id__in=ids)
        .order_by("organisation__name", "pk")
        .values(
            "organisation_id",
            "organisation__name",
            "problem",
            "problem_since",
            "failed_attempts",
            "last_checked_at",
            waiting=Coalesce(Subquery(waiting), 0),
        )
    )
    changelist = reverse("admin:requests_incomingmail_changelist")
    problems = dict(MailboxProblem.choices)

    def shown(mailboxes):
        return [
            {
                "mailbox": mailbox,
                "waiting": mailbox["waiting"],
                "link": f"{changelist}?status={IncomingMailStatus.DRAFT}"
                f"&organisation={mailbox['organisation_id']}",
                "problem": problems.get(mailbox["problem"], ""),
            }
            for mailbox in mailboxes
        ]

    return Panel(
        title=_("Incoming mail"),
        template="requests/mailbox/dashboard_panel.html",
        context={"rows": rows(mailboxes, then=shown)},
        hidden_unless="rows",
    )
