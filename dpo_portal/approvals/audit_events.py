"""Sentences of the four-eyes events (dpo_portal/approvals/services.py)."""

from django.utils.translation import gettext_lazy as _

from dpo_portal.audit.sentences import Sentence, choice

from .services import (
    DISPOSAL_APPROVAL,
    ERASURE_COMPLETION,
    HOLD_RELEASE,
    TASK_ANONYMISATION,
    TASK_ARCHIVING,
    TASK_ERASURE,
)

STEPS = {
    DISPOSAL_APPROVAL: _("the disposal"),
    HOLD_RELEASE: _("the release of the hold"),
    ERASURE_COMPLETION: _("the erasure"),
    TASK_ERASURE: _("erasing the records"),
    TASK_ANONYMISATION: _("anonymising the records"),
    TASK_ARCHIVING: _("archiving the records"),
}

EVENTS = {
    "approvals.first_given": Sentence(
        _("First approval"),
        _(
            "%(actor)s gave the first approval of %(step)s of %(target)s; a second DPO must "
            "confirm it"
        ),
        step=choice(STEPS),
    ),
    "approvals.confirmed": Sentence(
        _("Second approval"),
        _("%(actor)s confirmed, as the second DPO, %(step)s of %(target)s"),
        step=choice(STEPS),
    ),
}
