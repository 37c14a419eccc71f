"""Builders for the request tests: an intake as the admin makes it, with a chosen due date."""

import datetime

from django.utils import timezone

from requests.models import RequestChannel, RequestKind, SubjectRequest
from requests.services import IDENTIFYING_FIELDS, LATE_REGISTRATION_DAYS, register_request


def make_request(organisation, *, due_in_days=None, status=None, assignee=None, **fields):
    """A registered request; ``due_in_days`` (relative to today) overrides the computed due date
    so a test can place it on the urgency scale without depending on the calendar."""
    fields.setdefault("kind", RequestKind.ACCESS)
    fields.setdefault("channel", RequestChannel.EMAIL)
    fields.setdefault("requester_name", "Leyla Həsənova")
    if not any(fields.get(f) for f in (*IDENTIFYING_FIELDS, "requester_address")):
        fields.setdefault("requester_email", "leyla@example.az")
    received_at = fields.get("received_at")
    if received_at and (timezone.now() - received_at).days > LATE_REGISTRATION_DAYS:
        # A test placing a request in the past registers it late, as intake requires.
        fields.setdefault("registered_late_reason", "Entered from the paper archive.")
    # A request placed in the future (a rule in force from next month) is registered as on its
    # day of receipt: intake refuses a receipt after today.
    today = timezone.localtime(received_at).date() if received_at else None
    request = register_request(
        SubjectRequest(organisation=organisation, assignee=assignee, **fields),
        actor=None,
        today=today if today and today > timezone.localdate() else None,
    )
    changes = {}
    if due_in_days is not None:
        changes["due_on"] = timezone.localdate() + datetime.timedelta(days=due_in_days)
    if status is not None:
        changes["status"] = status
        if status in ("completed", "partially_completed", "refused", "withdrawn"):
            changes["closed_at"] = timezone.now()
    if changes:
        SubjectRequest.objects.filter(pk=request.pk).update(**changes)
        request.refresh_from_db()
    return request
