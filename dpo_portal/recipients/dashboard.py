"""The recipient register's dashboard panel: reviews overdue, contracts expiring or expired,
transfers abroad without a mechanism (found by the dashboard's autodiscovery)."""

from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from dpo_portal.dashboard import Panel, count, organisation_ids, panel
from dpo_portal.register.models import Recipient

EXPIRY_WINDOW_DAYS = 60


@panel(order=15)
def recipient_register(request, organisations):
    """Reviews overdue, contracts expiring or expired, transfers without a mechanism: counted
    with the dashboard's other counters, whatever the size of the register."""
    if not request.user.has_perm("register.view_recipient"):
        return None
    today = timezone.localdate()
    recipients = Recipient.objects.filter(
        organisation_id__in=organisation_ids(request, organisations)
    )
    expiring = recipients.filter(
        contract_expires_on__gte=today,
        contract_expires_on__lte=today + timezone.timedelta(days=EXPIRY_WINDOW_DAYS),
    )
    rows = [
        (
            _("Recipient reviews overdue"),
            count(recipients.filter(next_review_due__lt=today)),
            "register/recipient/?review=overdue",
        ),
        (
            _("Contracts expiring within 60 days"),
            count(expiring),
            "register/recipient/?contract=expiring",
        ),
        (
            _("Contracts expired"),
            count(recipients.filter(contract_expires_on__lt=today)),
            "register/recipient/?contract=expired",
        ),
        (
            _("Transfers abroad without a mechanism"),
            count(recipients.abroad_without_mechanism()),
            "register/recipient/?abroad=gap",
        ),
    ]
    return Panel(
        title=_("Recipients and transfers"),
        template="register/dashboard_completeness.html",
        context={"rows": rows},
    )
