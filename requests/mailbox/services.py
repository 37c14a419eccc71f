"""The DPO's decisions on a draft from the mailbox.

Turned into a request, the draft goes through the intake service (channel e-mail, received on
the message's date) and what the sender wrote moves to the request: name and address as the
requester's, subject and text as the details, the message itself as the application (.eml)
and its files as correspondence, all under the request's attachment, scrubbing and erasure
rules. Discarded as not a request, the draft's content and files are removed at once. Either
way the draft keeps only its key, dates and decision, and an audit event says who decided.
"""

import email.message
import email.utils

from django.core.exceptions import ValidationError
from django.core.files.base import ContentFile, File
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from dpo_portal.audit.models import AuditEvent

from .. import attachments, services
from ..models import AttachmentKind, RequestChannel, SubjectRequest, kinds_for_regime
from .models import IncomingMail, IncomingMailAttachment, IncomingMailStatus

CONTENT_FIELDS = ("sender_name", "sender_email", "subject", "body")


def application_message(mail):
    """The message as the application document: who sent it, when, its subject and text."""
    message = email.message.EmailMessage()
    message["From"] = email.utils.formataddr((mail.sender_name, mail.sender_email))
    message["To"] = mail.mailbox.username
    message["Subject"] = mail.subject
    message["Date"] = email.utils.format_datetime(mail.sent_at)
    message.set_content(mail.body or "")
    return message.as_bytes()


def _forget_content(mails, *, now):
    """Blank the drafts' content and forget their files (deleted from storage on commit)."""
    files = IncomingMailAttachment.objects.filter(mail__in=mails).exclude(stored_name="")
    names = list(files.values_list("stored_name", flat=True))
    IncomingMailAttachment.objects.filter(mail__in=mails).update(stored_name="", original_name="")
    IncomingMail.objects.filter(pk__in=[m.pk for m in mails]).update(
        **dict.fromkeys(CONTENT_FIELDS, ""), content_removed_at=now, updated_at=now
    )

    def delete_files():
        storage = attachments.storage()
        for name in names:
            storage.delete(name)

    transaction.on_commit(delete_files)


@transaction.atomic
def turn_into_request(mail, *, kind, actor, registered_late_reason=""):
    """Register the draft as a request of ``kind``; returns the request."""
    mail = (
        IncomingMail.objects.select_related("organisation", "mailbox")
        .select_for_update(of=("self",))
        .get(pk=mail.pk)
    )
    if mail.status != IncomingMailStatus.DRAFT:
        raise ValidationError(_("This message has already been dealt with."))
    if kind not in kinds_for_regime(mail.organisation.regime):
        raise ValidationError(_("Choose a kind of request of the organisation's regime."))
    details = "\n\n".join(part for part in (mail.subject.strip(), mail.body.strip()) if part)
    request = SubjectRequest(
        organisation=mail.organisation,
        kind=kind,
        channel=RequestChannel.EMAIL,
        received_at=mail.sent_at,
        requester_name=mail.sender_name,
        requester_email=mail.sender_email,
        details=details,
        registered_late_reason=(registered_late_reason or "").strip(),
    )
    services.register_request(request, actor=actor)
    attachments.attach_file(
        request,
        ContentFile(application_message(mail), name=f"{mail.reference}.eml"),
        kind=AttachmentKind.APPLICATION,
        actor=actor,
    )
    for item in mail.files.filter(kept=True).exclude(stored_name=""):
        with attachments.storage().open(item.stored_name, "rb") as handle:
            attachments.attach_file(
                request,
                File(handle, name=item.original_name or item.stored_name),
                kind=AttachmentKind.CORRESPONDENCE,
                actor=actor,
            )
    now = timezone.now()
    _forget_content([mail], now=now)
    IncomingMail.objects.filter(pk=mail.pk).update(
        status=IncomingMailStatus.REQUEST, request=request, decided_by=actor, decided_at=now
    )
    AuditEvent.record(
        "requests.mail_turned_into_request",
        organisation=mail.organisation,
        actor=actor,
        target=mail,
        request_id=request.pk,
        kind=kind,
    )
    return request


@transaction.atomic
def discard(mails, *, actor):
    """Discard drafts as not requests (a queryset the actor may change); returns how many."""
    # By ids: the admin's list queryset carries an aggregate that row locks cannot go with.
    rows = list(
        IncomingMail.objects.filter(
            pk__in=list(mails.values_list("pk", flat=True)), status=IncomingMailStatus.DRAFT
        )
        .select_related("organisation")
        .select_for_update(of=("self",))
    )
    if not rows:
        return 0
    now = timezone.now()
    _forget_content(rows, now=now)
    IncomingMail.objects.filter(pk__in=[m.pk for m in rows]).update(
        status=IncomingMailStatus.DISCARDED, decided_by=actor, decided_at=now
    )
    for mail in rows:
        AuditEvent.record(
            "requests.mail_discarded", organisation=mail.organisation, actor=actor, target=mail
        )
    return len(rows)
