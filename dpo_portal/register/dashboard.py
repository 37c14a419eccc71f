from django.utils.translation import gettext_lazy as _

from dpo_portal.dashboard import Panel, count, organisation_ids, panel

from .models import DataCategory, Recipient, System


@panel(order=10)
def register_completeness(request, organisations):
    """Gaps in the register, counted with the dashboard's other counters (no query of its own)."""
    if not request.user.has_perm("register.view_system"):
        return None
    ids = organisation_ids(request, organisations)
    systems = System.objects.filter(organisation_id__in=ids)
    rows = [
        (
            _("Systems without an owner"),
            count(systems.filter(owner="")),
            "register/system/?gap=owner",
        ),
        (
            _("Systems of 1,000+ subjects without state registration"),
            count(systems.filter(subject_count__gte=1000, registration_number="")),
            "register/system/?gap=registration",
        ),
        (
            _("Recipients without a contract"),
            count(Recipient.objects.filter(organisation_id__in=ids).without_contract()),
            "register/recipient/?contract=none",
        ),
        (
            _("Data categories used nowhere"),
            count(DataCategory.objects.filter(organisation_id__in=ids).unused()),
            "register/datacategory/?usage=unused",
        ),
    ]
    return Panel(
        title=_("Register completeness"),
        template="register/dashboard_completeness.html",
        context={"rows": rows},
    )
