import datetime

from django.db.models import Count, Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from dpo_portal.dashboard import Panel, panel
from dpo_portal.register.roles import organisation_ids_for

from .gaps import all_gaps, any_gap_condition
from .models import Consent, ProcessingActivity


def _visible(request, organisations, perm):
    ids = set(organisations.values_list("pk", flat=True))
    if request.user.is_superuser:
        return ids
    return ids & organisation_ids_for(request.user, perm)


@panel(order=20)
def record_of_processing(request, organisations):
    """Activities with gaps (one aggregate query) and recent withdrawals (one count)."""
    activity_orgs = _visible(request, organisations, "consent.view_processingactivity")
    if not activity_orgs:
        return None
    gaps = all_gaps()
    counts = ProcessingActivity.objects.filter(organisation_id__in=activity_orgs).aggregate(
        total=Count("pk"),
        with_gaps=Count("pk", filter=any_gap_condition()),
        **{gap.code: Count("pk", filter=Q(gap.expression())) for gap in gaps},
    )
    rows = [(_("Activities with gaps"), counts["with_gaps"], "consent/processingactivity/?gap=any")]
    rows += [
        (gap.label, counts[gap.code], f"consent/processingactivity/?gap={gap.code}") for gap in gaps
    ]
    consent_orgs = _visible(request, organisations, "consent.view_consent")
    if consent_orgs:
        since = timezone.now() - datetime.timedelta(days=30)
        withdrawn = (
            Consent.objects.filter(organisation_id__in=consent_orgs).withdrawn_since(since).count()
        )
        rows.append(
            (
                _("Consents withdrawn in the last 30 days"),
                withdrawn,
                "consent/consent/?status=withdrawn_30d",
            )
        )
    return Panel(
        title=_("Record of processing"),
        template="consent/dashboard_panel.html",
        context={"rows": rows, "total": counts["total"]},
    )
