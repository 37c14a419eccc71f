"""The audit chain check on the dashboard: for each organisation, when its chain was last
verified (nightly, or by manage.py verify_audit_chain) and its first broken link, if any."""

from django.urls import reverse
from django.utils.translation import gettext as _

from dpo_portal.dashboard import Panel, panel
from dpo_portal.register.roles import organisation_ids_for

from .models import AuditChainHead


@panel(order=90)
def audit_chain(request, organisations):
    allowed = organisations
    if not request.user.is_superuser:
        allowed = organisations.filter(
            pk__in=organisation_ids_for(request.user, "audit.view_auditevent")
        )
    heads = {head.pk: head for head in AuditChainHead.objects.filter(organisation__in=allowed)}
    rows = [(organisation, heads.get(organisation.pk)) for organisation in allowed.order_by("name")]
    if not rows:
        return None
    return Panel(
        title=_("Audit trail"),
        template="audit/dashboard_panel.html",
        context={"rows": rows, "list_url": reverse("admin:audit_auditevent_changelist")},
    )
