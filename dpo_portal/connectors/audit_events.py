"""The connectors' audit events as sentences (dpo_portal/audit/sentences.py)."""

from django.utils.translation import gettext_lazy as _

from dpo_portal.audit.sentences import Sentence

EVENTS = {
    "connectors.subjects_created": Sentence(
        _("Data subjects created by a sync"),
        _(
            "The sync of %(target)s created %(subjects)s data subjects found in its database "
            "and unknown to the register"
        ),
    ),
}
