"""Sections of a data subject's page: their consents, and the activities that process their data
("on what basis do you process my data?"). Shown only to roles that may view consents."""

from django.utils.translation import gettext_lazy as _

from dpo_portal.register.roles import organisation_ids_for
from dpo_portal.register.subject_page import SubjectSection, subject_section

from .models import Consent, ProcessingActivity


def _may_view_consents(request, subject):
    user = request.user
    return user.is_superuser or subject.organisation_id in organisation_ids_for(
        user, "consent.view_consent"
    )


def _consents(request, subject):
    # Both sections read the person's consents: one query per page, kept on the request.
    if getattr(request, "_subject_consents", (None,))[0] != subject.pk:
        request._subject_consents = (
            subject.pk,
            list(
                Consent.objects.filter(subject=subject)
                .select_related("activity__legal_basis", "notice")
                .order_by("-given_at")
            ),
        )
    return request._subject_consents[1]


@subject_section(order=20)
def consents(request, subject):
    if not _may_view_consents(request, subject):
        return None
    rows = _consents(request, subject)
    return SubjectSection(
        title=_("Consents"),
        template="consent/subject_consents.html",
        context={"consents": rows},
    )


@subject_section(order=25)
def activities(request, subject):
    if not _may_view_consents(request, subject):
        return None
    by_consent = {c.activity_id for c in _consents(request, subject) if c.withdrawn_at is None}
    by_type = set()
    if subject.subject_type_id:
        by_type = set(
            ProcessingActivity.subject_types.through.objects.filter(
                subjecttype_id=subject.subject_type_id
            ).values_list("processingactivity_id", flat=True)
        )
    rows = [
        {
            "activity": activity,
            "by_consent": activity.pk in by_consent,
            "by_type": activity.pk in by_type,
        }
        for activity in ProcessingActivity.objects.filter(
            organisation_id=subject.organisation_id, pk__in=by_consent | by_type
        )
        .select_related("legal_basis")
        .order_by("name")
    ]
    return SubjectSection(
        title=_("Processing activities that use this person's data"),
        template="consent/subject_activities.html",
        context={"rows": rows, "subject_type": subject.subject_type},
    )
