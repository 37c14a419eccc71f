"""What other pages show of the recipient register: a dashboard panel and the disclosures section
of a data subject's page.

The register's own `subject_page.py` is the section registry itself, so autodiscovery cannot
find a register section there; this module registers both and is imported by recipient_admin.py,
which admin.py imports: they exist whenever an admin page can be rendered.
"""

from django.db.models import Count, Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from dpo_portal.dashboard import Panel, panel

from .models import Disclosure, Recipient
from .roles import organisation_ids_for
from .subject_page import SubjectSection, subject_section

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


@subject_section(order=40)
def disclosures(request, subject):
    """Disclosures to state and law-enforcement bodies that named this person."""
    user = request.user
    if not (
        user.is_superuser
        or subject.organisation_id in organisation_ids_for(user, "register.view_disclosure")
    ):
        return None
    items = (
        Disclosure.objects.about(subject)
        .select_related("recipient")
        .prefetch_related("categories")
        .order_by("-disclosed_on", "-pk")
    )
    return SubjectSection(
        title=_("Disclosures to state and law-enforcement bodies"),
        template="register/recipient/subject_disclosures.html",
        context={"disclosures": items},
    )
