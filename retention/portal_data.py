"""The portal's own copies of personal data are under retention too.

Withdrawn consents keep proving that past processing was lawful, but the evidence reference (a
form number, a scan id, a call id) has no purpose left once the period in
settings.PORTAL_RETENTION["withdrawn_consent_evidence_days"] has passed since the withdrawal.
consent.services.scrub_consent_evidence works person by person (for erasure by request); this
daily job needs one set-based UPDATE over every organisation, so it writes the same two updates
(live rows and their history) in bulk.
"""

import datetime

from django.conf import settings
from django.db import transaction
from django.db.models import Count
from django.utils import timezone

from consent.models import Consent
from dpo_portal.audit.models import AuditEvent
from dpo_portal.register.models import Organisation

DEFAULTS = {"withdrawn_consent_evidence_days": 365}


def period_days(key):
    return int({**DEFAULTS, **getattr(settings, "PORTAL_RETENTION", {})}[key])


@transaction.atomic
def scrub_withdrawn_consent_evidence(*, now=None):
    """Returns the number of consents scrubbed; one AuditEvent per organisation touched."""
    now = now or timezone.now()
    cutoff = now - datetime.timedelta(days=period_days("withdrawn_consent_evidence_days"))
    stale = Consent.objects.filter(withdrawn_at__lte=cutoff).exclude(evidence_reference="")
    per_organisation = dict(stale.order_by().values_list("organisation_id").annotate(n=Count("pk")))
    if not per_organisation:
        return 0
    # History rows of those consents, including versions from before the withdrawal.
    Consent.history.filter(id__in=stale.values("pk")).exclude(evidence_reference="").update(
        evidence_reference=""
    )
    count = stale.update(evidence_reference="", updated_at=now)
    for organisation in Organisation.objects.filter(pk__in=per_organisation):
        AuditEvent.record(
            "retention.consent_evidence_scrubbed",
            organisation=organisation,
            consents=per_organisation[organisation.pk],
            older_than_days=period_days("withdrawn_consent_evidence_days"),
        )
    return count
