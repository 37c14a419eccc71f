"""Retention's panels on the admin dashboard."""

from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from dpo_portal.dashboard import Panel, panel

from . import reports
from .legal_references import unverified_references_in_use

# Overdue records by system and disposal batches awaiting a decision, with the report's link.
panel(order=30)(reports.retention_panel)


@panel(order=90)
def unverified_legal_references(request, organisations):
    """The references the user's organisations rely on that nobody has checked against the
    official text: what to verify before quoting it to a data subject or an inspector."""
    if not request.user.has_perm("legal.view_legalreference"):
        return None
    ids = list(organisations.values_list("pk", flat=True))
    if not ids:
        return None
    rows = [
        (reference, where, reverse("admin:legal_legalreference_change", args=[reference.pk]))
        for reference, where in unverified_references_in_use(ids)
    ]
    return Panel(
        title=_("Unverified legal references in use"),
        template="legal/dashboard_unverified.html",
        context={
            "rows": rows,
            "all_url": reverse("admin:legal_legalreference_changelist") + "?verified=no",
        },
    )
