"""The mailbox intake's audit events as sentences (merged into requests/audit_events.py)."""

from django.utils.translation import gettext_lazy as _

from dpo_portal.audit.sentences import Sentence, choice

from ..models import RequestKind
from .models import MailboxProblem

EVENTS = {
    "requests.mail_received": Sentence(
        _("Message received"),
        _("%(target)s was read from the mailbox with %(attachments)s files kept"),
    ),
    "requests.mail_threaded": Sentence(
        _("Message joined a conversation"),
        _("%(target)s was read from the mailbox and joined request #%(request_id)s"),
    ),
    "requests.mail_turned_into_request": Sentence(
        _("Message turned into a request"),
        _("%(actor)s turned %(target)s into request #%(request_id)s (%(kind)s)"),
        kind=choice(RequestKind),
    ),
    "requests.mail_discarded": Sentence(
        _("Message discarded"),
        _("%(actor)s discarded %(target)s as not a request; its content was removed"),
    ),
    "requests.mailbox_problem": Sentence(
        _("Mailbox problem"),
        _("The mailbox %(target)s could not be read: %(problem)s"),
        problem=choice(MailboxProblem),
    ),
}
