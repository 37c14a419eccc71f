from django.db.models import Count, Q
from django.utils.translation import gettext_lazy as _

from dpo_portal.dashboard import Panel, panel

from .models import DataCategory, Recipient, System


@panel(order=10)
def register_completeness(request, organisations):
    """Gaps in the register, counted per organisation in three aggregate queries."""
    if not request.user.has_perm("register.view_system"):
        return None
    ids = list(organisations.values_list("pk", flat=True))
    systems = System.objects.filter(organisation_id__in=ids).aggregate(
        without_owner=Count("pk", filter=Q(owner="")),
        unregistered=Count("pk", filter=Q(subject_count__gte=1000, registration_number="")),
    )
    recipients_without_contract = (
        Recipient.objects.filter(organisation_id__in=ids).without_contract().count()
    )
    unused_categories = DataCategory.objects.filter(organisation_id__in=ids).unused().count()
    rows = [
        (_("Systems without an owner"), systems["without_owner"], "register/system/?gap=owner"),
        (
            _("Systems of 1,000+ subjects without state registration"),
            systems["unregistered"],
            "register/system/?gap=registration",
        ),
        (
            _("Recipients without a contract"),
            recipients_without_contract,
            "register/recipient/?contract=none",
        ),
        (
            _("Data categories used nowhere"),
            unused_categories,
            "register/datacategory/?usage=unused",
        ),
    ]
    return Panel(
        title=_("Register completeness"),
        template="register/dashboard_completeness.html",
        context={"rows": rows},
    )
