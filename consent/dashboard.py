import datetime

from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from dpo_portal.dashboard import Panel, count, organisation_ids, panel

from .gaps import all_gaps, filter_having_gaps
from .models import Consent, ProcessingActivity


@panel(order=20)
def record_of_processing(request, organisations):
    """Activities with gaps and recent withdrawals, counted with the dashboard's other
    counters."""
    activity_orgs = organisation_ids(request, organisations, "consent.view_processingactivity")
    if not activity_orgs:
        return None
    activities = ProcessingActivity.objects.filter(organisation_id__in=activity_orgs)
    rows = [
        (
            _("Activities with gaps"),
            count(filter_having_gaps(activities)),
            "consent/processingactivity/?gap=any",
        )
    ]
    rows += [
        (
            gap.label,
            count(activities.filter(Q(gap.expression()))),
            f"consent/processingactivity/?gap={gap.code}",
        )
        for gap in all_gaps()
    ]
    consent_orgs = organisation_ids(request, organisations, "consent.view_consent")
    if consent_orgs:
        since = timezone.now() - datetime.timedelta(days=30)
        withdrawn = Consent.objects.filter(organisation_id__in=consent_orgs).withdrawn_since(since)
        rows.append(
            (
                _("Consents withdrawn in the last 30 days"),
                count(withdrawn),
                "consent/consent/?status=withdrawn_30d",
            )
        )
    return Panel(
        title=_("Record of processing"),
        template="consent/dashboard_panel.html",
        context={"rows": rows, "total": count(activities)},
    )
