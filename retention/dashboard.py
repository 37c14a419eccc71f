"""Retention's panels on the admin dashboard."""

from django.conf import settings
from django.db.models import Count, Q
from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from dpo_portal.dashboard import Panel, organisation_ids, panel

from . import connector_disposal, reports, sweep
from .legal_references import unverified_references_in_use

# Overdue records by system and disposal batches awaiting a decision, with the report's link.
panel(order=30)(reports.retention_panel)


@panel(order=29)
def unfinished_sweeps(request, organisations):
    """A sweep over the user's organisations that has been quiet without finishing (its worker
    died): said plainly, with how far it got, while the closer resumes it."""
    if not reports.may_view_report(request.user, reports.PERM):
        return None
    ids = organisation_ids(request, organisations)
    runs = sweep.unfinished_runs(ids, settings.SWEEP_QUIET_SECONDS)
    if not runs:
        return None
    progress = {
        row["run_id"]: row
        for row in sweep.SweepChunk.objects.filter(run__in=runs)
        .values("run_id")
        .annotate(total=Count("pk"), done=Count("pk", filter=Q(finished_at__isnull=False)))
    }
    return Panel(
        title=_("Unfinished sweep"),
        template="retention/dashboard_unfinished_sweeps.html",
        context={"runs": [(run, progress.get(run.pk, {})) for run in runs]},
    )


@panel(order=28)
def failed_source_disposals(request, organisations):
    """Approved batches whose run in their system's database failed: their records are not
    disposed of until someone runs it again (one query)."""
    if not request.user.has_perm("retention.view_disposalbatch"):
        return None
    batches = list(
        connector_disposal.failed_batches(organisations.values("pk")).select_related("system")
    )
    if not batches:
        return None
    return Panel(
        title=_("Disposal failed in a connected system"),
        template="retention/dashboard_failed_source_disposals.html",
        context={"batches": batches},
    )


@panel(order=90)
def unverified_legal_references(request, organisations):
    """The references the user's organisations rely on that nobody has checked against the
    official text: what to verify before quoting it to a data subject or an inspector."""
    if not request.user.has_perm("legal.view_legalreference"):
        return None
    if not organisations:
        return None
    rows = [
        (reference, where, reverse("admin:legal_legalreference_change", args=[reference.pk]))
        for reference, where in unverified_references_in_use(organisations)
    ]
    return Panel(
        title=_("Unverified legal references in use"),
        template="legal/dashboard_unverified.html",
        context={
            "rows": rows,
            "all_url": reverse("admin:legal_legalreference_changelist") + "?verified=no",
        },
    )
