"""The register's audit events as sentences (dpo_portal/audit/sentences.py)."""

from django.utils.translation import gettext_lazy as _

from dpo_portal.audit.sentences import Sentence, as_date, choice

ERASURE_REASONS = {"disposal": _("after a disposal"), "request": _("on request")}

EVENTS = {
    "register.subject_erased": Sentence(
        _("Person erased"),
        _("%(actor)s erased %(target)s (%(reason)s)"),
        reason=choice(ERASURE_REASONS),
    ),
    "register.recipient_reviewed": Sentence(
        _("Recipient reviewed"),
        _("%(actor)s reviewed %(target)s on %(reviewed_on)s; next review due %(next_review_due)s"),
        reviewed_on=as_date,
        next_review_due=as_date,
    ),
    "register.disclosure_logged": Sentence(
        _("Disclosure logged"),
        _(
            "%(actor)s logged %(target)s on %(disclosed_on)s: %(subjects)s people, categories "
            "%(categories)s"
        ),
        disclosed_on=as_date,
    ),
    "register.disclosure_changed": Sentence(
        _("Disclosure changed"),
        _(
            "%(actor)s changed %(target)s of %(disclosed_on)s: %(subjects)s people, "
            "categories %(categories)s"
        ),
        disclosed_on=as_date,
    ),
}
