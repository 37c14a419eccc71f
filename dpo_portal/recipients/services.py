"""Recipient reviews and disclosures: the writes of the recipient register.

Each takes a keyword-only ``actor``, runs in one transaction and writes its own audit event
(ids, dates and checklist flags only: the note stays in the review row).
"""

from django.db import transaction
from django.utils import timezone

from dpo_portal.audit.models import AuditEvent
from dpo_portal.register.models import Recipient, RecipientReview

CHECKLIST = RecipientReview.CHECKLIST


@transaction.atomic
def mark_reviewed(recipients, *, actor, reviewed_on=None, note="", **checklist):
    """Record one review per recipient, move its last/next review dates, and keep it all:
    a RecipientReview row, a history row of the recipient and an audit event each.

    ``checklist`` holds the booleans of RecipientReview.CHECKLIST. Returns the reviews.
    """
    unknown = set(checklist) - set(CHECKLIST)
    if unknown:
        raise TypeError(f"unknown checklist items: {sorted(unknown)}")
    reviewed_on = reviewed_on or timezone.localdate()
    reviews = []
    # Lock the rows: two officers reviewing at once both get their review kept, in order.
    locked = (
        Recipient.objects.select_for_update(of=("self",))
        .select_related("organisation")
        .filter(pk__in=[r.pk for r in recipients])
        .order_by("pk")
    )
    for recipient in locked:
        next_due = recipient.review_due_after(reviewed_on)
        review = RecipientReview.objects.create(
            recipient=recipient,
            reviewed_on=reviewed_on,
            reviewed_by=actor,
            note=note,
            next_review_due=next_due,
            **{name: bool(checklist.get(name)) for name in CHECKLIST},
        )
        # A backdated review must not move the dates back past a later one.
        if recipient.last_reviewed_on is None or reviewed_on >= recipient.last_reviewed_on:
            recipient.last_reviewed_on = reviewed_on
            recipient.next_review_due = next_due
            recipient._history_user = actor
            recipient._change_reason = "review"
            recipient.save(update_fields=["last_reviewed_on", "next_review_due", "updated_at"])
        AuditEvent.record(
            "register.recipient_reviewed",
            organisation=recipient.organisation,
            actor=actor,
            target=recipient,
            review=review.pk,
            reviewed_on=reviewed_on,
            next_review_due=next_due,
            checklist={name: getattr(review, name) for name in CHECKLIST},
        )
        reviews.append(review)
    return reviews


def record_disclosure(disclosure, *, actor, created):
    """Audit a disclosure saved with its subjects and categories (called after save_related).
    The event carries counts and the body's id, never who was disclosed."""
    AuditEvent.record(
        "register.disclosure_logged" if created else "register.disclosure_changed",
        organisation=disclosure.organisation,
        actor=actor,
        target=disclosure,
        recipient=disclosure.recipient_id,
        disclosed_on=disclosure.disclosed_on,
        subjects=disclosure.subjects.count(),
        categories=sorted(disclosure.categories.values_list("code", flat=True)),
    )
