from django.db.models import Q
from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from dpo_portal.dashboard import Panel, panel
from dpo_portal.register.roles import organisation_ids_for

from .models import SubjectRequest, Urgency

PANEL_URGENCIES = (Urgency.OVERDUE, Urgency.DUE_SOON, Urgency.ON_TRACK, Urgency.PAUSED)
URGENCY_FLAG = {Urgency.OVERDUE: "flag-bad", Urgency.DUE_SOON: "flag-warn"}


@panel(order=30)
def open_requests_by_urgency(request, organisations):
    """Open requests of the user's organisations by urgency and the user's own queue: one
    aggregate query."""
    user = request.user
    if user.is_superuser:
        ids = list(organisations.values_list("pk", flat=True))
    else:
        ids = list(
            organisations.filter(
                pk__in=organisation_ids_for(user, "requests.view_subjectrequest")
            ).values_list("pk", flat=True)
        )
    if not ids:
        return None
    requests = SubjectRequest.objects.filter(organisation_id__in=ids)
    # The user's own open requests counted in the same pass.
    counts = requests.urgency_counts(mine=Q(assignee=user))
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
