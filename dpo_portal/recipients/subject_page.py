"""The disclosures section of a data subject's page (found by the subject page's
autodiscovery in dpo_portal/register/subject_page.py)."""

from django.utils.translation import gettext_lazy as _

from dpo_portal.register.models import Disclosure
from dpo_portal.register.roles import organisation_ids_for
from dpo_portal.register.subject_page import SubjectSection, subject_section


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
        template="recipients/subject_disclosures.html",
        context={"disclosures": items},
    )
