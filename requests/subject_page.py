"""The data subject's page lists their requests (shown to roles that may view requests)."""

from django.utils.translation import gettext_lazy as _

from dpo_portal.register.roles import organisation_ids_for
from dpo_portal.register.subject_page import SubjectSection, subject_section

from .models import SubjectRequest


@subject_section(order=40)
def subject_requests(request, subject):
    user = request.user
    if not user.is_superuser and subject.organisation_id not in organisation_ids_for(
        user, "requests.view_subjectrequest"
    ):
        return None
    rows = list(
        SubjectRequest.objects.filter(subject=subject)
        .with_urgency()
        .select_related("assignee", "organisation")
        .order_by("-received_at")
    )
    return SubjectSection(
        title=_("Subject requests"),
        template="requests/subject_requests.html",
        context={"requests": rows},
    )
