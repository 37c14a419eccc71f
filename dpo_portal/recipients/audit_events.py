"""The recipient register's audit events as sentences (dpo_portal/audit/sentences.py).

The codes keep their ``register.`` prefix: events already in the hash chain carry them."""

from django.utils.translation import gettext_lazy as _

from dpo_portal.audit.sentences import Sentence, as_date

EVENTS = {
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
