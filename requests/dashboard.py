from django.db.models import Count, Q
from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from dpo_portal.dashboard import Panel, organisation_ids, panel

from .mailbox.models import IncomingMail, IncomingMailStatus, Mailbox
from .models import SubjectRequest, Urgency

PANEL_URGENCIES = (Urgency.OVERDUE, Urgency.DUE_SOON, Urgency.ON_TRACK, Urgency.PAUSED)
URGENCY_FLAG = {Urgency.OVERDUE: "flag-bad", Urgency.DUE_SOON: "flag-warn"}


@panel(order=30)
def open_requests_by_urgency(request, organisations):
    """Open requests of the user's organisations by urgency and the user's own queue: one
    aggregate query."""
    user = request.user
    ids = organisation_ids(request, organisations, "requests.view_subjectrequest")
    if not ids:
        return None
    requests = SubjectRequest.objects.filter(organisation_id__in=ids)
    # The user's own open requests counted in the same pass.
    counts = requests.urgency_counts(
        organisations=[o for o in organisations if o.pk in ids], mine=Q(assignee=user)
    )
    mine = counts["mine"]
    changelist = reverse("admin:requests_subjectrequest_changelist")
    rows = [
        (u.label, counts[u.value], f"{changelist}?urgency={u.value}", URGENCY_FLAG.get(u, ""))
        for u in PANEL_URGENCIES
    ]
    return Panel(
        title=_("Open subject requests"),
        template="requests/dashboard_panel.html",
        context={"rows": rows, "mine": mine, "my_queue_url": f"{changelist}?assignee=me"},
    )


@panel(order=31)
def incoming_mail(request, organisations):
    """The mailboxes of the user's organisations: drafts waiting, and any mailbox that cannot
    be read (server down, login refused, password not set). Hidden where no mailbox is named.
    Two queries."""
    ids = organisation_ids(request, organisations, "requests.view_incomingmail")
    mailboxes = list(
        Mailbox.objects.filter(organisation_id__in=ids)
        .select_related("organisation")
        .order_by("organisation__name")
    )
    if not mailboxes:
        return None
    waiting = dict(
        IncomingMail.objects.filter(
            organisation_id__in=[m.organisation_id for m in mailboxes],
            status=IncomingMailStatus.DRAFT,
        )
        .values_list("organisation_id")
        .annotate(n=Count("pk"))
        .values_list("organisation_id", "n")
    )
    changelist = reverse("admin:requests_incomingmail_changelist")
    rows = [
        {
            "mailbox": mailbox,
            "waiting": waiting.get(mailbox.organisation_id, 0),
            "link": f"{changelist}?status={IncomingMailStatus.DRAFT}"
            f"&organisation={mailbox.organisation_id}",
            "problem": mailbox.get_problem_display() if mailbox.problem else "",
        }
        for mailbox in mailboxes
    ]
    return Panel(
        title=_("Incoming mail"),
        template="requests/mailbox/dashboard_panel.html",
        context={"rows": rows},
    )
