"""The secure conversation of a request: the DPO writes to the requester, the requester answers.

A message is kept with the request for good (in order, on the request page, the status page and
the evidence). The requester is told by e-mail that a message is waiting, never what it says: the
content is read on the status page of the privacy centre, behind the request's secret.

Asking for information (seed 000, 8.4) stops the clock through the pause service; the requester's
answer starts it again. Both use cases write their own audit event: ids and codes, no text.
"""

import hashlib
import logging

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.mail import EmailMultiAlternatives
from django.db import transaction
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from dpo_portal.audit.models import AuditEvent
from dpo_portal.notifications.mail import render_mail

from . import attachments as attachment_files
from . import services
from .models import (
    AttachmentKind,
    MessageDirection,
    RequestChannel,
    RequestMessage,
    RequestStatus,
)
from .public import intake
from .public.links import status_lookup_url

logger = logging.getLogger(__name__)

MAX_BODY_CHARS = 10_000


def _clean_body(body):
    body = (body or "").strip()
    if not body:
        raise ValidationError(_("Write the message."))
    if len(body) > MAX_BODY_CHARS:
        raise ValidationError(
            _("A message may be at most %(limit)d characters long.") % {"limit": MAX_BODY_CHARS}
        )
    return body


def _fingerprint(body):
    """What the chain keeps of a message: proof of its words that outlives their redaction."""
    return hashlib.sha256(body.encode()).hexdigest()


def person_language(request):
    """The language the requester wrote in on the privacy centre, else the organisation's."""
    submission = getattr(request, "web_submission", None)
    if submission is not None and submission.language:
        return submission.language
    return (request.organisation.language_list or [settings.LANGUAGE_CODE])[0]


def messages_of(request):
    """The conversation in order, with who wrote each message and what came with it."""
    return (
        RequestMessage.objects.filter(request=request)
        .select_related("author")
        .prefetch_related("attachments")
        .order_by("sent_at", "pk")
    )


def _notify_assignee(request, message, *, resumed):
    """The assignee hears that the requester wrote (the reference only, as every staff mail)."""
    assignee = request.assignee
    if assignee is None or not assignee.email:
        return
    with translation.override(services._language_of(request.organisation)):
        services._mail_assignee(
            assignee,
            actor=None,
            template="requests/email/requester_replied",
            subject=_("%(reference)s: the requester wrote") % {"reference": request.reference},
            context={
                "organisation": request.organisation,
                "request_obj": request,
                "attachments": message.attachments.count(),
                "resumed": resumed,
                "language": services._language_of(request.organisation),
            },
        )


def _notify_person(request, message):
    """Tell the requester a message waits for them, once committed: no content in the mail."""
    if not request.requester_email:
        return
    language = person_language(request)
    # A request that did not come through the form gets its status-page key with its first
    # message: the link then carries it; later notices point to the page that asks for it.
    secret = intake.grant_status_access(request)
    if secret:
        status_url = intake.status_url(request, secret)
    else:
        status_url = status_lookup_url(request.organisation, language)
    with translation.override(language):
        mail = render_mail(
            "requests/email/new_message",
            {
                "organisation": request.organisation,
                "reference": request.reference,
                "asks_for_information": message.asks_for_information,
                "status_url": status_url,
                "with_secret": bool(secret),
            },
        )
        subject = _("%(reference)s: a new message from %(organisation)s") % {
            "reference": request.reference,
            "organisation": request.organisation.name,
        }
    to = request.requester_email
    reply_to = [request.organisation.dpo_email] if request.organisation.dpo_email else None

    def send():
        mail_message = EmailMultiAlternatives(subject, mail.text, None, [to], reply_to=reply_to)
        mail_message.attach_alternative(mail.html, "text/html")
        mail_message.send()
        logger.info("request %s: message %s notice mailed", request.pk, message.pk)

    transaction.on_commit(send)


@transaction.atomic
def write_to_person(request, *, body, acting_user, asks_for_information=False):
    """The DPO's message to the requester. With ``asks_for_information`` the clock stops (seed
    000, 8.4) until the requester answers; a request already paused stays paused."""
    body = _clean_body(body)
    request = services._lock(request)
    if not request.is_open:
        raise ValidationError(_("The request is closed."))
    if request.requester_scrubbed:
        raise ValidationError(_("The requester details of this request have been removed."))
    if not request.requester_email:
        raise ValidationError(
            _("The requester left no e-mail address: they cannot be told of a message.")
        )
    if asks_for_information and request.status != RequestStatus.PAUSED:
        request = services.pause_request(request, reason=body, actor=acting_user)
    message = RequestMessage.objects.create(
        organisation_id=request.organisation_id,
        request=request,
        direction=MessageDirection.TO_PERSON,
        body=body,
        via=RequestChannel.WEB,
        asks_for_information=asks_for_information,
        author=acting_user,
    )
    AuditEvent.record(
        "requests.message_sent",
        organisation=request.organisation,
        actor=acting_user,
        target=request,
        message_id=message.pk,
        asks_for_information=asks_for_information,
        sha256=_fingerprint(body),
    )
    _notify_person(request, message)
    return message


@transaction.atomic
def receive_from_person(request, *, body, attachments=(), via):
    """The requester's message (from the status page, or an e-mail reply quoting the reference),
    with its files (uploads or django File objects, kept under the attachment rules). A paused
    clock runs again; on a closed request the message is kept and nothing else changes."""
    if via not in RequestChannel.values:
        raise ValidationError(_("Say how the message arrived."))
    attachments = list(attachments)
    body = (body or "").strip()
    if not body and not attachments:
        raise ValidationError(_("Write the message or attach a file."))
    if body:
        body = _clean_body(body)
    request = services._lock(request)
    if request.requester_scrubbed:
        raise ValidationError(_("The requester details of this request have been removed."))
    message = RequestMessage.objects.create(
        organisation_id=request.organisation_id,
        request=request,
        direction=MessageDirection.FROM_PERSON,
        body=body,
        via=via,
        sent_at=timezone.now(),
    )
    for upload in attachments:
        attachment = attachment_files.attach_file(
            request, upload, kind=AttachmentKind.CORRESPONDENCE, actor=None
        )
        attachment.message = message
        attachment.save(update_fields=["message", "updated_at"])
    resumed = request.status == RequestStatus.PAUSED
    if resumed:
        request = services.resume_request(request, actor=None)
    AuditEvent.record(
        "requests.message_received",
        organisation=request.organisation,
        target=request,
        message_id=message.pk,
        via=via,
        attachments=len(attachments),
        resumed=resumed,
        sha256=_fingerprint(body),
    )
    _notify_assignee(request, message, resumed=resumed)
    return message
