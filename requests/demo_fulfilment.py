"""Demo: one deletion request at AllAll Finance that an AML/CFT legal hold blocks in part.

A customer with records in the loan system, the CRM and the AML screening system asks for
deletion; the screening file is under a legal hold (AML/CFT law: kept 5 years after the
relationship ends). The tasks are resolved: two systems erased, the screening system kept with
the reason "legal hold". The request is left open for the DPO to complete and answer, so the
demo shows the partial outcome and its letter.

Called from requests/demo.py; idempotent (the hold's reference marks it) and deterministic.
"""

import datetime

from django.contrib.auth import get_user_model
from django.db.models import Count
from django.utils import timezone

from dpo_portal.register.models import (
    DataCategory,
    DataSubject,
    Membership,
    Organisation,
    Role,
    System,
)
from retention.models import LegalHold, Record
from retention.services import place_hold

from . import fulfilment, services
from .models import IdentityMethod, RequestChannel, RequestKind, SubjectRequest

HOLD_REFERENCE = "AML/CFT-DEMO-2026-01"
SYSTEMS = ("core-loans", "crm", "aml-screening")
CATEGORY_FOR_SYSTEM = {
    "core-loans": "credit-history",
    "crm": "contact",
    "aml-screening": "due-diligence",
}


def _ensure_records(subject, systems, categories):
    """The person's records in the three systems (the retention demo may have made some)."""
    for code in SYSTEMS:
        system = systems[code]
        if Record.objects.filter(subject=subject, system=system).undisposed().exists():
            continue
        Record.objects.create(
            organisation_id=subject.organisation_id,
            subject=subject,
            system=system,
            category=categories[CATEGORY_FOR_SYSTEM[code]],
            external_id=f"DEMO-DEL-{code}-{subject.pk}",
            collected_at=datetime.date(2021, 4, 12),
        )


def load_blocked_deletion(stdout):
    organisation = Organisation.objects.filter(slug="allall").first()
    if organisation is None:
        return
    if LegalHold.objects.filter(organisation=organisation, reference=HOLD_REFERENCE).exists():
        stdout.write("Requests: the AML-blocked deletion exists already, nothing added.")
        return
    systems = {
        s.code: s for s in System.objects.filter(organisation=organisation, code__in=SYSTEMS)
    }
    categories = {
        c.code: c
        for c in DataCategory.objects.filter(
            organisation=organisation, code__in=CATEGORY_FOR_SYSTEM.values()
        )
    }
    if len(systems) < len(SYSTEMS) or len(categories) < len(CATEGORY_FOR_SYSTEM):
        return
    dpo = get_user_model().objects.filter(username="demo-dpo").first()
    # The customer with the most records, among those no request is about yet: deterministic.
    subject = (
        DataSubject.objects.active()
        .filter(organisation=organisation, requests__isnull=True)
        .exclude(fin="")
        .annotate(n=Count("records"))
        .order_by("-n", "pk")
        .first()
    )
    if subject is None:
        return
    _ensure_records(subject, systems, categories)
    screening = (
        Record.objects.filter(subject=subject, system=systems["aml-screening"])
        .undisposed()
        .order_by("pk")
        .first()
    )
    place_hold(
        organisation=organisation,
        actor=dpo,
        reason="AML/CFT law: customer due-diligence and screening files are kept for 5 years "
        "after the business relationship ends.",
        reference=HOLD_REFERENCE,
        record=screening,
    )
    request = services.register_request(
        SubjectRequest(
            organisation=organisation,
            kind=RequestKind.DELETION,
            channel=RequestChannel.PAPER_WITH_ID,
            received_at=timezone.now() - datetime.timedelta(days=3),
            requester_name=f"{subject.first_name} {subject.last_name}",
            requester_fin=subject.fin,
            requester_phone=subject.phone,
            requester_email=subject.email,
            details="Please delete my account and all my data (seed 003, 7.1).",
            assignee=dpo,
        ),
        actor=dpo,
    )
    services.match_subject(request, subject, actor=dpo)
    services.verify_identity(request, method=IdentityMethod.ID_DOCUMENT_COPY, actor=dpo)
    tasks = fulfilment.open_tasks_for(request, actor=dpo)
    for task in tasks:
        resolve_with_four_eyes(task, actor=dpo, resolution=fulfilment.Resolution.ERASED)
    stdout.write(
        f"Requests: deletion {request.reference} blocked in part by an AML/CFT hold "
        f"({len(tasks)} systems)."
    )


def second_dpo(organisation, first):
    """Another DPO of the organisation (the demo's four eyes), or None."""
    membership = (
        Membership.objects.filter(organisation=organisation, role=Role.DPO)
        .exclude(user=first)
        .select_related("user")
        .order_by("user__username")
        .first()
    )
    return membership.user if membership else None


def resolve_with_four_eyes(task, *, actor, resolution):
    """Resolve a task; where four eyes hold back a disposal, another DPO confirms it."""
    task = fulfilment.resolve_task(task, actor=actor, resolution=resolution)
    if getattr(task, "first_approval", None) is not None:
        other = second_dpo(task.organisation, actor)
        task = fulfilment.resolve_task(task, actor=other, resolution=resolution)
    return task
