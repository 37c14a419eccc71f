"""Retention's panels on the admin dashboard."""

from django.conf import settings
from django.db.models import Count, OuterRef, Subquery
from django.db.models.functions import Coalesce
from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from dpo_portal.dashboard import Panel, organisation_ids, panel, rows
from dpo_portal.register.translation import in_language, language_columns

from . import connector_disposal, reports, sweep
from .legal_references import unverified_references_in_use
from .models import DisposalBatch

# Overdue records by system and disposal batches awaiting a decision, with the report's link.
panel(order=30)(reports.retention_panel)


@panel(order=29)
def unfinished_sweeps(request, organisations):
    """A sweep over the user's organisations that has been quiet without finishing (its worker
    died): said plainly, with how far it got, while the closer resumes it."""
    if not reports.may_view_report(request.user, reports.PERM):
        return None
    ids = set(organisation_ids(request, organisations))
    chunks = sweep.SweepChunk.objects.filter(run=OuterRef("pk")).order_by().values("run")
    runs = (
        sweep.quiet_runs(settings.SWEEP_QUIET_SECONDS)
        .order_by("started_at", "pk")
        .values(
            "day",
            "started_at",
            "organisation_ids",
            total=Coalesce(Subquery(chunks.annotate(n=Count("pk")).values("n")), 0),
            done=Coalesce(
                Subquery(
                    chunks.filter(finished_at__isnull=False).annotate(n=Count("pk")).values("n")
                ),
                0,
            ),
        )
    )

    def over_these_organisations(runs):
        # A run of every organisation has no list.
        return [
            run
            for run in runs
            if run["organisation_ids"] is None or set(run["organisation_ids"]) & ids
        ]

    return Panel(
        title=_("Unfinished sweep"),
        template="retention/dashboard_unfinished_sweeps.html",
        context={"runs": rows(runs, then=over_these_organisations)},
        hidden_unless="runs",
    )


@panel(order=28)
def failed_source_disposals(request, organisations):
    """Approved batches whose run in their system's database failed: their records are not
    disposed of until someone runs it again."""
    if not request.user.has_perm("retention.view_disposalbatch"):
        return None
    batches = connector_disposal.failed_batches(organisations.values("pk")).values(
        "pk", *language_columns("name", prefix="system__")
    )

    def shown(batches):
        return [
            {
                "pk": batch["pk"],
                "label": str(DisposalBatch(pk=batch["pk"])),
                "system": in_language(batch, "name", prefix="system__"),
            }
            for batch in batches
        ]

    return Panel(
        title=_("Disposal failed in a connected system"),
        template="retention/dashboard_failed_source_disposals.html",
        context={"batches": rows(batches, then=shown)},
        hidden_unless="batches",
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
