"""Consent's audit events as sentences (dpo_portal/audit/sentences.py)."""

from django.utils.translation import gettext_lazy as _

from dpo_portal.audit.sentences import Sentence, as_date, choice

from .models import ConsentChannel

EVENTS = {
    "consent.withdrawn": Sentence(
        _("Consent withdrawn"),
        _(
            "%(actor)s recorded the withdrawal of %(target)s for %(activity)s, by "
            "%(channel)s, on %(withdrawn_at)s"
        ),
        channel=choice(ConsentChannel),
        withdrawn_at=as_date,
    ),
    "consent.evidence_scrubbed": Sentence(
        _("Consent evidence scrubbed"),
        _("%(actor)s scrubbed the evidence of %(consents)s consents of %(target)s"),
    ),
}
