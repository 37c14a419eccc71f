"""The requests app's audit events as sentences (dpo_portal/audit/sentences.py)."""

from django.utils.translation import gettext_lazy as _

from dpo_portal.audit.sentences import Sentence, as_date, choice, yes_no

from .mailbox import audit_events as mailbox_events
from .models import (
    DeadlineEvent,
    IdentityMethod,
    ReceiptOutcome,
    ReceiptSource,
    RequestChannel,
    RequestKind,
    RequestStatus,
    SignatureOutcome,
    TaskAction,
    TaskStatus,
)

EXTENSIONS = {
    DeadlineEvent.Kind.THIRD_PARTY_EXTENSION: _("by 7 working days (third party)"),
    DeadlineEvent.Kind.EXTENSION: _("by more months"),
}

EVENTS = {
    "requests.received": Sentence(
        _("Request received"),
        _("%(actor)s registered %(target)s (%(kind)s, by %(channel)s); due %(due_on)s"),
        kind=choice(RequestKind),
        channel=choice(RequestChannel),
        due_on=as_date,
    ),
    "requests.subject_matched": Sentence(
        _("Requester matched"),
        _("%(actor)s matched %(target)s to data subject #%(subject_id)s"),
    ),
    "requests.identity_verified": Sentence(
        _("Identity verified"),
        _("%(actor)s verified the requester's identity on %(target)s: %(method)s"),
        method=choice(IdentityMethod),
    ),
    "requests.signature_checked": Sentence(
        _("E-signature checked"),
        _(
            "%(actor)s checked the e-signature of attachment #%(attachment_id)s on %(target)s: "
            "%(outcome)s"
        ),
        outcome=choice(SignatureOutcome),
    ),
    "requests.trust_anchor_added": Sentence(
        _("E-signature trust anchor added"),
        _("%(actor)s trusted the certificate %(fingerprint)s for e-signatures"),
    ),
    "requests.identity_info_requested": Sentence(
        _("Identity information requested"),
        _(
            "%(actor)s asked the requester of %(target)s for identity information; the clock "
            "is paused"
        ),
    ),
    "requests.identity_info_received": Sentence(
        _("Identity information received"),
        _("%(actor)s recorded the identity information for %(target)s; new due date %(due_on)s"),
        due_on=as_date,
    ),
    "requests.identity_failed": Sentence(
        _("Identity not verified"),
        _("%(actor)s recorded that the requester's identity on %(target)s could not be verified"),
    ),
    "requests.deadline_extended": Sentence(
        _("Deadline extended"),
        _("%(actor)s extended %(target)s %(kind)s; new due date %(due_on)s"),
        kind=choice(EXTENSIONS),
        due_on=as_date,
    ),
    "requests.assigned": Sentence(
        _("Request assigned"), _("%(actor)s assigned %(target)s to user #%(assignee_id)s")
    ),
    "requests.letter_created": Sentence(
        _("Letter written"), _("%(actor)s wrote a letter (%(language)s) on %(target)s")
    ),
    "requests.closed": Sentence(
        _("Request closed"),
        _("%(actor)s closed %(target)s: %(status)s; answered on time: %(on_time)s"),
        status=choice(RequestStatus),
        on_time=yes_no,
    ),
    "requests.requester_details_scrubbed": Sentence(
        _("Old requester details scrubbed"),
        _(
            "%(actor)s scrubbed the requester details of %(count)s requests closed more than "
            "%(older_than_days)s days ago"
        ),
    ),
    "requests.tasks_opened": Sentence(
        _("Tasks opened"),
        _("%(actor)s opened %(opened)s tasks (%(task_action)s) on %(target)s"),
        task_action=choice(TaskAction),
    ),
    "requests.task_resolved": Sentence(
        _("Task resolved"),
        _("%(actor)s resolved the task on system #%(system_id)s of %(target)s: %(status)s"),
        status=choice(TaskStatus),
    ),
    "requests.task_receipt": Sentence(
        _("Task receipt received"),
        _(
            "System #%(system_id)s answered the task #%(task_id)s of %(target)s with a receipt "
            "(%(source)s): %(outcome)s, %(changed)s rows changed"
        ),
        source=choice(ReceiptSource),
        outcome=choice(ReceiptOutcome),
    ),
    "requests.consents_withdrawn": Sentence(
        _("Consents withdrawn on request"),
        _(
            "%(actor)s withdrew %(consents)s consents on %(target)s; %(clocks_started)s "
            "retention clocks started"
        ),
    ),
    "requests.subject_erased_in_portal": Sentence(
        _("Person erased on request"),
        _("%(actor)s erased data subject #%(subject_id)s from the portal on %(target)s"),
    ),
    "requests.access_package_started": Sentence(
        _("Access package started"),
        _("%(actor)s started the access package (%(language)s) of %(target)s"),
    ),
    "requests.access_package_built": Sentence(
        _("Access package built"),
        _(
            "The access package of %(target)s was built: %(records)s records from %(systems)s "
            "systems"
        ),
    ),
    "requests.message_sent": Sentence(
        _("Message sent to the requester"),
        _(
            "%(actor)s wrote message #%(message_id)s to the requester of %(target)s; asks for "
            "information: %(asks_for_information)s"
        ),
        asks_for_information=yes_no,
    ),
    "requests.message_received": Sentence(
        _("Message received from the requester"),
        _(
            "The requester of %(target)s wrote message #%(message_id)s (%(via)s) with "
            "%(attachments)s attachments; clock resumed: %(resumed)s"
        ),
        via=choice(RequestChannel),
        resumed=yes_no,
    ),
    "requests.unverified_discarded": Sentence(
        _("Unconfirmed privacy-centre requests discarded"),
        _(
            "%(actor)s deleted %(count)s privacy-centre requests never confirmed within "
            "%(older_than_days)s days"
        ),
    ),
    "requests.package_link_created": Sentence(
        _("Access package offered by link"),
        _(
            "%(actor)s offered the access package of %(target)s by link #%(link_id)s, valid "
            "until %(expires_at)s for %(max_downloads)s downloads"
        ),
        expires_at=as_date,
    ),
    "requests.package_downloaded": Sentence(
        _("Access package downloaded"),
        _(
            "The requester of %(target)s downloaded the access package by link #%(link_id)s "
            "(download %(download)s of %(max_downloads)s)"
        ),
    ),
    "requests.package_link_expired": Sentence(
        _("Access package link expired"),
        _(
            "%(actor)s deleted the package file of link #%(link_id)s of %(target)s after "
            "%(downloads)s downloads"
        ),
    ),
}

EVENTS |= mailbox_events.EVENTS
