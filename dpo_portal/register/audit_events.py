"""The register's audit events as sentences (dpo_portal/audit/sentences.py)."""

from django.utils.translation import gettext_lazy as _

from dpo_portal.audit.sentences import Sentence, choice

ERASURE_REASONS = {"disposal": _("after a disposal"), "request": _("on request")}

EVENTS = {
    "register.subject_erased": Sentence(
        _("Person erased"),
        _("%(actor)s erased %(target)s (%(reason)s)"),
        reason=choice(ERASURE_REASONS),
    ),
}
