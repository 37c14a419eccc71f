"""The audit chain check on the dashboard: for each organisation, when its chain was last
verified (nightly, or by manage.py verify_audit_chain) and its first broken link, if any."""

from django.urls import reverse
from django.utils.translation import gettext as _

from dpo_portal.dashboard import Panel, organisation_ids, panel

from .models import AuditChainHead


@panel(order=90)
def audit_chain(request, organisations):
    allowed = set(organisation_ids(request, organisations, "audit.view_auditevent"))
    if not allowed:
        return None
    heads = {head.pk: head for head in AuditChainHead.objects.filter(organisation__in=allowed)}
    # The dashboard's organisations come ordered by name.
    rows = [(o, heads.get(o.pk)) for o in organisations if o.pk in allowed]
    if not rows:
        return None
    return Panel(
        title=_("Audit trail"),
        template="audit/dashboard_panel.html",
        context={"rows": rows, "list_url": reverse("admin:audit_auditevent_changelist")},
    )
