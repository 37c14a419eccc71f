"""Writes of the consent app that are use cases: each takes a keyword-only ``actor``, runs in one
transaction and writes its own audit event (ids and codes only, never personal data)."""

import datetime

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import formats, timezone
from django.utils.translation import gettext as _

from dpo_portal.audit.models import AuditEvent

from .models import Consent, ConsentChannel

# A withdrawal is recorded when it arrives; allow for clocks that disagree by a little.
FUTURE_TOLERANCE = datetime.timedelta(minutes=5)


@transaction.atomic
def withdraw_consent(consent, *, actor, channel, at=None):
    """Withdraw a consent with effect from ``at`` (now by default).

    The withdrawal acts on the future only (seed 003, 3.5): the consent row stays, with the
    date it was given and the notice version accepted, so earlier processing remains provably
    lawful. Withdrawing a consent that is already withdrawn changes nothing and returns it as
    it is. A withdrawal dated before the consent was given is refused.
    """
    at = at or timezone.now()
    if channel not in ConsentChannel.values:
        raise ValidationError(_("Unknown withdrawal channel."), code="invalid_channel")
    consent = Consent.objects.select_for_update().select_related("activity").get(pk=consent.pk)
    if consent.withdrawn_at is not None:
        return consent
    if at < consent.given_at:
        raise ValidationError(
            _("A consent cannot be withdrawn before it was given: this one was given on %(given)s.")
            % {
                "given": formats.date_format(
                    timezone.localtime(consent.given_at), "DATETIME_FORMAT"
                )
            },
            code="withdrawn_before_given",
        )
    if at > timezone.now() + FUTURE_TOLERANCE:
        raise ValidationError(
            _("A withdrawal is recorded when it is received, not ahead of time."),
            code="withdrawn_in_future",
        )
    consent.withdrawn_at = at
    consent.withdrawal_channel = channel
    consent._history_user = actor
    consent._change_reason = "withdrawn"
    consent.save(update_fields=["withdrawn_at", "withdrawal_channel", "updated_at"])
    AuditEvent.record(
        "consent.withdrawn",
        organisation=consent.organisation,
        actor=actor,
        target=consent,
        activity=consent.activity.code,
        channel=channel,
        withdrawn_at=at,
    )
    return consent


@transaction.atomic
def scrub_consent_evidence(subject, *, actor):
    """Erase what a consent row may hold about the person beyond the facts of the consent: the
    evidence reference (a form number, a document scan id, a phone-call id), from the live rows
    and from their history. The consents themselves stay (who consented to what, when, and when
    they withdrew), pointing at the scrubbed subject: they prove the past processing was lawful.

    Called by the requests app before ``register.services.erase_subject``. Returns the number of
    consents scrubbed.
    """
    consents = Consent.objects.filter(subject_id=subject.pk)
    count = consents.exclude(evidence_reference="").update(evidence_reference="")
    # A queryset update writes no history row, and the old rows are scrubbed in place.
    Consent.history.filter(subject_id=subject.pk).exclude(evidence_reference="").update(
        evidence_reference=""
    )
    AuditEvent.record(
        "consent.evidence_scrubbed",
        organisation=subject.organisation,
        actor=actor,
        target=subject,
        consents=count,
    )
    return count
