"""The recipient register's dashboard panel: reviews overdue, contracts expiring or expired,
transfers abroad without a mechanism (found by the dashboard's autodiscovery)."""

from django.db.models import Count, Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from dpo_portal.dashboard import Panel, panel
from dpo_portal.register.models import Recipient

EXPIRY_WINDOW_DAYS = 60


@panel(order=15)
def recipient_register(request, organisations):
    """Reviews overdue, contracts expiring or expired, transfers without a mechanism: two
    aggregate queries whatever the size of the register."""
    if not request.user.has_perm("register.view_recipient"):
        return None
    today = timezone.localdate()
    recipients = Recipient.objects.filter(organisation_id__in=organisations.values("pk"))
    counts = recipients.aggregate(
        overdue=Count("pk", filter=Q(next_review_due__lt=today)),
        expiring=Count(
            "pk",
            filter=Q(
                contract_expires_on__gte=today,
                contract_expires_on__lte=today + timezone.timedelta(days=EXPIRY_WINDOW_DAYS),
            ),
        ),
        expired=Count("pk", filter=Q(contract_expires_on__lt=today)),
    )
    gaps = recipients.abroad_without_mechanism().count()
    rows = [
        (_("Recipient reviews overdue"), counts["overdue"], "register/recipient/?review=overdue"),
        (
            _("Contracts expiring within 60 days"),
            counts["expiring"],
            "register/recipient/?contract=expiring",
        ),
        (_("Contracts expired"), counts["expired"], "register/recipient/?contract=expired"),
        (
            _("Transfers abroad without a mechanism"),
            gaps,
            "register/recipient/?abroad=gap",
        ),
    ]
    return Panel(
        title=_("Recipients and transfers"),
        template="register/dashboard_completeness.html",
        context={"rows": rows},
    )
